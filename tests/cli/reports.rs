//! Report formats through the CLI on the seed states, each checked by a parser or its schema:
//! SARIF against the 2.1.0 JSON schema, JUnit as XML, GitHub workflow commands, Markdown.

use crate::common::{tollgate, DEST, NOW, SOURCE};

use quick_xml::events::Event;
use serde_json::Value;

/// `check` on a seed state in `format`; returns (exit code, stdout).
fn check(state: &str, format: &str, extra: &[&str]) -> (i32, String) {
    let snapshot = format!("examples/seed/{state}");
    let out = tollgate()
        .args([
            "check",
            SOURCE,
            DEST,
            "--snapshot",
            &snapshot,
            "--time",
            NOW,
        ])
        .args(["--output", format])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.is_empty(),
        "no report; stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), stdout)
}

fn sarif_validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sarif-schema-2.1.0.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The published schema's `language` pattern (`…]?$`) is not valid in Rust's regex dialect,
    // so the meta-check of the schema's own `format: regex` strings is off; instances are
    // still checked against every keyword.
    jsonschema::draft7::options()
        .should_validate_formats(false)
        .build(&schema)
        .unwrap()
}

pub(crate) fn assert_valid_sarif(doc: &Value) {
    let v = sarif_validator();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

#[test]
fn sarif_is_valid_2_1_0_and_locates_the_denial() {
    let (code, out) = check("b-automatic-trigger", "sarif", &[]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid_sarif(&doc);
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    // The 10 rules of the seed plus the 4 promotion-path rules (skipped unconfigured).
    assert_eq!(rules.len(), 14);
    let rule = rules
        .iter()
        .find(|r| r["id"] == "prod-manual-trigger")
        .unwrap();
    assert_eq!(
        rule["shortDescription"]["text"],
        "Production must be rolled out by hand"
    );
    assert!(rule["help"]["text"]
        .as_str()
        .unwrap()
        .contains("oc set triggers"));
    assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
    let results = run["results"].as_array().unwrap();
    // One failure; the skipped (unconfigured) promotion-path rules are `notApplicable`.
    let failed: Vec<&Value> = results.iter().filter(|r| r["kind"] == "fail").collect();
    assert_eq!(failed.len(), 1, "{results:#?}");
    let skipped = results
        .iter()
        .filter(|r| r["kind"] == "notApplicable" && r["level"] == "none")
        .count();
    assert_eq!(skipped, 4, "{results:#?}");
    let r = failed[0];
    assert_eq!(r["ruleId"], "prod-manual-trigger");
    assert_eq!(r["level"], "error");
    assert_eq!(
        rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "prod-manual-trigger"
    );
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "policies/prod-manual-trigger.rhai"
    );
    assert!(
        loc["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            > 1
    );
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "prod/dc/simple-app"
    );
}

#[test]
fn sarif_of_every_seed_state_is_valid_and_warnings_are_warnings() {
    for state in ["a-no-pull-rights", "c-manual-trigger", "d-tracking-alias"] {
        let (_, out) = check(state, "sarif", &[]);
        assert_valid_sarif(&serde_json::from_str(&out).unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tollgate.yaml");
    std::fs::write(&cfg, "rules:\n  prod-manual-trigger:\n    level: warn\n").unwrap();
    let (code, out) = check(
        "b-automatic-trigger",
        "sarif",
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid_sarif(&doc);
    assert_eq!(doc["runs"][0]["results"][0]["level"], "warning");
}

#[test]
fn sarif_for_a_run_that_could_not_decide_is_still_valid() {
    let out = tollgate()
        .args([
            "check",
            SOURCE,
            DEST,
            "--snapshot",
            "examples/seed/nope",
            "-o",
            "sarif",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&doc);
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}

/// Counts of `testsuite`, `testcase`, `failure`, `error`, `skipped` elements, and the
/// `name` of each testcase, from a real XML parse.
pub(crate) fn junit_counts(xml: &str) -> (std::collections::BTreeMap<String, usize>, Vec<String>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = std::collections::BTreeMap::new();
    let mut names = vec![];
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let tag = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if tag == "testcase" {
                    let name = e
                        .attributes()
                        .map(|a| a.unwrap())
                        .find(|a| a.key.as_ref() == b"name")
                        .unwrap();
                    names.push(String::from_utf8(name.value.to_vec()).unwrap());
                }
                *counts.entry(tag).or_insert(0) += 1;
            }
            _ => {}
        }
    }
    (counts, names)
}

#[test]
fn junit_has_one_testcase_per_rule_and_one_failure() {
    let (code, out) = check("b-automatic-trigger", "junit", &[]);
    assert_eq!(code, 1);
    let (counts, names) = junit_counts(&out);
    assert_eq!(counts["testsuite"], 1, "{out}");
    assert_eq!(counts["testcase"], 14, "{out}");
    assert_eq!(counts["failure"], 1, "{out}");
    assert_eq!(counts.get("error"), None, "{out}");
    assert!(names.contains(&"prod-manual-trigger".to_string()));
    assert!(
        out.contains("tests=\"14\"") && out.contains("failures=\"1\""),
        "{out}"
    );
    let (code, out) = check("c-manual-trigger", "junit", &[]);
    assert_eq!(code, 0);
    let (counts, _) = junit_counts(&out);
    assert_eq!(counts.get("failure"), None, "{out}");
}

#[test]
fn junit_marks_skipped_rules() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tollgate.yaml");
    std::fs::write(&cfg, "rules:\n  image-age:\n    level: off\n").unwrap();
    let (_, out) = check(
        "c-manual-trigger",
        "junit",
        &["--config", cfg.to_str().unwrap()],
    );
    let (counts, _) = junit_counts(&out);
    // image-age (off) and the four promotion-path rules, unconfigured.
    assert_eq!(counts["skipped"], 5, "{out}");
    assert!(out.contains("turned off"), "{out}");
}

#[test]
fn github_lines_are_well_formed_workflow_commands() {
    let (code, out) = check("b-automatic-trigger", "github", &[]);
    assert_eq!(code, 1);
    let re = regex::Regex::new(
        r"^::(error|warning|notice)( [a-z]+=[^,:\r\n]*(,[a-z]+=[^,:\r\n]*)*)?::[^\r\n]*$",
    )
    .unwrap();
    for line in out.lines() {
        assert!(re.is_match(line), "not a workflow command: {line}");
    }
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=policies/prod-manual-trigger.rhai,line="),
        "{first}"
    );
    assert!(
        first.contains("title=prod-manual-trigger%3A Production"),
        "{first}"
    );
    // The fix hint is on a second line of the message: escaped, not a new command.
    assert!(first.contains("%0Afix: "), "{first}");
    assert!(out
        .lines()
        .last()
        .unwrap()
        .starts_with("::error title=tollgate::decision: DENY"));
}

