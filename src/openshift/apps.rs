//! Workloads: `apps.openshift.io/v1` DeploymentConfig, `apps/v1` Deployment, v1 ReplicationController.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use super::meta::{ObjectMeta, ObjectReference};
use super::triggers::{parse_trigger_annotation, AnnotationTriggers, TRIGGERS_ANNOTATION};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentConfig {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: DeploymentConfigSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeploymentConfigStatus>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfigSpec {
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub triggers: Vec<DeploymentTriggerPolicy>,
    #[serde(default)]
    pub replicas: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub paused: Option<bool>,
    #[serde(default)]
    pub template: PodTemplateSpec,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentTriggerPolicy {
    /// `ConfigChange` or `ImageChange`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_change_params: Option<ImageChangeParams>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageChangeParams {
    /// `omitempty` upstream: absent is the normal serialised form of `false`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub automatic: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient::null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub container_names: Vec<String>,
    pub from: ObjectReference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_triggered_image: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ImageChangeParams {
    pub fn is_automatic(&self) -> bool {
        self.automatic.unwrap_or(false)
    }

    /// `from.kind` with the server's default (`ImageStreamTag`) applied.
    pub fn from_kind(&self) -> &str {
        if self.from.kind.is_empty() {
            "ImageStreamTag"
        } else {
            &self.from.kind
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfigStatus {
    #[serde(default)]
    pub latest_version: Option<i64>,
    #[serde(default)]
    pub observed_generation: Option<i64>,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub conditions: Vec<Condition>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DeploymentConfig {
    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.kind == kind))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodTemplateSpec {
    #[serde(default)]
    pub spec: PodSpec,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub containers: Vec<Container>,
    #[serde(
        default,
        deserialize_with = "lenient::null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub init_containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Deprecated alias of `serviceAccountName`, still written by 3.x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PodSpec {
    /// The service account pods run as; Kubernetes defaults it to `default`.
    pub fn service_account(&self) -> &str {
        [&self.service_account_name, &self.service_account]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .map_or("default", String::as_str)
    }

    /// Containers and init containers, in that order.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.containers.iter().chain(self.init_containers.iter())
    }

    /// Whether every named container's image is pinned to `digest` (none named: false).
    pub fn runs(&self, names: &[String], digest: &str) -> bool {
        let suffix = format!("@{digest}");
        !names.is_empty()
            && names.iter().all(|n| {
                self.all_containers().any(|c| {
                    &c.name == n && c.image.as_deref().is_some_and(|i| i.ends_with(&suffix))
                })
            })
    }

    /// The images of the named containers, for messages.
    pub fn images_of(&self, names: &[String]) -> String {
        let found: Vec<&str> = self
            .all_containers()
            .filter(|c| names.contains(&c.name))
            .map(|c| c.image.as_deref().unwrap_or(""))
            .collect();
        found.join(", ")
    }

    /// Sets the image of the named containers (init containers included).
    pub fn set_images(&mut self, names: &[String], image: &str) {
        for c in self
            .containers
            .iter_mut()
            .chain(self.init_containers.iter_mut())
            .filter(|c| names.contains(&c.name))
        {
            c.image = Some(image.to_string());
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Container {
    pub name: String,
    /// Absent in manifests that rely on an image trigger to fill it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `apps/v1` Deployment; its image triggers live in an annotation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: DeploymentSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeploymentStatus>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What the Deployment controller reports: how far the rollout of the current spec got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_replicas: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_replicas: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conditions: Vec<Condition>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub paused: Option<bool>,
    #[serde(default)]
    pub template: PodTemplateSpec,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Deployment {
    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.kind == kind))
    }

    /// The controller has seen the current spec and did not give up on it.
    pub fn settled(&self) -> bool {
        let generation = self.metadata.generation.unwrap_or(0);
        let observed = self
            .status
            .as_ref()
            .and_then(|s| s.observed_generation)
            .unwrap_or(-1);
        observed >= generation && self.progressing_reason() != "ProgressDeadlineExceeded"
    }

    /// The reason of the `Progressing` condition ("" when absent).
    pub fn progressing_reason(&self) -> &str {
        self.condition("Progressing")
            .and_then(|c| c.reason.as_deref())
            .unwrap_or("")
    }

    /// The `image.openshift.io/triggers` annotation, parsed leniently (`None` when absent).
    pub fn image_triggers(&self) -> Option<AnnotationTriggers> {
        self.metadata
            .annotations
            .get(TRIGGERS_ANNOTATION)
            .map(|raw| parse_trigger_annotation(raw))
    }
}

/// A DeploymentConfig's "deployment": RC `<dc>-<version>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicationController {
    pub metadata: ObjectMeta,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Annotation the DC deployer keeps the rollout phase in (`New|Pending|Running|Complete|Failed`).
pub const DEPLOYMENT_PHASE_ANNOTATION: &str = "openshift.io/deployment.phase";

/// Annotation (and label) naming the DeploymentConfig an RC is a rollout of.
pub const DEPLOYMENT_CONFIG_NAME: &str = "openshift.io/deployment-config.name";
/// Annotation holding the DC version an RC rolled out (`<dc>-<version>` is also its name).
pub const DEPLOYMENT_CONFIG_VERSION: &str = "openshift.io/deployment-config.latest-version";

impl ReplicationController {
    pub fn phase(&self) -> Option<&str> {
        self.metadata
            .annotations
            .get(DEPLOYMENT_PHASE_ANNOTATION)
            .map(String::as_str)
    }

    /// The DeploymentConfig this RC is a rollout of (annotation, else label); `None` for an
    /// RC not made by a DeploymentConfig.
    pub fn deployment_config(&self) -> Option<&str> {
        let m = &self.metadata;
        m.annotations
            .get(DEPLOYMENT_CONFIG_NAME)
            .or_else(|| m.labels.get(DEPLOYMENT_CONFIG_NAME))
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }

    /// The DC version it rolled out: the annotation, else the `-<n>` suffix of its name.
    pub fn version(&self) -> Option<i64> {
        let m = &self.metadata;
        m.annotations
            .get(DEPLOYMENT_CONFIG_VERSION)
            .and_then(|v| v.trim().parse().ok())
            .or_else(|| m.name.rsplit_once('-').and_then(|(_, n)| n.parse().ok()))
    }

    /// The images of its pod template's containers, read leniently from the unmodelled spec
    /// (an RC is never written back): a malformed entry is skipped, not an error.
    pub fn container_images(&self) -> Vec<&str> {
        template_images(&self.extra)
    }
}

/// `spec.template.spec.containers[].image` of an unmodelled controller object.
pub(super) fn template_images(object: &Map<String, Value>) -> Vec<&str> {
    object
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("spec"))
        .and_then(|p| p.get("containers"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("image").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}
