//! Acting on a live cluster (`tollgate::act::execute`) against the in-process API emulator,
//! seeded with the example states `c-manual-trigger` and `b-automatic-trigger`.

mod helpers;

use crate::crate_api::{act, facts_now, options, seeded};
use helpers::*;
use serde_json::json;
use tollgate::act::{
    ActState, ANN_DECISION, ANN_DIGEST, ANN_PROMOTED_BY, ANN_REASON, ANN_RULES_DIGEST,
};
use tollgate::exit::ExitStatus;
use tollgate::plan::RolloutMode;
use tollgate_emulator::{Fault, FaultRule, RolloutOutcome};

#[tokio::test]
async fn manual_dc_is_retagged_instantiated_and_followed() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    let (out, lines) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    assert_eq!(out.exit_status(), ExitStatus::Allowed);
    assert_eq!(statuses(&out), ["Retag Done", "Rollout Done", "Wait Done"]);
    assert!(
        out.actions[1].detail.contains("rollout #2"),
        "{}",
        out.actions[1].detail
    );

    // Exactly two writes: the oc-tag PUT, then instantiate.
    assert_eq!(
        write_lines(&emu),
        [format!("PUT {ISTAG_PUT}"), format!("POST {INSTANTIATE}")]
    );
    let put = writes(&emu)[0].body.clone().unwrap();
    assert_eq!(put["kind"], "ImageStreamTag");
    assert_eq!(
        put["tag"]["from"],
        json!({ "kind": "ImageStreamImage", "namespace": "dev", "name": format!("simple-app@{NEW}") })
    );
    assert!(
        put["metadata"]["resourceVersion"].is_string(),
        "conditional write: {put}"
    );
    let ann = &put["metadata"]["annotations"];
    assert_eq!(ann[ANN_DIGEST], NEW);
    assert_eq!(ann[ANN_DECISION], "allow");
    assert_eq!(ann[ANN_RULES_DIGEST], "sha256:rules");
    assert_eq!(ann[ANN_PROMOTED_BY], "system:serviceaccount:ci:tollgate");
    assert_eq!(ann[ANN_REASON], "release 2.0");
    let instantiate = writes(&emu)[1].body.clone().unwrap();
    assert_eq!(
        instantiate,
        json!({ "kind": "DeploymentRequest", "apiVersion": "apps.openshift.io/v1", "name": "simple-app", "latest": true, "force": true })
    );

    // The receipt stays on the spec tag; prod runs the promoted digest.
    let tag = spec_tags(&emu)
        .into_iter()
        .find(|t| t["name"] == "promote")
        .unwrap();
    assert_eq!(tag["annotations"][ANN_DIGEST], NEW);
    assert!(
        dc_image(&emu).ends_with(&format!("@{NEW}")),
        "{}",
        dc_image(&emu)
    );
    assert_eq!(latest_version(&emu), 2);
    assert!(
        lines.iter().any(|l| l.contains("rollout #2 complete")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn automatic_dc_is_not_instantiated_but_followed() {
    let (emu, facts) = seeded("b-automatic-trigger").await;
    let (out, lines) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    assert_eq!(
        statuses(&out),
        ["Retag Done", "Rollout Skipped", "Wait Done"]
    );
    assert!(
        out.actions[1].detail.contains("rolls out by itself"),
        "{}",
        out.actions[1].detail
    );
    assert_eq!(write_lines(&emu), [format!("PUT {ISTAG_PUT}")]);
    assert_eq!(emu.count("POST", INSTANTIATE), 0);
    assert_eq!(latest_version(&emu), 2, "one rollout, by the trigger");
    assert!(dc_image(&emu).ends_with(&format!("@{NEW}")));
    assert!(
        lines.iter().any(|l| l.contains("rollout #2 complete")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn running_again_on_the_promoted_state_writes_nothing() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    let (first, _) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    assert_eq!(first.state, ActState::Done, "{:#?}", first.actions);
    emu.reset_accounting();

    let again = facts_now(&emu);
    assert!(again.promotion.noop);
    let (out, _) = act(&emu, &again, &options(RolloutMode::Auto, true)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    assert_eq!(
        statuses(&out),
        ["Retag Skipped", "Rollout Skipped", "Wait Skipped"]
    );
    assert!(out.actions[0]
        .detail
        .starts_with(&format!("already at {NEW}")));
    assert_eq!(out.actions[1].detail, format!("already runs {NEW}"));
    assert!(writes(&emu).is_empty(), "{:?}", write_lines(&emu));
    assert_eq!(latest_version(&emu), 2);
}

#[tokio::test]
async fn a_conflict_is_retried_without_clobbering_other_tags() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    // Another tag on the stream, which a sloppy retag (merge patch of spec.tags) would wipe.
    emu.modify(tollgate_emulator::res::IMAGESTREAMS, "dev", "simple-app", |s| {
        s["spec"]["tags"].as_array_mut().unwrap().push(json!({
            "name": "stable", "annotations": { "owner": "qa" },
            "from": { "kind": "ImageStreamImage", "namespace": "dev", "name": format!("simple-app@{OLD}") },
            "referencePolicy": { "type": "Source" }, "importPolicy": {},
        }));
    });
    let before = other_tags(&emu);
    emu.inject(
        FaultRule::new(
            "PUT",
            "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags/*",
            Fault::Status(409),
        )
        .times(1),
    );

    let (out, _) = act(&emu, &facts, &options(RolloutMode::Never, false)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    assert_eq!(statuses(&out), ["Retag Done", "Rollout Skipped"]);
    assert!(
        out.actions[0].detail.contains("after 1 conflict"),
        "{}",
        out.actions[0].detail
    );
    assert_eq!(emu.count("PUT", ISTAG_PUT), 2);
    assert_eq!(other_tags(&emu), before);
    let stream = emu.image_stream("dev", "simple-app").unwrap();
    let status = stream["status"]["tags"].as_array().unwrap();
    for (tag, digest) in [("latest", NEW), ("promote", NEW)] {
        let t = status.iter().find(|t| t["tag"] == tag).unwrap();
        assert_eq!(t["items"][0]["image"], digest, "{tag}");
    }
    assert_eq!(emu.count("POST", INSTANTIATE), 0, "--rollout never");
}

#[tokio::test]
async fn a_source_moved_since_the_facts_aborts_before_any_write() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    let newer = format!("sha256:{}", "3".repeat(64));
    emu.push_image("dev", "simple-app", "latest", &newer, json!({}));
    emu.reset_accounting();

    let (out, lines) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    let ActState::Aborted { why } = &out.state else {
        panic!("expected an abort: {:#?}", out);
    };
    assert!(
        why.contains("dev/simple-app:latest now points at sha256:333333333333"),
        "{why}"
    );
    assert_eq!(out.exit_status(), ExitStatus::Error);
    assert_eq!(
        statuses(&out),
        ["Retag Failed", "Rollout Skipped", "Wait Skipped"]
    );
    assert!(writes(&emu).is_empty(), "{:?}", write_lines(&emu));
    assert!(lines[0].contains("nothing written"), "{lines:?}");
}

#[tokio::test]
async fn instantiate_failing_after_the_retag_is_partial_then_converges() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    emu.inject(FaultRule::new("POST", INSTANTIATE, Fault::Status(500)).times(1));
    let (out, _) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    let ActState::Partial {
        why,
        restore_command,
    } = &out.state
    else {
        panic!("expected a partial failure: {:#?}", out);
    };
    assert_eq!(out.exit_status(), ExitStatus::Partial);
    assert_eq!(
        statuses(&out),
        ["Retag Done", "Rollout Failed", "Wait Skipped"]
    );
    assert!(
        out.actions[1].detail.contains("500"),
        "{}",
        out.actions[1].detail
    );
    assert_eq!(
        restore_command.as_deref(),
        Some(format!("oc tag dev/simple-app@{OLD} dev/simple-app:promote").as_str())
    );
    assert!(
        why.contains("dev/simple-app:promote now points at sha256:7c3e0f5a2b9d"),
        "{why}"
    );
    assert!(why.contains("not rolled out: prod/dc/simple-app"), "{why}");
    assert!(
        why.contains(&format!(
            "tollgate promote dev/simple-app@{OLD} dev/simple-app:promote"
        )),
        "{why}"
    );
    assert_eq!(latest_version(&emu), 1);

    // Run again on what the cluster holds now: no second retag, only the missing rollout.
    emu.reset_accounting();
    let (again, _) = act(&emu, &facts_now(&emu), &options(RolloutMode::Auto, true)).await;
    assert_eq!(again.state, ActState::Done, "{:#?}", again.actions);
    assert_eq!(
        statuses(&again),
        ["Retag Skipped", "Rollout Done", "Wait Done"]
    );
    assert_eq!(write_lines(&emu), [format!("POST {INSTANTIATE}")]);
    assert!(dc_image(&emu).ends_with(&format!("@{NEW}")));
}

#[tokio::test]
async fn a_dropped_connection_mid_wait_is_survived() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    // Only the wait reads RC simple-app-2 (the preconditions read simple-app-1).
    emu.inject(FaultRule::new("GET", RC2, Fault::Drop).times(1));
    let (out, _) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    assert_eq!(statuses(&out), ["Retag Done", "Rollout Done", "Wait Done"]);
    let dropped = emu
        .requests()
        .into_iter()
        .filter(|r| r.fault == Some(Fault::Drop))
        .count();
    assert_eq!(dropped, 1);
    assert!(emu.count("GET", RC2) >= 2);
}

#[tokio::test]
async fn a_failed_rollout_is_partial_and_a_rerun_rolls_out_again() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    emu.set_next_rollout("prod", "simple-app", RolloutOutcome::Fail);
    let (out, _) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    let ActState::Partial {
        why,
        restore_command,
    } = &out.state
    else {
        panic!("expected a partial failure: {:#?}", out);
    };
    assert_eq!(
        statuses(&out),
        ["Retag Done", "Rollout Done", "Wait Failed"]
    );
    assert!(
        out.actions[2].detail.contains("ProgressDeadlineExceeded"),
        "{}",
        out.actions[2].detail
    );
    assert!(why.contains("ProgressDeadlineExceeded"), "{why}");
    assert!(restore_command.as_deref().unwrap().contains(OLD));

    emu.reset_accounting();
    let again = facts_now(&emu);
    assert_eq!(again.targets[0].latest_version, Some(2));
    let (out, _) = act(&emu, &again, &options(RolloutMode::Auto, true)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    assert_eq!(
        statuses(&out),
        ["Retag Skipped", "Rollout Done", "Wait Done"]
    );
    assert!(
        out.actions[1].detail.contains("rollout #3"),
        "{}",
        out.actions[1].detail
    );
    assert_eq!(write_lines(&emu), [format!("POST {INSTANTIATE}")]);
}

#[tokio::test]
async fn a_deployment_with_a_paused_trigger_gets_the_promoted_image() {
    let (emu, _) = seeded("c-manual-trigger").await;
    emu.seed_yaml(PAUSED_TRIGGER_DEPLOYMENT).unwrap();
    emu.run_controllers();
    let facts = facts_now(&emu);
    let web = facts.targets.iter().position(|t| t.name == "web").unwrap();
    assert!(!facts.targets[web].will_roll_out_automatically);
    emu.reset_accounting();

    let (out, _) = act(&emu, &facts, &options(RolloutMode::Auto, true)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    let rollout = &out.actions[1 + web];
    assert_eq!(rollout.target, "prod/deployment/web");
    let pull = tollgate_emulator::imageutil::pull_spec("dev", "simple-app", NEW);
    assert_eq!(
        rollout.detail,
        format!("set image of container web to {pull}")
    );
    let put_path = "/apis/apps/v1/namespaces/prod/deployments/web";
    assert!(
        write_lines(&emu).contains(&format!("PUT {put_path}")),
        "{:?}",
        write_lines(&emu)
    );
    let put = writes(&emu)
        .into_iter()
        .find(|r| r.path == put_path)
        .unwrap();
    assert!(put.body.unwrap()["metadata"]["resourceVersion"].is_string());
    let dep = emu.deployment("prod", "web").unwrap();
    let containers = &dep["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers[0]["image"], pull.as_str());
    assert_eq!(
        containers[1]["image"], "quay.io/example/proxy:1",
        "untriggered container kept"
    );
    let wait = out
        .actions
        .iter()
        .rfind(|a| a.target == "prod/deployment/web")
        .unwrap();
    assert_eq!(wait.detail, format!("rolled out; runs {NEW}"));

    // And once more: nothing left to do for either target.
    emu.reset_accounting();
    let (again, _) = act(&emu, &facts_now(&emu), &options(RolloutMode::Auto, true)).await;
    assert_eq!(again.state, ActState::Done, "{:#?}", again.actions);
    assert!(writes(&emu).is_empty(), "{:?}", write_lines(&emu));
}

#[tokio::test]
async fn servers_without_istag_writes_or_instantiate_get_ocs_fallbacks() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    let istags = "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags";
    emu.inject(FaultRule::new("PUT", ISTAG_PUT, Fault::Status(405)).times(1));
    emu.inject(FaultRule::new("POST", istags, Fault::Status(405)).times(1));
    emu.inject(FaultRule::new("POST", INSTANTIATE, Fault::Status(404)).times(1));
    let (out, _) = act(&emu, &facts, &options(RolloutMode::Auto, false)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    let stream = "/apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app";
    let dc = "/apis/apps.openshift.io/v1/namespaces/prod/deploymentconfigs/simple-app";
    assert_eq!(
        write_lines(&emu),
        [
            format!("PUT {ISTAG_PUT}"),
            format!("POST {istags}"),
            format!("PUT {stream}"),
            format!("POST {INSTANTIATE}"),
            format!("PUT {dc}"),
        ]
    );
    // The legacy stream update replaced one spec tag, conditionally, receipt included.
    let put = writes(&emu)[2].body.clone().unwrap();
    assert!(put["metadata"]["resourceVersion"].is_string());
    let tag = spec_tags(&emu)
        .into_iter()
        .find(|t| t["name"] == "promote")
        .unwrap();
    assert_eq!(tag["from"]["name"], format!("simple-app@{NEW}"));
    assert_eq!(tag["annotations"][ANN_DIGEST], NEW);
    // latestVersion + 1, exactly.
    assert_eq!(
        writes(&emu)[4].body.clone().unwrap()["status"]["latestVersion"],
        2
    );
    assert_eq!(latest_version(&emu), 2);
}

#[tokio::test]
async fn the_stream_update_fallback_sends_back_everything_but_the_one_tag() {
    let (emu, facts) = seeded("c-manual-trigger").await;
    // Fields the typed ImageStream does not model, and nulls/omissions as the API server
    // writes them: all must go back exactly as read.
    emu.modify(
        tollgate_emulator::res::IMAGESTREAMS,
        "dev",
        "simple-app",
        |s| {
            s["metadata"]["labels"] = json!({ "app": "simple-app", "team": "web" });
            s["metadata"]["annotations"] =
                json!({ "openshift.io/image.dockerRepositoryCheck": "2024-03-05T09:00:00Z" });
            s["metadata"]["uid"] = json!("0b5e6d3c-1f2a-4c8e-9d7b-123456789abc");
            s["spec"]["lookupPolicy"] = json!({ "local": true });
            s["spec"]["futureField"] = json!({ "nested": [1, 2, 3] });
            s["spec"]["tags"].as_array_mut().unwrap().push(json!({
                "name": "stable", "annotations": null, "generation": 3,
                "from": { "kind": "DockerImage", "name": "quay.io/acme/simple-app:1.0" },
                "importPolicy": { "scheduled": true, "importMode": "PreserveOriginal" },
                "referencePolicy": { "type": "Local" },
            }));
        },
    );
    let before = emu.image_stream("dev", "simple-app").unwrap();
    let istags = "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags";
    emu.inject(FaultRule::new("PUT", ISTAG_PUT, Fault::Status(405)).times(1));
    emu.inject(FaultRule::new("POST", istags, Fault::Status(405)).times(1));

    let (out, _) = act(&emu, &facts, &options(RolloutMode::Never, false)).await;
    assert_eq!(out.state, ActState::Done, "{:#?}", out.actions);
    let put = writes(&emu)[2].body.clone().unwrap();
    assert_eq!(
        writes(&emu)[2].path,
        "/apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app"
    );
    // What was sent is what was read, but for the destination's spec tag.
    let without_promote = |mut s: serde_json::Value| {
        s["spec"]["tags"]
            .as_array_mut()
            .unwrap()
            .retain(|t| t["name"] != "promote");
        s
    };
    assert_eq!(
        without_promote(put.clone()),
        without_promote(before.clone())
    );
    // And the stored stream keeps every other tag, the lookup and import policies, labels
    // and annotations.
    let after = emu.image_stream("dev", "simple-app").unwrap();
    for pointer in [
        "/metadata/labels",
        "/metadata/annotations",
        "/spec/lookupPolicy",
        "/spec/futureField",
    ] {
        assert_eq!(after.pointer(pointer), before.pointer(pointer), "{pointer}");
    }
    let others = |s: &serde_json::Value| without_promote(s.clone())["spec"]["tags"].clone();
    assert_eq!(others(&after), others(&before));
    let promote = spec_tags(&emu)
        .into_iter()
        .find(|t| t["name"] == "promote")
        .unwrap();
    assert_eq!(promote["from"]["name"], format!("simple-app@{NEW}"));
}
