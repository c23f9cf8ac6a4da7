//! One watch per kind: kube's `watcher` (list, then watch; re-list with backoff when the watch
//! breaks) feeding the kind's store.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt;
use kube::Client;

use super::store::Change;
use super::{Shared, Watched, WATCHED};
use crate::cluster::redact::redact;

/// Runs the watch of `WATCHED[kind]` until the cache is dropped (the task is aborted then).
pub async fn run(shared: Arc<Shared>, client: Client, kind: usize) {
    let Some(w) = WATCHED.get(kind) else {
        return;
    };
    let api: Api<DynamicObject> = Api::all_with(client, &api_resource(w));
    // `default_backoff`: after an error the stream waits (exponentially, with jitter) before
    // the watcher re-lists, instead of hammering an API server that refused or failed.
    let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    tracing::info!(resource = w.resource, "watch started");
    while let Some(item) = events.next().await {
        match item {
            Ok(event) => {
                let done = matches!(event, watcher::Event::InitDone);
                // Decoded before the lock: the writer's lock is held for the change only.
                let change = Change::decode(w, event);
                shared.apply(kind, change);
                publish(&shared).await;
                if done {
                    tracing::debug!(resource = w.resource, "list complete");
                }
            }
            Err(e) => {
                let message = describe(w, &e);
                tracing::warn!(resource = w.resource, error = %message, "watch failed; retrying with backoff");
                shared.stores().failed(kind, message);
            }
        }
    }
    // kube's watcher never ends on its own; say so if it ever does.
    tracing::error!(
        resource = w.resource,
        "watch ended: the cache no longer follows this kind"
    );
    shared
        .stores()
        .failed(kind, "the watch ended and was not restarted".into());
}

/// How long a change waits for the readers of the spare view to finish (one decision each)
/// before that view is copied instead: the change is visible within about this long.
const PUBLISH_PATIENCE: Duration = Duration::from_millis(50);
const PUBLISH_RETRY: Duration = Duration::from_millis(1);

/// Publishes what is pending: as soon as no reader holds the spare view, or by copying it
/// once [`PUBLISH_PATIENCE`] is over. Watch events wait meanwhile (no lock is held).
async fn publish(shared: &Shared) {
    let deadline = Instant::now() + PUBLISH_PATIENCE;
    loop {
        let late = Instant::now() >= deadline;
        if shared.publish(late) {
            return;
        }
        tokio::time::sleep(PUBLISH_RETRY).await;
    }
}

pub fn api_resource(w: &Watched) -> ApiResource {
    ApiResource {
        group: w.group.into(),
        version: w.version.into(),
        api_version: if w.group.is_empty() {
            w.version.into()
        } else {
            format!("{}/{}", w.group, w.version)
        },
        kind: w.kind.into(),
        plural: w.resource.into(),
    }
}

/// `imagestreams.image.openshift.io` (`replicationcontrollers` for the core group).
fn qualified(w: &Watched) -> String {
    if w.group.is_empty() {
        w.resource.into()
    } else {
        format!("{}.{}", w.resource, w.group)
    }
}

/// A failure of the watch, for `status()` and the logs: a refusal names the right to grant.
pub fn describe(w: &Watched, e: &watcher::Error) -> String {
    let (what, inner) = match e {
        watcher::Error::InitialListFailed(inner) => ("list", inner),
        watcher::Error::WatchStartFailed(inner) => ("watch", inner),
        watcher::Error::WatchFailed(inner) => ("watch stream", inner),
        watcher::Error::WatchError(status) => {
            return format!(
                "the watch ended with {} {}: {}",
                status.code,
                status.reason,
                redact(&status.message)
            )
        }
        watcher::Error::NoResourceVersion => {
            return "the list carried no resourceVersion, so it cannot be watched".into()
        }
    };
    match inner {
        kube::Error::Api(s) if s.code == 403 => format!(
            "{what} refused (403 Forbidden): the service account needs `list` and `watch` on {}",
            qualified(w)
        ),
        kube::Error::Api(s) => format!(
            "{what} failed: {} {}: {}",
            s.code,
            s.reason,
            redact(&s.message)
        ),
        other => format!("{what} failed: {}", redact(&other.to_string())),
    }
}
