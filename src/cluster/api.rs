//! Raw reads and reviews against the API: paths, and answers sorted into found / absent / refused.
//!
//! The OpenShift kinds are the crate's own slim serde types, so requests go through
//! `Client::request_text` with explicit paths rather than typed `Api`s.

use http::header::{ACCEPT, CONTENT_TYPE};
use http::Method;
use kube::Client;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::ClusterError;

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
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

pub fn image_stream(ns: &str, name: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreams/{name}")
}
/// `name` is `stream:tag`.
pub fn image_stream_tag(ns: &str, name: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreamtags/{name}")
}
/// `name` is `stream@sha256:…`.
pub fn image_stream_image(ns: &str, name: &str) -> String {
    format!("{IMAGE}/{ns}/imagestreamimages/{name}")
}
pub fn deployment_config(ns: &str, name: &str) -> String {
    format!("{APPS_OS}/{ns}/deploymentconfigs/{name}")
}
pub fn deployment_configs_in(ns: &str) -> String {
    format!("{APPS_OS}/{ns}/deploymentconfigs")
}
pub fn deployment(ns: &str, name: &str) -> String {
    format!("{APPS}/{ns}/deployments/{name}")
}
pub fn deployments_in(ns: &str) -> String {
    format!("{APPS}/{ns}/deployments")
}
pub fn replication_controller(ns: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{ns}/replicationcontrollers/{name}")
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

/// The answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    Found(T),
    /// 404: the object (or the API serving it) does not exist.
    NotFound,
    /// 403, with the server's message: the object is unknown, not absent.
    Forbidden(String),
}

impl<T> Read<T> {
    pub fn found(self) -> Option<T> {
        match self {
            Read::Found(t) => Some(t),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct List<T> {
    // Go's `null` for an empty list.
    #[serde(default = "Option::default")]
    items: Option<Vec<T>>,
}

/// The error chain of a transport failure ("connection refused", "deadline has elapsed");
/// these never carry request headers.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// Sends one request and sorts the answer; `Err` only for what makes the gate unable to decide.
pub async fn send(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Read<Value>, ClusterError> {
    let bytes = match body {
        Some(b) => serde_json::to_vec(b).map_err(|e| ClusterError::Internal(e.to_string()))?,
        None => Vec::new(),
    };
    let mut builder = http::Request::builder()
        .method(method.clone())
        .uri(path)
        .header(ACCEPT, "application/json");
    if body.is_some() {
        builder = builder.header(CONTENT_TYPE, "application/json");
    }
    let request = builder
        .body(bytes)
        .map_err(|e| ClusterError::Internal(format!("{method} {path}: {e}")))?;
    tracing::debug!(%method, path, "request");
    let text = match client.request_text(request).await {
        Ok(text) => text,
        Err(kube::Error::Api(s)) if s.code == 404 || (s.code == 0 && s.is_not_found()) => {
            tracing::debug!(%method, path, "404 not found");
            return Ok(Read::NotFound);
        }
        Err(kube::Error::Api(s)) if s.code == 403 || (s.code == 0 && s.is_forbidden()) => {
            tracing::info!(%method, path, message = %s.message, "403 forbidden");
            return Ok(Read::Forbidden(s.message.clone()));
        }
        Err(kube::Error::Api(s)) => {
            return Err(ClusterError::Api {
                method: method.to_string(),
                path: path.into(),
                code: s.code,
                reason: s.reason.clone(),
                message: s.message.clone(),
            })
        }
        Err(e) => {
            return Err(ClusterError::Transport {
                method: method.to_string(),
                path: path.into(),
                reason: chain(&e),
            })
        }
    };
    serde_json::from_str(&text)
        .map(Read::Found)
        .map_err(|e| ClusterError::Decode {
            method: method.to_string(),
            path: path.into(),
            reason: e.to_string(),
        })
}

/// Decodes a JSON answer into one of the crate's types, naming the request on failure.
pub fn decode<T: DeserializeOwned>(path: &str, v: Value) -> Result<T, ClusterError> {
    serde_json::from_value(v).map_err(|e| ClusterError::Decode {
        method: "GET".into(),
        path: path.into(),
        reason: e.to_string(),
    })
}

/// Decodes the `items` of a list answer.
pub fn decode_items<T: DeserializeOwned>(path: &str, v: Value) -> Result<Vec<T>, ClusterError> {
    Ok(decode::<List<T>>(path, v)?.items.unwrap_or_default())
}

pub async fn get<T: DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<Read<T>, ClusterError> {
    match send(client, Method::GET, path, None).await? {
        Read::Found(v) => decode(path, v).map(Read::Found),
        Read::NotFound => Ok(Read::NotFound),
        Read::Forbidden(m) => Ok(Read::Forbidden(m)),
    }
}

pub async fn create<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    body: &Value,
) -> Result<Read<T>, ClusterError> {
    match send(client, Method::POST, path, Some(body)).await? {
        Read::Found(v) => decode(path, v).map(Read::Found),
        Read::NotFound => Ok(Read::NotFound),
        Read::Forbidden(m) => Ok(Read::Forbidden(m)),
    }
}
