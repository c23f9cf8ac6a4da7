//! In-process OpenShift API emulator for hermetic tests: the real kube client talks to it over HTTP.
//!
//! A dev-only workspace member: tollgate's live tests depend on it, and it does not depend on
//! tollgate (it emulates the server from OpenShift's behaviour, not from tollgate's code). Its
//! own cases are in `tests/server/`.
//!
//! Design: one `World` (store + settings) behind a mutex; every request is served under it and
//! controllers run synchronously after each write, so tests see the server-side effects of a
//! call as soon as it returns. Only rollouts move on a ticker (Running → Complete/Failed).
// Test support: a failed set-up (bind, kubeconfig, client) is a failed test, with its message.
#![allow(clippy::expect_used)]

mod controllers;
mod discovery;
mod errors;
mod faults;
pub mod imageutil;
pub mod kubeconfig;
mod rbac;
mod rollouts;
mod routes;
mod routes_apps;
mod routes_image;
mod routes_imageops;
mod routes_imagetag;
mod routes_rbac;
mod seed;
mod server;
mod store;
mod types;
mod watch;
mod webhook;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

pub use faults::{Fault, FaultRule, LoggedRequest};
pub use rbac::UserInfo;
pub use rollouts::RolloutOutcome;
pub use seed::SeedReport;
pub use types::res;
pub use webhook::Webhook;

/// The bearer token of the default identity; tests grep output to prove it is never printed.
pub const DEFAULT_TOKEN: &str = "sha256~SECRET-TOKEN-do-not-print";
/// The user the default token authenticates as.
pub const DEFAULT_USER: &str = "system:serviceaccount:ci:tollgate";

/// Locks a mutex, ignoring poisoning (a panicking test must not hide the real failure).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything the fake cluster knows.
#[derive(Debug)]
pub(crate) struct World {
    pub store: store::Store,
    /// Bearer token → identity.
    pub identities: BTreeMap<String, UserInfo>,
    /// When false (default) every authenticated-or-not request is allowed.
    pub enforce_rbac: bool,
    pub rollouts: rollouts::Rollouts,
    /// The "external registry" imports see: pull spec by tag → digest (`registry_set`).
    pub registry: BTreeMap<String, String>,
    /// The validating admission webhook writes to image resources go through (`set_webhook`).
    pub webhook: Option<Webhook>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub world: Mutex<World>,
    pub acct: Arc<faults::Accounting>,
    /// Bumped to end every open watch stream (`break_watches`, and when the emulator stops).
    pub watch_breaker: tokio::sync::watch::Sender<u64>,
    /// Every AdmissionReview sent to the webhook, in order.
    pub webhook_calls: Mutex<Vec<Value>>,
    /// Added to every request before it is served (`set_latency`), in microseconds.
    pub latency_us: std::sync::atomic::AtomicU64,
}

/// Start-up options; `Emulator::start()` uses the defaults.
#[derive(Debug, Clone)]
pub struct Builder {
    tick: Option<Duration>,
    identities: Vec<(String, UserInfo)>,
}

impl Builder {
    /// Rollout ticker period (default 50 ms); None = rollouts only end via `finish_rollouts`.
    pub fn tick(mut self, tick: Option<Duration>) -> Self {
        self.tick = tick;
        self
    }

    pub fn identity(mut self, token: &str, user: UserInfo) -> Self {
        self.identities.push((token.to_string(), user));
        self
    }

    pub async fn start(self) -> Emulator {
        let mut store = store::Store::new();
        for text in [rbac::OPENSHIFT_ROLES, rbac::KUBE_ROLES] {
            let docs = seed::parse_docs(text).expect("built-in roles parse");
            seed::seed_docs(&mut store, docs);
        }
        let mut identities = BTreeMap::new();
        identities.insert(
            DEFAULT_TOKEN.to_string(),
            UserInfo::service_account("ci", "tollgate"),
        );
        identities.extend(self.identities);
        let world = World {
            store,
            identities,
            enforce_rbac: false,
            rollouts: Default::default(),
            registry: BTreeMap::new(),
            webhook: None,
        };
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            acct: Arc::default(),
            watch_breaker: tokio::sync::watch::Sender::new(0),
            webhook_calls: Mutex::new(Vec::new()),
            latency_us: Default::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let mut tasks = vec![tokio::spawn(server::serve(listener, Arc::clone(&shared)))];
        if let Some(period) = self.tick {
            let ticker_shared = Arc::clone(&shared);
            tasks.push(tokio::spawn(async move {
                let mut interval = tokio::time::interval(period);
                loop {
                    interval.tick().await;
                    rollouts::tick(&mut lock(&ticker_shared.world));
                }
            }));
        }
        Emulator {
            addr,
            shared,
            tasks,
        }
    }
}

