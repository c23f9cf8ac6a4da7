//! The server's Prometheus metrics (names from docs/design/ADMISSION.md), encoded in the
//! OpenMetrics text format that Prometheus scrapes.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// Every metric the server exports; cheap to share (`Arc` inside each family).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    duration: Histogram,
    outcomes: Family<Labels, Counter>,
    cache_objects: Family<Labels, Gauge>,
    cache_ready: Gauge,
    reloads: Family<Labels, Counter>,
}

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        // Buckets from 0.5 ms to 10 s (the webhook's longest timeout): the targets are 1 ms
        // (not evaluated) and 5 ms (evaluated).
        let duration = Histogram::new([
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ]);
        let outcomes = Family::<Labels, Counter>::default();
        let cache_objects = Family::<Labels, Gauge>::default();
        let cache_ready = Gauge::default();
        let reloads = Family::<Labels, Counter>::default();
        // The encoder appends `_total` to counters and `_seconds` stays in the name.
        registry.register(
            "tollgate_admission_requests",
            "Admission requests by resource, operation and decision",
            requests.clone(),
        );
        registry.register(
            "tollgate_admission_duration_seconds",
            "Time to answer one admission request",
            duration.clone(),
        );
        registry.register(
            "tollgate_rule_outcomes",
            "Rule outcomes of evaluated admission requests",
            outcomes.clone(),
        );
        registry.register(
            "tollgate_cache_objects",
            "Objects held by the cache, per kind",
            cache_objects.clone(),
        );
        registry.register(
            "tollgate_cache_ready",
            "1 once every watch of the cache has synced",
            cache_ready.clone(),
        );
        registry.register(
            "tollgate_policy_reloads",
            "Rule pack and configuration reloads by result (ok or refused)",
            reloads.clone(),
        );
        Metrics {
            registry,
            requests,
            duration,
            outcomes,
            cache_objects,
            cache_ready,
            reloads,
        }
    }
}

impl Metrics {
    /// One answered admission request.
    pub fn request(&self, resource: &str, operation: &str, decision: &str, seconds: f64) {
        self.requests
            .get_or_create(&vec![
                ("resource", resource.to_string()),
                ("operation", operation.to_string()),
                ("decision", decision.to_string()),
            ])
            .inc();
        self.duration.observe(seconds);
    }

    pub fn rule_outcome(&self, rule: &str, outcome: &str) {
        self.outcomes
            .get_or_create(&vec![
                ("rule", rule.to_string()),
                ("outcome", outcome.to_string()),
            ])
            .inc();
    }

    pub fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "refused" };
        self.reloads
            .get_or_create(&vec![("result", result.to_string())])
            .inc();
    }

    /// The cache's state, set just before each scrape.
    pub fn cache(&self, ready: bool, counts: &[(&'static str, usize)]) {
        self.cache_ready.set(i64::from(ready));
        for (kind, n) in counts {
            self.cache_objects
                .get_or_create(&vec![("kind", kind.to_string())])
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
    }

    /// The text Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            // Writing into a String cannot fail; if the encoder ever does, say so in the body.
            out = format!("# encoding failed: {e}\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_the_documented_ones() {
        let m = Metrics::default();
        m.request("imagestreamtags", "UPDATE", "deny", 0.002);
        m.rule_outcome("target-can-pull", "deny");
        m.reload(false);
        m.cache(true, &[("ImageStream", 3)]);
        let text = m.encode();
        for want in [
            r#"tollgate_admission_requests_total{resource="imagestreamtags",operation="UPDATE",decision="deny"} 1"#,
            "tollgate_admission_duration_seconds_bucket{le=\"0.0025\"} 1",
            r#"tollgate_rule_outcomes_total{rule="target-can-pull",outcome="deny"} 1"#,
            r#"tollgate_cache_objects{kind="ImageStream"} 3"#,
            "tollgate_cache_ready 1",
            r#"tollgate_policy_reloads_total{result="refused"} 1"#,
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
    }
}
