//! Reads a request body as an `admission.k8s.io/v1` AdmissionReview, or says (for an HTTP 400)
//! which field is wrong and why.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use crate::gate::Requester;

/// The only version the server answers (`admissionReviewVersions: ["v1"]`).
pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

/// One admission request, as far as the decision reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// Copied into the answer: the API server matches answers by it.
    pub uid: String,
    /// `request.resource.group`, e.g. `image.openshift.io`.
    pub group: String,
    /// `request.resource.resource`, e.g. `imagestreamtags`.
    pub resource: String,
    /// `request.subResource`; empty for the resource itself.
    pub sub_resource: String,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: String,
    /// `request.name`: for a DELETE the only place the object's name is given.
    pub name: String,
    pub namespace: String,
    /// `request.userInfo`; `None` when the API server sent no user name.
    pub user: Option<Requester>,
    pub object: Option<Value>,
    pub old_object: Option<Value>,
    pub dry_run: bool,
}

/// Why a body is not an AdmissionReview this server answers; `Display` is the HTTP 400 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an {API_VERSION} {KIND}: {0}")]
pub struct BadReview(String);

/// The envelope alone, read first so that a wrong version is reported as such, not as the
/// first field its request lacks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    request: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Full {
    request: Request,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    uid: String,
    resource: Resource,
    #[serde(default)]
    sub_resource: Option<String>,
    operation: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    user_info: UserInfo,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    old_object: Option<Value>,
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    group: String,
    resource: String,
}

#[derive(Deserialize, Default)]
struct UserInfo {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    groups: Option<Vec<String>>,
}

const OPERATIONS: [&str; 4] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

fn shown(s: &str) -> String {
    let short: String = s.chars().take(60).collect();
    let more = if s.chars().count() > 60 { "…" } else { "" };
    format!("{short:?}{more}")
}

/// Parses a request body. Never panics: serde_json bounds nesting depth, and every error is a
/// message naming the field.
pub fn parse_review(body: &[u8]) -> Result<Review, BadReview> {
    // serde reads a struct from a JSON array too; an AdmissionReview is only ever an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BadReview("the body is not a JSON object".into()));
    }
    let env: Envelope = serde_json::from_slice(body).map_err(|e| {
        BadReview(format!(
            "the body is not a JSON object (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    match env.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(BadReview(format!(
                "`apiVersion` is {}, expected `{API_VERSION}` (set `admissionReviewVersions: [\"v1\"]` in the webhook configuration)",
                shown(other)
            )))
        }
        None => return Err(BadReview("`apiVersion` is missing".into())),
    }
    match env.kind.as_deref() {
        Some(KIND) => {}
        Some(other) => {
            return Err(BadReview(format!(
                "`kind` is {}, expected `{KIND}`",
                shown(other)
            )))
        }
        None => return Err(BadReview("`kind` is missing".into())),
    }
    if env.request.is_none() {
        return Err(BadReview(
            "`request` is missing (an AdmissionReview sent to a webhook carries one)".into(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let full: Full = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| BadReview(format!("at `{}`: {}", e.path(), e.inner())))?;
    let r = full.request;
    if r.uid.is_empty() {
        return Err(BadReview("`request.uid` is empty".into()));
    }
    if !OPERATIONS.contains(&r.operation.as_str()) {
        return Err(BadReview(format!(
            "`request.operation` is {}, expected one of {}",
            shown(&r.operation),
            OPERATIONS.join(", ")
        )));
    }
    if r.resource.resource.is_empty() {
        return Err(BadReview("`request.resource.resource` is empty".into()));
    }
    Ok(Review {
        uid: r.uid,
        group: r.resource.group,
        resource: r.resource.resource,
        sub_resource: r.sub_resource.unwrap_or_default(),
        operation: r.operation,
        name: r.name.unwrap_or_default(),
        namespace: r.namespace.unwrap_or_default(),
        user: r.user_info.username.map(|name| Requester {
            name,
            groups: r.user_info.groups.unwrap_or_default(),
        }),
        object: r.object.filter(|v| !v.is_null()),
        old_object: r.old_object.filter(|v| !v.is_null()),
        dry_run: r.dry_run.unwrap_or(false),
    })
}
