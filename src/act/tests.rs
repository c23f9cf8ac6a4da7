//! Unit tests of the pure parts of acting: request bodies, rollout status, restore commands.

use serde_json::json;

use super::receipt::Receipt;
use super::retag::{istag_body, tag_reference};
use super::wait::{dc_poll, deployment_poll, Poll};
use super::*;
use crate::facts::sample_facts;
use crate::openshift::{Deployment, DeploymentConfig, ReplicationController, TagReference};
use crate::plan::rules_digest;

fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn receipt() -> Receipt {
    Receipt {
        decision: "allow".into(),
        rules_digest: "sha256:r".into(),
        promoted_by: None,
        promoted_at: "2024-03-05T12:00:00Z".into(),
        reason: None,
    }
}

#[test]
fn the_istag_body_is_oc_tags_pinned_to_the_digest_with_the_receipt() {
    let f = sample_facts();
    let existing = json!({ "name": "promote", "annotations": { "team": "web", ANN_DECISION: "old" },
        "referencePolicy": { "type": "Local" } });
    let existing: TagReference = typed(existing);
    let tagref = tag_reference(&f, Some(&existing), &receipt());
    let body = istag_body(&f, &tagref, Some("42"));
    let d = &f.promotion.destination;
    assert_eq!(body["kind"], "ImageStreamTag");
    assert_eq!(
        body["metadata"]["name"],
        format!("{}:{}", d.stream, d.tag.as_deref().unwrap_or(""))
    );
    assert_eq!(body["metadata"]["resourceVersion"], "42");
    assert_eq!(body["tag"]["from"]["kind"], "ImageStreamImage");
    assert_eq!(
        body["tag"]["from"]["name"],
        format!("{}@{}", f.promotion.source.stream, f.promotion.digest)
    );
    assert_eq!(body["tag"]["referencePolicy"]["type"], "Local", "kept");
    let ann = &body["metadata"]["annotations"];
    assert_eq!(ann["team"], "web", "other annotations are kept");
    assert_eq!(ann[ANN_DECISION], "allow");
    assert_eq!(ann[ANN_DIGEST], f.promotion.digest.as_str());
    assert!(
        ann.get(ANN_PROMOTED_BY).is_none(),
        "absent values are left out"
    );
    assert_eq!(body["tag"]["annotations"], *ann);
    let create = istag_body(&f, &tagref, None);
    assert!(create["metadata"].get("resourceVersion").is_none());
}

#[test]
fn rules_digest_ignores_order_but_not_content() {
    let a = rules_digest([("a", "deny(1)"), ("b", "x")]);
    assert_eq!(a, rules_digest([("b", "x"), ("a", "deny(1)")]));
    assert_ne!(a, rules_digest([("a", "deny(2)"), ("b", "x")]));
    assert_ne!(rules_digest([("ab", "c")]), rules_digest([("a", "bc")]));
    assert!(a.starts_with("sha256:") && a.len() == 71, "{a}");
}

#[test]
fn restore_goes_back_to_the_previous_digest() {
    let mut f = sample_facts();
    let old = f.destination.digest.clone().unwrap_or_default();
    let d = f.promotion.destination.clone();
    let want = format!("oc tag {}/{}@{old} {}", d.namespace, d.stream, d.reference);
    assert_eq!(restore_command(&f).as_deref(), Some(want.as_str()));
    // A re-run: the destination already points at the digest; history remembers the one before.
    f.destination.digest = Some(f.promotion.digest.clone());
    f.destination.history.insert(
        0,
        crate::facts::HistoryEntry {
            digest: f.promotion.digest.clone(),
            created: None,
        },
    );
    assert_eq!(restore_command(&f).as_deref(), Some(want.as_str()));
    f.destination = crate::facts::Destination {
        exists: Some(false),
        digest: None,
        image_created: None,
        from: None,
        tracking: None,
        reference_policy: None,
        history: vec![],
    };
    assert_eq!(
        restore_command(&f),
        Some(format!("oc tag -d {}", d.reference))
    );
}

fn dc(
    latest: i64,
    gen: i64,
    observed: i64,
    reason: &str,
    message: &str,
    image: &str,
) -> DeploymentConfig {
    typed(json!({
        "metadata": { "name": "app", "generation": gen },
        "spec": { "template": { "spec": { "containers": [{ "name": "app", "image": image }] } } },
        "status": { "latestVersion": latest, "observedGeneration": observed,
            "conditions": [{ "type": "Progressing", "reason": reason, "message": message }] },
    }))
}