/// A running emulator; the server and ticker stop when it is dropped.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        // Open watch streams run in their own tasks: end them too.
        self.break_watches();
    }
}

impl Emulator {
    pub fn builder() -> Builder {
        Builder {
            tick: Some(Duration::from_millis(50)),
            identities: Vec::new(),
        }
    }

    /// Defaults: allow-all, 50 ms rollout tick, OpenShift + kube ClusterRoles seeded.
    pub async fn start() -> Emulator {
        Self::builder().start().await
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes `<dir>/kubeconfig` for the default identity (namespace `dev`).
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        self.kubeconfig_for(dir, DEFAULT_TOKEN, "dev")
    }

    pub fn kubeconfig_for(&self, dir: &Path, token: &str, namespace: &str) -> PathBuf {
        kubeconfig::write(dir, &self.url(), token, namespace).expect("write kubeconfig")
    }

    /// A kube client for the default identity (read timeout set, as production code should).
    pub fn client(&self) -> kube::Client {
        self.client_as(DEFAULT_TOKEN)
    }

    pub fn client_as(&self, token: &str) -> kube::Client {
        let mut config = kube::Config::new(self.url().parse().expect("emulator url"));
        config.auth_info.token = Some(token.to_string().into());
        config.read_timeout = Some(Duration::from_secs(10));
        config.default_namespace = "dev".into();
        kube::Client::try_from(config).expect("kube client")
    }

    fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.shared.world)
    }

    // ---- seeding and objects -------------------------------------------------------------

    /// Loads YAML/JSON text (one object, a List, or `---`-separated documents).
    pub fn seed_yaml(&self, text: &str) -> Result<SeedReport, String> {
        let docs = seed::parse_docs(text)?;
        Ok(seed::seed_docs(&mut self.world().store, docs))
    }

    /// Loads every `*.yaml|*.yml|*.json` under `dir` (e.g. `examples/seed/<state>/`).
    pub fn seed_dir(&self, dir: impl AsRef<Path>) -> Result<SeedReport, String> {
        let docs = seed::read_dir_docs(dir.as_ref())?;
        Ok(seed::seed_docs(&mut self.world().store, docs))
    }

    pub fn seed_file(&self, file: impl AsRef<Path>) -> Result<SeedReport, String> {
        let text = std::fs::read_to_string(file.as_ref()).map_err(|e| e.to_string())?;
        self.seed_yaml(&text)
    }

    /// Simulates a build pushing `digest` to `ns/stream:tag` (tracking tags follow), then runs
    /// the controllers. `labels` become the image's `dockerImageMetadata.Config.Labels`.
    pub fn push_image(&self, ns: &str, stream: &str, tag: &str, digest: &str, labels: Value) {
        let image = serde_json::json!({
            "metadata": { "name": digest, "annotations": { "openshift.io/image.managed": "true" } },
            "dockerImageMetadata": { "kind": "DockerImage", "apiVersion": "image.openshift.io/1.0", "Config": { "Labels": labels } },
            "dockerImageMetadataVersion": "1.0",
        });
        let mut w = self.world();
        seed::push_image(&mut w.store, ns, stream, tag, image);
        controllers::reconcile(&mut w);
    }

    /// Makes an import of `pull_spec` (a pull spec by tag, e.g. `quay.io/acme/app:1.2`) resolve
    /// to `digest`, as the external registry would. A pull spec by digest needs no entry: it
    /// resolves when an Image of that digest is stored.
    pub fn registry_set(&self, pull_spec: &str, digest: &str) {
        self.world()
            .registry
            .insert(pull_spec.to_string(), digest.to_string());
    }

    /// The stored object (`resource` is a `res::*` key such as `res::IMAGESTREAMS`).
    pub fn object(&self, resource: &str, ns: &str, name: &str) -> Option<Value> {
        self.world().store.get(resource, ns, name).cloned()
    }

    /// Objects of a resource in `ns` (None = all namespaces), ordered by namespace/name.
    pub fn objects(&self, resource: &str, ns: Option<&str>) -> Vec<Value> {
        self.world()
            .store
            .list(resource, ns)
            .into_iter()
            .cloned()
            .collect()
    }

    pub fn image_stream(&self, ns: &str, name: &str) -> Option<Value> {
        self.object(res::IMAGESTREAMS, ns, name)
    }

    pub fn deployment_config(&self, ns: &str, name: &str) -> Option<Value> {
        self.object(res::DEPLOYMENTCONFIGS, ns, name)
    }

    pub fn replication_controller(&self, ns: &str, name: &str) -> Option<Value> {
        self.object(res::REPLICATIONCONTROLLERS, ns, name)
    }

    pub fn deployment(&self, ns: &str, name: &str) -> Option<Value> {
        self.object(res::DEPLOYMENTS, ns, name)
    }

    /// Edits a stored object in place (new resourceVersion), then runs the controllers — like
    /// another client writing to the cluster. Panics if the object does not exist.
    pub fn modify(
        &self,
        resource: &str,
        ns: &str,
        name: &str,
        edit: impl FnOnce(&mut Value),
    ) -> Value {
        let mut w = self.world();
        let mut obj = w
            .store
            .get(resource, ns, name)
            .cloned()
            .unwrap_or_else(|| panic!("no {resource} {ns}/{name}"));
        let old = obj.clone();
        edit(&mut obj);
        store::bump_generation(Some(&old), &mut obj);
        let t = types::by_key(resource).expect("known resource");
        w.store.put(&t, obj);
        controllers::reconcile(&mut w);
        w.store
            .get(resource, ns, name)
            .cloned()
            .expect("just stored")
    }

    /// Runs every controller once to a fixed point (e.g. after seeding).
    pub fn run_controllers(&self) {
        controllers::reconcile(&mut self.world());
    }

    // ---- watches -------------------------------------------------------------------------

    /// Ends every open watch stream now, as an apiserver restart or a load balancer does;
    /// clients re-watch from their last resourceVersion.
    pub fn break_watches(&self) {
        self.shared.watch_breaker.send_modify(|n| *n += 1);
    }

    /// Forgets the watch history: the next watch from any earlier resourceVersion gets an
    /// `ERROR` event with a 410 `Expired` Status (so the client re-lists). Open watches go on.
    pub fn expire_watch_history(&self) {
        self.world().store.expire_changes();
    }

    /// The store's current resourceVersion (what a LIST would report).
    pub fn resource_version(&self) -> String {
        self.world().store.resource_version()
    }

    // ---- admission webhook ---------------------------------------------------------------

    /// From now on every CREATE/UPDATE/DELETE request on imagestreamtags, imagetags,
    /// imagestreams, imagestreammappings and imagestreamimports is sent to `hook` before it is
    /// stored (`failurePolicy: Fail`). Writes the server makes itself are not.
    pub fn set_webhook(&self, hook: Webhook) {
        self.world().webhook = Some(hook);
    }

    pub fn clear_webhook(&self) {
        self.world().webhook = None;
    }

    /// The AdmissionReviews sent so far (`admission.k8s.io/v1`, `request` filled), in order.
    pub fn webhook_calls(&self) -> Vec<Value> {
        lock(&self.shared.webhook_calls).clone()
    }

    // ---- identities and RBAC -------------------------------------------------------------

    /// Enforce RBAC on every request for the token's identity (403 Forbidden when denied).
    pub fn set_enforce_rbac(&self, on: bool) {
        self.world().enforce_rbac = on;
    }

    // ---- rollouts ------------------------------------------------------------------------

    /// How the next rollout of DC `ns/dc` ends (default Complete).
    pub fn set_next_rollout(&self, ns: &str, dc: &str, outcome: RolloutOutcome) {
        self.world()
            .rollouts
            .next
            .insert((ns.to_string(), dc.to_string()), outcome);
    }

    /// Ends every running rollout now (planned failures fail, everything else completes).
    pub fn finish_rollouts(&self) {
        rollouts::finish_all(&mut self.world());
    }

    // ---- faults and accounting -----------------------------------------------------------

    /// Every request (watches included) waits `latency` before it is served, as over a WAN
    /// link to a busy API server; concurrent requests wait side by side. Zero turns it off.
    pub fn set_latency(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.shared
            .latency_us
            .store(us, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn inject(&self, rule: FaultRule) {
        self.shared.acct.add_rule(rule);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.acct.log()
    }

    /// Requests with exactly this method and path (query ignored).
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.shared.acct.count(method, path)
    }

    /// Requests matching a method (`"*"` = any) and a path glob (`*` segment, `**` anything).
    pub fn count_matching(&self, method: &str, pattern: &str) -> usize {
        self.shared.acct.count_matching(method, pattern)
    }

    /// The most requests that were being served at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.shared.acct.max_in_flight()
    }

    /// Forgets the request log and the in-flight maximum (fault rules stay).
    pub fn reset_accounting(&self) {
        self.shared.acct.reset();
    }
}
