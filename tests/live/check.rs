//! `tollgate check|facts` against a live cluster: the in-process API emulator through a kubeconfig.
//!
//! The emulator runs on a multi-thread tokio runtime owned by the test; the CLI binary runs as
//! a child process, exactly as a pipeline runs it.

mod rbac;
mod seen;

use std::time::{Duration, Instant};

use crate::common::{rules_with, tollgate, DEST, NOW, SOURCE};
use crate::harness::{json, live, seed_dir, snapshot_check, stderr};
use serde_json::Value;
use tollgate_emulator::{Fault, FaultRule, LoggedRequest, DEFAULT_TOKEN, DEFAULT_USER};

const IS_PATH: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app";
const DEV_RB_PATH: &str = "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings";

fn assert_same_as_snapshot(state: &str, expected_deny: &[&str]) {
    let l = live(state);
    let (code, live_report) = l.check(&[]);
    let (snap_code, snap_report) = snapshot_check(state);
    assert_eq!(code, snap_code, "{state}: live {live_report:#}");
    assert_eq!(live_report["decision"], snap_report["decision"], "{state}");
    assert_eq!(
        rules_with(&live_report, "deny"),
        expected_deny,
        "{state}: {live_report:#}"
    );
    for outcome in ["deny", "error", "warn", "skip"] {
        assert_eq!(
            rules_with(&live_report, outcome),
            rules_with(&snap_report, outcome),
            "{state}: {outcome} differs"
        );
    }
    assert_eq!(
        live_report["promotion"]["digest"],
        snap_report["promotion"]["digest"]
    );
    assert_eq!(
        live_report["promotion"]["targets"],
        serde_json::json!(["prod/dc/simple-app"])
    );
    let facts = l.facts(&[]);
    assert_eq!(facts["promotion"]["requested_by"], DEFAULT_USER, "{state}");
    assert_eq!(
        facts["rbac"]["unreadable"],
        serde_json::json!([]),
        "{state}"
    );
    // The seeds bind nothing to the gate's own service account: the cluster says so (the
    // emulator answers reviews from its RBAC even when it does not enforce it).
    assert_eq!(facts["rbac"]["promoter_can_tag"], false, "{state}");
    assert_eq!(facts["rbac"]["promoter_can_roll_out"], false, "{state}");
}

#[test]
fn a_no_pull_rights_denied_like_the_snapshot() {
    assert_same_as_snapshot("a-no-pull-rights", &["target-can-pull"]);
}

#[test]
fn b_automatic_trigger_denied_like_the_snapshot() {
    assert_same_as_snapshot("b-automatic-trigger", &["prod-manual-trigger"]);
}

#[test]
fn c_manual_trigger_allowed_like_the_snapshot() {
    assert_same_as_snapshot("c-manual-trigger", &[]);
}

#[test]
fn d_tracking_alias_denied_like_the_snapshot() {
    assert_same_as_snapshot("d-tracking-alias", &["no-tracking-tags"]);
}

#[test]
fn live_facts_equal_snapshot_facts_apart_from_who_and_where() {
    let l = live("c-manual-trigger");
    let mut live_facts = l.facts(&[]);
    let out = tollgate()
        .args(["facts", SOURCE, DEST, "--time", NOW, "--snapshot"])
        .arg(seed_dir("c-manual-trigger"))
        .output()
        .unwrap();
    let mut snap_facts = json(&out);
    // Who asks is known live (SelfSubjectReview, groups included), unknown offline.
    let groups = live_facts["promotion"]["requested_by_groups"].clone();
    assert!(
        groups
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == "system:authenticated")),
        "{groups}"
    );
    assert_eq!(snap_facts["promotion"]["requested_by_groups"], Value::Null);
    for f in [&live_facts, &snap_facts] {
        assert_eq!(f["promotion"]["via"], "cli");
        assert_eq!(f["promotion"]["alias"], false);
    }
    for f in [&mut live_facts, &mut snap_facts] {
        f["promotion"]["requested_by"] = Value::Null;
        f["promotion"]["requested_by_groups"] = Value::Null;
        f["rbac"]["promoter_can_tag"] = Value::Null;
        f["rbac"]["promoter_can_roll_out"] = Value::Null;
        f["discovery"] = Value::Null;
    }
    assert_eq!(live_facts["targets"], snap_facts["targets"]);
    assert_eq!(live_facts["image"], snap_facts["image"]);
    assert_eq!(live_facts["destination"], snap_facts["destination"]);
    assert_eq!(live_facts["promotion"], snap_facts["promotion"]);
}

