//! The webhook's endpoints: `/validate` (AdmissionReview in, AdmissionReview out), `/readyz`,
//! `/livez`, `/metrics`. Every request is bounded: its body size, the time to decide, and how
//! many decisions run at once; none can stop the others from being answered.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;

use crate::admission::{self, Guarded, Mode};
use crate::gate::Gate;
use crate::gather::ClusterObjects;

use super::metrics::{self, Metrics};
use super::pack::Pack;

/// The longest the body of one request may take to arrive (the API server sends it at once).
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The gate's own denial while the cache has never synced: no sound decision is possible.
pub const CACHE_NOT_READY: &str = "tollgate/cache-synced";
/// The gate's own denial when no decision was reached in time.
pub const NO_DECISION: &str = "tollgate/decision-timeout";

/// What the decisions read the cluster from: the watch-fed cache, or fixed objects in tests.
pub trait ObjectsView: Send + Sync + 'static {
    /// Every watch has synced once.
    fn ready(&self) -> bool;
    /// Why not ready, for the denial message and `/readyz`.
    fn not_ready_reason(&self) -> String;
    /// The objects one decision reads (held for that decision only); their `generation`
    /// changes whenever they do.
    fn objects(&self) -> Arc<ClusterObjects>;
    /// Objects per kind, for `tollgate_cache_objects`.
    fn counts(&self) -> Vec<(&'static str, usize)>;
}

/// Bounds on one request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest AdmissionReview body read; the API server's own request limit is 3 MiB per
    /// object, and a review carries the object and the old object.
    pub max_body: usize,
    /// The longest a decision may take before it is answered with a denial (below the
    /// webhook's `timeoutSeconds`, so the API server hears the gate's reason).
    pub decide_timeout: Duration,
    /// Decisions evaluated at once; the others wait (within their timeout).
    pub concurrent_decisions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 8 * 1024 * 1024,
            decide_timeout: Duration::from_secs(8),
            concurrent_decisions: 16,
        }
    }
}

/// Shared by every request.
pub struct AppState {
    pub pack: Arc<Pack>,
    pub view: Arc<dyn ObjectsView>,
    pub mode: Mode,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub deciding: Arc<Semaphore>,
    /// The guarded tags of the last objects and rules seen: computed once per cache
    /// generation and pack, not per request.
    guarded: Mutex<Option<GuardedMemo>>,
}

struct GuardedMemo {
    // The generation, not the view: a view held beyond one decision would make the cache
    // copy it on its next change.
    generation: u64,
    rules_digest: String,
    guarded: Arc<Guarded>,
}

impl AppState {
    fn guarded(&self, gate: &Gate, objects: &Arc<ClusterObjects>) -> Arc<Guarded> {
        let mut memo = self
            .guarded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(m) = memo.as_ref() {
            if m.generation == objects.generation && m.rules_digest == gate.rules_digest() {
                return m.guarded.clone();
            }
        }
        let guarded = Arc::new(Guarded::new(objects, gate.settings()));
        *memo = Some(GuardedMemo {
            generation: objects.generation,
            rules_digest: gate.rules_digest().to_string(),
            guarded: guarded.clone(),
        });
        guarded
    }
}

impl AppState {
    pub fn new(
        pack: Arc<Pack>,
        view: Arc<dyn ObjectsView>,
        mode: Mode,
        metrics: Arc<Metrics>,
        limits: Limits,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            pack,
            view,
            mode,
            metrics,
            deciding: Arc::new(Semaphore::new(limits.concurrent_decisions.max(1))),
            guarded: Mutex::new(None),
            limits,
        })
    }
}

/// The routes; anything else is 404, a wrong method 405.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/readyz", get(readyz))
        .route("/livez", get(livez))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

