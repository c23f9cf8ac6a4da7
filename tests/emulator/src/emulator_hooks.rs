//! The `Emulator` test hooks of the watch, webhook and import features (split from lib.rs).

use std::time::Duration;

use serde_json::Value;

use super::{lock, Emulator, Webhook};

impl Emulator {
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

    // ---- imports and latency -------------------------------------------------------------

    /// Makes an import of `pull_spec` (a pull spec by tag, e.g. `quay.io/acme/app:1.2`) resolve
    /// to `digest`, as the external registry would. A pull spec by digest needs no entry: it
    /// resolves when an Image of that digest is stored.
    pub fn registry_set(&self, pull_spec: &str, digest: &str) {
        self.world()
            .registry
            .insert(pull_spec.to_string(), digest.to_string());
    }

    /// Every request (watches included) waits `latency` before it is served, as over a WAN
    /// link to a busy API server; concurrent requests wait side by side. Zero turns it off.
    pub fn set_latency(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.shared
            .latency_us
            .store(us, std::sync::atomic::Ordering::SeqCst);
    }
}
