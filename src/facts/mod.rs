//! The facts document that rules see (docs/design/POLICY-API.md): pure serde data, no I/O.
//!
//! Every key of docs/design/POLICY-API.md exists in every document: optional values are `Option`s that
//! serialise as `null` (Rhai `()`), never skipped. The same types read a document back for
//! `--facts FILE` replay, so anything a rule can see can be recorded and replayed.

mod builders;
pub mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use builders::sample_facts;

/// Schema tag written into every facts document, so a replayed file can be recognised.
pub const FACTS_SCHEMA: &str = "tollgate.facts/v1";

/// The whole document: top-level keys become constants in every rule's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// `tollgate.facts/v1`; not visible to rules.
    pub schema: String,
    pub promotion: Promotion,
    pub image: Image,
    pub destination: Destination,
    pub targets: Vec<Target>,
    pub rbac: Rbac,
    /// Configured environments by name; filled from configuration, not from the cluster.
    pub environments: BTreeMap<String, Environment>,
    /// Things the gatherer noticed that a reader should know (objects it could not interpret,
    /// lenient parses of malformed annotations, reads that were refused). Shown in reports.
    pub warnings: Vec<String>,
    /// How the targets were found (`--target` or discovery), for the report.
    pub discovery: String,
    /// True when targets were named, or discovery searched every place a follower of the
    /// destination could live; false when a list was refused (the gate then denies). A
    /// document without it (written before it existed) reads as false: fail closed.
    #[serde(default)]
    pub discovery_complete: bool,
}

/// A tag reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRef {
    pub namespace: String,
    pub stream: String,
    /// `None` for a `stream@sha256:…` source.
    pub tag: Option<String>,
    /// `ns/stream:tag` (or `ns/stream@sha256:…`).
    #[serde(rename = "ref")]
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub source: TagRef,
    pub destination: TagRef,
    pub digest: String,
    pub noop: bool,
    pub requested_by: Option<String>,
    /// The requester's groups; `None` when unknown. Defaulted so facts files written before
    /// the key existed still replay.
    #[serde(default)]
    pub requested_by_groups: Option<Vec<String>>,
    /// `"cli"` (check/promote) or `"admission"` (serve).
    #[serde(default = "via_cli")]
    pub via: String,
    /// The write would make the destination track another tag (admission only).
    #[serde(default)]
    pub alias: bool,
    /// The destination environment and the one configured before it, when every target is in
    /// one environment; `None` otherwise. Defaulted so older facts files still replay.
    #[serde(default)]
    pub path: Option<PromotionPath>,
    pub reason: Option<String>,
    pub time: String,
}

/// `promotion.path`: where the promotion goes and where the image should come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionPath {
    /// The environment of every target.
    pub to: String,
    /// The environment configured before it (`after:`), or `None`.
    pub previous: Option<String>,
}

/// Where the candidate digest has been in one environment (`image.seen[env]`). A list is
/// `None` when the reads behind it were refused: unknown, never a guessed empty list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seen {
    /// Tags whose history holds the digest, newest first.
    pub tags: Option<Vec<SeenTag>>,
    /// Workloads that ran it (one entry per rollout), newest first.
    pub runs: Option<Vec<SeenRun>>,
}

/// One stretch of a tag's history during which it pointed at the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeenTag {
    pub namespace: String,
    pub stream: String,
    pub tag: String,
    /// When the tag moved to the digest (`None` when the history has no time).
    pub since: Option<String>,
    /// When the tag moved away from it; `None` while the tag still points at it.
    pub until: Option<String>,
}

/// One rollout of the digest: a ReplicationController of a DeploymentConfig or a ReplicaSet
/// of a Deployment, named by its workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeenRun {
    /// `DeploymentConfig` or `Deployment`.
    pub kind: String,
    pub namespace: String,
    /// The workload's name.
    pub name: String,
    /// When the rollout started (the controller's creation time).
    pub since: Option<String>,
    /// When a later rollout that did not fail replaced it; `None` while current.
    pub until: Option<String>,
    /// The rollout failed (`openshift.io/deployment.phase: Failed`).
    pub failed: bool,
}