fn rc(phase: &str) -> ReplicationController {
    typed(json!({ "metadata": { "annotations": { "openshift.io/deployment.phase": phase } } }))
}

#[test]
fn dc_rollout_status_follows_oc_rollout_status() {
    let names = vec!["app".to_string()];
    let d = "sha256:abc";
    let img = "r/ns/app@sha256:abc";
    let done = "replication controller \"app-2\" successfully rolled out";
    let old_done = "replication controller \"app-1\" successfully rolled out";
    let poll =
        |dc: &DeploymentConfig, rc: Option<&ReplicationController>| dc_poll(dc, rc, 1, &names, d);
    assert!(matches!(
        poll(
            &dc(1, 3, 3, "NewReplicationControllerAvailable", old_done, img),
            None
        ),
        Poll::Pending(_)
    ));
    assert!(matches!(
        poll(
            &dc(2, 4, 3, "NewReplicationControllerAvailable", old_done, img),
            None
        ),
        Poll::Pending(_)
    ));
    // A stale condition about the previous RC is not taken for this rollout's success.
    assert!(matches!(
        poll(
            &dc(2, 4, 4, "NewReplicationControllerAvailable", old_done, img),
            Some(&rc("Running"))
        ),
        Poll::Pending(_)
    ));
    assert!(matches!(
        poll(
            &dc(2, 4, 4, "NewReplicationControllerAvailable", done, img),
            None
        ),
        Poll::Done(_)
    ));
    assert!(matches!(
        poll(
            &dc(2, 4, 4, "NewReplicationControllerCreated", "", img),
            Some(&rc("Complete"))
        ),
        Poll::Done(_)
    ));
    let Poll::Failed(why) = poll(
        &dc(2, 4, 4, "ProgressDeadlineExceeded", "too slow", img),
        Some(&rc("Failed")),
    ) else {
        panic!("not failed");
    };
    assert!(why.contains("ProgressDeadlineExceeded: too slow"), "{why}");
    assert!(matches!(
        poll(&dc(2, 4, 4, "RolloutCancelled", "", img), None),
        Poll::Failed(_)
    ));
    let Poll::Failed(why) = poll(
        &dc(
            2,
            4,
            4,
            "NewReplicationControllerAvailable",
            done,
            "r/ns/app@sha256:old",
        ),
        None,
    ) else {
        panic!("a completed rollout of another image is not done");
    };
    assert!(why.contains("instead of"), "{why}");
}

#[test]
fn deployment_status_needs_the_image_and_the_controller() {
    let names = vec!["web".to_string()];
    let dep = |image: &str, gen: i64, observed: i64, reason: &str| -> Deployment {
        typed(json!({
            "metadata": { "generation": gen },
            "spec": { "replicas": 2, "template": { "spec": { "containers": [{ "name": "web", "image": image }] } } },
            "status": { "observedGeneration": observed, "updatedReplicas": 2, "availableReplicas": 2,
                "conditions": [{ "type": "Progressing", "reason": reason }] },
        }))
    };
    let d = "sha256:abc";
    assert!(matches!(
        deployment_poll(&dep("x@sha256:old", 2, 2, ""), &names, d),
        Poll::Pending(_)
    ));
    assert!(matches!(
        deployment_poll(&dep("x@sha256:abc", 3, 2, ""), &names, d),
        Poll::Pending(_)
    ));
    assert!(matches!(
        deployment_poll(
            &dep("x@sha256:abc", 3, 3, "NewReplicaSetAvailable"),
            &names,
            d
        ),
        Poll::Done(_)
    ));
    assert!(matches!(
        deployment_poll(
            &dep("x@sha256:abc", 3, 3, "ProgressDeadlineExceeded"),
            &names,
            d
        ),
        Poll::Failed(_)
    ));
    assert!(dep("x@sha256:abc", 1, 1, "")
        .spec
        .template
        .spec
        .runs(&names, d));
    assert!(
        !dep("x@sha256:abc", 1, 1, "")
            .spec
            .template
            .spec
            .runs(&[], d),
        "no triggered container: unknown"
    );
}

#[test]
fn outcomes_map_to_the_exit_table() {
    let out = |state| ActOutcome {
        actions: vec![],
        state,
    };
    assert_eq!(out(ActState::Done).exit_status(), ExitStatus::Allowed);
    assert_eq!(
        out(ActState::Aborted { why: "x".into() }).exit_status(),
        ExitStatus::Error
    );
    let partial = ActState::Partial {
        why: "x".into(),
        restore_command: None,
    };
    assert_eq!(out(partial).exit_status(), ExitStatus::Partial);
}
