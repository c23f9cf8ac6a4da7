//! Bad input through the CLI: each gives a clear message naming what is at fault, and exit 2.

use crate::common::{tollgate, NOW};

use std::path::{Path, PathBuf};

const SEED_C: &str = "examples/seed/c-manual-trigger";

/// Runs the command; asserts exit 2 and returns stdout + stderr for message checks.
fn fails(args: &[&str]) -> String {
    let out = tollgate().args(args).output().expect("runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2 for {args:?}, got:\n{all}"
    );
    all
}

fn check_args<'a>(snapshot: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "check",
        "dev/simple-app:latest",
        "dev/simple-app:promote",
        "--snapshot",
        snapshot,
        "--time",
        NOW,
    ];
    v.extend_from_slice(extra);
    v
}

/// A copy of seed state c with one file replaced or added.
fn seed_with(name: &str, content: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_C);
    for entry in std::fs::read_dir(seed).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.path().join(name), content).unwrap();
    dir
}

/// A policy directory holding the shipped pack plus one extra rule.
fn pack_with(rule_id: &str, body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for entry in std::fs::read_dir(pack).unwrap() {
        let p: PathBuf = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "rhai") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.path().join(format!("{rule_id}.rhai")), body).unwrap();
    dir
}

#[test]
fn malformed_yaml_names_the_file_and_line() {
    let dir = seed_with(
        "broken.yaml",
        "kind: ImageStream\nmetadata:\n  name: x\n   bad: [\n",
    );
    let msg = fails(&check_args(dir.path().to_str().unwrap(), &[]));
    assert!(msg.contains("broken.yaml"), "{msg}");
    assert!(msg.contains("line"), "{msg}");
}

#[test]
fn malformed_json_names_the_file_and_line() {
    let dir = seed_with(
        "broken.json",
        "{\n  \"kind\": \"ImageStream\",\n  \"metadata\": {\"name\": }\n}\n",
    );
    let msg = fails(&check_args(dir.path().to_str().unwrap(), &[]));
    assert!(msg.contains("broken.json"), "{msg}");
    assert!(msg.contains("line 3"), "{msg}");
}

#[test]
fn an_object_missing_a_required_field_is_named() {
    let dir = seed_with("nameless.yaml", "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata:\n  namespace: prod\nspec: {}\n");
    let msg = fails(&check_args(dir.path().to_str().unwrap(), &[]));
    assert!(msg.contains("nameless.yaml"), "{msg}");
    assert!(msg.contains("DeploymentConfig"), "{msg}");
    assert!(msg.contains("name"), "{msg}");
}

#[test]
fn a_bad_source_says_what_form_is_expected() {
    for bad in ["simple-app", "dev/simple-app", "dev/simple-app@sha256:1234"] {
        let msg = fails(&["check", bad, "dev/simple-app:promote", "--snapshot", SEED_C]);
        assert!(msg.contains("SOURCE"), "{msg}");
    }
}

#[test]
fn a_source_tag_without_an_image_is_refused() {
    let msg = fails(&[
        "check",
        "dev/simple-app:nosuchtag",
        "dev/simple-app:promote",
        "--snapshot",
        SEED_C,
    ]);
    assert!(msg.contains("nosuchtag"), "{msg}");
}

#[test]
fn a_target_missing_from_the_snapshot_is_refused() {
    let msg = fails(&check_args(SEED_C, &["--target", "prod/dc/nope"]));
    assert!(msg.contains("nope"), "{msg}");
}

#[test]
fn a_rule_with_a_syntax_error_points_at_it() {
    let pack = pack_with("broken-rule", "//! Broken\n//! Fix: none\nlet x = ;\n");
    let msg = fails(&check_args(
        SEED_C,
        &["--policies", pack.path().to_str().unwrap()],
    ));
    assert!(msg.contains("broken-rule.rhai:3:"), "{msg}");
}

#[test]
fn an_endless_rule_is_stopped_by_the_operation_limit() {
    let pack = pack_with("spin", "//! Spins\n//! Fix: none\nloop { }\n");
    let msg = fails(&check_args(
        SEED_C,
        &[
            "--policies",
            pack.path().to_str().unwrap(),
            "--output",
            "json",
        ],
    ));
    assert!(msg.contains("\"error\""), "{msg}");
    assert!(msg.to_lowercase().contains("operation"), "{msg}");
}

