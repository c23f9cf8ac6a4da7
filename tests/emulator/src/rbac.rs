//! RBAC evaluation over the stored bindings and roles, as the kube RBAC authorizer does it.

use serde_json::Value;

use super::store::Store;
use super::types::{meta_str, res, str_at};

/// OpenShift's image/app roles (fixture `clusterroles.image-and-apps.subset.yaml`, derived from
/// openshift-apiserver's rendered bootstrap policy) and trimmed kube view/edit/admin/cluster-admin.
pub const OPENSHIFT_ROLES: &str =
    include_str!("../data/roles/clusterroles.image-and-apps.subset.yaml");
pub const KUBE_ROLES: &str = include_str!("../data/roles/kube-roles.yaml");

/// Who a request or review is about. Groups are taken as given; nothing is expanded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    pub username: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    pub fn new(username: &str, groups: &[&str]) -> Self {
        UserInfo {
            username: username.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// A service account with the groups the apiserver gives its tokens.
    pub fn service_account(ns: &str, name: &str) -> Self {
        let groups = [
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".to_string(),
        ];
        UserInfo {
            username: format!("system:serviceaccount:{ns}:{name}"),
            groups: groups.to_vec(),
        }
    }
}

/// The request attributes RBAC decides on (`resource` is the plural, without subresource).
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    pub namespace: String,
    /// Set for non-resource requests (`/version`, …); the other fields are then ignored.
    pub path: Option<String>,
}

impl Attributes {
    /// `resource/subresource` as rules spell it.
    pub fn combined(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn rule_allows(rule: &Value, a: &Attributes) -> bool {
    let verbs = strings(&rule["verbs"]);
    if !verbs.iter().any(|v| *v == "*" || *v == a.verb) {
        return false;
    }
    if let Some(path) = &a.path {
        return strings(&rule["nonResourceURLs"]).iter().any(|u| {
            *u == "*" || u == path || u.strip_suffix('*').is_some_and(|p| path.starts_with(p))
        });
    }
    let groups = strings(&rule["apiGroups"]);
    if !groups.iter().any(|g| *g == "*" || *g == a.group) {
        return false;
    }
    let combined = a.combined();
    let sub = format!("*/{}", a.subresource);
    let resources = strings(&rule["resources"]);
    if !resources
        .iter()
        .any(|r| *r == "*" || *r == combined || (!a.subresource.is_empty() && *r == sub))
    {
        return false;
    }
    let names = strings(&rule["resourceNames"]);
    names.is_empty() || names.contains(&a.name.as_str())
}

/// A ClusterRole's rules including everything its aggregationRule selects (recursively, as the
/// aggregation controller converges to).
pub fn cluster_role_rules(store: &Store, name: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    collect_rules(store, name, &mut seen, &mut out);
    out
}

fn collect_rules(store: &Store, name: &str, seen: &mut Vec<String>, out: &mut Vec<Value>) {
    if seen.iter().any(|s| s == name) {
        return;
    }
    seen.push(name.to_string());
    let Some(role) = store.get(res::CLUSTERROLES, "", name) else {
        return;
    };
    out.extend(role["rules"].as_array().cloned().unwrap_or_default());
    let selectors = role["aggregationRule"]["clusterRoleSelectors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for other in store.list(res::CLUSTERROLES, None) {
        let labels = &other["metadata"]["labels"];
        let selected = selectors.iter().any(|sel| {
            sel["matchLabels"]
                .as_object()
                .is_some_and(|m| m.iter().all(|(k, v)| labels[k] == *v))
        });
        if selected {
            let other_name = meta_str(other, "name").to_string();
            collect_rules(store, &other_name, seen, out);
        }
    }
}

fn subject_matches(subject: &Value, binding_ns: &str, user: &UserInfo) -> Option<String> {
    let name = str_at(subject, "/name");
    let hit = match str_at(subject, "/kind") {
        "User" => user.username == name,
        "Group" => user.groups.iter().any(|g| g == name),
        "ServiceAccount" => {
            let ns = match str_at(subject, "/namespace") {
                "" => binding_ns,
                n => n,
            };
            user.username == format!("system:serviceaccount:{ns}:{name}")
        }
        _ => false,
    };
    hit.then(|| format!("{} {name:?}", str_at(subject, "/kind")))
}

fn role_rules(store: &Store, binding: &Value, ns: &str) -> Vec<Value> {
    let role = str_at(binding, "/roleRef/name");
    match str_at(binding, "/roleRef/kind") {
        "ClusterRole" => cluster_role_rules(store, role),
        "Role" => store
            .get(res::ROLES, ns, role)
            .and_then(|r| r["rules"].as_array().cloned())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// (allowed, reason) for `user` doing `a`: ClusterRoleBindings first, then RoleBindings of the
/// namespace, as the kube authorizer visits them.
pub fn authorize(store: &Store, user: &UserInfo, a: &Attributes) -> (bool, String) {
    let mut bindings: Vec<(&str, &Value)> = store
        .list(res::CLUSTERROLEBINDINGS, None)
        .into_iter()
        .map(|b| ("ClusterRoleBinding", b))
        .collect();
    if !a.namespace.is_empty() && a.path.is_none() {
        bindings.extend(
            store
                .list(res::ROLEBINDINGS, Some(&a.namespace))
                .into_iter()
                .map(|b| ("RoleBinding", b)),
        );
    }
    for (kind, binding) in bindings {
        let ns = meta_str(binding, "namespace");
        let Some(subject) = binding["subjects"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|s| subject_matches(s, ns, user))
        else {
            continue;
        };
        if role_rules(store, binding, ns)
            .iter()
            .any(|r| rule_allows(r, a))
        {
            let bname = if ns.is_empty() {
                meta_str(binding, "name").to_string()
            } else {
                format!("{}/{ns}", meta_str(binding, "name"))
            };
            let reason = format!(
                "RBAC: allowed by {kind} {bname:?} of {} {:?} to {subject}",
                str_at(binding, "/roleRef/kind"),
                str_at(binding, "/roleRef/name")
            );
            return (true, reason);
        }
    }
    (false, String::new())
}