fn plain(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

async fn validate(State(s): State<Arc<AppState>>, body: Body) -> Response {
    let started = Instant::now();
    // A client that trickles its body holds a connection, never a decision slot: bounded.
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, s.limits.max_body));
    let bytes = match read.await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} bytes (or was cut off): not an AdmissionReview this server reads\n",
                    s.limits.max_body
                ),
            )
        }
        Err(_) => {
            return plain(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {}\n",
                    crate::duration::show(BODY_TIMEOUT)
                ),
            )
        }
    };
    let review = match admission::parse_review(&bytes) {
        Ok(r) => r,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
    };
    let refuse = |rule: &str, why: String| {
        admission::fail_closed(&review, s.mode, s.pack.gate().rules_digest(), rule, why)
    };
    let answer = if !s.view.ready() {
        refuse(
            CACHE_NOT_READY,
            format!(
                "the cluster cache has not synced yet ({}); retry in a moment",
                s.view.not_ready_reason()
            ),
        )
    } else {
        match decide_bounded(&s, review.clone()).await {
            Ok(a) => a,
            Err(why) => refuse(NO_DECISION, why),
        }
    };
    let decision = answer.decision.as_str();
    s.metrics.request(
        &answer.resource,
        &answer.operation,
        decision,
        started.elapsed().as_secs_f64(),
    );
    for (rule, outcome) in &answer.outcomes {
        s.metrics.rule_outcome(rule, outcome);
    }
    if answer.evaluated || decision != "allow" {
        tracing::info!(
            uid = %review.uid, moves = ?answer.moves, resource = %answer.resource, operation = %answer.operation,
            decision, denied = ?answer.denied, mode = %s.mode,
            micros = started.elapsed().as_micros() as u64, "admission decision"
        );
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        answer.review.to_string(),
    )
        .into_response()
}

/// The decision for one review, through [`bounded`].
async fn decide_bounded(
    s: &Arc<AppState>,
    review: admission::Review,
) -> Result<admission::Answer, String> {
    let state = s.clone();
    bounded(&s.deciding, s.limits.decide_timeout, move || {
        let gate = state.pack.gate();
        let objects = state.view.objects();
        let guarded = state.guarded(&gate, &objects);
        let now = time::OffsetDateTime::now_utc();
        admission::decide_with(&gate, &objects, &guarded, &review, state.mode, now)
    })
    .await
}

/// Runs `work` off the async workers, at most as many at once as `slots` has permits, and
/// waits for it at most `limit` (waiting for a slot included). `Err` says why there is no
/// result. A slot is held until the work really ends — past the timeout too — so slow work
/// cannot pile up beyond the bound.
async fn bounded<T: Send + 'static>(
    slots: &Arc<Semaphore>,
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let slots = slots.clone();
    let run = async move {
        let slot = slots
            .acquire_owned()
            .await
            .map_err(|_| "the server is shutting down".to_string())?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| format!("the decision failed: {e}"))
    };
    match tokio::time::timeout(limit, run).await {
        Ok(r) => r,
        // The rules stop themselves (limits.rule_timeout); the answer cannot wait for them.
        Err(_) => Err(format!(
            "no decision within {} (the server is overloaded or a rule is slow)",
            crate::duration::show(limit)
        )),
    }
}

async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    if s.view.ready() {
        plain(
            StatusCode::OK,
            format!("ready: rules {}\n", s.pack.gate().rules_digest()),
        )
    } else {
        plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", s.view.not_ready_reason()),
        )
    }
}

async fn livez() -> Response {
    plain(StatusCode::OK, "ok\n".into())
}

async fn metrics_text(State(s): State<Arc<AppState>>) -> Response {
    s.metrics.cache(s.view.ready(), &s.view.counts());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        s.metrics.encode(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_not_done_in_time_is_an_error_and_keeps_its_slot_until_it_ends() {
        let slots = Arc::new(Semaphore::new(1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        // Blocked until the test releases it: whatever the machine's speed, it is late.
        let stuck = bounded(&slots, Duration::from_millis(20), move || {
            let _ = wait.recv();
            1
        })
        .await;
        assert_eq!(
            stuck,
            Err("no decision within 20ms (the server is overloaded or a rule is slow)".into())
        );
        // Its slot is still taken: the next one waits for it and runs out of time too.
        let next = bounded(&slots, Duration::from_millis(20), || 2).await;
        assert!(next.is_err(), "{next:?}");
        release.send(()).unwrap();
        // Once the stuck work ends, the slot is free again.
        let mut after = Err(String::new());
        for _ in 0..200 {
            after = bounded(&slots, Duration::from_secs(5), || 3).await;
            if after.is_ok() {
                break;
            }
        }
        assert_eq!(after, Ok(3));
    }
}
