//! Facts-builder rules on small hand-made object sets (the seed states are in tests/).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ::time::macros::datetime;
use serde_json::{json, Value};

use super::*;
use crate::refs::{parse_destination, parse_source};

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn de<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn stream(tags: Value) -> Value {
    json!({"kind": "ImageStream", "metadata": {"name": "app", "namespace": "dev"},
           "spec": {"tags": [{"name": "promote", "annotations": null,
                              "from": {"kind": "ImageStreamImage", "name": format!("app@{D2}")}}]},
           "status": {"tags": tags}})
}

fn objects() -> ClusterObjects {
    let ev = |d: &str| json!({"created": "2024-03-01T10:00:00Z", "dockerImageReference": format!("reg/dev/app@{d}"), "image": d});
    ClusterObjects {
        streams: vec![de(stream(json!([
            {"tag": "latest", "items": [ev(D1), ev(D2)]},
            {"tag": "promote", "items": [ev(D2)]},
            {"tag": "empty", "items": null}])))]
        .into(),
        clusterrolebindings: vec![de(json!({"metadata": {"name": "cluster-admin"},
            "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "Group", "name": "system:masters"}]}))]
        .into(),
        rolebindings: vec![rb(
            "prod",
            "admin",
            "ClusterRole",
            "admin",
            json!({"kind": "User", "name": "x"}),
        )]
        .into(),
        ..Default::default()
    }
}

fn rb(
    ns: &str,
    name: &str,
    kind: &str,
    role: &str,
    subject: Value,
) -> crate::openshift::RoleBinding {
    de(json!({"metadata": {"name": name, "namespace": ns},
              "roleRef": {"kind": kind, "name": role}, "subjects": [subject]}))
}

fn deployment(annotation: &str) -> crate::openshift::Deployment {
    de(json!({"metadata": {"name": "web", "namespace": "prod",
                           "annotations": {"image.openshift.io/triggers": annotation}},
              "spec": {"replicas": 2, "template": {"spec": {"serviceAccountName": "runner",
                  "containers": [{"name": "web", "image": "reg/dev/app:promote"}]}}}}))
}

fn req(src: &str) -> PromotionRequest {
    PromotionRequest {
        source: parse_source(src, None).unwrap(),
        destination: parse_destination("dev/app:promote", None).unwrap(),
        targets: vec![],
        reason: Some("release".into()),
        requested_by: None,
        requested_by_groups: None,
        via: crate::facts::VIA_CLI,
        alias: false,
        time: datetime!(2024-03-02 10:00:00 UTC),
    }
}

fn build(o: &ClusterObjects, src: &str) -> Result<Facts, GatherError> {
    build_facts(o, &req(src), &Settings::default())
}

const FP: &str = r#"spec.template.spec.containers[?(@.name==\"web\")].image"#;

#[test]
fn source_errors_say_what_is_wrong() {
    let o = objects();
    let e = build(&o, "dev/app:empty").unwrap_err().to_string();
    assert!(
        e.contains("dev/app:empty is not currently pointing to an image"),
        "{e}"
    );
    let e = build(&o, "dev/app:nope").unwrap_err().to_string();
    assert!(
        e.contains("no tag `nope`; its tags: empty, latest, promote"),
        "{e}"
    );
    let e = build(&o, "dev/other:latest").unwrap_err().to_string();
    assert!(
        e.contains("image stream dev/other is not in the snapshot") && e.contains("dev/app"),
        "{e}"
    );
    let missing = format!("dev/app@sha256:{}", "3".repeat(64));
    let e = build(&o, &missing).unwrap_err().to_string();
    assert!(
        e.contains("is not in the history of image stream dev/app"),
        "{e}"
    );
}

#[test]
fn digest_source_and_noop() {
    let o = objects();
    let f = build(&o, &format!("dev/app@{D2}")).unwrap();
    assert_eq!(f.promotion.digest, D2);
    assert!(f.promotion.noop, "promote already points at D2");
    assert_eq!(f.promotion.source.tag, None);
    assert_eq!(f.promotion.reason.as_deref(), Some("release"));
    assert_eq!(
        f.image.reference.as_deref(),
        Some(format!("reg/dev/app@{D2}").as_str())
    );
    assert!(f
        .warnings
        .iter()
        .any(|w| w.contains(&format!("oc get isimage app@{D2} -n dev"))));
    assert_eq!(f.targets.len(), 0);
    assert!(f.discovery.contains("(0 of 0 workloads"), "{}", f.discovery);
}

#[test]
fn deployment_annotation_triggers_are_discovered_and_read_leniently() {
    let mut o = objects();
    let from = r#"{"kind":"ImageStreamTag","name":"app:promote","namespace":"dev"}"#;
    o.deployments.push(deployment(&format!(
        r#"[{{"from":{from},"fieldPath":"{FP}"}}]"#
    )));
    let f = build(&o, "dev/app:latest").unwrap();
    let t = &f.targets[0];
    assert_eq!(
        (t.kind.as_str(), t.service_account.as_str()),
        ("Deployment", "runner")
    );
    assert_eq!((t.latest_version, t.rollout_in_progress), (None, None));
    assert!(t.triggers[0].automatic && t.triggers[0].consumes_promotion);
    assert_eq!(t.triggers[0].containers, ["web"]);
    assert!(t.will_roll_out_automatically);
    assert!(!t.containers[0].pinned && t.containers[0].triggered);

    // the 4.14/4.15 console's string "paused": OpenShift rejects the annotation
    o.deployments = vec![deployment(&format!(
        r#"[{{"from":{from},"fieldPath":"{FP}","paused":"false"}}]"#
    ))]
    .into();
    let f = build(&o, "dev/app:latest").unwrap();
    let tr = &f.targets[0].triggers[0];
    assert!(!tr.automatic && tr.paused);
    assert!(tr
        .problem
        .as_deref()
        .unwrap()
        .contains("rejects the whole annotation"));
    assert!(!f.targets[0].will_roll_out_automatically);
    assert!(!f.targets[0].containers[0].triggered);
    assert!(f.warnings.iter().any(|w| w.contains("Deployment prod/web")));

    // the 4.6–4.13 console's "pause": ignored by OpenShift, the trigger fires
    o.deployments = vec![deployment(&format!(
        r#"[{{"from":{from},"fieldPath":"{FP}","pause":"true"}}]"#
    ))]
    .into();
    let f = build(&o, "dev/app:latest").unwrap();
    let tr = &f.targets[0].triggers[0];
    assert!(tr.automatic);
    assert!(tr.problem.as_deref().unwrap().contains("NOT paused"));
    assert!(f.targets[0].will_roll_out_automatically);

    // a paused Deployment does not roll out even with an active trigger
    o.deployments = vec![deployment(&format!(
        r#"[{{"from":{from},"fieldPath":"{FP}"}}]"#
    ))]
    .into();
    o.deployments[0].spec.paused = Some(true);
    assert!(!build(&o, "dev/app:latest").unwrap().targets[0].will_roll_out_automatically);
}

#[test]
fn pull_rights_follow_subjects_and_roles() {
    let mut o = objects();
    let from = r#"{"kind":"ImageStreamTag","name":"app:promote","namespace":"dev"}"#;
    o.deployments.push(deployment(&format!(
        r#"[{{"from":{from},"fieldPath":"{FP}"}}]"#
    )));
    let pull = |o: &ClusterObjects| build(o, "dev/app:latest").unwrap().targets[0].clone();

    // dev has bindings, none for prod: a complete picture says false
    o.rolebindings.push(rb(
        "dev",
        "system:image-pullers",
        "ClusterRole",
        "system:image-puller",
        json!({"kind": "Group", "name": "system:serviceaccounts:dev"}),
    ));
    assert_eq!(pull(&o).can_pull, Some(false));

    // `view` grants pull (4.2+); a Group of all service accounts matches
    o.rolebindings.push(rb(
        "dev",
        "view",
        "ClusterRole",
        "view",
        json!({"kind": "Group", "name": "system:serviceaccounts"}),
    ));
    let t = pull(&o);
    assert_eq!(t.can_pull, Some(true));
    assert_eq!(t.pull_grants[0].role, "view");
    o.rolebindings.pop();

    // the SA by kind, and by its full user name
    o.rolebindings.push(rb(
        "dev",
        "sa",
        "ClusterRole",
        "system:image-puller",
        json!({"kind": "ServiceAccount", "name": "runner", "namespace": "prod"}),
    ));
    assert_eq!(pull(&o).can_pull, Some(true));
    o.rolebindings.pop();
    o.rolebindings.push(rb(
        "dev",
        "user",
        "ClusterRole",
        "registry-viewer",
        json!({"kind": "User", "name": "system:serviceaccount:prod:runner"}),
    ));
    assert_eq!(pull(&o).can_pull, Some(true));
    o.rolebindings.pop();

    // a matching binding to a role whose rules are unknown: cannot tell
    o.rolebindings.push(rb(
        "dev",
        "custom",
        "Role",
        "pullers",
        json!({"kind": "Group", "name": "system:serviceaccounts:prod"}),
    ));
    let f = build(&o, "dev/app:latest").unwrap();
    assert_eq!(f.targets[0].can_pull, None);
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("oc get role pullers -n dev")),
        "{:?}",
        f.warnings
    );
    // … and known once the Role is there
    o.roles.push(de(json!({"kind": "Role", "metadata": {"name": "pullers", "namespace": "dev"},
        "rules": [{"apiGroups": ["image.openshift.io"], "resources": ["imagestreams/layers"], "verbs": ["get"]}]})));
    let f = build(&o, "dev/app:latest").unwrap();
    assert_eq!(f.targets[0].can_pull, Some(true));
    assert!(f.rbac.pullers.iter().any(|p| p.via == "dev/custom"));
    assert!(f.rbac.pullers.iter().any(|p| p.via == "cluster-admin"));

    // no RoleBinding at all in dev: unreadable, so unknown rather than false
    o.rolebindings.retain(|b| b.metadata.ns() != "dev");
    let f = build(&o, "dev/app:latest").unwrap();
    assert_eq!(f.rbac.unreadable, ["rolebindings in dev"]);
    assert_eq!(f.targets[0].can_pull, None);
}

#[test]
fn environments_cover_configured_and_involved_namespaces() {
    let s = Settings::parse(
        "environments:\n  production:\n    namespaces: [prod]\n    params: {max_age_days: 3}\n",
        "t.yaml",
    )
    .unwrap();
    let mut o = objects();
    let from = r#"{"kind":"ImageStreamTag","name":"app:promote"}"#;
    o.deployments.push(deployment(&format!(
        r#"[{{"from":{from},"fieldPath":"{FP}"}}]"#
    )));
    let f = build_facts(&o, &req("dev/app:latest"), &s).unwrap();
    assert_eq!(
        f.targets.len(),
        0,
        "from.namespace defaults to prod: not the destination"
    );
    o.deployments[0].metadata.namespace = Some("dev".into());
    let f = build_facts(&o, &req("dev/app:latest"), &s).unwrap();
    assert_eq!(f.targets[0].environment, "dev");
    assert_eq!(f.environments["production"].params["max_age_days"], 3);
    assert_eq!(f.environments["dev"].namespaces, ["dev"]);
}

/// Discovery's cheap pre-test must keep OpenShift's defaults: a `from` without kind is an
/// ImageStreamTag, without namespace the workload's own.
#[test]
fn discovery_applies_the_defaults_of_from() {
    let mut o = objects();
    let dc = |name: &str, from: Value| -> crate::openshift::DeploymentConfig {
        de(json!({"metadata": {"name": name, "namespace": "dev"},
                  "spec": {"template": {"spec": {"containers": [{"name": "c"}]}},
                           "triggers": [{"type": "ImageChange", "imageChangeParams": {
                               "automatic": true, "containerNames": ["c"], "from": from}}]}}))
    };
    o.dcs = vec![
        dc("defaulted", json!({"name": "app:promote"})),
        dc(
            "other-tag",
            json!({"kind": "ImageStreamTag", "name": "app:latest"}),
        ),
        dc(
            "other-ns",
            json!({"name": "app:promote", "namespace": "prod"}),
        ),
    ]
    .into();
    let from = r#"{"name":"app:promote","namespace":"dev"}"#;
    o.deployments.push(deployment(&format!(
        r#"[{{"from":{from},"fieldPath":"{FP}"}}]"#
    )));
    let f = build(&o, "dev/app:latest").unwrap();
    let found: Vec<String> = f.targets.iter().map(|t| t.name.clone()).collect();
    assert_eq!(found, ["defaulted", "web"]);
}