#[test]
fn forbidden_rolebindings_are_unreadable_and_the_review_still_decides_pull() {
    let l = live("c-manual-trigger");
    l.emu
        .inject(FaultRule::new("GET", DEV_RB_PATH, Fault::Status(403)));
    let facts = l.facts(&[]);
    let unreadable = facts["rbac"]["unreadable"].as_array().unwrap();
    assert!(
        unreadable.contains(&Value::from("rolebindings in dev")),
        "{unreadable:?}"
    );
    let warnings = facts["warnings"].to_string();
    assert!(
        warnings.contains("cannot list rolebindings in dev (forbidden)")
            && warnings.contains(&format!(
                "grant `list rolebindings` in dev to {DEFAULT_USER}"
            )),
        "{warnings}"
    );
    // Bindings cannot say, the SubjectAccessReview can.
    assert_eq!(facts["targets"][0]["can_pull"], true, "{facts:#}");
    assert!(
        l.emu
            .count("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews")
            >= 1
    );

    let (code, report) = l.check(&[]);
    let denied = rules_with(&report, "deny");
    assert!(
        !denied.contains(&"target-can-pull".to_string()),
        "{report:#}"
    );
    // Whether dev is public cannot be known without its bindings: that rule fails closed.
    assert_eq!(denied, ["no-public-pull"], "{report:#}");
    assert_eq!(code, 1);
}

#[test]
fn forbidden_reviews_fall_back_to_the_bindings_with_a_warning() {
    let l = live("c-manual-trigger");
    l.emu.inject(FaultRule::new(
        "POST",
        "/apis/authorization.k8s.io/v1/**subjectaccessreviews",
        Fault::Status(403),
    ));
    let facts = l.facts(&[]);
    assert_eq!(facts["targets"][0]["can_pull"], true, "{facts:#}");
    let warnings = facts["warnings"].to_string();
    assert!(
        warnings.contains("grant `create localsubjectaccessreviews` in dev"),
        "{warnings}"
    );
    assert_eq!(
        l.emu.count(
            "POST",
            "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews"
        ),
        1
    );
}

