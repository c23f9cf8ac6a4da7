//! Discovery documents (/version, /api, /apis, per group-version resource lists) enough for kube.

use serde_json::{json, Value};

use super::types::{ResourceType, TYPES, VIRTUAL};

/// Non-stored review resources, listed so discovery matches what the routes serve.
const REVIEWS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "authorization.k8s.io",
        "v1",
        "subjectaccessreviews",
        "SubjectAccessReview",
        false,
    ),
    (
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        false,
    ),
    (
        "authorization.k8s.io",
        "v1",
        "localsubjectaccessreviews",
        "LocalSubjectAccessReview",
        true,
    ),
    (
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "SelfSubjectReview",
        false,
    ),
    (
        "authorization.openshift.io",
        "v1",
        "subjectaccessreviews",
        "SubjectAccessReview",
        false,
    ),
    (
        "authorization.openshift.io",
        "v1",
        "localsubjectaccessreviews",
        "LocalSubjectAccessReview",
        true,
    ),
];

pub fn version() -> Value {
    json!({
        "major": "1", "minor": "33", "gitVersion": "v1.33.0+emulator",
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24", "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443" }],
    })
}

fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    let all = TYPES
        .iter()
        .map(|t| (t.group, t.version))
        .chain(REVIEWS.iter().map(|r| (r.0, r.1)));
    for (g, v) in all {
        if !g.is_empty() && !out.contains(&(g, v)) {
            out.push((g, v));
        }
    }
    out
}

fn group_doc(g: &str, v: &str) -> Value {
    let gv = json!({ "groupVersion": format!("{g}/{v}"), "version": v });
    json!({ "name": g, "versions": [gv.clone()], "preferredVersion": gv })
}

pub fn group_list() -> Value {
    let groups: Vec<Value> = groups().into_iter().map(|(g, v)| group_doc(g, v)).collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

pub fn group(g: &str) -> Option<Value> {
    let (g, v) = groups().into_iter().find(|(name, _)| *name == g)?;
    let mut doc = group_doc(g, v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

fn resource_doc(t: &ResourceType) -> Value {
    let verbs: &[&str] = match t.plural {
        "imagestreamimages" => &["get"],
        "imagestreamtags" => &["create", "delete", "get", "list", "patch", "update"],
        "imagetags" => &["create", "delete", "get", "list", "update"],
        "imagestreammappings" | "imagestreamimports" => &["create"],
        _ => &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
    };
    json!({
        "name": t.plural, "singularName": t.kind.to_lowercase(), "namespaced": t.namespaced,
        "kind": t.kind, "verbs": verbs,
    })
}

pub fn resource_list(g: &str, v: &str) -> Option<Value> {
    let mut resources: Vec<Value> = TYPES
        .iter()
        .chain(VIRTUAL)
        .filter(|t| t.group == g && t.version == v)
        .map(resource_doc)
        .collect();
    if g == "apps.openshift.io" {
        resources.push(json!({ "name": "deploymentconfigs/instantiate", "singularName": "", "namespaced": true, "kind": "DeploymentRequest", "verbs": ["create"] }));
    }
    for r in REVIEWS.iter().filter(|r| r.0 == g && r.1 == v) {
        resources.push(json!({ "name": r.2, "singularName": "", "namespaced": r.4, "kind": r.3, "verbs": ["create"] }));
    }
    if resources.is_empty() {
        return None;
    }
    let gv = if g.is_empty() {
        v.to_string()
    } else {
        format!("{g}/{v}")
    };
    Some(
        json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources }),
    )
}
