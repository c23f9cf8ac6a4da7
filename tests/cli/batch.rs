//! Release trains through the CLI on a seed snapshot: `check --batch` and `promote --batch`
//! (a dry run on snapshots), all-or-nothing and `--partial`, combined exit codes, bad batch
//! files, and a section per promotion in every report format.

use std::path::PathBuf;

use quick_xml::events::Event;
use serde_json::Value;

use crate::common::{tollgate, NOW};

const SNAPSHOT: &str = "examples/seed/c-manual-trigger";
/// Allowed: the seed promotion (a manual DeploymentConfig in prod follows the tag).
const ALLOWED: &str =
    "- source: dev/simple-app:latest\n  destination: dev/simple-app:promote\n  reason: train 7\n";
/// Allowed with a warning (`reaches-a-target`: nothing follows the new tag); denied with
/// `--fail-on warn`.
const WARNED: &str = "- source: dev/simple-app:latest\n  destination: dev/simple-app:other\n";
/// Cannot be decided: the source tag does not exist.
const MISSING: &str = "- source: dev/simple-app:nope\n  destination: dev/simple-app:third\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

fn batch_file(dir: &tempfile::TempDir, entries: &[&str]) -> PathBuf {
    let path = dir.path().join("train.yaml");
    std::fs::write(&path, entries.concat()).unwrap();
    path
}

