//! Exceptions in `tollgate.yaml` through the CLI on seed state b, where `prod-manual-trigger`
//! denies `prod/dc/simple-app`: waived, expired, stale, too long, missing field, expiring soon.

use crate::common::{tollgate, DEST, NOW, SOURCE};

use serde_json::Value;

const DIGEST: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";

/// Today plus `days`, as YYYY-MM-DD (expiry is judged by the wall clock).
fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

fn exception(rule: &str, scope: &str, expires: &str) -> String {
    format!("  - rule: {rule}\n    {scope}\n    reason: trigger change scheduled with the release team\n    owner: team-shop@example.com\n    expires: {expires}\n")
}

/// `check` on a seed state with the given config; (exit code, JSON report or stdout, stderr).
fn check(state: &str, config: &str, extra: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tollgate.yaml");
    std::fs::write(&cfg, config).unwrap();
    let snapshot = format!("examples/seed/{state}");
    let out = tollgate()
        .args(["check", SOURCE, DEST])
        .args(["--snapshot", &snapshot, "--time", NOW, "--output", "json"])
        .args(["--config", cfg.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        report,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn rule<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap()
}

#[test]
fn a_matching_exception_waives_the_denial_and_allows() {
    let cfg = format!(
        "exceptions:\n{}",
        exception(
            "prod-manual-trigger",
            "target: prod/dc/simple-app",
            &day(30)
        )
    );
    let (code, r, err) = check("b-automatic-trigger", &cfg, &[]);
    assert_eq!(code, 0, "{r:#}\n{err}");
    assert_eq!(r["decision"], "allow");
    let v = rule(&r, "prod-manual-trigger");
    assert_eq!(v["outcome"], "waived");
    assert_eq!(v["waived_by"]["owner"], "team-shop@example.com");
    assert!(v["waived_by"]["reason"]
        .as_str()
        .unwrap()
        .contains("release team"));
    assert_eq!(r["summary"]["waived"], 1);
    assert_eq!(r["summary"]["deny"], 0);
    assert_eq!(r["exceptions"][0]["status"], "applied");
    assert_eq!(
        r["exceptions"][0]["note"],
        Value::Null,
        "30 days left: no notice"
    );
}

#[test]
fn a_digest_scope_waives_too_and_a_wrong_target_does_not() {
    let cfg = format!(
        "exceptions:\n{}",
        exception(
            "prod-manual-trigger",
            &format!("digest: \"{DIGEST}\""),
            &day(10)
        )
    );
    let (code, r, _) = check("b-automatic-trigger", &cfg, &[]);
    assert_eq!(code, 0, "{r:#}");
    // Within 14 days of expiry: a notice.
    assert!(
        r["exceptions"][0]["note"]
            .as_str()
            .unwrap()
            .contains("expires in 10 days"),
        "{r:#}"
    );
    let cfg = format!(
        "exceptions:\n{}",
        exception("prod-manual-trigger", "target: prod/dc/other-app", &day(10))
    );
    let (code, r, _) = check("b-automatic-trigger", &cfg, &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(rule(&r, "prod-manual-trigger")["outcome"], "deny");
    assert_eq!(r["exceptions"][0]["status"], "stale");
}

#[test]
fn an_expired_exception_no_longer_applies_and_is_reported() {
    let cfg = format!(
        "exceptions:\n{}",
        exception(
            "prod-manual-trigger",
            "target: prod/dc/simple-app",
            &day(-1)
        )
    );
    let (code, r, _) = check("b-automatic-trigger", &cfg, &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(rule(&r, "prod-manual-trigger")["outcome"], "deny");
    assert_eq!(r["exceptions"][0]["status"], "expired");
    assert!(r["exceptions"][0]["note"]
        .as_str()
        .unwrap()
        .contains("no longer applies"));
}

#[test]
fn a_stale_exception_warns_and_fail_on_stale_blocks() {
    // State c: prod-manual-trigger passes, so the exception matches nothing.
    let cfg = format!(
        "exceptions:\n{}",
        exception(
            "prod-manual-trigger",
            "target: prod/dc/simple-app",
            &day(30)
        )
    );
    let (code, r, _) = check("c-manual-trigger", &cfg, &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["exceptions"][0]["status"], "stale");
    assert!(r["exceptions"][0]["note"]
        .as_str()
        .unwrap()
        .contains("matched no denial"));
    let (code, r, _) = check("c-manual-trigger", &cfg, &["--fail-on", "stale"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["decision"], "deny");
}

#[test]
fn stale_and_waived_show_in_text_and_github_reports() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tollgate.yaml");
    std::fs::write(
        &cfg,
        format!(
            "exceptions:\n{}{}",
            exception("prod-manual-trigger", "target: prod/dc/simple-app", &day(5)),
            exception("target-ready", "target: prod/dc/simple-app", &day(5))
        ),
    )
    .unwrap();
    for (format, want) in [
        ("text", "~ prod-manual-trigger"),
        (
            "text",
            "waived by exception (target prod/dc/simple-app; owner team-shop@example.com",
        ),
        ("text", "decision: ALLOW — 1 waived, 9 passed, 4 skipped"),
        ("text", "matched no denial of `target-ready`"),
        ("github", "::notice file=policies/prod-manual-trigger.rhai"),
        (
            "github",
            "::warning title=tollgate exception::exception for `target-ready` (stale)",
        ),
        ("markdown", "| 🟡 | `prod-manual-trigger`"),
    ] {
        let out = tollgate()
            .args(["check", SOURCE, DEST])
            .args([
                "--snapshot",
                "examples/seed/b-automatic-trigger",
                "--time",
                NOW,
            ])
            .args(["--config", cfg.to_str().unwrap(), "--output", format])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains(want), "{format}: want {want}\n{text}");
    }
}

#[test]
fn bad_exceptions_are_config_errors_naming_the_field() {
    let ok = exception(
        "prod-manual-trigger",
        "target: prod/dc/simple-app",
        &day(30),
    );
    for (cfg, want) in [
        (
            format!(
                "exceptions:\n{}",
                exception(
                    "prod-manual-trigger",
                    "target: prod/dc/simple-app",
                    &day(91)
                )
            ),
            "exceptions[0].expires: ",
        ),
        (
            format!("exceptions_max_days: 7\nexceptions:\n{ok}"),
            "more than the maximum of 7 (exceptions_max_days)",
        ),
        (
            format!(
                "exceptions:\n{}",
                ok.replace("    owner: team-shop@example.com\n", "")
            ),
            "exceptions[0].owner: missing",
        ),
        (
            format!(
                "exceptions:\n{}",
                ok.replace(
                    "    reason: trigger change scheduled with the release team\n",
                    ""
                )
            ),
            "exceptions[0].reason: missing",
        ),
        (
            format!(
                "exceptions:\n{}",
                ok.replace("target: prod/dc/simple-app", "note: x")
            ),
            "note",
        ),
        (
            format!(
                "exceptions:\n{}",
                ok.replace("target: prod/dc/simple-app", "digest: sha256:abc")
            ),
            "exceptions[0].digest",
        ),
        (
            format!(
                "exceptions:\n{}",
                ok.replace("prod-manual-trigger", "no-such-rule")
            ),
            "exceptions[0].rule: no rule `no-such-rule`",
        ),
    ] {
        let (code, _, err) = check("b-automatic-trigger", &cfg, &[]);
        assert_eq!(code, 2, "{cfg}\n{err}");
        assert!(err.contains(want), "want {want}\n{err}");
        assert!(err.contains("tollgate.yaml"), "{err}");
    }
    // The 90-day default: 91 days is too long.
    let (_, _, err) = check(
        "b-automatic-trigger",
        &format!(
            "exceptions:\n{}",
            exception(
                "prod-manual-trigger",
                "target: prod/dc/simple-app",
                &day(91)
            )
        ),
        &[],
    );
    assert!(err.contains("more than the maximum of 90"), "{err}");
}
