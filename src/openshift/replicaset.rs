//! `apps/v1` ReplicaSet, slim: which Deployment rolled it out, its revision and its images.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::meta::ObjectMeta;

/// Annotation the Deployment controller numbers its rollouts with.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// A Deployment's rollout. Read only (never written back), so everything but the metadata
/// stays in `extra` and is read leniently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicaSet {
    pub metadata: ObjectMeta,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ReplicaSet {
    /// The Deployment that owns it (the controlling owner reference of kind `Deployment`).
    pub fn deployment(&self) -> Option<&str> {
        self.metadata
            .extra
            .get("ownerReferences")
            .and_then(Value::as_array)?
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Deployment"))
            .find_map(|o| o.get("name").and_then(Value::as_str))
            .filter(|n| !n.is_empty())
    }

    /// The Deployment revision it rolled out.
    pub fn revision(&self) -> Option<i64> {
        self.metadata
            .annotations
            .get(REVISION_ANNOTATION)
            .and_then(|v| v.trim().parse().ok())
    }

    /// The images of its pod template's containers (malformed entries skipped).
    pub fn container_images(&self) -> Vec<&str> {
        super::apps::template_images(&self.extra)
    }
}
