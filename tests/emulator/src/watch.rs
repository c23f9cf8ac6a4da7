//! Watches: the store's change log (a bounded history plus a live broadcast) and the streaming
//! answer to `?watch=true`, as the apiserver's watch cache serves it.
//!
//! A watch never holds the world mutex while it waits: it copies what it must replay under the
//! lock, then follows a `broadcast` channel that the store feeds on every write.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, watch};

use super::errors::{ApiError, ApiResult};
use super::store::{field_selector_matches, label_selector_matches, Store};
use super::types::ResourceType;

/// How many changes a watch can resume from (the apiserver's watch cache is bounded the same way).
pub const HISTORY: usize = 1000;
/// Period of BOOKMARK events on a quiet watch (the real server sends one about every minute;
/// shorter here so clients' resume points move within a test).
const BOOKMARK_EVERY: Duration = Duration::from_millis(500);
/// `timeoutSeconds` when the client gives none (the apiserver's `--min-request-timeout`).
const DEFAULT_TIMEOUT: u64 = 1800;

/// One stored write, as a watch event sees it.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub resource: String,
    pub ns: String,
    pub kind: &'static str,
    pub object: Value,
}

/// Every recent change: the history a watch from resourceVersion N replays, and the live feed.
#[derive(Debug)]
pub struct ChangeLog {
    history: VecDeque<Arc<Change>>,
    /// The oldest resourceVersion a watch may start from; older ones get 410 Expired.
    floor: u64,
    tx: broadcast::Sender<Arc<Change>>,
}

impl ChangeLog {
    pub fn new(rv: u64) -> Self {
        let (tx, _) = broadcast::channel(4 * HISTORY);
        ChangeLog {
            history: VecDeque::new(),
            floor: rv,
            tx,
        }
    }

    pub fn record(&mut self, rv: u64, resource: &str, ns: &str, kind: &'static str, object: Value) {
        let change = Arc::new(Change {
            rv,
            resource: resource.to_string(),
            ns: ns.to_string(),
            kind,
            object,
        });
        self.history.push_back(Arc::clone(&change));
        while self.history.len() > HISTORY {
            if let Some(old) = self.history.pop_front() {
                self.floor = old.rv;
            }
        }
        // No receiver is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    /// Forgets the history: a watch from any resourceVersion before `rv` now gets 410 Expired.
    pub fn expire(&mut self, rv: u64) {
        self.history.clear();
        self.floor = rv;
    }
}

/// Which changes one watch passes on.
#[derive(Debug, Clone)]
struct Filter {
    resource: String,
    ns: Option<String>,
    labels: String,
    fields: String,
}

impl Filter {
    fn matches(&self, c: &Change) -> bool {
        c.resource == self.resource
            && self.ns.as_deref().is_none_or(|n| n == c.ns)
            && label_selector_matches(&c.object, &self.labels).unwrap_or(false)
            && field_selector_matches(&c.object, &self.fields).unwrap_or(false)
    }
}

/// A watch that has been admitted: what to replay, then the live feed to follow.
pub struct WatchStart {
    rx: broadcast::Receiver<Arc<Change>>,
    replay: Vec<Value>,
    expired: Option<Value>,
    last: u64,
    filter: Filter,
    timeout: Duration,
    bookmarks: bool,
    kind: &'static str,
    api_version: String,
}

fn event(kind: &str, object: &Value) -> Value {
    json!({ "type": kind, "object": object })
}

fn expired_event(from: u64, floor: u64) -> Value {
    let status = ApiError::new(
        410,
        "Expired",
        format!("too old resource version: {from} ({floor})"),
    );
    event("ERROR", &status.body())
}

/// Starts a watch of type `t` (in `ns`, or everywhere) under the world lock.
/// `resourceVersion` unset or `0` replays the current objects as ADDED first, as the server does.
pub fn start(
    store: &Store,
    query: &BTreeMap<String, String>,
    t: &ResourceType,
    ns: Option<&str>,
    name: &str,
) -> ApiResult<WatchStart> {
    let q = |k: &str| query.get(k).map(String::as_str).unwrap_or("");
    let mut fields = q("fieldSelector").to_string();
    if !name.is_empty() {
        // A watch on one object's path is the same as a metadata.name field selector.
        let by_name = format!("metadata.name={name}");
        fields = [fields.as_str(), &by_name]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(",");
    }
    let probe = json!({ "metadata": {} });
    label_selector_matches(&probe, q("labelSelector")).map_err(ApiError::bad_request)?;
    field_selector_matches(&probe, &fields).map_err(ApiError::bad_request)?;
    let timeout = match q("timeoutSeconds") {
        "" => DEFAULT_TIMEOUT,
        s => s
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("timeoutSeconds: invalid value {s:?}")))?,
    };
    let filter = Filter {
        resource: t.key(),
        ns: ns.map(str::to_string),
        labels: q("labelSelector").to_string(),
        fields,
    };
    let log = &store.changes;
    let rx = log.tx.subscribe();
    let (mut replay, mut expired, last) = (Vec::new(), None, store.rv());
    match q("resourceVersion") {
        "" | "0" => {
            for obj in store.list(&t.key(), ns) {
                let c = Change {
                    rv: 0,
                    resource: t.key(),
                    ns: obj["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    kind: "ADDED",
                    object: obj.clone(),
                };
                if filter.matches(&c) {
                    replay.push(event("ADDED", obj));
                }
            }
        }
        s => {
            let from = s.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("resourceVersion: invalid value {s:?}"))
            })?;
            if from < log.floor {
                expired = Some(expired_event(from, log.floor));
            } else {
                for c in log.history.iter().filter(|c| c.rv > from) {
                    if filter.matches(c) {
                        replay.push(event(c.kind, &c.object));
                    }
                }
            }
        }
    }
    Ok(WatchStart {
        rx,
        replay,
        expired,
        last,
        filter,
        timeout: Duration::from_secs(timeout),
        bookmarks: matches!(q("allowWatchBookmarks"), "true" | "1"),
        kind: t.kind,
        api_version: t.api_version(),
    })
}

