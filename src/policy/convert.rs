//! Facts → Rhai values by hand, converting only what a pack's code can reach: the serde route
//! costs ~3× more on the per-promotion hot path, and `rbac.bindings` grows with the cluster.
//!
//! Key names must match the serde names of `crate::facts` exactly (docs/design/POLICY-API.md); the test
//! at the bottom compares this conversion with `rhai::serde::to_dynamic` on real facts.

use std::collections::BTreeMap;

use rhai::{Array, Dynamic, Map};

use super::needs::Needs;

use crate::facts::*;

/// Something that becomes one Rhai value.
pub(crate) trait ToRhai {
    fn to_rhai(&self) -> Dynamic;
}

impl ToRhai for String {
    fn to_rhai(&self) -> Dynamic {
        Dynamic::from(rhai::ImmutableString::from(self.as_str()))
    }
}
impl ToRhai for bool {
    fn to_rhai(&self) -> Dynamic {
        Dynamic::from_bool(*self)
    }
}
impl ToRhai for i64 {
    fn to_rhai(&self) -> Dynamic {
        Dynamic::from_int(*self)
    }
}
impl ToRhai for f64 {
    fn to_rhai(&self) -> Dynamic {
        Dynamic::from_float(*self)
    }
}
impl<T: ToRhai> ToRhai for Option<T> {
    fn to_rhai(&self) -> Dynamic {
        self.as_ref().map_or(Dynamic::UNIT, ToRhai::to_rhai)
    }
}
impl<T: ToRhai> ToRhai for Vec<T> {
    fn to_rhai(&self) -> Dynamic {
        Dynamic::from_array(self.iter().map(ToRhai::to_rhai).collect::<Array>())
    }
}
impl<T: ToRhai> ToRhai for BTreeMap<String, T> {
    fn to_rhai(&self) -> Dynamic {
        Dynamic::from_map(
            self.iter()
                .map(|(k, v)| (k.as_str().into(), v.to_rhai()))
                .collect::<Map>(),
        )
    }
}
impl ToRhai for serde_json::Value {
    fn to_rhai(&self) -> Dynamic {
        use serde_json::Value as V;
        match self {
            V::Null => Dynamic::UNIT,
            V::Bool(b) => Dynamic::from_bool(*b),
            V::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Dynamic::from_int(i),
                (None, Some(f)) => Dynamic::from_float(f),
                _ => Dynamic::UNIT,
            },
            V::String(s) => Dynamic::from(rhai::ImmutableString::from(s.as_str())),
            V::Array(a) => Dynamic::from_array(a.iter().map(ToRhai::to_rhai).collect()),
            V::Object(m) => m.to_rhai(),
        }
    }
}
impl ToRhai for serde_json::Map<String, serde_json::Value> {
    fn to_rhai(&self) -> Dynamic {
        Dynamic::from_map(
            self.iter()
                .map(|(k, v)| (k.as_str().into(), v.to_rhai()))
                .collect::<Map>(),
        )
    }
}

/// `#{key: value, …}` from pairs.
macro_rules! map {
    ($($key:literal => $value:expr),* $(,)?) => {{
        let mut m = Map::new();
        $(m.insert($key.into(), $value.to_rhai());)*
        Dynamic::from_map(m)
    }};
}

