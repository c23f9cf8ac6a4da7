//! `rbac.authorization.k8s.io/v1` RoleBinding, ClusterRoleBinding, Role, ClusterRole.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use super::meta::ObjectMeta;

/// A RoleBinding or a ClusterRoleBinding (same shape; cluster ones have no namespace).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleBinding {
    pub metadata: ObjectMeta,
    pub role_ref: RoleRef,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub subjects: Vec<Subject>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub type ClusterRoleBinding = RoleBinding;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    #[serde(default)]
    pub api_group: Option<String>,
    /// `ClusterRole` or `Role`.
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
}

/// A Role or a ClusterRole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub rules: Vec<PolicyRule>,
    /// Set on aggregated roles (`view`, `edit`, `admin`, `cluster-reader`): their `rules` are
    /// filled in by a controller and may be empty in manifests.
    #[serde(default)]
    pub aggregation_rule: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub type ClusterRole = Role;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub api_groups: Vec<String>,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub resources: Vec<String>,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub verbs: Vec<String>,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub resource_names: Vec<String>,
}

impl PolicyRule {
    /// RBAC matching for one request (`resource` may carry a `/subresource`).
    pub fn allows(&self, groups: &[&str], resource: &str, verb: &str, name: &str) -> bool {
        let group_ok = self
            .api_groups
            .iter()
            .any(|g| g == "*" || groups.contains(&g.as_str()));
        let sub = resource.split_once('/').map(|(_, s)| format!("*/{s}"));
        let resource_ok = self
            .resources
            .iter()
            .any(|r| r == "*" || r == resource || Some(r) == sub.as_ref());
        let verb_ok = self.verbs.iter().any(|v| v == "*" || v == verb);
        let name_ok =
            self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name);
        group_ok && resource_ok && verb_ok && name_ok
    }
}

impl Role {
    /// Whether this role lets its subjects pull from stream `name`: `get imagestreams/layers`.
    pub fn allows_pull(&self, stream: &str) -> bool {
        self.rules.iter().any(|r| {
            r.allows(
                &["", "image.openshift.io"],
                "imagestreams/layers",
                "get",
                stream,
            )
        })
    }

    /// True when the rules shown are not the role's real rules (an aggregated role exported
    /// from a manifest, before the controller filled it in).
    pub fn rules_unknown(&self) -> bool {
        self.aggregation_rule.is_some() && self.rules.is_empty()
    }
}
