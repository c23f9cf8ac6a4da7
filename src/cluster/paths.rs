//! Every REST path the gate reads or writes, in one place (reads for facts and writes for acting alike).

pub const SELF_SUBJECT_REVIEWS: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
pub const USER_SELF: &str = "/apis/user.openshift.io/v1/users/~";
pub const SUBJECT_ACCESS_REVIEWS: &str = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
pub const SELF_SUBJECT_ACCESS_REVIEWS: &str =
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
pub const ALL_DEPLOYMENT_CONFIGS: &str = "/apis/apps.openshift.io/v1/deploymentconfigs";
pub const ALL_DEPLOYMENTS: &str = "/apis/apps/v1/deployments";
pub const CLUSTER_ROLE_BINDINGS: &str = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

const IMAGE: &str = "/apis/image.openshift.io/v1/namespaces";
const APPS_OS: &str = "/apis/apps.openshift.io/v1/namespaces";
const APPS: &str = "/apis/apps/v1/namespaces";
const CORE: &str = "/api/v1/namespaces";
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

pub fn image_streams_in(ns: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreams")
}
pub fn image_stream(ns: &str, name: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreams/{name}")
}
pub fn image_stream_tags_in(ns: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreamtags")
}
/// `name` is `stream:tag`.
pub fn image_stream_tag(ns: &str, name: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreamtags/{name}")
}
/// `name` is `stream@sha256:…`.
pub fn image_stream_image(ns: &str, name: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreamimages/{name}")
}
pub fn deployment_configs_in(ns: &str) -> String {
    format!("{APPS_OS}/{ns}/deploymentconfigs")
}
pub fn deployment_config(ns: &str, name: &str) -> String {
    format!("{APPS_OS}/{ns}/deploymentconfigs/{name}")
}
/// `oc rollout latest`: the instantiate subresource (OpenShift 3.7+).
pub fn deployment_config_instantiate(ns: &str, name: &str) -> String {
    format!("{APPS_OS}/{ns}/deploymentconfigs/{name}/instantiate")
}
pub fn deployments_in(ns: &str) -> String {
    format!("{APPS}/{ns}/deployments")
}
pub fn deployment(ns: &str, name: &str) -> String {
    format!("{APPS}/{ns}/deployments/{name}")
}
pub fn replication_controllers_in(ns: &str) -> String {
    format!("{CORE}/{ns}/replicationcontrollers")
}
pub fn replica_sets_in(ns: &str) -> String {
    format!("{APPS}/{ns}/replicasets")
}
pub fn replication_controller(ns: &str, name: &str) -> String {
    format!("{CORE}/{ns}/replicationcontrollers/{name}")
}
pub fn role_bindings_in(ns: &str) -> String {
    format!("{RBAC}/namespaces/{ns}/rolebindings")
}
pub fn role(ns: &str, name: &str) -> String {
    format!("{RBAC}/namespaces/{ns}/roles/{name}")
}
pub fn cluster_role(name: &str) -> String {
    format!("{RBAC}/clusterroles/{name}")
}
pub fn local_subject_access_reviews(ns: &str) -> String {
    format!("/apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews")
}