#[test]
fn a_typo_in_a_fact_key_suggests_the_right_one() {
    let pack = pack_with(
        "typo",
        "//! Typo\n//! Fix: none\nif image.digset == \"\" { deny(\"x\"); }\n",
    );
    let msg = fails(&check_args(
        SEED_C,
        &[
            "--policies",
            pack.path().to_str().unwrap(),
            "--output",
            "text",
        ],
    ));
    assert!(msg.contains("did you mean `digest`"), "{msg}");
    assert!(msg.contains("typo.rhai:3"), "{msg}");
}

#[test]
fn an_unknown_rule_in_the_config_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tollgate.yaml");
    std::fs::write(&cfg, "rules:\n  prod-manual-triger:\n    level: warn\n").unwrap();
    let msg = fails(&check_args(SEED_C, &["--config", cfg.to_str().unwrap()]));
    assert!(msg.contains("prod-manual-triger"), "{msg}");
}

#[test]
fn an_environment_order_that_loops_is_an_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tollgate.yaml");
    std::fs::write(
        &cfg,
        "environments:\n  stage: {after: prod}\n  prod: {namespaces: [prod], after: stage}\n",
    )
    .unwrap();
    let msg = fails(&check_args(SEED_C, &["--config", cfg.to_str().unwrap()]));
    assert!(
        msg.contains("environments.prod.after: the order loops (prod after stage after prod)"),
        "{msg}"
    );
}

#[test]
fn live_mode_is_refused_honestly() {
    let msg = fails(&["check", "dev/simple-app:latest", "dev/simple-app:promote"]);
    assert!(msg.contains("--snapshot"), "{msg}");
}

#[test]
fn a_rule_error_outranks_a_denial() {
    // State a denies (target-can-pull); an erroring rule alongside makes it "could not decide".
    let pack = pack_with("throws", "//! Throws\n//! Fix: none\nthrow \"boom\";\n");
    let out = tollgate()
        .args(["check", "dev/simple-app:latest", "dev/simple-app:promote"])
        .args([
            "--snapshot",
            "examples/seed/a-no-pull-rights",
            "--time",
            NOW,
            "--output",
            "json",
        ])
        .args(["--policies", pack.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["decision"], "error");
    assert_eq!(r["summary"]["deny"], 1);
    assert_eq!(r["summary"]["error"], 1);
}

#[test]
fn json_mode_reports_input_errors_as_json_too() {
    let out = tollgate()
        .args([
            "check",
            "dev/simple-app:nosuchtag",
            "dev/simple-app:promote",
            "--snapshot",
            SEED_C,
        ])
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["schema"], "tollgate.report/v1");
    assert_eq!(r["decision"], "error");
    assert!(r["error"].as_str().unwrap().contains("nosuchtag"));
}

#[test]
fn serve_refuses_unusable_files_and_flags_before_connecting() {
    let tls = |n: &str| format!("tests/fixtures/tls/{n}");
    let (cert, key) = (tls("server.pem"), tls("server-key.pem"));
    // A certificate that does not exist, a key that does not fit: named, exit 2, and no
    // attempt to reach a cluster (no kubeconfig is given; the error is about the file).
    let out = fails(&["serve", "--tls-cert", "missing.pem", "--tls-key", &key]);
    assert!(out.contains("missing.pem"), "{out}");
    let out = fails(&[
        "serve",
        "--tls-cert",
        &cert,
        "--tls-key",
        &tls("server2-key.pem"),
    ]);
    assert!(out.contains("does not fit the certificate"), "{out}");
    let out = fails(&[
        "serve",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--decision-timeout",
        "0",
    ]);
    assert!(
        out.contains("--decision-timeout must be more than 0"),
        "{out}"
    );
    let out = fails(&[
        "serve",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--mode",
        "strict",
    ]);
    assert!(out.contains("enforce, warn, audit"), "{out}");
    let out = fails(&[
        "serve",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--fail-on",
        "warn",
    ]);
    assert!(out.contains("--fail-on does not apply to serve"), "{out}");
    let pack = pack_with("broken", "deny(");
    let out = fails(&[
        "serve",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--policies",
        pack.path().to_str().unwrap(),
    ]);
    assert!(out.contains("broken.rhai"), "{out}");
}
