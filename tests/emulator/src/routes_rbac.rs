//! Access reviews: k8s (Local/Self)SubjectAccessReview, SelfSubjectReview, OpenShift's flat SARs.

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::rbac::{authorize, Attributes, UserInfo};
use super::routes::{Reply, Req, Target};
use super::types::{now, str_at};
use super::World;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `resource: "imagestreams/layers"` with no subresource means the same as the split form.
fn split_resource(resource: &str, subresource: &str) -> (String, String) {
    match resource.split_once('/') {
        Some((r, s)) if subresource.is_empty() => (r.to_string(), s.to_string()),
        _ => (resource.to_string(), subresource.to_string()),
    }
}

pub fn review(w: &mut World, req: &Req, t: &Target) -> ApiResult<Reply> {
    if req.method != "POST" || !t.name.is_empty() {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{} only accepts POST (create)", t.plural),
        ));
    }
    let body = req.body()?;
    match (t.group.as_str(), t.plural.as_str()) {
        ("authentication.k8s.io", "selfsubjectreviews") => Ok((
            201,
            json!({
                "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                "metadata": { "creationTimestamp": now() },
                "status": { "userInfo": { "username": req.user.username, "groups": req.user.groups } },
            }),
        )),
        (
            "authorization.k8s.io",
            "subjectaccessreviews" | "localsubjectaccessreviews" | "selfsubjectaccessreviews",
        ) => k8s_review(w, req, t, body),
        ("authorization.openshift.io", "subjectaccessreviews" | "localsubjectaccessreviews") => {
            openshift_review(w, req, t, body)
        }
        _ => Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    }
}

fn k8s_review(w: &World, req: &Req, t: &Target, body: &Value) -> ApiResult<Reply> {
    let spec = &body["spec"];
    let user = if t.plural == "selfsubjectaccessreviews" {
        req.user.clone()
    } else {
        UserInfo {
            username: str_at(spec, "/user").to_string(),
            groups: strings(&spec["groups"]),
        }
    };
    if user.username.is_empty() && user.groups.is_empty() {
        return Err(ApiError::new(422, "Invalid", format!(
            "{} is invalid: spec.user: Invalid value: \"\": at least one of user or group must be specified",
            t.plural
        )));
    }
    let ra = &spec["resourceAttributes"];
    let attrs = if ra.is_object() {
        let mut ns = str_at(ra, "/namespace").to_string();
        if t.plural == "localsubjectaccessreviews" {
            if !ns.is_empty() && ns != t.ns {
                return Err(ApiError::bad_request(format!(
                    "spec.resourceAttributes.namespace must match metadata.namespace: {ns:?} != {:?}",
                    t.ns
                )));
            }
            ns = t.ns.clone();
        }
        let (resource, subresource) =
            split_resource(str_at(ra, "/resource"), str_at(ra, "/subresource"));
        Attributes {
            verb: str_at(ra, "/verb").into(),
            group: str_at(ra, "/group").into(),
            resource,
            subresource,
            name: str_at(ra, "/name").into(),
            namespace: ns,
            path: None,
        }
    } else if spec["nonResourceAttributes"].is_object() {
        let nra = &spec["nonResourceAttributes"];
        Attributes {
            verb: str_at(nra, "/verb").into(),
            path: Some(str_at(nra, "/path").into()),
            ..Attributes::default()
        }
    } else {
        return Err(ApiError::new(
            422,
            "Invalid",
            "spec: exactly one of nonResourceAttributes or resourceAttributes must be specified",
        ));
    };
    let (allowed, reason) = authorize(&w.store, &user, &attrs);
    let mut out = body.clone();
    out["metadata"] = json!({ "creationTimestamp": null });
    if t.plural == "localsubjectaccessreviews" {
        out["metadata"]["namespace"] = json!(t.ns);
    }
    out["status"] = json!({ "allowed": allowed });
    if !reason.is_empty() {
        out["status"]["reason"] = json!(reason);
    }
    Ok((201, out))
}

/// authorization.openshift.io: flat Action fields; an empty user and groups means "the requester".
fn openshift_review(w: &World, req: &Req, t: &Target, body: &Value) -> ApiResult<Reply> {
    let mut user = UserInfo {
        username: str_at(body, "/user").to_string(),
        groups: strings(&body["groups"]),
    };
    if user.username.is_empty() && user.groups.is_empty() {
        user = req.user.clone();
    }
    let ns = if t.ns.is_empty() {
        str_at(body, "/namespace").to_string()
    } else {
        t.ns.clone()
    };
    let (resource, subresource) = split_resource(str_at(body, "/resource"), "");
    let attrs = Attributes {
        verb: str_at(body, "/verb").into(),
        group: str_at(body, "/resourceAPIGroup").into(),
        resource,
        subresource,
        name: str_at(body, "/resourceName").into(),
        namespace: ns.clone(),
        path: None,
    };
    let (allowed, reason) = authorize(&w.store, &user, &attrs);
    Ok((
        201,
        json!({
            "kind": "SubjectAccessReviewResponse", "apiVersion": "authorization.openshift.io/v1",
            "namespace": ns, "allowed": allowed, "reason": reason,
        }),
    ))
}
