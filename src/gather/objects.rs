//! `ClusterObjects`: every object gathered for one promotion, from a snapshot or the live cluster.
//!
//! This is the seam between reading and deciding: a gatherer fills it, the facts builder reads
//! it, and neither knows where the other's objects came from.

use std::collections::{BTreeMap, BTreeSet};

use super::objs::Objs;
use crate::openshift::{
    ClusterRole, ClusterRoleBinding, Deployment, DeploymentConfig, Image, ImageStream,
    ImageStreamImage, ImageStreamTag, ObjectMeta, ReplicaSet, ReplicationController, Role,
    RoleBinding,
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
    /// Every kind's list is sorted by (namespace, name), as the admission cache keeps them:
    /// lookups binary-search instead of scanning (10,000 streams, one lookup per trigger).
    /// Only a producer that keeps the order on every change may set it.
    pub sorted: bool,
    pub provenance: Provenance,
    pub streams: Objs<ImageStream>,
    pub istags: Vec<ImageStreamTag>,
    pub isimages: Vec<ImageStreamImage>,
    pub images: Vec<Image>,
    pub dcs: Objs<DeploymentConfig>,
    pub deployments: Objs<Deployment>,
    pub rcs: Objs<ReplicationController>,
    /// Rollouts of Deployments (for `image.seen`).
    pub replicasets: Objs<ReplicaSet>,
    pub rolebindings: Objs<RoleBinding>,
    pub clusterrolebindings: Objs<ClusterRoleBinding>,
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

/// One object by (namespace, name): a binary search when the list is sorted, else a scan.
fn find<'a, T>(
    list: &'a [T],
    sorted: bool,
    ns: &str,
    name: &str,
    meta: impl Fn(&T) -> &ObjectMeta,
) -> Option<&'a T> {
    if sorted {
        list.binary_search_by(|o| {
            let m = meta(o);
            (m.ns(), m.name.as_str()).cmp(&(ns, name))
        })
        .ok()
        .map(|i| &list[i])
    } else {
        list.iter().find(|o| is_named(meta(o), ns, name))
    }
}

fn is_named(m: &ObjectMeta, ns: &str, name: &str) -> bool {
    m.ns() == ns && m.name == name
}

/// [`find`] in a list whose parts may be shared: unsorted, a walk over the parts (a slice of
/// such a list is a copy).
fn find_in<'a, T: Clone>(
    list: &'a Objs<T>,
    sorted: bool,
    ns: &str,
    name: &str,
    meta: impl Fn(&T) -> &ObjectMeta,
) -> Option<&'a T> {
    if sorted {
        // Only the admission cache keeps lists sorted: lists of its own, no copy is made.
        return find(list, true, ns, name, meta);
    }
    list.iter().find(|o| is_named(meta(o), ns, name))
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
        find_in(&self.streams, self.sorted, ns, name, |s| &s.metadata)
    }

    pub fn dc(&self, ns: &str, name: &str) -> Option<&DeploymentConfig> {
        find_in(&self.dcs, self.sorted, ns, name, |d| &d.metadata)
    }

    pub fn deployment(&self, ns: &str, name: &str) -> Option<&Deployment> {
        find_in(&self.deployments, self.sorted, ns, name, |d| &d.metadata)
    }

    pub fn rc(&self, ns: &str, name: &str) -> Option<&ReplicationController> {
        find_in(&self.rcs, self.sorted, ns, name, |r| &r.metadata)
    }

    pub fn cluster_role(&self, name: &str) -> Option<&ClusterRole> {
        if self.sorted {
            return find(&self.clusterroles, true, "", name, |r| &r.metadata);
        }
        self.clusterroles.iter().find(|r| r.metadata.name == name)
    }

    pub fn role(&self, ns: &str, name: &str) -> Option<&Role> {
        find(&self.roles, self.sorted, ns, name, |r| &r.metadata)
    }

    /// RoleBindings of one namespace.
    pub fn rolebindings_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a RoleBinding> {
        let (within, scan): (&[RoleBinding], Option<&Objs<RoleBinding>>) = if self.sorted {
            // The namespace's bindings are one run of the sorted list (the admission cache's,
            // a list of its own: no copy is made).
            let all: &[RoleBinding] = &self.rolebindings;
            let start = all.partition_point(|b| b.metadata.ns() < ns);
            let end = start + all[start..].partition_point(|b| b.metadata.ns() == ns);
            (&all[start..end], None)
        } else {
            (&[], Some(&self.rolebindings))
        };
        within
            .iter()
            .chain(scan.into_iter().flat_map(|l| l.iter()))
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

#[cfg(test)]
mod lookup_tests {
    use super::*;

    fn meta(ns: &str, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            namespace: (!ns.is_empty()).then(|| ns.to_string()),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn sorted_lookups_find_what_a_scan_finds() {
        let keys = [("a", "x"), ("b", "a"), ("b", "b"), ("b", "z"), ("c", "m")];
        let mut o = ClusterObjects::default();
        for (ns, name) in keys {
            o.streams.push(ImageStream {
                metadata: meta(ns, name),
                ..ImageStream::default()
            });
            o.rolebindings.push(RoleBinding {
                metadata: meta(ns, name),
                ..RoleBinding::default()
            });
        }
        let scan = o.clone();
        o.sorted = true;
        for ns in ["a", "b", "c", "d", ""] {
            for name in ["a", "b", "m", "x", "z", "q"] {
                let found = |c: &ClusterObjects| c.stream(ns, name).map(|s| s.metadata.clone());
                assert_eq!(found(&o), found(&scan), "{ns}/{name}");
            }
            let names = |c: &ClusterObjects| {
                c.rolebindings_in(ns)
                    .map(|b| b.metadata.name.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&o), names(&scan), "{ns}");
        }
        assert_eq!(o.rolebindings_in("b").count(), 3);
    }
}
