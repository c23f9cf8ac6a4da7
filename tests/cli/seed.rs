//! The SCENARIO.md story through the CLI on the seed snapshots: decisions, failing rules, exit codes.

use crate::common::{rules_with, tollgate, DEST, NOW, SOURCE};

use serde_json::Value;

/// Runs `check` (or another command) on a seed state; returns (exit code, JSON report).
fn run_json(command: &str, state: &str, extra: &[&str]) -> (i32, Value) {
    let snapshot = format!("examples/seed/{state}");
    let out = tollgate()
        .args([
            command,
            SOURCE,
            DEST,
            "--snapshot",
            &snapshot,
            "--time",
            NOW,
            "--output",
            "json",
        ])
        .args(extra)
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

#[test]
fn a_missing_pull_rights_is_denied_by_target_can_pull() {
    let (code, r) = run_json("check", "a-no-pull-rights", &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["schema"], "tollgate.report/v1");
    assert_eq!(r["decision"], "deny");
    assert_eq!(rules_with(&r, "deny"), ["target-can-pull"]);
    assert_eq!(rules_with(&r, "error"), Vec::<String>::new());
    let rule = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "target-can-pull")
        .unwrap();
    let msg = rule["messages"].to_string();
    assert!(msg.contains("prod/dc/simple-app"), "{msg}");
    assert!(
        msg.contains(
            "oc policy add-role-to-group system:image-puller system:serviceaccounts:prod -n dev"
        ),
        "{msg}"
    );
    assert_eq!(
        r["promotion"]["targets"],
        serde_json::json!(["prod/dc/simple-app"])
    );
    assert_eq!(r["actions"], serde_json::json!([]));
}

#[test]
fn b_automatic_prod_trigger_is_denied_by_prod_manual_trigger() {
    let (code, r) = run_json("check", "b-automatic-trigger", &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["decision"], "deny");
    assert_eq!(rules_with(&r, "deny"), ["prod-manual-trigger"]);
}

#[test]
fn c_manual_trigger_is_allowed_and_the_plan_retags_then_instantiates() {
    let (code, r) = run_json("promote", "c-manual-trigger", &["--dry-run"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["decision"], "allow");
    assert!(rules_with(&r, "deny").is_empty() && rules_with(&r, "error").is_empty());
    let digest = r["promotion"]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    let actions = r["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 2, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "retag");
    assert_eq!(actions[0]["status"], "planned");
    assert_eq!(actions[0]["target"], DEST);
    assert!(actions[0]["detail"].as_str().unwrap().contains(&digest));
    assert_eq!(actions[1]["kind"], "rollout");
    assert_eq!(actions[1]["target"], "prod/dc/simple-app");
    assert_eq!(actions[1]["status"], "planned");
    assert!(actions[1]["detail"]
        .as_str()
        .unwrap()
        .starts_with("instantiate"));
}

#[test]
fn c_check_never_plans_actions() {
    let (code, r) = run_json("check", "c-manual-trigger", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["decision"], "allow");
    assert_eq!(r["actions"], serde_json::json!([]));
}

#[test]
fn d_tracking_alias_is_denied_by_no_tracking_tags() {
    let (code, r) = run_json("check", "d-tracking-alias", &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(rules_with(&r, "deny"), ["no-tracking-tags"]);
}

#[test]
fn a_denied_promote_plans_nothing_it_would_run() {
    let (code, r) = run_json("promote", "b-automatic-trigger", &["--dry-run"]);
    assert_eq!(code, 1);
    for a in r["actions"].as_array().unwrap() {
        assert_eq!(a["status"], "skipped", "{a}");
    }
}

#[test]
fn configured_warn_level_turns_the_denial_into_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tollgate.yaml");
    std::fs::write(&cfg, "rules:\n  prod-manual-trigger:\n    level: warn\n").unwrap();
    let (code, r) = run_json(
        "check",
        "b-automatic-trigger",
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{r:#}");
    assert!(rules_with(&r, "warn").contains(&"prod-manual-trigger".to_string()));
    let (code, _) = run_json(
        "check",
        "b-automatic-trigger",
        &["--config", cfg.to_str().unwrap(), "--fail-on", "warn"],
    );
    assert_eq!(code, 1);
}

#[test]
fn text_report_marks_rules_and_shows_the_fix() {
    let out = tollgate()
        .args([
            "check",
            SOURCE,
            DEST,
            "--snapshot",
            "examples/seed/a-no-pull-rights",
            "--time",
            NOW,
        ])
        .args(["--output", "text"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("✗ target-can-pull"), "{text}");
    assert!(text.contains("✓ pinned-images"), "{text}");
    assert!(text.contains("fix: "), "{text}");
    assert!(text.contains("decision: DENY"), "{text}");
    insta::assert_snapshot!("seed_a_text", text);
}

#[test]
fn facts_round_trip_through_replay() {
    let out = tollgate()
        .args([
            "facts",
            SOURCE,
            DEST,
            "--snapshot",
            "examples/seed/c-manual-trigger",
            "--time",
            NOW,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let facts: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(facts["promotion"]["source"]["ref"], SOURCE);
    assert_eq!(facts["targets"][0]["name"], "simple-app");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("facts.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let replay = tollgate()
        .args([
            "check",
            SOURCE,
            DEST,
            "--facts",
            file.to_str().unwrap(),
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(0));
    let (_, direct) = run_json("check", "c-manual-trigger", &[]);
    let replayed: Value = serde_json::from_slice(&replay.stdout).unwrap();
    let outcomes = |r: &Value| -> Vec<(String, String)> {
        r["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["id"].to_string(), x["outcome"].to_string()))
            .collect()
    };
    assert_eq!(outcomes(&direct), outcomes(&replayed));
    // Facts for another promotion are refused, not silently evaluated.
    let wrong = tollgate()
        .args([
            "check",
            "dev/simple-app:latest",
            "dev/simple-app:other",
            "--facts",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("these facts are for"));
}

#[test]
fn promote_on_a_snapshot_is_always_a_dry_run() {
    let (code, r) = run_json("promote", "c-manual-trigger", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["dry_run"], true);
    for a in r["actions"].as_array().unwrap() {
        assert_ne!(a["status"], "done", "{a}");
    }
}

#[test]
fn output_file_gets_the_report_and_stdout_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let out = tollgate()
        .args([
            "check",
            SOURCE,
            DEST,
            "--snapshot",
            "examples/seed/b-automatic-trigger",
            "--time",
            NOW,
        ])
        .args(["--output", "json", "--output-file", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("decision: DENY"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(r["decision"], "deny");
}

#[test]
fn explicit_target_is_used_instead_of_discovery() {
    let (code, r) = run_json(
        "check",
        "c-manual-trigger",
        &["--target", "prod/deploymentconfig/simple-app"],
    );
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(
        r["promotion"]["targets"],
        serde_json::json!(["prod/dc/simple-app"])
    );
    assert!(
        r["promotion"]["discovery"]
            .as_str()
            .unwrap()
            .contains("--target"),
        "{r:#}"
    );
}
