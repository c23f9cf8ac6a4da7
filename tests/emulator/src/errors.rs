//! API errors as the apiserver sends them: a `Status` body with reason, details and HTTP code.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{json, Value};

use super::types::ResourceType;

/// A failed request; rendered as a `metav1.Status` so kube parses it into `Error::Api`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `imagestreams.image.openshift.io`, the form messages use.
fn qualified(t: &ResourceType) -> String {
    t.key()
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    fn with_details(mut self, t: &ResourceType, name: &str) -> Self {
        let mut d = json!({ "name": name, "kind": t.plural });
        if !t.group.is_empty() {
            d["group"] = json!(t.group);
        }
        self.details = d;
        self
    }

    pub fn not_found(t: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(t)),
        )
        .with_details(t, name)
    }

    pub fn already_exists(t: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(t)),
        )
        .with_details(t, name)
    }

    pub fn conflict(t: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                qualified(t)
            ),
        )
        .with_details(t, name)
    }

    /// 422 with one field cause, e.g. `spec.paused: Invalid value: true: …`.
    pub fn invalid(t: &ResourceType, name: &str, field: &str, detail: &str) -> Self {
        let mut e = Self::new(
            422,
            "Invalid",
            format!("{} \"{name}\" is invalid: {field}: {detail}", t.kind),
        )
        .with_details(t, name);
        e.details["kind"] = json!(t.kind);
        e.details["causes"] =
            json!([{ "reason": "FieldValueInvalid", "message": detail, "field": field }]);
        e
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// RBAC denial in the apiserver's words; `resource` may carry `/subresource`.
    pub fn forbidden(
        user: &str,
        verb: &str,
        group: &str,
        resource: &str,
        name: &str,
        ns: &str,
    ) -> Self {
        let plural = resource.split('/').next().unwrap_or(resource);
        let mut what = super::types::resource_key(group, plural);
        if !name.is_empty() {
            what = format!("{what} \"{name}\"");
        }
        let scope = if ns.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{ns}\"")
        };
        let mut e = Self::new(
            403,
            "Forbidden",
            format!(
                "{what} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" \
                 in API group \"{group}\" {scope}"
            ),
        );
        e.details = json!({ "name": name, "group": group, "kind": plural });
        e
    }

    /// A status-code-only error for fault injection (500, 503, 403, 409, …).
    pub fn injected(code: u16) -> Self {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(
            code,
            reason,
            format!("injected fault: HTTP {code} {reason}"),
        )
    }

    pub fn body(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            v["details"] = self.details.clone();
        }
        v
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(code, &self.body())
    }
}

pub fn json_response(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `{"kind":"Status","status":"Success"}` as DELETE of a virtual object returns.
pub fn success_status(t: &ResourceType, name: &str) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": { "name": name, "group": t.group, "kind": t.plural },
    })
}
