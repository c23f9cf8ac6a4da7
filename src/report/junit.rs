//! JUnit XML: one testsuite, one testcase per rule, so CI test tabs show what blocked.

use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::escape::{block, line};
use super::{render_summary_line, waiver_line, Report};
use crate::verdict::Outcome;
use crate::verdict::RuleVerdict;

/// quick-junit strips ANSI sequences and the C0 controls XML 1.0 forbids; bidi overrides and
/// line breaks inside a message are neutralised here ([`super::escape`]), as in `text`.
fn details(v: &RuleVerdict) -> String {
    let mut d: Vec<String> = v.messages.iter().map(|m| line(m).into_owned()).collect();
    if let Some(fix) = &v.fix {
        d.push(format!("fix: {}", block(fix)));
    }
    d.push(format!("({})", line(&v.file)));
    d.join("\n")
}

fn first_message(v: &RuleVerdict) -> String {
    line(v.messages.first().unwrap_or(&v.title)).into_owned()
}

fn case(v: &RuleVerdict) -> TestCase {
    let status = match v.outcome {
        Outcome::Pass | Outcome::Warn | Outcome::Waived => TestCaseStatus::success(),
        Outcome::Deny | Outcome::Error => {
            let kind = if v.outcome == Outcome::Deny {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(first_message(v));
            s.set_type(if v.outcome == Outcome::Deny {
                "deny"
            } else {
                "rule-error"
            });
            s.set_description(details(v));
            s
        }
        Outcome::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(first_message(v));
            s
        }
    };
    let mut c = TestCase::new(v.id.as_str(), status);
    c.set_classname(format!("tollgate.{}", v.id));
    c.set_time(Duration::from_micros(v.duration_us));
    if v.outcome == Outcome::Warn {
        // A warning does not fail the test case (it does not block unless `--fail-on warn`), but
        // it must still be visible in the CI's test view.
        c.set_system_out(format!("warning: {}", details(v)));
    }
    if let Some(w) = waiver_line(v) {
        let messages: Vec<_> = v.messages.iter().map(|m| line(m)).collect();
        c.set_system_out(format!("{}\n{}", line(&w), messages.join("\n")));
    }
    c
}

/// The JUnit XML document.
pub fn render_junit(r: &Report) -> String {
    xml(vec![suite(r)])
}

/// The document of some suites (a batch has one per promotion).
pub(super) fn xml(suites: Vec<TestSuite>) -> String {
    let mut report = quick_junit::Report::new("tollgate");
    report.add_test_suites(suites);
    report.to_string().unwrap_or_else(|e| {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- junit report failed: {e} -->\n<testsuites/>\n")
    })
}

/// The suite of one report: a testcase per rule.
pub(super) fn suite(r: &Report) -> TestSuite {
    let mut suite = TestSuite::new(format!(
        "tollgate {} {} → {}",
        r.command, r.promotion.source, r.promotion.destination
    ));
    suite.add_property(("decision", r.decision.as_str()));
    if let Some(d) = &r.promotion.digest {
        suite.add_property(("digest", d.as_str()));
    }
    for v in &r.rules {
        suite.add_test_case(case(v));
    }
    if let Some(e) = &r.error {
        // No rule ran: one error case keeps the decision visible where CI shows test results.
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message("could not decide");
        s.set_type("error");
        s.set_description(e.as_str());
        suite.add_test_case(TestCase::new("tollgate", s));
    }
    suite.set_system_out(render_summary_line(r));
    suite
}
