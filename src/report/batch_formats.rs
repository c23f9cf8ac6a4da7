//! A batch report in Markdown, JUnit, SARIF and GitHub workflow commands: each promotion's
//! own rendering as a section (a suite, a run, a group), with the batch's decision around it.

use std::fmt::Write;

use serde_json::json;

use super::batch::{closing, render_batch_summary_line, BatchReport};
use super::escape::{md_code, md_text};
use super::{junit, render_github, render_markdown, sarif};
use crate::verdict::Decision;

/// Markdown: the batch's verdict and a table of promotions, then each promotion's summary.
pub fn render_batch_markdown(b: &BatchReport) -> String {
    let mut out = String::new();
    let verdict = match b.decision {
        Decision::Allow => "✅ allowed",
        Decision::Deny => "❌ denied",
        Decision::Error => "💥 could not decide",
    };
    let _ = writeln!(out, "## tollgate {} --batch: {verdict}\n", b.command);
    if let Some(e) = &b.error {
        let _ = writeln!(out, "{}\n", md_text(e));
    }
    if !b.promotions.is_empty() {
        let _ = writeln!(
            out,
            "| # | source | destination | decision |\n|---|---|---|---|"
        );
        for (i, r) in b.promotions.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                i + 1,
                md_code(&r.promotion.source, true),
                md_code(&r.promotion.destination, true),
                r.decision.as_str()
            );
        }
    }
    let _ = writeln!(out, "\n**{}**", md_text(&render_batch_summary_line(b)));
    if let Some(c) = closing(b) {
        let _ = writeln!(out, "\n{}", md_text(&c));
    }
    for r in &b.promotions {
        // Each promotion's own report, one heading level down from the batch's.
        let _ = writeln!(out, "\n{}", render_markdown(r));
    }
    out
}

/// JUnit: one testsuite per promotion, a testcase per rule.
pub fn render_batch_junit(b: &BatchReport) -> String {
    let mut suites: Vec<_> = b.promotions.iter().map(junit::suite).collect();
    if let Some(e) = &b.error {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message("could not run the batch");
        s.set_type("error");
        s.set_description(e.as_str());
        let mut suite = TestSuite::new(format!("tollgate {} --batch", b.command));
        suite.add_test_case(TestCase::new("tollgate", s));
        suites.push(suite);
    }
    junit::xml(suites)
}

/// SARIF: one run per promotion; the batch's decision in each run's properties.
pub fn render_batch_sarif(b: &BatchReport) -> String {
    let total = b.promotions.len();
    let mut runs: Vec<_> = b
        .promotions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut run = sarif::run(r);
            if let Some(props) = run.get_mut("properties").and_then(|p| p.as_object_mut()) {
                props.insert(
                    "batch".into(),
                    json!({ "index": i + 1, "of": total, "decision": b.decision }),
                );
            }
            run
        })
        .collect();
    if let Some(e) = &b.error {
        runs.push(json!({
            "tool": { "driver": { "name": "tollgate", "version": env!("CARGO_PKG_VERSION") } },
            "invocations": [{
                "executionSuccessful": false,
                "toolExecutionNotifications": [{ "level": "error", "message": { "text": e } }],
            }],
            "results": [],
        }));
    }
    sarif::document(runs)
}

/// GitHub: each promotion's annotations in a log group, then the batch's decision.
pub fn render_batch_github(b: &BatchReport) -> String {
    let mut out = String::new();
    for r in &b.promotions {
        let name = super::github::escape_data(&super::escape::line(&BatchReport::name(r)));
        let _ = writeln!(out, "::group::tollgate {name}");
        out.push_str(&render_github(r));
        out.push_str("::endgroup::\n");
    }
    let kind = if b.decision == Decision::Allow && b.error.is_none() {
        "notice"
    } else {
        "error"
    };
    let mut summary = render_batch_summary_line(b);
    if let Some(e) = &b.error {
        summary.push_str(&format!(": {e}"));
    }
    if let Some(c) = closing(b) {
        summary.push_str(&format!("\n{c}"));
    }
    let _ = writeln!(
        out,
        "::{kind} title=tollgate batch::{}",
        super::github::escape_data(&super::escape::block(&summary))
    );
    out
}
