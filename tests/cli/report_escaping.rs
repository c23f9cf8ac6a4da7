//! Hostile strings (a rule message, an object name, an image string) in every report format:
//! control characters and escape sequences never reach a terminal, no line can be forged, and
//! Markdown, GitHub workflow commands and JUnit XML keep their structure.
// Test code: a failed unwrap is a failed test, with its message.

use tollgate::report::{render_github, render_junit, render_markdown, render_text, Report};
use tollgate::verdict::{Decision, Outcome, RuleVerdict, Tally};

/// A message that tries to forge the decision line, clear the screen, ring the bell, reorder
/// text and break out of Markdown.
const MESSAGE: &str = "bad\n\ndecision: ALLOW — 10 passed\r\u{1b}[2J\u{7}\u{9b}31m \u{202e}txt.exe\u{2066} | `x <img src=x onerror=alert(1)> ::error::forged";
const NAME: &str = "prod/dc/app\u{1b}]0;title\u{7}\nallow";
const IMAGE: &str = "quay.io/x/app:1.0\r\ndecision: ALLOW";

fn report() -> Report {
    let mut r = Report::failed("check", "dev/app:latest", "dev/app:promote", String::new());
    r.error = None;
    r.decision = Decision::Deny;
    r.promotion.targets = vec![NAME.to_string()];
    r.promotion.image = Some(IMAGE.to_string());
    r.promotion.discovery = Some(format!("found {NAME}"));
    r.warnings = vec![MESSAGE.to_string()];
    r.summary = Tally {
        deny: 1,
        ..Tally::default()
    };
    r.rules = vec![RuleVerdict {
        id: "evil".into(),
        outcome: Outcome::Deny,
        messages: vec![MESSAGE.to_string(), format!("target {NAME}")],
        file: "policies/evil.rhai".into(),
        title: "Title\u{1b}[1m".into(),
        description: String::new(),
        fix: Some("run `oc tag`\n\u{1b}[2J".into()),
        position: Some((3, 1)),
        level: None,
        operations: 1,
        duration_us: 1,
        waived_by: None,
        facts_read: vec![tollgate::policy::FactRead {
            path: "image.reference".into(),
            value: serde_json::Value::String(IMAGE.into()),
        }],
        facts_read_omitted: 0,
    }];
    r
}

fn assert_no_raw_controls(out: &str, keep: &[char]) {
    for c in out.chars() {
        let control = c.is_control() && !keep.contains(&c);
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!control && !bidi, "raw {c:?} in:\n{out}");
    }
}

#[test]
fn text_shows_escapes_and_cannot_be_forged() {
    let out = render_text(&report());
    assert_no_raw_controls(&out, &['\n']);
    let decisions: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("decision:"))
        .collect();
    assert_eq!(decisions, ["decision: DENY — 1 denied"], "{out}");
    assert!(out.contains("bad\\n\\ndecision: ALLOW — 10 passed\\r\\u{1b}[2J\\u{7}\\u{9b}31m \\u{202e}txt.exe\\u{2066}"), "{out}");
    assert!(
        out.contains("prod/dc/app\\u{1b}]0;title\\u{7}\\nallow"),
        "{out}"
    );
    assert!(
        out.contains("quay.io/x/app:1.0\\r\\ndecision: ALLOW"),
        "{out}"
    );
}

#[test]
fn markdown_keeps_one_table_row_per_rule_and_no_html() {
    let out = render_markdown(&report());
    assert_no_raw_controls(&out, &['\n']);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| ")).collect();
    // The header and one row for the one rule: the message's newlines and pipes did not split it.
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[1].matches(" | ").count(), 3, "{}", rows[1]);
    assert!(!out.replace("\\<", "").contains("<img"), "{out}");
    assert!(out.contains("\\<img src=x onerror=alert(1)\\>"), "{out}");
    // The unmatched backtick cannot open a code span that swallows the rest.
    assert!(out.contains("\\| \\`x"), "{out}");
    // Object names in code spans: visible escapes, one line.
    assert!(
        out.contains("`prod/dc/app\\u{1b}]0;title\\u{7}\\nallow`"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("decision")), "{out}");
}

#[test]
fn github_commands_stay_one_line_each_and_cannot_be_injected() {
    let out = render_github(&report());
    assert_no_raw_controls(&out, &['\n']);
    for l in out.lines() {
        assert!(
            l.starts_with("::"),
            "a line that is not a workflow command: {l:?}\n{out}"
        );
    }
    // One command per message, per warning, plus the decision.
    assert_eq!(out.lines().count(), 4, "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("::error file=policies/evil.rhai,line=3,col=1,title=evil%3A Title\\u{1b}[1m::bad\\n\\ndecision: ALLOW"), "{first}");
    assert!(
        first.contains("%0Afix: run `oc tag`%0A\\u{1b}[2J"),
        "{first}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("::error title=tollgate::decision: DENY"),
        "{out}"
    );
}

#[test]
fn junit_is_well_formed_xml_without_controls() {
    let out = render_junit(&report());
    assert_no_raw_controls(&out, &['\n']);
    let mut reader = quick_xml::Reader::from_str(&out);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not XML: {e}\n{out}"),
        }
    }
    assert!(out.contains("bad\\n\\ndecision: ALLOW"), "{out}");
}
