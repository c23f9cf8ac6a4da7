//! Faults during `tollgate promote` on a live cluster, through the CLI against the emulator:
//! conflicts, a source that moves between the decision and the write, a connection dropped
//! mid-wait, a rollout that fails. Each ends in the exit status CLI.md gives it.

use std::time::{Duration, Instant};

use crate::harness::{json, live, stderr, Live};
use serde_json::Value;
use tollgate_emulator::{Fault, FaultRule, RolloutOutcome};

const ISTAG: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags/simple-app:promote";
const SOURCE_STREAM: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app";
const MOVED: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";

fn promote(l: &Live) -> (i32, Value, String) {
    let out = l.run(
        "promote",
        &["--output", "json", "--wait", "--timeout", "60s"],
    );
    (out.status.code().unwrap(), json(&out), stderr(&out))
}

fn writes(l: &Live) -> Vec<String> {
    l.emu
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("reviews"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn tag_names(l: &Live) -> Vec<String> {
    let is = l.emu.image_stream("dev", "simple-app").unwrap();
    let mut names: Vec<String> = is["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn a_conflict_on_the_retag_is_retried_and_other_tags_survive() {
    let l = live("c-manual-trigger");
    let tags_before = tag_names(&l);
    l.emu
        .inject(FaultRule::new("PUT", ISTAG, Fault::Status(409)).times(1));
    let (code, r, err) = promote(&l);
    assert_eq!(code, 0, "{r:#}\n{err}");
    assert_eq!(l.emu.count("PUT", ISTAG), 2, "{:?}", writes(&l));
    assert_eq!(tag_names(&l), tags_before);
    assert_eq!(r["execution"]["state"], "done");
}

#[test]
fn a_source_that_moves_after_the_decision_aborts_with_nothing_written() {
    let l = live("c-manual-trigger");
    // The second read of the source stream is the precondition check: the decision is made
    // by then. Hold both reads long enough to move `latest` underneath the gate.
    l.emu.inject(
        FaultRule::new(
            "GET",
            SOURCE_STREAM,
            Fault::Latency(Duration::from_millis(700)),
        )
        .times(2),
    );
    let (code, r, err) = std::thread::scope(|s| {
        let run = s.spawn(|| promote(&l));
        let start = Instant::now();
        while l.emu.count("GET", SOURCE_STREAM) < 2 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the gate never acted"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        l.emu
            .push_image("dev", "simple-app", "latest", MOVED, serde_json::json!({}));
        run.join().unwrap()
    });
    assert_eq!(code, 2, "{r:#}\n{err}");
    assert_eq!(r["decision"], "allow");
    assert_eq!(r["execution"]["state"], "aborted", "{r:#}");
    let why = r["execution"]["why"].as_str().unwrap();
    assert!(why.contains(MOVED) || why.contains("latest"), "{why}");
    assert_eq!(writes(&l), Vec::<String>::new());
}

#[test]
fn a_dropped_connection_mid_wait_does_not_fail_the_promotion() {
    let l = live("c-manual-trigger");
    l.emu.inject(
        FaultRule::new(
            "GET",
            "/api/v1/namespaces/prod/replicationcontrollers/simple-app-2",
            Fault::Drop,
        )
        .times(1),
    );
    let (code, r, err) = promote(&l);
    assert_eq!(code, 0, "{r:#}\n{err}");
    assert!(
        l.emu
            .requests()
            .iter()
            .any(|q| q.fault == Some(Fault::Drop)),
        "the drop was never exercised"
    );
    assert_eq!(r["execution"]["state"], "done");
}

#[test]
fn a_rollout_that_fails_exits_3_and_says_why() {
    let l = live("c-manual-trigger");
    l.emu
        .set_next_rollout("prod", "simple-app", RolloutOutcome::Fail);
    let (code, r, err) = promote(&l);
    assert_eq!(code, 3, "{r:#}\n{err}");
    assert_eq!(r["execution"]["state"], "partial");
    let text = r.to_string();
    assert!(text.contains("ProgressDeadlineExceeded"), "{r:#}");
    assert!(r["execution"]["restore_command"]
        .as_str()
        .unwrap()
        .starts_with("oc tag "));
}