fn run(command: &str, entries: &[&str], extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let file = batch_file(&dir, entries);
    let out = tollgate()
        .arg(command)
        .arg("--batch")
        .arg(&file)
        .args(["--snapshot", SNAPSHOT, "--time", NOW])
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn decisions(doc: &Value) -> Vec<(String, String)> {
    doc["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["promotion"]["destination"].as_str().unwrap().to_string(),
                p["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_batch_of_allowed_promotions_is_allowed_with_one_report_per_promotion_in_order() {
    let r = run("check", &[ALLOWED, WARNED], &["-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["schema"], "tollgate.batch/v1");
    assert_eq!(doc["decision"], "allow");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(
        decisions(&doc),
        [
            ("dev/simple-app:promote".into(), "allow".into()),
            ("dev/simple-app:other".into(), "allow".into())
        ]
    );
    for p in doc["promotions"].as_array().unwrap() {
        assert_eq!(p["schema"], "tollgate.report/v1");
        assert!(p["rules"].as_array().unwrap().len() > 5, "{p}");
    }
    assert_eq!(doc["summary"]["allowed"], 2);
    // The first promotion's reason and targets came from its entry.
    assert_eq!(
        doc["promotions"][0]["promotion"]["targets"][0],
        "prod/dc/simple-app"
    );
}

#[test]
fn one_denied_promotion_denies_the_batch_and_the_dry_run_writes_nothing() {
    let r = run(
        "promote",
        &[ALLOWED, WARNED],
        &["-o", "json", "--fail-on", "warn"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["decision"], "deny");
    assert_eq!(doc["dry_run"], true);
    assert_eq!(
        decisions(&doc),
        [
            ("dev/simple-app:promote".into(), "allow".into()),
            ("dev/simple-app:other".into(), "deny".into())
        ]
    );
    // The allowed promotion's plan is held: every step not run, saying why.
    let actions = doc["promotions"][0]["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    for a in actions {
        assert_eq!(a["status"], "skipped", "{a}");
        let d = a["detail"].as_str().unwrap();
        assert!(
            d.contains("1 of the batch's 2 promotions is not allowed") && d.contains("--partial"),
            "{d}"
        );
    }
    // The text report ends saying nothing was written.
    let r = run(
        "promote",
        &[ALLOWED, WARNED],
        &["-o", "text", "--fail-on", "warn"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("nothing was written: a batch is all-or-nothing"),
        "{}",
        r.stdout
    );
}

#[test]
fn partial_keeps_the_allowed_plans_and_still_exits_denied() {
    let r = run(
        "promote",
        &[ALLOWED, WARNED],
        &["-o", "json", "--fail-on", "warn", "--partial"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["partial"], true);
    let actions = doc["promotions"][0]["actions"].as_array().unwrap();
    assert!(
        actions.iter().all(|a| a["status"] == "planned"),
        "{actions:?}"
    );
    let denied = doc["promotions"][1]["actions"].as_array().unwrap();
    assert!(denied.iter().all(|a| a["status"] == "skipped"));
}

#[test]
fn a_promotion_that_cannot_be_decided_makes_the_batch_exit_2_and_the_others_are_still_checked() {
    let r = run(
        "check",
        &[ALLOWED, MISSING, WARNED],
        &["-o", "json", "--fail-on", "warn"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["decision"], "error");
    let d = decisions(&doc);
    assert_eq!(d[0].1, "allow");
    assert_eq!(d[1].1, "error");
    assert_eq!(d[2].1, "deny");
    let why = doc["promotions"][1]["error"].as_str().unwrap();
    assert!(why.contains("nope"), "{why}");
}

#[test]
fn bad_batch_files_exit_2_naming_the_file_entry_and_key() {
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &[ALLOWED, "- source: dev/simple-app:latest\n  destinaton: dev/x:y\n"],
            &["entry 2", "unknown key `destinaton`"],
        ),
        (&["- source: dev/simple-app:latest\n"], &["entry 1", "`destination` is missing"]),
        (&["[]\n"], &["no promotions"]),
        (&["{source: a}\n"], &["not a list"]),
        (
            &[ALLOWED, "- {source: dev/simple-app:latest, destination: dev/simple-app:promote}\n"],
            &["entry 2", "dev/simple-app:promote", "entry 1"],
        ),
        (
            &["- {source: dev/simple-app:latest, destination: dev/simple-app:x, targets: [a/b/c/d]}\n"],
            &["entry 1"],
        ),
    ];
    for (entries, wanted) in cases {
        let r = run("check", entries, &["-o", "json"]);
        assert_eq!(r.code, 2, "{entries:?}: {}", r.stdout);
        assert!(r.stderr.contains("train.yaml"), "{}", r.stderr);
        for w in wanted {
            assert!(r.stderr.contains(w), "{entries:?}: want {w}: {}", r.stderr);
        }
        // Machine-read formats still get a batch document saying why.
        let doc = r.json();
        assert_eq!(doc["schema"], "tollgate.batch/v1");
        assert!(doc["error"].as_str().unwrap().contains(wanted[0]), "{doc}");
    }
}

#[test]
fn batch_flags_that_cannot_work_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = batch_file(&dir, &[ALLOWED]);
    let out = tollgate()
        .args(["check", "--batch"])
        .arg(&file)
        .args(["--facts", "facts.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--batch cannot be used with --facts"));
    for args in [
        &["promote", "dev/a:b", "dev/a:c", "--partial"][..],
        &["check", "dev/a:b", "dev/a:c", "--concurrency", "4"],
    ] {
        let out = tollgate().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("applies to a batch"),
            "{args:?}"
        );
    }
    let out = tollgate()
        .args(["check", "dev/a:b", "dev/a:c", "--batch"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    let out = tollgate()
        .args(["check", "--batch"])
        .arg(&file)
        .args(["--concurrency", "65"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The `name` attributes of every `testsuite` element.
fn suite_names(xml: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut names = vec![];
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuite" => {
                let name = e
                    .attributes()
                    .map(|a| a.unwrap())
                    .find(|a| a.key.as_ref() == b"name")
                    .unwrap();
                names.push(String::from_utf8(name.value.to_vec()).unwrap());
            }
            _ => {}
        }
    }
    names
}

#[test]
fn every_output_format_has_a_section_per_promotion() {
    let entries = [ALLOWED, WARNED];
    let args = |f: &'static str| ["--fail-on", "warn", "-o", f];

    let text = run("check", &entries, &args("text"));
    assert_eq!(text.code, 1);
    let t = &text.stdout;
    let first = t
        .find("══ [1/2] dev/simple-app:latest → dev/simple-app:promote ══")
        .unwrap();
    let second = t
        .find("══ [2/2] dev/simple-app:latest → dev/simple-app:other ══")
        .unwrap();
    assert!(first < second);
    // Each section is the promotion's own report: its rules and its decision.
    assert!(t[second..].contains("! reaches-a-target"), "{t}");
    assert!(t[first..second].contains("decision: ALLOW"), "{t}");
    assert!(
        t.contains("batch: DENY — 2 promotions: 1 allowed, 1 denied"),
        "{t}"
    );

    let md = run("check", &entries, &args("markdown")).stdout;
    assert!(
        md.starts_with("## tollgate check --batch: ❌ denied"),
        "{md}"
    );
    assert_eq!(md.matches("### tollgate check:").count(), 2, "{md}");
    assert!(
        md.contains("| 2 | `dev/simple-app:latest` | `dev/simple-app:other` | deny |"),
        "{md}"
    );

    let junit = run("check", &entries, &args("junit")).stdout;
    let suites = suite_names(&junit);
    assert_eq!(suites.len(), 2, "{junit}");
    assert!(suites[0].ends_with("dev/simple-app:promote"), "{suites:?}");
    assert!(suites[1].ends_with("dev/simple-app:other"), "{suites:?}");
    let (counts, _) = crate::reports::junit_counts(&junit);
    // A testcase per rule of each promotion; the denied one's summary is in its suite.
    assert_eq!(counts["testcase"], 28, "{junit}");
    let second_suite = &junit[junit.rfind("<testsuite ").unwrap()..];
    assert!(
        second_suite.contains("decision: DENY — 1 warning"),
        "{junit}"
    );

    let sarif: Value =
        serde_json::from_str(&run("check", &entries, &args("sarif")).stdout).unwrap();
    crate::reports::assert_valid_sarif(&sarif);
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[1]["properties"]["promotion"]["destination"],
        "dev/simple-app:other"
    );
    assert_eq!(runs[1]["properties"]["batch"]["index"], 2);
    assert!(runs[1]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "reaches-a-target"));

    let gh = run("check", &entries, &args("github")).stdout;
    let groups: Vec<&str> = gh.lines().filter(|l| l.starts_with("::group::")).collect();
    assert_eq!(
        groups,
        [
            "::group::tollgate dev/simple-app:latest → dev/simple-app:promote",
            "::group::tollgate dev/simple-app:latest → dev/simple-app:other"
        ]
    );
    assert_eq!(gh.matches("::endgroup::").count(), 2);
    assert!(
        gh.lines()
            .last()
            .unwrap()
            .starts_with("::error title=tollgate batch::batch: DENY"),
        "{gh}"
    );
}

#[test]
fn the_readme_batch_example_is_a_valid_batch_file() {
    let readme = crate::readme::readme();
    let example = crate::readme::blocks(&readme, "yaml")
        .into_iter()
        .find(|b| b.starts_with("- source:"))
        .expect("the README shows a batch file");
    let entries = tollgate::batch::parse(&example, "README.md").unwrap();
    let promotions = tollgate::batch::promotions(&entries, "README.md", None, None).unwrap();
    assert_eq!(promotions.len(), 2);
    assert_eq!(promotions[1].targets[0].to_string(), "prod/dc/backend");
}
