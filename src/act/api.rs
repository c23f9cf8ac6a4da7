//! The few REST calls acting needs, as raw JSON over the caller's `kube::Client`.
//!
//! Raw JSON (not typed structs) on purpose: a PUT sends back exactly the object that was read,
//! so fields this crate does not model are never dropped.

use serde_json::Value;

pub const IMAGE: &str = "/apis/image.openshift.io/v1";
pub const APPS_OS: &str = "/apis/apps.openshift.io/v1";
pub const APPS: &str = "/apis/apps/v1";
pub const CORE: &str = "/api/v1";

pub fn stream_path(ns: &str, name: &str) -> String {
    format!("{IMAGE}/namespaces/{ns}/imagestreams/{name}")
}

pub fn streams_path(ns: &str) -> String {
    format!("{IMAGE}/namespaces/{ns}/imagestreams")
}

pub fn istag_path(ns: &str, stream: &str, tag: &str) -> String {
    format!("{IMAGE}/namespaces/{ns}/imagestreamtags/{stream}:{tag}")
}

pub fn istags_path(ns: &str) -> String {
    format!("{IMAGE}/namespaces/{ns}/imagestreamtags")
}

pub fn dc_path(ns: &str, name: &str) -> String {
    format!("{APPS_OS}/namespaces/{ns}/deploymentconfigs/{name}")
}

pub fn rc_path(ns: &str, name: &str) -> String {
    format!("{CORE}/namespaces/{ns}/replicationcontrollers/{name}")
}

pub fn deployment_path(ns: &str, name: &str) -> String {
    format!("{APPS}/namespaces/{ns}/deployments/{name}")
}

fn request(
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<http::Request<Vec<u8>>, kube::Error> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(body.map(|b| b.to_string().into_bytes()).unwrap_or_default())
        .map_err(kube::Error::HttpError)
}

/// One JSON call; non-2xx answers become `kube::Error::Api`.
pub async fn call(
    client: &kube::Client,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, kube::Error> {
    tracing::debug!(method, path, "act: request");
    client.request::<Value>(request(method, path, body)?).await
}

pub async fn get(client: &kube::Client, path: &str) -> Result<Value, kube::Error> {
    call(client, "GET", path, None).await
}

/// GET that reads 404 as "absent".
pub async fn get_opt(client: &kube::Client, path: &str) -> Result<Option<Value>, kube::Error> {
    match get(client, path).await {
        Ok(v) => Ok(Some(v)),
        Err(e) if code(&e) == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The HTTP code of an API error answer (`None` for transport errors).
pub fn code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// A short, credential-free description of an error for action details.
pub fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => {
            let reason = if s.reason.is_empty() {
                "error"
            } else {
                s.reason.as_str()
            };
            format!("{} {reason}: {}", s.code, s.message)
        }
        other => format!("connection error: {other}"),
    }
}

/// `a.b.c` string lookup into JSON; "" when absent.
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub fn i64_at(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}
