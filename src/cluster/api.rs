//! The one request layer: every read and write of the gate goes through [`call`], answers are
//! decoded into the crate's slim `openshift` types, and every failure is a [`ClusterError`]
//! naming the request.
//!
//! The OpenShift kinds are the crate's own serde types, so requests go through
//! `Client::request_text` with explicit paths ([`super::paths`]) rather than typed `Api`s.

use http::header::{ACCEPT, CONTENT_TYPE};
use http::Method;
use kube::Client;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::deadline;
use super::redact::redact;
use super::ClusterError;

/// The answer to one read, sorted: found, absent, or refused.
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

/// The error chain of a transport failure ("connection refused"), redacted: an error may
/// quote a URL. The deadline layer's own links (`on host:port`) are left out; the message
/// names the server itself.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(s) = cur {
        if s.downcast_ref::<deadline::OnServer>().is_some() {
            // What wraps it ("ServiceError: on host:port") says nothing more.
            parts.clear();
        } else {
            let text = s.to_string();
            if !parts.iter().any(|p| p.contains(&text)) {
                parts.push(text);
            }
        }
        cur = s.source();
    }
    redact(&parts.join(": "))
}

/// A failure with no answer: the deadline passed, or the transport failed.
fn no_answer(method: &Method, path: &str, e: &kube::Error) -> ClusterError {
    let (limit, server) = deadline::find(e);
    let server = server.map_or_else(|| "the API server".to_string(), |s| s.to_string());
    match limit {
        Some(deadline::Deadline(limit)) => ClusterError::Timeout {
            method: method.to_string(),
            path: path.into(),
            server,
            limit: crate::duration::show(limit),
        },
        None => ClusterError::Transport {
            method: method.to_string(),
            path: path.into(),
            server,
            reason: chain(e),
        },
    }
}

/// Sends one request; any answer other than 2xx is an error carrying its HTTP code
/// ([`ClusterError::code`]), so callers decide what a 404, 403 or 409 means to them.
pub async fn call(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, ClusterError> {
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
        Err(kube::Error::Api(s)) => {
            // Some servers send a Status with no code; its reason still says what happened.
            let code = match s.code {
                0 if s.is_not_found() => 404,
                0 if s.is_forbidden() => 403,
                c => c,
            };
            tracing::debug!(%method, path, code, "error answer");
            // A server may echo the request, credentials included, in its message.
            return Err(ClusterError::Api {
                method: method.to_string(),
                path: path.into(),
                code,
                reason: redact(&s.reason),
                message: redact(&s.message),
            });
        }
        Err(e) => return Err(no_answer(&method, path, &e)),
    };
    serde_json::from_str(&text).map_err(|e| ClusterError::Decode {
        method: method.to_string(),
        path: path.into(),
        reason: redact(&e.to_string()),
    })
}

/// [`call`] for reads whose refusal or absence the facts can do without: 404 and 403 become
/// [`Read`] values; every other failure stays an error.
pub async fn send(
    client: &Client,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Read<Value>, ClusterError> {
    match call(client, method, path, body).await {
        Ok(v) => Ok(Read::Found(v)),
        Err(ClusterError::Api { code: 404, .. }) => Ok(Read::NotFound),
        Err(ClusterError::Api {
            code: 403, message, ..
        }) => {
            tracing::info!(path, message = %message, "403 forbidden");
            Ok(Read::Forbidden(message))
        }
        Err(e) => Err(e),
    }
}

/// Decodes a JSON answer into one of the crate's types, naming the request on failure.
pub fn decode<T: DeserializeOwned>(path: &str, v: Value) -> Result<T, ClusterError> {
    serde_json::from_value(v).map_err(|e| ClusterError::Decode {
        method: "GET".into(),
        path: path.into(),
        reason: redact(&e.to_string()),
    })
}

/// Decodes the `items` of a list answer.
pub fn decode_items<T: DeserializeOwned>(path: &str, v: Value) -> Result<Vec<T>, ClusterError> {
    Ok(decode::<List<T>>(path, v)?.items.unwrap_or_default())
}

fn encode<B: Serialize>(path: &str, body: &B) -> Result<Value, ClusterError> {
    serde_json::to_value(body).map_err(|e| ClusterError::Internal(format!("{path}: {e}")))
}

/// A read sorted into found / absent / refused.
pub async fn read<T: DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<Read<T>, ClusterError> {
    match send(client, Method::GET, path, None).await? {
        Read::Found(v) => decode(path, v).map(Read::Found),
        Read::NotFound => Ok(Read::NotFound),
        Read::Forbidden(m) => Ok(Read::Forbidden(m)),
    }
}

/// A create whose refusal the facts can do without (access reviews, who-am-I).
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

/// GET that must succeed.
pub async fn get<T: DeserializeOwned>(client: &Client, path: &str) -> Result<T, ClusterError> {
    decode(path, call(client, Method::GET, path, None).await?)
}

/// GET that reads 404 as "absent"; every other failure is an error.
pub async fn get_opt<T: DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<Option<T>, ClusterError> {
    match call(client, Method::GET, path, None).await {
        Ok(v) => decode(path, v).map(Some),
        Err(e) if e.code() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// PUT (replace) an object; a `metadata.resourceVersion` in the body makes it conditional.
pub async fn put<B: Serialize>(
    client: &Client,
    path: &str,
    body: &B,
) -> Result<Value, ClusterError> {
    call(client, Method::PUT, path, Some(&encode(path, body)?)).await
}

/// POST (create, or a subresource such as `instantiate`).
pub async fn post<B: Serialize>(
    client: &Client,
    path: &str,
    body: &B,
) -> Result<Value, ClusterError> {
    call(client, Method::POST, path, Some(&encode(path, body)?)).await
}
