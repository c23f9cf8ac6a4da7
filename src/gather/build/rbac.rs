//! Who may pull: RBAC bindings read against role rules (`get imagestreams/layers`), and the
//! honest "cannot tell" when bindings or role rules are missing.

use crate::facts::{Binding, Grant, Puller, RoleRefFact, Subject as SubjectFact};
use crate::gather::ClusterObjects;
use crate::openshift::{RoleBinding, Subject};

/// ClusterRoles that grant `get imagestreams/layers` on every OpenShift 4 cluster
/// (bootstrap policy; `view` through the aggregated `registry-viewer`, 4.2+).
const PULLING_ROLES: &[&str] = &[
    "system:image-puller",
    "system:image-pusher",
    "system:image-builder",
    "system:image-signer",
    "system:master",
    "registry-viewer",
    "registry-editor",
    "registry-admin",
    "view",
    "edit",
    "admin",
    "cluster-admin",
    "cluster-reader",
];

/// Well-known ClusterRoles whose bootstrap rules do not include `imagestreams/layers`, so a
/// binding to them does not make the picture incomplete.
const NON_PULLING_ROLES: &[&str] = &[
    "basic-user",
    "self-provisioner",
    "self-access-reviewer",
    "cluster-status",
    "cluster-debugger",
    "sudoer",
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:openshift:discovery",
    "system:openshift:public-info-viewer",
    "system:deployer",
    "system:image-auditor",
    "system:oauth-token-deleter",
    "system:scope-impersonation",
    "system:webhook",
    "system:router",
    "system:node",
    "system:node-proxier",
    "system:node-admin",
    "system:node-reader",
    "system:node-bootstrapper",
    "system:sdn-reader",
    "system:sdn-manager",
    "system:build-strategy-docker",
    "system:build-strategy-source",
    "system:build-strategy-custom",
    "system:build-strategy-jenkinspipeline",
    "system:service-account-issuer-discovery",
];

/// Whether the builder knows, without reading its rules, if this bootstrap ClusterRole grants
/// pull; a live gatherer reads only the other roles.
pub fn is_well_known_cluster_role(name: &str) -> bool {
    PULLING_ROLES.contains(&name) || NON_PULLING_ROLES.contains(&name)
}

enum Verdict {
    Grants,
    Denies,
    Unknown(String),
}

/// The RBAC picture around one promotion: pulls happen from `pull_ns/stream`.
pub struct RbacView<'a> {
    pub objects: &'a ClusterObjects,
    pub pull_ns: String,
    pub stream: String,
    pub unreadable: Vec<String>,
}

/// The pull answer for one service account.
pub struct PullAnswer {
    pub can_pull: Option<bool>,
    pub grants: Vec<Grant>,
    /// Why the answer is unknown (empty when known).
    pub unknown_because: Vec<String>,
}

fn binding_label(b: &RoleBinding) -> String {
    match b.metadata.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("RoleBinding {ns}/{}", b.metadata.name),
        _ => format!("ClusterRoleBinding {}", b.metadata.name),
    }
}

