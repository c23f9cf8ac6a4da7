//! Access reviews: may a target's service account pull, may the promoter tag and roll out.
//!
//! The cluster answers with every binding, aggregated role and authorizer taken into
//! account, which reading bindings cannot. Groups are not expanded by the server: a service
//! account's groups must be passed explicitly (docs/design/OPENSHIFT-API.md §5.3).

use serde_json::{json, Value};

use super::paths;
use super::waves::{Call, Want};
use crate::refs::{ImageRef, TargetRef, WorkloadKind};

/// The user and groups a service account's token carries.
pub fn service_account_user(ns: &str, sa: &str) -> (String, Vec<String>) {
    (
        format!("system:serviceaccount:{ns}:{sa}"),
        vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
    )
}

/// `get imagestreams/layers` on the pulled stream: what the registry checks on a pull.
fn pull_attributes(pull: &ImageRef) -> Value {
    json!({
        "namespace": pull.namespace,
        "verb": "get",
        "group": "image.openshift.io",
        "resource": "imagestreams",
        "subresource": "layers",
        "name": pull.stream,
    })
}

/// A SubjectAccessReview for a target's service account, falling back to a
/// LocalSubjectAccessReview in the pull namespace (which project admins may create).
pub fn pull_review(ns: &str, sa: &str, pull: &ImageRef) -> Call {
    let (user, groups) = service_account_user(ns, sa);
    let attributes = pull_attributes(pull);
    let cluster = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
    });
    let local = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "LocalSubjectAccessReview",
        "metadata": {"namespace": pull.namespace},
        "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
    });
    let mut call = Call::post(
        Want::PullReview {
            ns: ns.into(),
            sa: sa.into(),
        },
        paths::SUBJECT_ACCESS_REVIEWS,
        cluster,
    );
    call.fallback = Some((paths::local_subject_access_reviews(&pull.namespace), local));
    call
}

fn self_review(want: Want, attributes: Value) -> Call {
    Call::post(
        want,
        paths::SELF_SUBJECT_ACCESS_REVIEWS,
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }),
    )
}

/// May the promoter move the destination tag (`oc tag` PUTs the ImageStreamTag)?
pub fn can_tag(dst: &ImageRef) -> Call {
    self_review(
        Want::CanTag,
        json!({
            "namespace": dst.namespace,
            "verb": "update",
            "group": "image.openshift.io",
            "resource": "imagestreamtags",
            "name": format!("{}:{}", dst.stream, dst.tag().unwrap_or_default()),
        }),
    )
}

/// May the promoter roll the target out: `instantiate` a DeploymentConfig, or patch a
/// Deployment (`oc rollout restart`)?
pub fn can_roll_out(t: &TargetRef) -> Call {
    let attributes = match t.kind {
        WorkloadKind::DeploymentConfig => json!({
            "namespace": t.namespace,
            "verb": "create",
            "group": "apps.openshift.io",
            "resource": "deploymentconfigs",
            "subresource": "instantiate",
            "name": t.name,
        }),
        WorkloadKind::Deployment => json!({
            "namespace": t.namespace,
            "verb": "patch",
            "group": "apps",
            "resource": "deployments",
            "name": t.name,
        }),
    };
    self_review(Want::CanRollOut(t.clone()), attributes)
}

/// `status.allowed` of a review answer (`None` when the answer has none).
pub fn allowed(answer: &Value) -> Option<bool> {
    answer["status"]["allowed"].as_bool()
}

/// All true → true; any false → false; otherwise unknown.
pub fn all_of(answers: &[Option<bool>]) -> Option<bool> {
    if answers.contains(&Some(false)) {
        Some(false)
    } else if !answers.is_empty() && answers.iter().all(|a| *a == Some(true)) {
        Some(true)
    } else {
        None
    }
}
