//! `tollgate backtest` on records of the pipeline example (`check --record DIR`): replays that
//! change nothing (exit 0), a tightened rule (exit 1, naming the promotion and the rules),
//! records that cannot be used (exit 2, named, the others still replayed), exceptions judged as
//! of the record's day, and every output format.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{tollgate, DEST, NOW, SOURCE};

pub const CONFIG: &str = "examples/pipeline/tollgate.yaml";
const STATES: [&str; 4] = [
    "1-not-in-stage",
    "2-soaking",
    "3-soaked",
    "4-failed-in-stage",
];

/// `check --record dir` on a pipeline state; (exit code, stdout, stderr).
pub fn record(dir: &Path, state: &str, config: &str) -> (i32, String, String) {
    let out = tollgate()
        .args(["check", SOURCE, DEST, "--time", NOW, "-o", "json"])
        .args(["--snapshot", "examples/seed/c-manual-trigger"])
        .args(["--snapshot", &format!("examples/pipeline/{state}")])
        .args(["--config", config, "--record", dir.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Every entry of `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// The four pipeline states recorded under the example's configuration.
pub fn recorded_states() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for s in STATES {
        let (code, _, err) = record(d.path(), s, CONFIG);
        assert!(code <= 1, "{s}: {err}");
    }
    assert_eq!(entries(d.path()).len(), 4);
    d
}

/// `backtest` with `args`; (exit code, stdout, stderr).
pub fn backtest(args: &[&str]) -> (i32, String, String) {
    let out = tollgate().arg("backtest").args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

pub fn backtest_json(args: &[&str]) -> (i32, Value) {
    let (code, out, err) = backtest(&[args, &["-o", "json"]].concat());
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(v["schema"], "tollgate.backtest/v1");
    (code, v)
}

/// A configuration: the example's with soak-time asking for 48 hours instead of 24.
fn stricter(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(CONFIG).unwrap();
    assert!(text.contains("min_hours: 24"));
    let p = dir.join("stricter.yaml");
    std::fs::write(&p, text.replace("min_hours: 24", "min_hours: 48")).unwrap();
    p
}

#[test]
fn unchanged_rules_change_nothing() {
    let d = recorded_states();
    let (code, v) = backtest_json(&[d.path().to_str().unwrap(), "--config", CONFIG]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["replayed"], 4);
    assert_eq!(v["summary"]["unchanged"], 4);
    assert_eq!(v["errors"], serde_json::json!([]));
    let decisions: Vec<&str> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["recorded_decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions.iter().filter(|d| **d == "allow").count(), 1);
    let (code, out, _) = backtest(&[d.path().to_str().unwrap(), "--config", CONFIG, "-o", "text"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("tollgate backtest: no decision changes\n"),
        "{out}"
    );
    assert!(!out.contains("CHANGE"), "{out}");
}

#[test]
fn a_tightened_rule_changes_the_soaked_decision() {
    let d = recorded_states();
    // In the record directory: only `*.json` files are records.
    let cfg = stricter(d.path());
    let dir = d.path().to_str().unwrap();
    let (code, v) = backtest_json(&[dir, "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["summary"]["decisions_changed"], 1);
    let changed: Vec<&Value> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["decision_changed"] == true)
        .collect();
    assert_eq!(changed.len(), 1, "{v:#}");
    let r = changed[0];
    assert_eq!(r["source"], SOURCE);
    assert_eq!(r["destination"], DEST);
    assert_eq!(r["as_of"], NOW);
    assert_eq!(
        (&r["recorded_decision"], &r["decision"]),
        (&"allow".into(), &"deny".into())
    );
    assert_eq!(
        r["rules_changed"],
        serde_json::json!([{"id": "soak-time", "recorded": "pass", "now": "deny"}])
    );
    assert!(r["path"].as_str().unwrap().starts_with(dir));
    // The digest replayed under is the stricter configuration's, not the recorded one.
    assert_ne!(v["rules_digest"], r["recorded_rules_digest"]);
}

#[test]
fn every_format_names_the_changed_promotion_and_rule() {
    let d = recorded_states();
    let cfg = stricter(d.path());
    let dir = d.path().to_str().unwrap();
    let (code, text, _) = backtest(&[dir, "--config", cfg.to_str().unwrap(), "-o", "text"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("tollgate backtest: decisions change\n"),
        "{text}"
    );
    assert!(text.contains("4 records replayed under sha256:"), "{text}");
    let row = text
        .lines()
        .find(|l| l.starts_with("decision"))
        .unwrap_or_else(|| panic!("{text}"));
    for want in [
        NOW,
        "dev/simple-app:latest → dev/simple-app:promote",
        "allow",
        "deny",
    ] {
        assert!(row.contains(want), "{want}: {row}");
    }
    assert!(row.contains("soak-time: pass → deny"), "{row}");
    let (code, md, _) = backtest(&[dir, "--config", cfg.to_str().unwrap(), "-o", "markdown"]);
    assert_eq!(code, 1);
    assert!(
        md.starts_with("### tollgate backtest: ❌ decisions change"),
        "{md}"
    );
    assert!(md.contains("| decision | 2024-03-06T12:00:00Z | `dev/simple-app:latest` → `dev/simple-app:promote` | allow | **deny** | `soak-time`: pass → deny |"), "{md}");
}

#[test]
fn unusable_records_are_named_and_the_others_still_replayed() {
    let d = recorded_states();
    let root = d.path();
    let good = entries(root)[0].clone();
    let mut stale: Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    stale["facts"]["promotion"]["renamed_key"] = "x".into();
    let sub = root.join("2024/03");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("stale.json"), stale.to_string()).unwrap();
    std::fs::write(
        root.join("corrupt.json"),
        "{\"schema\": \"tollgate.record/v1\", ",
    )
    .unwrap();
    std::fs::write(
        root.join("report.json"),
        "{\"schema\": \"tollgate.report/v1\"}",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/hostname", root.join("outside.json")).unwrap();
    // Never opened (opening a FIFO would block).
    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("fifo.json"))
        .status()
        .unwrap();
    assert!(fifo.success());
    // Not records: hidden entries (a record being written) and other files are skipped.
    std::fs::write(root.join(".abc.json.tmp"), "partial").unwrap();
    std::fs::write(root.join(".hidden.json"), "partial").unwrap();
    std::fs::write(root.join("README.md"), "records").unwrap();
    // A link inside the directory is followed (and its record replayed).
    std::os::unix::fs::symlink(&good, sub.join("linked.json")).unwrap();

    let (code, v) = backtest_json(&[root.to_str().unwrap(), "--config", CONFIG]);
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["summary"]["replayed"], 5, "{v:#}");
    assert_eq!(v["summary"]["unchanged"], 5, "{v:#}");
    let errors: Vec<(String, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let p = e["path"].as_str().unwrap();
            let name = p.strip_prefix(root.to_str().unwrap()).unwrap().to_string();
            (name, e["error"].as_str().unwrap().to_string())
        })
        .collect();
    let names: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "/2024/03/stale.json",
            "/corrupt.json",
            "/fifo.json",
            "/outside.json",
            "/report.json"
        ]
    );
    assert!(
        errors[0]
            .1
            .starts_with("its facts no longer parse: at `promotion.renamed_key`"),
        "{errors:?}"
    );
    assert!(errors[0].1.contains("renamed_key"), "{errors:?}");
    assert!(errors[1].1.starts_with("not JSON"), "{errors:?}");
    assert_eq!(errors[2].1, "not a regular file (a FIFO)");
    assert!(
        errors[3].1.contains("leads outside the record directory"),
        "{errors:?}"
    );
    assert!(
        errors[4]
            .1
            .contains("not a decision record: `schema` is `tollgate.report/v1`"),
        "{errors:?}"
    );

    let (code, text, _) = backtest(&[root.to_str().unwrap(), "--config", CONFIG, "-o", "text"]);
    assert_eq!(code, 2);
    assert!(
        text.starts_with("tollgate backtest: some records cannot be replayed\n"),
        "{text}"
    );
    assert!(text.contains("cannot replay 5 records:\n"), "{text}");
    assert!(text.contains("corrupt.json: not JSON"), "{text}");
    let (code, md, _) = backtest(&[root.to_str().unwrap(), "--config", CONFIG, "-o", "markdown"]);
    assert_eq!(code, 2);
    assert!(md.contains("**Cannot be replayed:**"), "{md}");
    assert!(md.contains("/corrupt.json`: not JSON"), "{md}");
}

#[test]
fn oversized_records_and_missing_paths_are_named() {
    let d = recorded_states();
    let dir = d.path().to_str().unwrap();
    let missing = d.path().join("nope");
    let (code, v) = backtest_json(&[
        dir,
        missing.to_str().unwrap(),
        "--config",
        CONFIG,
        "--max-record-bytes",
        "1000",
    ]);
    assert_eq!(code, 2);
    assert_eq!(v["summary"]["replayed"], 0);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5, "{v:#}");
    assert!(errors
        .iter()
        .any(|e| e["path"] == missing.to_str().unwrap()));
    assert!(errors
        .iter()
        .filter(|e| e["path"] != missing.to_str().unwrap())
        .all(|e| e["error"]
            .as_str()
            .unwrap()
            .contains("more than the limit of 1000 bytes; raise it with --max-record-bytes")));
}

#[test]
fn exceptions_are_judged_as_of_the_day_the_decision_was_made() {
    let d = tempfile::tempdir().unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // A waiver of soak-time that ran out two days ago: today, 2-soaking is denied.
    let cfg = d.path().join("waived.yaml");
    let text = format!(
        "{}exceptions:\n  - rule: soak-time\n    target: prod/dc/simple-app\n    reason: \
         hotfix\n    owner: team@example.com\n    expires: {}\n",
        std::fs::read_to_string(CONFIG).unwrap(),
        today - time::Duration::days(2)
    );
    std::fs::write(&cfg, text).unwrap();
    let dir = d.path().join("records");
    let (code, _, err) = record(&dir, "2-soaking", cfg.to_str().unwrap());
    assert_eq!(code, 1, "{err}");
    let (code, v) = backtest_json(&[dir.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{v:#}");
    // The same record, as if decided three days ago, when the waiver held: allowed now.
    let file = entries(&dir).remove(0);
    let mut r: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let then = today - time::Duration::days(3);
    r["time"] = format!("{then}T12:00:00Z").into();
    std::fs::write(&file, r.to_string()).unwrap();
    let (code, v) = backtest_json(&[dir.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        v["records"][0]["rules_changed"],
        serde_json::json!([{"id": "soak-time", "recorded": "deny", "now": "waived"}])
    );
}

#[test]
fn a_record_file_may_be_named_directly_and_a_path_is_required() {
    let d = recorded_states();
    let one = entries(d.path()).remove(0);
    let (code, v) = backtest_json(&[one.to_str().unwrap(), "--config", CONFIG]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["replayed"], 1);
    // A directory named twice is read once.
    let dir = d.path().to_str().unwrap();
    let (code, v) = backtest_json(&[dir, dir, "--config", CONFIG]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["replayed"], 4);
    let (code, _, err) = backtest(&["--config", CONFIG]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("RECORD_DIR"), "{err}");
}

/// examples/pipeline/records replays as examples/pipeline/README.md shows. After a change to the
/// pack that changes these decisions, re-record them (the README's commands) and update the table.
#[test]
fn the_example_records_replay_as_the_pipeline_readme_says() {
    let dir = "examples/pipeline/records";
    let (code, v) = backtest_json(&[dir, "--config", CONFIG]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["replayed"], 5, "{v:#}");
    let promoters = "examples/pipeline/tollgate-promoters.yaml";
    let (code, out, err) = backtest(&[dir, "--config", promoters, "-o", "text"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let readme = std::fs::read_to_string("examples/pipeline/README.md").unwrap();
    let digest = regex::Regex::new(r"sha256:[0-9a-f]{64}").unwrap();
    for l in out.lines() {
        let shown = digest.replace_all(l, "sha256:…");
        assert!(
            readme.contains(&*shown),
            "not in the README: {shown}\n{out}"
        );
    }
}
