//! The resource types the emulator knows: group/version/plural/kind, scope, and wire helpers.

use serde_json::{json, Value};

/// One served resource type (the emulator's equivalent of an APIResource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
}

impl ResourceType {
    /// Store key of the type, `plural.group` (plain `plural` for the core group), as RBAC names it.
    pub fn key(&self) -> String {
        resource_key(self.group, self.plural)
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

pub fn resource_key(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

/// Store keys of the resources tests touch most, so they need not spell them.
pub mod res {
    pub const IMAGESTREAMS: &str = "imagestreams.image.openshift.io";
    pub const IMAGES: &str = "images.image.openshift.io";
    pub const DEPLOYMENTCONFIGS: &str = "deploymentconfigs.apps.openshift.io";
    pub const DEPLOYMENTS: &str = "deployments.apps";
    pub const REPLICATIONCONTROLLERS: &str = "replicationcontrollers";
    pub const ROLEBINDINGS: &str = "rolebindings.rbac.authorization.k8s.io";
    pub const CLUSTERROLEBINDINGS: &str = "clusterrolebindings.rbac.authorization.k8s.io";
    pub const ROLES: &str = "roles.rbac.authorization.k8s.io";
    pub const CLUSTERROLES: &str = "clusterroles.rbac.authorization.k8s.io";
}

const fn rt(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ResourceType {
    ResourceType {
        group,
        version,
        plural,
        kind,
        namespaced,
    }
}

/// Every stored type. ImageStreamTag/ImageStreamImage are virtual (built from streams), listed
/// separately in discovery.
pub const TYPES: &[ResourceType] = &[
    rt(
        "image.openshift.io",
        "v1",
        "imagestreams",
        "ImageStream",
        true,
    ),
    rt("image.openshift.io", "v1", "images", "Image", false),
    rt(
        "apps.openshift.io",
        "v1",
        "deploymentconfigs",
        "DeploymentConfig",
        true,
    ),
    rt("apps", "v1", "deployments", "Deployment", true),
    rt("apps", "v1", "replicasets", "ReplicaSet", true),
    rt(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        true,
    ),
    rt("", "v1", "namespaces", "Namespace", false),
    rt("", "v1", "serviceaccounts", "ServiceAccount", true),
    rt("", "v1", "pods", "Pod", true),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
    ),
    rt("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
    ),
];

pub const ISTAG: ResourceType = rt(
    "image.openshift.io",
    "v1",
    "imagestreamtags",
    "ImageStreamTag",
    true,
);
pub const ISIMAGE: ResourceType = rt(
    "image.openshift.io",
    "v1",
    "imagestreamimages",
    "ImageStreamImage",
    true,
);

pub const ITAG: ResourceType = rt("image.openshift.io", "v1", "imagetags", "ImageTag", true);
pub const ISMAPPING: ResourceType = rt(
    "image.openshift.io",
    "v1",
    "imagestreammappings",
    "ImageStreamMapping",
    true,
);
pub const ISIMPORT: ResourceType = rt(
    "image.openshift.io",
    "v1",
    "imagestreamimports",
    "ImageStreamImport",
    true,
);

/// The image resources that are not stored objects (built from or written into streams).
pub const VIRTUAL: &[ResourceType] = &[ISTAG, ISIMAGE, ITAG, ISMAPPING, ISIMPORT];

pub fn by_path(group: &str, version: &str, plural: &str) -> Option<ResourceType> {
    TYPES
        .iter()
        .chain(VIRTUAL)
        .find(|t| t.group == group && t.version == version && t.plural == plural)
        .copied()
}

pub fn by_key(key: &str) -> Option<ResourceType> {
    TYPES.iter().find(|t| t.key() == key).copied()
}

/// Maps a document's apiVersion/kind to its type. 3.x exports say `apiVersion: v1` for OpenShift
/// kinds (the legacy `/oapi` group), so a known kind wins over the stated group.
pub fn by_kind(api_version: &str, kind: &str) -> Option<ResourceType> {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let exact = TYPES
        .iter()
        .chain([&ISTAG, &ISIMAGE])
        .find(|t| t.kind == kind && t.group == group);
    exact
        .or_else(|| {
            TYPES
                .iter()
                .chain([&ISTAG, &ISIMAGE])
                .find(|t| t.kind == kind)
        })
        .copied()
}

/// RFC 3339 "now" in whole seconds, the form the apiserver writes.
pub fn now() -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}

/// `metadata.name`, `metadata.namespace` etc. as &str ("" when absent).
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj["metadata"][field].as_str().unwrap_or("")
}

pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Ensures `obj[key]` is an object and returns it mutably (creating it over null/absent).
pub fn obj_mut<'a>(obj: &'a mut Value, key: &str) -> &'a mut serde_json::Map<String, Value> {
    if !obj[key].is_object() {
        obj[key] = json!({});
    }
    match &mut obj[key] {
        Value::Object(m) => m,
        _ => unreachable!("just made it an object"),
    }
}

/// Ensures `obj[key]` is an array and returns it mutably.
pub fn arr_mut<'a>(obj: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    if !obj[key].is_array() {
        obj[key] = json!([]);
    }
    match &mut obj[key] {
        Value::Array(a) => a,
        _ => unreachable!("just made it an array"),
    }
}

/// Like [`obj_mut`] but returns the value itself, for chaining into [`arr_mut`].
pub fn obj_mut_value<'a>(obj: &'a mut Value, key: &str) -> &'a mut Value {
    obj_mut(obj, key);
    &mut obj[key]
}