impl RbacView<'_> {
    /// The bindings that apply in the pull namespace: its RoleBindings, then the cluster ones.
    fn pull_bindings(&self) -> impl Iterator<Item = &RoleBinding> {
        self.objects
            .rolebindings_in(&self.pull_ns)
            .chain(self.objects.clusterrolebindings.iter())
    }

    fn verdict(&self, b: &RoleBinding) -> Verdict {
        let r = &b.role_ref;
        let role = if r.kind == "Role" {
            self.objects.role(b.metadata.ns(), &r.name)
        } else {
            self.objects.cluster_role(&r.name)
        };
        match role {
            Some(role) if !role.rules_unknown() => {
                return if role.allows_pull(&self.stream) {
                    Verdict::Grants
                } else {
                    Verdict::Denies
                };
            }
            _ => {}
        }
        if r.kind != "Role" {
            if PULLING_ROLES.contains(&r.name.as_str()) {
                return Verdict::Grants;
            }
            if NON_PULLING_ROLES.contains(&r.name.as_str()) {
                return Verdict::Denies;
            }
        }
        let how = if r.kind == "Role" {
            format!("oc get role {} -n {} -o yaml", r.name, b.metadata.ns())
        } else {
            format!("oc get clusterrole {} -o yaml", r.name)
        };
        Verdict::Unknown(format!(
            "{} binds {} {}, whose rules are not {} (add them with `{how}`)",
            binding_label(b),
            r.kind,
            r.name,
            self.objects.where_()
        ))
    }

    /// May `system:serviceaccount:<sa_ns>:<sa>` pull from the destination stream?
    pub fn can_pull(&self, sa_ns: &str, sa: &str) -> PullAnswer {
        let mut grants = Vec::new();
        let mut unknown = Vec::new();
        for b in self.pull_bindings() {
            let bns = b.metadata.ns();
            if !b.subjects.iter().any(|s| matches_sa(s, bns, sa_ns, sa)) {
                continue;
            }
            match self.verdict(b) {
                Verdict::Grants => grants.push(Grant {
                    namespace: b.metadata.namespace.clone().filter(|n| !n.is_empty()),
                    binding: b.metadata.name.clone(),
                    role: b.role_ref.name.clone(),
                }),
                Verdict::Denies => {}
                Verdict::Unknown(why) => unknown.push(why),
            }
        }
        if !grants.is_empty() {
            return PullAnswer {
                can_pull: Some(true),
                grants,
                unknown_because: vec![],
            };
        }
        let mut missing: Vec<String> = self
            .unreadable
            .iter()
            .filter(|u| {
                *u == "clusterrolebindings" || **u == format!("rolebindings in {}", self.pull_ns)
            })
            .map(|u| format!("{u} are not {}", self.objects.where_()))
            .collect();
        missing.extend(unknown);
        PullAnswer {
            can_pull: if missing.is_empty() {
                Some(false)
            } else {
                None
            },
            grants,
            unknown_because: missing,
        }
    }

    /// `rbac.pullers`: every subject a readable binding lets pull from the destination stream.
    pub fn pullers(&self) -> Vec<Puller> {
        let mut out = Vec::new();
        for b in self.pull_bindings() {
            if !matches!(self.verdict(b), Verdict::Grants) {
                continue;
            }
            let via = match b.metadata.namespace.as_deref() {
                Some(ns) if !ns.is_empty() => format!("{ns}/{}", b.metadata.name),
                _ => b.metadata.name.clone(),
            };
            for s in &b.subjects {
                out.push(Puller {
                    kind: s.kind.clone(),
                    name: s.name.clone(),
                    namespace: s.namespace.clone().filter(|n| !n.is_empty()),
                    via: via.clone(),
                });
            }
        }
        out
    }
}

/// Does a binding subject cover this service account? RBAC matches the SA itself, its full
/// user name, and the groups every SA token carries.
fn matches_sa(s: &Subject, binding_ns: &str, sa_ns: &str, sa: &str) -> bool {
    match s.kind.as_str() {
        "ServiceAccount" => {
            let ns = s
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_ns);
            s.name == sa && ns == sa_ns
        }
        "User" => s.name == format!("system:serviceaccount:{sa_ns}:{sa}"),
        "Group" => {
            s.name == "system:serviceaccounts"
                || s.name == "system:authenticated"
                || s.name == format!("system:serviceaccounts:{sa_ns}")
        }
        _ => false,
    }
}

/// A binding as the facts show it.
pub fn binding_fact(b: &RoleBinding) -> Binding {
    Binding {
        namespace: b.metadata.namespace.clone().filter(|n| !n.is_empty()),
        name: b.metadata.name.clone(),
        role: RoleRefFact {
            kind: b.role_ref.kind.clone(),
            name: b.role_ref.name.clone(),
        },
        subjects: b
            .subjects
            .iter()
            .map(|s| SubjectFact {
                kind: s.kind.clone(),
                name: s.name.clone(),
                namespace: s.namespace.clone().filter(|n| !n.is_empty()),
            })
            .collect(),
    }
}