impl ToRhai for TagRef {
    fn to_rhai(&self) -> Dynamic {
        map! { "namespace" => self.namespace, "stream" => self.stream, "tag" => self.tag, "ref" => self.reference }
    }
}
impl ToRhai for Promotion {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "source" => self.source, "destination" => self.destination, "digest" => self.digest,
            "noop" => self.noop, "requested_by" => self.requested_by,
            "requested_by_groups" => self.requested_by_groups, "via" => self.via,
            "alias" => self.alias, "path" => self.path, "reason" => self.reason,
            "time" => self.time,
        }
    }
}
impl ToRhai for Build {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "commit" => self.commit, "ref" => self.reference, "source" => self.source,
            "author" => self.author, "name" => self.name, "namespace" => self.namespace,
        }
    }
}
impl ToRhai for Signature {
    fn to_rhai(&self) -> Dynamic {
        map! { "type" => self.kind, "issued_by" => self.issued_by, "issued_to" => self.issued_to, "created" => self.created }
    }
}
impl ToRhai for HistoryEntry {
    fn to_rhai(&self) -> Dynamic {
        map! { "digest" => self.digest, "created" => self.created }
    }
}
impl ToRhai for Image {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "digest" => self.digest, "reference" => self.reference, "created" => self.created,
            "age_hours" => self.age_hours, "labels" => self.labels, "annotations" => self.annotations,
            "build" => self.build, "architecture" => self.architecture, "os" => self.os,
            "size_bytes" => self.size_bytes, "signatures" => self.signatures,
            "source_history" => self.source_history, "seen" => self.seen,
        }
    }
}
impl ToRhai for PromotionPath {
    fn to_rhai(&self) -> Dynamic {
        map! { "to" => self.to, "previous" => self.previous }
    }
}
impl ToRhai for Seen {
    fn to_rhai(&self) -> Dynamic {
        map! { "tags" => self.tags, "runs" => self.runs }
    }
}
impl ToRhai for SeenTag {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "namespace" => self.namespace, "stream" => self.stream, "tag" => self.tag,
            "since" => self.since, "until" => self.until,
        }
    }
}
impl ToRhai for SeenRun {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "kind" => self.kind, "namespace" => self.namespace, "name" => self.name,
            "since" => self.since, "until" => self.until, "failed" => self.failed,
        }
    }
}
impl ToRhai for ObjectRef {
    fn to_rhai(&self) -> Dynamic {
        map! { "kind" => self.kind, "name" => self.name, "namespace" => self.namespace }
    }
}
impl ToRhai for Destination {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "exists" => self.exists, "digest" => self.digest, "image_created" => self.image_created,
            "from" => self.from, "tracking" => self.tracking, "reference_policy" => self.reference_policy,
            "history" => self.history,
        }
    }
}
impl ToRhai for Trigger {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "type" => self.kind, "automatic" => self.automatic, "paused" => self.paused,
            "containers" => self.containers, "from" => self.from, "from_tracking" => self.from_tracking,
            "last_triggered_image" => self.last_triggered_image,
            "consumes_promotion" => self.consumes_promotion, "problem" => self.problem,
        }
    }
}
impl ToRhai for Container {
    fn to_rhai(&self) -> Dynamic {
        map! { "name" => self.name, "image" => self.image, "pinned" => self.pinned, "triggered" => self.triggered }
    }
}
impl ToRhai for Grant {
    fn to_rhai(&self) -> Dynamic {
        map! { "namespace" => self.namespace, "binding" => self.binding, "role" => self.role }
    }
}
impl ToRhai for Target {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "kind" => self.kind, "namespace" => self.namespace, "name" => self.name,
            "environment" => self.environment, "paused" => self.paused, "replicas" => self.replicas,
            "service_account" => self.service_account, "latest_version" => self.latest_version,
            "rollout_in_progress" => self.rollout_in_progress, "triggers" => self.triggers,
            "containers" => self.containers,
            "will_roll_out_automatically" => self.will_roll_out_automatically,
            "previous_environment" => self.previous_environment,
            "can_pull" => self.can_pull, "pull_grants" => self.pull_grants,
        }
    }
}
impl ToRhai for RoleRefFact {
    fn to_rhai(&self) -> Dynamic {
        map! { "kind" => self.kind, "name" => self.name }
    }
}
impl ToRhai for Subject {
    fn to_rhai(&self) -> Dynamic {
        map! { "kind" => self.kind, "name" => self.name, "namespace" => self.namespace }
    }
}
impl ToRhai for Binding {
    fn to_rhai(&self) -> Dynamic {
        map! { "namespace" => self.namespace, "name" => self.name, "role" => self.role, "subjects" => self.subjects }
    }
}
impl ToRhai for Puller {
    fn to_rhai(&self) -> Dynamic {
        map! { "kind" => self.kind, "name" => self.name, "namespace" => self.namespace, "via" => self.via }
    }
}
impl ToRhai for Rbac {
    fn to_rhai(&self) -> Dynamic {
        map! {
            "bindings" => self.bindings, "unreadable" => self.unreadable, "pullers" => self.pullers,
            "promoter_can_tag" => self.promoter_can_tag,
            "promoter_can_roll_out" => self.promoter_can_roll_out,
        }
    }
}
impl ToRhai for Environment {
    fn to_rhai(&self) -> Dynamic {
        map! { "namespaces" => self.namespaces, "params" => self.params }
    }
}

