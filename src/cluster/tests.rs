//! Unit tests of the pure parts: request shapes, answer interpretation, error messages.

use super::reviews::{all_of, allowed, can_roll_out, can_tag, pull_review};
use super::waves::Want;
use super::ClusterError;
use crate::refs::{parse_destination, parse_target};
use serde_json::json;

#[test]
fn pull_review_passes_the_service_account_groups_and_falls_back_to_a_local_review() {
    let dst = parse_destination("dev/simple-app:promote", None).unwrap();
    let call = pull_review("prod", "default", &dst);
    assert_eq!(
        call.path,
        "/apis/authorization.k8s.io/v1/subjectaccessreviews"
    );
    let body = call.body.unwrap();
    assert_eq!(body["spec"]["user"], "system:serviceaccount:prod:default");
    assert_eq!(
        body["spec"]["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:prod",
            "system:authenticated"
        ])
    );
    assert_eq!(
        body["spec"]["resourceAttributes"],
        json!({"namespace": "dev", "verb": "get", "group": "image.openshift.io",
               "resource": "imagestreams", "subresource": "layers", "name": "simple-app"})
    );
    let (path, local) = call.fallback.unwrap();
    assert_eq!(
        path,
        "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews"
    );
    assert_eq!(local["kind"], "LocalSubjectAccessReview");
    assert_eq!(
        call.want,
        Want::PullReview {
            ns: "prod".into(),
            sa: "default".into()
        }
    );
}

#[test]
fn promoter_reviews_ask_for_tag_update_and_instantiate() {
    let dst = parse_destination("dev/simple-app:promote", None).unwrap();
    let tag = can_tag(&dst).body.unwrap();
    assert_eq!(tag["kind"], "SelfSubjectAccessReview");
    assert_eq!(tag["spec"]["resourceAttributes"]["verb"], "update");
    assert_eq!(
        tag["spec"]["resourceAttributes"]["resource"],
        "imagestreamtags"
    );
    assert_eq!(
        tag["spec"]["resourceAttributes"]["name"],
        "simple-app:promote"
    );
    let dc = parse_target("prod/dc/simple-app", None).unwrap();
    let roll = can_roll_out(&dc).body.unwrap();
    assert_eq!(
        roll["spec"]["resourceAttributes"]["subresource"],
        "instantiate"
    );
    assert_eq!(roll["spec"]["resourceAttributes"]["verb"], "create");
    assert_eq!(roll["spec"]["resourceAttributes"]["namespace"], "prod");
}

#[test]
fn review_answers_combine_all_or_nothing() {
    assert_eq!(allowed(&json!({"status": {"allowed": true}})), Some(true));
    assert_eq!(allowed(&json!({"status": {}})), None);
    assert_eq!(all_of(&[Some(true), Some(true)]), Some(true));
    assert_eq!(all_of(&[Some(true), None]), None);
    assert_eq!(all_of(&[None, Some(false)]), Some(false));
    assert_eq!(all_of(&[]), None);
}

#[test]
fn errors_name_the_request_and_the_permission() {
    let e = ClusterError::Api {
        method: "GET".into(),
        path: "/apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app".into(),
        code: 500,
        reason: "InternalError".into(),
        message: "etcd is down".into(),
    };
    let text = e.to_string();
    assert!(
        text.contains("GET /apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app"),
        "{text}"
    );
    assert!(text.contains("500"), "{text}");
    let e = ClusterError::Forbidden {
        what: "the source image stream dev/simple-app".into(),
        path: "/apis/x".into(),
        identity: "alice".into(),
        permission: "get imagestreams` in `dev".into(),
        message: "no".into(),
    };
    assert!(
        e.to_string()
            .contains("grant `get imagestreams` in `dev` to it"),
        "{e}"
    );
}
