//! `ClusterObjects`: every object gathered for one promotion, from a snapshot or the live cluster.
//!
//! This is the seam between reading and deciding: a gatherer fills it, the facts builder reads
//! it, and neither knows where the other's objects came from.

use std::collections::{BTreeMap, BTreeSet};

use crate::openshift::{
    ClusterRole, ClusterRoleBinding, Deployment, DeploymentConfig, Image, ImageStream,
    ImageStreamImage, ImageStreamTag, ReplicaSet, ReplicationController, Role, RoleBinding,
};

/// Where the objects came from; decides how a missing object is read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Provenance {
    /// Files exported with `oc get -o yaml|json`: an object not in the files was not exported,
    /// so a namespace with no RoleBinding at all means "not exported", never "no bindings".
    #[default]
    Snapshot,
    /// The live API: every read not listed in `ClusterObjects::unreadable` succeeded in full.
    Cluster,
}

#[derive(Debug, Clone, Default)]
pub struct ClusterObjects {
    /// Human description for messages, e.g. `snapshot examples/seed/a-no-pull-rights`.
    pub origin: String,
    /// Bumped by the admission cache each time it publishes a change (0 elsewhere): what is
    /// derived from the objects (the guarded tags) is kept until it moves.
    pub generation: u64,
    pub provenance: Provenance,
    pub streams: Vec<ImageStream>,
    pub istags: Vec<ImageStreamTag>,
    pub isimages: Vec<ImageStreamImage>,
    pub images: Vec<Image>,
    pub dcs: Vec<DeploymentConfig>,
    pub deployments: Vec<Deployment>,
    pub rcs: Vec<ReplicationController>,
    /// Rollouts of Deployments (for `image.seen`).
    pub replicasets: Vec<ReplicaSet>,
    pub rolebindings: Vec<RoleBinding>,
    pub clusterrolebindings: Vec<ClusterRoleBinding>,
    pub clusterroles: Vec<ClusterRole>,
    pub roles: Vec<Role>,
    /// Reads known to have failed, phrased as facts `rbac.unreadable` entries
    /// (`rolebindings in dev`, `clusterrolebindings`).
    pub unreadable: BTreeSet<String>,
    /// Namespaces whose image streams (`streams`) or rollouts (`rollouts`) could not be
    /// listed: `image.seen` is unknown for their environments. Empty for snapshots.
    pub history_unread: HistoryUnread,
    /// What the cluster itself answered to access reviews (live only; empty for snapshots).
    pub reviews: AccessReviews,
    /// Warnings from the gatherer (a refused read and the permission it needs), copied first
    /// into the facts' warnings.
    pub warnings: Vec<String>,
    /// Places where target discovery could not look although a follower of the destination
    /// may live there (`deploymentconfigs in namespaces other than dev, prod`): a live list
    /// that was refused. Empty for snapshots (the files are the whole world they describe).
    pub unsearched: Vec<String>,
}

/// Where the history behind `image.seen` could not be read (live only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryUnread {
    /// Namespaces whose image streams could not be listed.
    pub streams: BTreeSet<String>,
    /// Namespaces whose ReplicationControllers or ReplicaSets could not be listed.
    pub rollouts: BTreeSet<String>,
}

/// Answers of SubjectAccessReviews: authoritative (they include every binding, aggregated
/// role and authorizer), so the facts builder prefers them over reading bindings itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessReviews {
    /// `get imagestreams/layers` on the destination stream, per service account
    /// `(namespace, name)`; a service account missing here was not reviewed.
    pub can_pull: BTreeMap<(String, String), bool>,
    /// `update imagestreamtags` on the destination tag for the identity running the gate.
    pub promoter_can_tag: Option<bool>,
    /// Whether that identity may roll out every target (`create deploymentconfigs/instantiate`,
    /// `patch deployments`).
    pub promoter_can_roll_out: Option<bool>,
}

impl ClusterObjects {
    /// `in the snapshot …` / `in the cluster`, for messages.
    pub fn where_(&self) -> String {
        match self.provenance {
            Provenance::Snapshot if self.origin.is_empty() => "in the snapshot".into(),
            Provenance::Snapshot => format!("in the {}", self.origin),
            Provenance::Cluster => "in the cluster".into(),
        }
    }

    /// `the snapshot examples/…` (or `the snapshot`), for messages that start with it.
    pub fn origin_or_snapshot(&self) -> String {
        if self.origin.is_empty() {
            "the snapshot".into()
        } else {
            format!("the {}", self.origin)
        }
    }

    pub fn stream(&self, ns: &str, name: &str) -> Option<&ImageStream> {
        self.streams
            .iter()
            .find(|s| s.metadata.ns() == ns && s.metadata.name == name)
    }

    pub fn dc(&self, ns: &str, name: &str) -> Option<&DeploymentConfig> {
        self.dcs
            .iter()
            .find(|d| d.metadata.ns() == ns && d.metadata.name == name)
    }

    pub fn deployment(&self, ns: &str, name: &str) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.metadata.ns() == ns && d.metadata.name == name)
    }

    pub fn rc(&self, ns: &str, name: &str) -> Option<&ReplicationController> {
        self.rcs
            .iter()
            .find(|r| r.metadata.ns() == ns && r.metadata.name == name)
    }

    pub fn cluster_role(&self, name: &str) -> Option<&ClusterRole> {
        self.clusterroles.iter().find(|r| r.metadata.name == name)
    }

    pub fn role(&self, ns: &str, name: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.metadata.ns() == ns && r.metadata.name == name)
    }

    /// RoleBindings of one namespace.
    pub fn rolebindings_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a RoleBinding> {
        self.rolebindings
            .iter()
            .filter(move |b| b.metadata.ns() == ns)
    }

    /// The RBAC reads that are missing for these namespaces, sorted: refused reads, and for a
    /// snapshot every namespace without any RoleBinding and a snapshot without any
    /// ClusterRoleBinding (every real namespace and cluster has some).
    pub fn rbac_unreadable(&self, namespaces: &BTreeSet<String>) -> Vec<String> {
        let mut out: BTreeSet<String> = self.unreadable.clone();
        if self.provenance == Provenance::Snapshot {
            for ns in namespaces {
                if self.rolebindings_in(ns).next().is_none() {
                    out.insert(format!("rolebindings in {ns}"));
                }
            }
            if self.clusterrolebindings.is_empty() {
                out.insert("clusterrolebindings".into());
            }
        }
        out.into_iter().collect()
    }

    /// Total number of objects, for messages and logs.
    pub fn len(&self) -> usize {
        self.streams.len()
            + self.istags.len()
            + self.isimages.len()
            + self.images.len()
            + self.dcs.len()
            + self.deployments.len()
            + self.rcs.len()
            + self.replicasets.len()
            + self.rolebindings.len()
            + self.clusterrolebindings.len()
            + self.clusterroles.len()
            + self.roles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