#[test]
fn reads_go_in_two_concurrent_waves() {
    let l = live("c-manual-trigger");
    const LATENCY: Duration = Duration::from_millis(50);
    l.emu
        .inject(FaultRule::new("*", "/**", Fault::Latency(LATENCY)));
    let started = Instant::now();
    let (code, report) = l.check(&[]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{report:#}");
    let log = l.emu.requests();
    let n = log.len();
    assert!(
        l.emu.max_in_flight() > 1,
        "max in flight {}",
        l.emu.max_in_flight()
    );

    // Wave 1: who we are and what names the rest, together; wave 2: what depends on it.
    let pos = |pred: &dyn Fn(&LoggedRequest) -> bool| -> Vec<usize> {
        log.iter().filter(|r| pred(r)).map(|r| r.seq).collect()
    };
    let whoami = pos(&|r| r.path.ends_with("/selfsubjectreviews"));
    let wave1 = pos(&|r| {
        r.path.contains("/imagestreams/")
            || r.path.contains("/imagestreamtags/")
            || r.path == "/apis/apps.openshift.io/v1/deploymentconfigs"
            || r.path == "/apis/apps/v1/deployments"
    });
    let wave2 = pos(&|r| {
        r.path.contains("rolebindings")
            || r.path.contains("replicationcontrollers")
            || r.path.contains("replicasets")
            || r.path.ends_with("/imagestreams")
            || r.path.contains("accessreviews")
    });
    assert_eq!(whoami.len(), 1, "{log:#?}");
    let wave1: Vec<usize> = wave1.into_iter().chain(whoami).collect();
    assert_eq!(wave1.len(), 6, "{log:#?}");
    assert!(wave2.len() >= 7, "{log:#?}");
    assert_eq!(n, wave1.len() + wave2.len(), "{log:#?}");
    assert!(
        wave1.iter().max() < wave2.iter().min(),
        "wave 2 starts after wave 1 is answered: {log:#?}"
    );
    // Sequential reads would take n × 50 ms; two round trips take ~100 ms plus start-up.
    let sequential = LATENCY * n as u32;
    assert!(
        took < sequential / 2 + Duration::from_millis(400),
        "took {took:?} for {n} requests (sequential: {sequential:?})"
    );
    eprintln!(
        "{n} requests, max in flight {}, {took:?} (sequential would be {sequential:?})",
        l.emu.max_in_flight()
    );
}

#[test]
fn a_server_error_on_the_image_stream_exits_2_naming_the_request() {
    let l = live("c-manual-trigger");
    l.emu
        .inject(FaultRule::new("GET", IS_PATH, Fault::Status(500)));
    let out = l.run("check", &["--output", "text"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("GET {IS_PATH}")), "{err}");
    assert!(err.contains("500"), "{err}");
    assert!(!err.contains(DEFAULT_TOKEN), "{err}");
}

#[test]
fn a_missing_target_exits_2() {
    let l = live("c-manual-trigger");
    let out = l.run("check", &["--target", "prod/dc/nope", "--output", "text"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("target prod/dc/nope"), "{err}");
    assert!(err.contains("404"), "{err}");
}

#[test]
fn an_unreachable_cluster_exits_2_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = tollgate_emulator::kubeconfig::write(
        dir.path(),
        &format!("http://127.0.0.1:{port}"),
        DEFAULT_TOKEN,
        "dev",
    )
    .unwrap();
    let out = tollgate()
        .args(["check", SOURCE, DEST, "-vvv", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("selfsubjectreviews"), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(!err.contains(DEFAULT_TOKEN));
}

#[test]
fn the_token_is_never_printed_even_at_trace_level() {
    let l = live("c-manual-trigger");
    for (args, env) in [
        (vec!["-vvv", "--output", "json"], None),
        (vec!["--output", "text"], Some("trace")),
    ] {
        let mut cmd = tollgate();
        if let Some(level) = env {
            cmd.env("RUST_LOG", level);
        }
        let out = cmd
            .args(["check", SOURCE, DEST, "--time", NOW, "--kubeconfig"])
            .arg(&l.kubeconfig)
            .args(&args)
            .output()
            .unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(
            !all.contains(DEFAULT_TOKEN),
            "token printed with {args:?} {env:?}"
        );
        assert!(
            !all.contains("SECRET-TOKEN"),
            "token printed with {args:?} {env:?}"
        );
        assert_eq!(out.status.code(), Some(0), "{all}");
        // The logs did talk about the requests (so the check is not vacuous).
        assert!(stderr(&out).contains("imagestreams"), "{args:?} {env:?}");
    }
}

#[test]
fn references_without_a_namespace_use_the_kubeconfig_context() {
    let l = live("c-manual-trigger");
    let out = tollgate()
        .args([
            "facts",
            "simple-app:latest",
            "simple-app:promote",
            "--time",
            NOW,
        ])
        .arg("--kubeconfig")
        .arg(&l.kubeconfig)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let facts = json(&out);
    assert_eq!(facts["promotion"]["source"]["ref"], SOURCE);
    assert_eq!(facts["promotion"]["destination"]["ref"], DEST);
}