/// `promotion.via` of a promotion run through the CLI.
pub const VIA_CLI: &str = "cli";
/// `promotion.via` of a write judged by `tollgate serve`.
pub const VIA_ADMISSION: &str = "admission";

fn via_cli() -> String {
    VIA_CLI.into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    pub commit: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub issued_by: Option<String>,
    pub issued_to: Option<String>,
    pub created: Option<String>,
}

/// One entry of a tag's history, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    pub digest: String,
    pub created: Option<String>,
}

/// The candidate image. Metadata fields are `None` when the snapshot or cluster did not
/// provide the image's metadata (no ImageStreamTag / ImageStreamImage / Image object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub digest: String,
    pub reference: Option<String>,
    pub created: Option<String>,
    pub age_hours: Option<f64>,
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub build: Option<Build>,
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub size_bytes: Option<i64>,
    pub signatures: Option<Vec<Signature>>,
    pub source_history: Vec<HistoryEntry>,
    /// Where this digest has been, per environment name. Defaulted so older facts files
    /// still replay (as "seen nowhere").
    #[serde(default)]
    pub seen: BTreeMap<String, Seen>,
}

/// An object reference as OpenShift writes it (`from` of a tag or trigger).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

/// The destination tag as it is now. `exists` is `None` when the destination stream was not
/// available (not in the snapshot, or not readable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub exists: Option<bool>,
    pub digest: Option<String>,
    pub image_created: Option<String>,
    pub from: Option<ObjectRef>,
    pub tracking: Option<bool>,
    pub reference_policy: Option<String>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// `ImageChange` or `ConfigChange`.
    #[serde(rename = "type")]
    pub kind: String,
    pub automatic: bool,
    pub paused: bool,
    pub containers: Vec<String>,
    pub from: Option<ObjectRef>,
    pub from_tracking: Option<bool>,
    pub last_triggered_image: Option<String>,
    pub consumes_promotion: bool,
    /// Why OpenShift would not honour this trigger as written (e.g. a `"paused": "false"`
    /// string that makes the controller reject the whole annotation), or `None`.
    pub problem: Option<String>,
}

impl Trigger {
    /// A `ConfigChange` trigger: always automatic, follows no image.
    pub fn config_change() -> Trigger {
        Trigger {
            kind: "ConfigChange".into(),
            automatic: true,
            paused: false,
            containers: vec![],
            from: None,
            from_tracking: None,
            last_triggered_image: None,
            consumes_promotion: false,
            problem: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub pinned: bool,
    pub triggered: bool,
}

/// A binding that grants a right, as `pull_grants` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub namespace: Option<String>,
    pub binding: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub environment: String,
    pub paused: bool,
    pub replicas: Option<i64>,
    pub service_account: String,
    pub latest_version: Option<i64>,
    pub rollout_in_progress: Option<bool>,
    pub triggers: Vec<Trigger>,
    pub containers: Vec<Container>,
    pub will_roll_out_automatically: bool,
    /// The environment configured before this target's (`after:`), or `None`. Defaulted so
    /// older facts files still replay.
    #[serde(default)]
    pub previous_environment: Option<String>,
    pub can_pull: Option<bool>,
    pub pull_grants: Vec<Grant>,
}

impl Target {
    /// `ns/dc/name` or `ns/deployment/name`: how reports and exceptions name a target.
    pub fn display_ref(&self) -> String {
        let kind = if self.kind == "DeploymentConfig" {
            "dc"
        } else {
            "deployment"
        };
        format!("{}/{}/{}", self.namespace, kind, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRefFact {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// `None` for a ClusterRoleBinding.
    pub namespace: Option<String>,
    pub name: String,
    pub role: RoleRefFact,
    pub subjects: Vec<Subject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Puller {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The binding that grants it, `ns/name` (or `name` for a cluster binding).
    pub via: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rbac {
    pub bindings: Vec<Binding>,
    pub unreadable: Vec<String>,
    pub pullers: Vec<Puller>,
    pub promoter_can_tag: Option<bool>,
    pub promoter_can_roll_out: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub namespaces: Vec<String>,
    pub params: serde_json::Map<String, serde_json::Value>,
}
