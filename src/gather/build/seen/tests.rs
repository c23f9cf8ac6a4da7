//! `image.seen` from hand-made streams and rollouts: stretches, order, unknowns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use super::*;

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn de<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn ev(d: &str, at: &str) -> Value {
    json!({"created": at, "dockerImageReference": format!("reg/dev/app@{d}"), "image": d})
}

fn rc(ns: &str, version: i64, at: &str, phase: &str, digest: &str) -> Value {
    json!({"metadata": {"name": format!("app-{version}"), "namespace": ns,
                        "creationTimestamp": at,
                        "labels": {"openshift.io/deployment-config.name": "app"},
                        "annotations": {"openshift.io/deployment.phase": phase}},
           "spec": {"template": {"spec": {"containers": [
               {"name": "app", "image": format!("reg/dev/app@{digest}")}]}}}})
}

fn settings() -> Settings {
    Settings::parse(
        "environments:\n  stage: {namespaces: [stage-a, stage-b]}\n  prod: {namespaces: [prod], after: stage}\n",
        "t.yaml",
    )
    .unwrap()
}

#[test]
fn tag_stretches_and_rollouts_per_environment_newest_first() {
    let objects = ClusterObjects {
        // D1 was tagged, replaced by D2, then tagged again: two stretches.
        streams: vec![de(
            json!({"metadata": {"name": "app", "namespace": "stage-a"},
            "status": {"tags": [{"tag": "live", "items": [
                ev(D1, "2024-03-04T00:00:00+01:00"),
                ev(D2, "2024-03-02T00:00:00Z"),
                ev(D1, "2024-03-01T00:00:00Z")]}]}}),
        )]
        .into(),
        rcs: vec![
            de(rc("stage-b", 1, "2024-03-01T12:00:00Z", "Complete", D1)),
            // A failed rollout of another image leaves v1 running.
            de(rc("stage-b", 2, "2024-03-02T12:00:00Z", "Failed", D2)),
            de(rc("stage-b", 3, "2024-03-03T12:00:00Z", "Complete", D2)),
            // Not a DeploymentConfig's rollout: ignored.
            de(json!({"metadata": {"name": "plain", "namespace": "prod"},
                "spec": {"template": {"spec": {"containers": [{"image": format!("x@{D1}")}]}}}})),
        ]
        .into(),
        ..Default::default()
    };
    let envs = BTreeSet::from(["prod".to_string(), "stage".to_string()]);
    let seen = seen_facts(&objects, D1, &settings(), &envs);
    let stage = serde_json::to_value(&seen["stage"]).unwrap();
    assert_eq!(
        stage["tags"],
        json!([
            {"namespace": "stage-a", "stream": "app", "tag": "live",
             "since": "2024-03-03T23:00:00Z", "until": null},
            {"namespace": "stage-a", "stream": "app", "tag": "live",
             "since": "2024-03-01T00:00:00Z", "until": "2024-03-02T00:00:00Z"},
        ])
    );
    assert_eq!(
        stage["runs"],
        json!([{"kind": "DeploymentConfig", "namespace": "stage-b", "name": "app",
                "since": "2024-03-01T12:00:00Z", "until": "2024-03-03T12:00:00Z",
                "failed": false}])
    );
    assert_eq!(
        seen["prod"],
        Seen {
            tags: Some(vec![]),
            runs: Some(vec![])
        }
    );
    assert_eq!(seen.len(), 2);
}

#[test]
fn unread_namespaces_make_their_environment_unknown() {
    let mut objects = ClusterObjects::default();
    objects.history_unread.rollouts.insert("stage-b".into());
    objects.history_unread.streams.insert("elsewhere".into());
    let envs = BTreeSet::from(["stage".to_string()]);
    let seen = seen_facts(&objects, D1, &settings(), &envs);
    assert_eq!(
        seen["stage"],
        Seen {
            tags: Some(vec![]),
            runs: None
        }
    );
    assert_eq!(
        seen["elsewhere"],
        Seen {
            tags: None,
            runs: Some(vec![])
        }
    );
}

#[test]
fn a_snapshot_without_an_environments_rollouts_leaves_them_unknown() {
    let settings = settings();
    let objects = ClusterObjects {
        origin: "snapshot x".into(),
        rcs: vec![de(rc("stage-b", 1, "2024-03-01T12:00:00Z", "Complete", D1))].into(),
        ..Default::default()
    };
    let envs = BTreeSet::from(["prod".to_string(), "stage".to_string()]);
    let mut seen = seen_facts(&objects, D1, &settings, &envs);
    let mut target = crate::facts::sample_facts().targets.remove(0);
    target.previous_environment = Some("prod".into());
    let mut warnings = vec![];
    mark_unexported(&objects, &settings, &[target], &mut seen, &mut warnings);
    // stage has a rollout and no stream; prod has neither. Only prod is wanted: warned.
    assert_eq!(seen["stage"].tags, None);
    assert_eq!(seen["stage"].runs.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        seen["prod"],
        Seen {
            tags: None,
            runs: None
        }
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("the snapshot x has no ReplicationControllers or ReplicaSets in environment prod (prod)"),
        "{warnings:?}"
    );
    assert!(
        warnings[0].ends_with("add them with `oc get rc,rs -n prod -o yaml`"),
        "{warnings:?}"
    );
    // Live objects were read, not exported: nothing changes.
    let live = ClusterObjects {
        provenance: Provenance::Cluster,
        ..Default::default()
    };
    let mut seen = seen_facts(&live, D1, &settings, &envs);
    mark_unexported(&live, &settings, &[], &mut seen, &mut warnings);
    assert_eq!(seen["prod"].runs, Some(vec![]));
}

#[test]
fn a_start_that_is_not_a_time_is_unknown() {
    let objects = ClusterObjects {
        rcs: vec![de(rc("stage-b", 1, "yesterday", "Complete", D1))].into(),
        ..Default::default()
    };
    let seen = seen_facts(&objects, D1, &settings(), &BTreeSet::new());
    let runs = seen["stage"].runs.as_ref().unwrap();
    assert_eq!((runs.len(), runs[0].since.as_deref()), (1, None));
}

#[test]
fn replicasets_are_rollouts_of_their_deployment_in_revision_order() {
    let rs = |name: &str, rev: &str, at: &str, digest: &str, owner: &str| -> Value {
        json!({"metadata": {"name": name, "namespace": "stage-a", "creationTimestamp": at,
                            "annotations": {"deployment.kubernetes.io/revision": rev},
                            "ownerReferences": [{"kind": owner, "name": "web", "uid": "u"}]},
               "spec": {"template": {"spec": {"containers": [
                   {"name": "web", "image": format!("reg/x/web@{digest}")}]}}}})
    };
    let objects = ClusterObjects {
        replicasets: vec![
            // Listed out of order: revision 10 follows revision 9, not "1…".
            de(rs("web-b", "10", "2024-03-05T00:00:00Z", D2, "Deployment")),
            de(rs("web-a", "9", "2024-03-04T00:00:00Z", D1, "Deployment")),
            // Owned by something else: not a Deployment's rollout.
            de(rs("other", "1", "2024-03-01T00:00:00Z", D1, "StatefulSet")),
        ]
        .into(),
        ..Default::default()
    };
    let seen = seen_facts(&objects, D1, &settings(), &BTreeSet::new());
    let runs = serde_json::to_value(&seen["stage"].runs).unwrap();
    assert_eq!(
        runs,
        json!([{"kind": "Deployment", "namespace": "stage-a", "name": "web",
                "since": "2024-03-04T00:00:00Z", "until": "2024-03-05T00:00:00Z",
                "failed": false}])
    );
}
