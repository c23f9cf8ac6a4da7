//! The admission server's view of the cluster: watches that keep, in memory, every object the
//! facts need, so that an admission decision makes no API call.
//!
//! One task per [`WATCHED`] kind runs kube's `watcher` into the stores ([`store`]); every object
//! is cut down to the slim `openshift` type on arrival ([`slim`]). Readers share one
//! `Arc<ClusterObjects>`, updated change by change on two copies ([`view`]), never rebuilt.
//!
//! The client given to [`Cache::start`] must not carry the `--request-timeout` deadline: a
//! watch is a request that lasts minutes by design. Build it with
//! [`crate::cluster::connect`] and `request_timeout: None` ([`watch_options`]); the server
//! ends each watch itself (kube asks for 290 s) and the watcher re-lists or resumes.

mod slim;
mod store;
mod view;
mod watch;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kube::Client;
use tokio::task::JoinHandle;

use crate::cluster::ConnectOptions;
use crate::gather::ClusterObjects;

pub use slim::{Key, Object};
pub(crate) use store::Stores;
pub use store::{Change, KindStatus, Status};
pub use view::ORIGIN;

/// One kind of object the cache lists and watches (all namespaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    /// API group (`""` for the core group).
    pub group: &'static str,
    pub version: &'static str,
    /// Plural resource name, as RBAC rules name it.
    pub resource: &'static str,
    pub kind: &'static str,
}

/// Everything the cache watches: the deployment's ClusterRole grants `list` and `watch` on
/// exactly these (examples/deploy, checked by a test).
// One line per kind: a table to read down, not calls to wrap.
#[rustfmt::skip]
pub const WATCHED: &[Watched] = &[
    w("image.openshift.io", "v1", "imagestreams", "ImageStream"),
    w("image.openshift.io", "v1", "images", "Image"),
    w(
        "apps.openshift.io",
        "v1",
        "deploymentconfigs",
        "DeploymentConfig",
    ),
    w("apps", "v1", "deployments", "Deployment"),
    w("", "v1", "replicationcontrollers", "ReplicationController"),
    w("apps", "v1", "replicasets", "ReplicaSet"),
    w(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
    ),
    w(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
    ),
    w("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    w(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
    ),
];

const fn w(
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    kind: &'static str,
) -> Watched {
    Watched {
        group,
        version,
        resource,
        kind,
    }
}

/// The connect options for the cache's client: those of the command, without the per-request
/// deadline (watches last minutes; a dead connection is noticed by the watch's server-side
/// timeout and the re-list that follows).
pub fn watch_options(opts: &ConnectOptions) -> ConnectOptions {
    ConnectOptions {
        request_timeout: None,
        ..opts.clone()
    }
}

/// What the watch tasks and readers share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The writer's state; readers never take this lock.
    stores: Mutex<Stores>,
    /// What readers lock, briefly, to clone the current view.
    published: view::Published,
    /// Every kind has completed a list: set once, never cleared (read without any lock).
    ready: AtomicBool,
}

impl Default for Shared {
    fn default() -> Self {
        let stores = Stores::default();
        Shared {
            published: stores.published(),
            stores: Mutex::new(stores),
            ready: AtomicBool::new(false),
        }
    }
}

impl Shared {
    fn stores(&self) -> MutexGuard<'_, Stores> {
        // A panic while holding the lock leaves the stores between two events: still a state
        // the watch could have produced, so keep serving it.
        self.stores.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies one change (the writer's lock held for the change only).
    fn apply(&self, kind: usize, change: Change) {
        self.stores().apply(kind, change);
    }

    /// Publishes what is pending ([`Stores::publish`]); the cache is ready once a view with
    /// every kind listed is published — not before, or a decision could read a kind that is
    /// synced but not yet in the view.
    fn publish(&self, force: bool) -> bool {
        let mut stores = self.stores();
        let published = stores.publish(force);
        if published && stores.all_synced() {
            self.ready.store(true, Ordering::Release);
        }
        published || !stores.has_pending()
    }
}

/// Aborts the watch tasks when the last handle to the cache goes.
#[derive(Debug, Default)]
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// The watch-fed object cache. Cheap to clone; every clone reads the same stores.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    shared: Arc<Shared>,
    _tasks: Arc<Tasks>,
}

impl Cache {
    /// Starts one watch per [`WATCHED`] kind on the current tokio runtime. Panics outside a
    /// runtime, as `tokio::spawn` does.
    pub fn start(client: Client) -> Cache {
        let shared = Arc::new(Shared::default());
        let tasks = (0..WATCHED.len())
            .map(|kind| tokio::spawn(watch::run(shared.clone(), client.clone(), kind)))
            .collect();
        Cache {
            shared,
            _tasks: Arc::new(Tasks(tasks)),
        }
    }

    /// A cache with no watches, fed by hand through [`Cache::apply`] (tests, benchmarks).
    pub fn detached() -> Cache {
        Cache::default()
    }

    /// Applies one change to the store of `WATCHED[kind]` and publishes it at once, as a
    /// watch would (tests, benchmarks).
    pub fn apply(&self, kind: usize, change: Change) {
        self.shared.apply(kind, change);
        self.shared.publish(true);
    }

    /// Every kind has completed its first list. Never goes back to false: a broken watch
    /// keeps serving its last good store while it re-lists.
    pub fn ready(&self) -> bool {
        self.shared.ready.load(Ordering::Acquire)
    }

    /// Per kind: synced or not, objects held, the last error.
    pub fn status(&self) -> Status {
        self.shared.stores().status()
    }

    /// Objects per kind in the current view (`tollgate_cache_objects{kind}`); never takes the
    /// writer's lock.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let view = self.objects();
        WATCHED
            .iter()
            .map(|w| (w.kind, view::count(&view, w.kind)))
            .collect()
    }

    /// A consistent view of every store for one decision: shared by concurrent readers, kept
    /// up to date change by change (never rebuilt per request). Keep it for one decision
    /// only: a view held for long makes the next change copy it.
    pub fn objects(&self) -> Arc<ClusterObjects> {
        view::read(&self.shared.published)
    }
}

#[cfg(test)]
mod tests;

impl crate::serve::ObjectsView for Cache {
    fn ready(&self) -> bool {
        Cache::ready(self)
    }
    fn not_ready_reason(&self) -> String {
        self.status()
            .not_ready_message()
            .unwrap_or_else(|| "every watch has synced".into())
    }
    fn objects(&self) -> Arc<ClusterObjects> {
        Cache::objects(self)
    }
    fn counts(&self) -> Vec<(&'static str, usize)> {
        Cache::counts(self)
    }
}