#[test]
fn markdown_has_the_summary_table() {
    let (code, out) = check("b-automatic-trigger", "markdown", &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("| | rule | outcome | details |\n|---|---|---|---|\n"),
        "{out}"
    );
    let row = out
        .lines()
        .find(|l| l.contains("`prod-manual-trigger`"))
        .unwrap();
    assert!(
        row.starts_with("| ❌ |") && row.contains("| deny |"),
        "{row}"
    );
    assert!(row.contains("**fix:**"), "{row}");
    assert_eq!(
        row.matches(" | ").count(),
        3,
        "a message broke the table: {row}"
    );
    let rows = out
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
        .count();
    assert_eq!(rows, 14, "{out}");
    assert!(out.contains("**decision: DENY"), "{out}");
}

#[test]
fn output_file_works_for_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif", "junit", "github", "markdown"] {
        let file = dir.path().join(format!("report.{format}"));
        let (code, out) = check(
            "b-automatic-trigger",
            format,
            &["--output-file", file.to_str().unwrap()],
        );
        assert_eq!(code, 1, "{format}");
        assert_eq!(out.lines().count(), 1, "{format}: {out}");
        assert!(out.starts_with("decision: DENY"), "{format}: {out}");
        let body = std::fs::read_to_string(&file).unwrap();
        let (_, direct) = check("b-automatic-trigger", format, &[]);
        // Durations differ between runs; compare shapes that do not carry them.
        assert_eq!(body.lines().count(), direct.lines().count(), "{format}");
    }
}

#[test]
fn json_keeps_per_rule_time_and_operations() {
    let (_, out) = check("c-manual-trigger", "json", &[]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    for r in doc["rules"].as_array().unwrap() {
        assert!(r["duration_us"].is_u64(), "{r}");
        assert!(r["operations"].as_u64().unwrap() > 0, "{r}");
    }
}

#[test]
fn the_schema_check_does_reject_bad_sarif() {
    let (_, out) = check("b-automatic-trigger", "sarif", &[]);
    let mut doc: Value = serde_json::from_str(&out).unwrap();
    doc["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(sarif_validator().iter_errors(&doc).next().is_some());
}