/// The top-level facts as Rhai values, in [`super::INJECTED_NAMES`] order minus `params`;
/// the lists no rule of the pack can reach are left empty ([`Needs`]).
pub(crate) fn facts_values(facts: &Facts, needs: Needs) -> Vec<(&'static str, Dynamic)> {
    let r = &facts.rbac;
    let list = |wanted: bool, v: &dyn Fn() -> Dynamic| {
        if wanted {
            v()
        } else {
            Dynamic::from_array(Array::new())
        }
    };
    let mut rbac = Map::new();
    rbac.insert(
        "bindings".into(),
        list(needs.bindings, &|| r.bindings.to_rhai()),
    );
    rbac.insert("unreadable".into(), r.unreadable.to_rhai());
    rbac.insert(
        "pullers".into(),
        list(needs.pullers, &|| r.pullers.to_rhai()),
    );
    rbac.insert("promoter_can_tag".into(), r.promoter_can_tag.to_rhai());
    rbac.insert(
        "promoter_can_roll_out".into(),
        r.promoter_can_roll_out.to_rhai(),
    );
    vec![
        ("promotion", facts.promotion.to_rhai()),
        ("image", facts.image.to_rhai()),
        ("destination", facts.destination.to_rhai()),
        ("targets", facts.targets.to_rhai()),
        ("rbac", Dynamic::from_map(rbac)),
        ("environments", facts.environments.to_rhai()),
        (
            "discovery_complete",
            Dynamic::from_bool(facts.discovery_complete),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand conversion must equal what serde would produce, key for key.
    #[test]
    fn matches_the_serde_conversion() {
        let mut f = sample_facts();
        f.targets[0].triggers[1].problem = Some("x".into());
        f.image.signatures = Some(vec![Signature {
            kind: Some("AtomicImageV1".into()),
            issued_by: None,
            issued_to: Some("me".into()),
            created: None,
        }]);
        f.image.seen.get_mut("prod").unwrap().runs = Some(vec![SeenRun {
            kind: "DeploymentConfig".into(),
            namespace: "prod".into(),
            name: "simple-app".into(),
            since: Some("2024-03-05T10:00:00Z".into()),
            until: None,
            failed: true,
        }]);
        f.image.seen.get_mut("dev").unwrap().tags = None;
        f.targets[0].previous_environment = Some("stage".into());
        f.environments.get_mut("prod").unwrap().params.insert(
            "n".into(),
            serde_json::json!([1, 2.5, "s", null, {"a": true}]),
        );
        let pairs: [(&str, Dynamic, Dynamic); 6] = [
            (
                "promotion",
                f.promotion.to_rhai(),
                rhai::serde::to_dynamic(&f.promotion).unwrap(),
            ),
            (
                "image",
                f.image.to_rhai(),
                rhai::serde::to_dynamic(&f.image).unwrap(),
            ),
            (
                "destination",
                f.destination.to_rhai(),
                rhai::serde::to_dynamic(&f.destination).unwrap(),
            ),
            (
                "targets",
                f.targets.to_rhai(),
                rhai::serde::to_dynamic(&f.targets).unwrap(),
            ),
            (
                "rbac",
                f.rbac.to_rhai(),
                rhai::serde::to_dynamic(&f.rbac).unwrap(),
            ),
            (
                "environments",
                f.environments.to_rhai(),
                rhai::serde::to_dynamic(&f.environments).unwrap(),
            ),
        ];
        for (name, hand, serde) in pairs {
            assert_eq!(format!("{hand:?}"), format!("{serde:?}"), "{name}");
        }
    }
}
