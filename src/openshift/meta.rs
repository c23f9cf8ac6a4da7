//! `metadata` and the small shared shapes (`from` object references) of every API object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// Object metadata. Only `name` matters for identity; the snapshot loader checks that it (and
/// `namespace` for namespaced kinds) is present before decoding, so it can name the object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "lenient::string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_timestamp: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_version: Option<String>,
    /// Bumped by the server on every spec change; `status.observedGeneration` catches up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Everything else (uid, generation, selfLink, managedFields…), kept so a PUT never drops it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ObjectMeta {
    /// The namespace, or `""` for cluster-scoped objects and objects that omitted it.
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }
}

/// `from` of a spec tag or trigger (`kind` + `name` + optional `namespace`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectReference {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// uid, apiVersion, resourceVersion, fieldPath: kept so a write sends back what was read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ObjectReference {
    /// The namespace with OpenShift's defaulting applied: absent or empty means `owner_ns`.
    pub fn namespace_or<'a>(&'a self, owner_ns: &'a str) -> &'a str {
        match self.namespace.as_deref() {
            Some(ns) if !ns.is_empty() => ns,
            _ => owner_ns,
        }
    }
}
