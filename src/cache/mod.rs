//! The admission server's view of the cluster: watches that keep, in memory, every object the
//! facts need, so that an admission decision makes no API call.

/// One kind of object the cache lists and watches (all namespaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    /// API group (`""` for the core group).
    pub group: &'static str,
    pub version: &'static str,
    /// Plural resource name, as RBAC rules name it.
    pub resource: &'static str,
    pub kind: &'static str,
}

/// Everything the cache watches: the deployment's ClusterRole grants `list` and `watch` on
/// exactly these (examples/deploy, checked by a test).
pub const WATCHED: &[Watched] = &[
    w("image.openshift.io", "v1", "imagestreams", "ImageStream"),
    w("image.openshift.io", "v1", "images", "Image"),
    w(
        "apps.openshift.io",
        "v1",
        "deploymentconfigs",
        "DeploymentConfig",
    ),
    w("apps", "v1", "deployments", "Deployment"),
    w("", "v1", "replicationcontrollers", "ReplicationController"),
    w(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
    ),
    w(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
    ),
    w("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    w(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
    ),
];

const fn w(
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    kind: &'static str,
) -> Watched {
    Watched {
        group,
        version,
        resource,
        kind,
    }
}