/// The streaming answer: JSON lines, one event each, until timeout, a break or the client leaves.
pub fn response(ws: WatchStart, breaker: watch::Receiver<u64>) -> Response {
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(pump(ws, breaker, tx));
    Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::new(Lines(rx)))
        .unwrap_or_default()
}

fn line(v: &Value) -> bytes::Bytes {
    let mut text = v.to_string();
    text.push('\n');
    bytes::Bytes::from(text)
}

async fn pump(
    mut ws: WatchStart,
    mut breaker: watch::Receiver<u64>,
    tx: mpsc::Sender<bytes::Bytes>,
) {
    if let Some(e) = ws.expired.take() {
        let _ = tx.send(line(&e)).await;
        return;
    }
    for ev in std::mem::take(&mut ws.replay) {
        if tx.send(line(&ev)).await.is_err() {
            return;
        }
    }
    let bookmark = |rv: u64| {
        let meta = json!({ "kind": ws.kind, "apiVersion": ws.api_version, "metadata": { "resourceVersion": rv.to_string() } });
        event("BOOKMARK", &meta)
    };
    let deadline = tokio::time::Instant::now() + ws.timeout;
    let mut tick = tokio::time::interval_at(
        deadline.min(tokio::time::Instant::now() + BOOKMARK_EVERY),
        BOOKMARK_EVERY,
    );
    loop {
        let out = tokio::select! {
            // A break ends the stream before anything else that is ready goes out.
            biased;
            _ = breaker.changed() => return,
            _ = tokio::time::sleep_until(deadline) => {
                if ws.bookmarks {
                    let _ = tx.send(line(&bookmark(ws.last))).await;
                }
                return;
            }
            _ = tick.tick() => ws.bookmarks.then(|| bookmark(ws.last)),
            r = ws.rx.recv() => match r {
                Ok(c) if c.rv <= ws.last => None,
                Ok(c) => {
                    ws.last = c.rv;
                    ws.filter.matches(&c).then(|| event(c.kind, &c.object))
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // This watcher fell behind the live feed: it must re-list, as after a 410.
                    let _ = tx.send(line(&expired_event(ws.last, ws.last + 1))).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tx.closed() => return,
        };
        if let Some(v) = out {
            if tx.send(line(&v)).await.is_err() {
                return;
            }
        }
    }
}

/// A body fed line by line by the watch's task; it ends when the task drops its sender.
struct Lines(mpsc::Receiver<bytes::Bytes>);

impl http_body::Body for Lines {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|line| line.map(|b| Ok(http_body::Frame::data(b))))
    }
}
