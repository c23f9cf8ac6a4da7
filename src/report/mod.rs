//! Reports: the only code that writes to stdout. One `Report` value, rendered per format.

mod backtest;
mod batch;
mod batch_formats;
mod emit;
pub mod escape;
mod github;
mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

use serde::Serialize;

use crate::facts::Facts;
use crate::plan::Action;
use crate::verdict::{Decision, ExceptionStatus, RuleVerdict, Tally, Verdict};

pub use backtest::{render_backtest, resolve_backtest_format, BacktestFormat};
pub use batch::{
    emit_batch, render_batch_json, render_batch_summary_line, render_batch_text, BatchExecution,
    BatchReport, BatchSummary, BATCH_SCHEMA,
};
pub use batch_formats::{
    render_batch_github, render_batch_junit, render_batch_markdown, render_batch_sarif,
};
pub use emit::{emit, print_stdout, progress, progress_done, resolve_format, OutputFormat};
pub use github::render_github;
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use sarif::render_sarif;
pub use text::{render_summary_line, render_text};

/// Identifies the JSON report layout (docs/design/CLI.md).
pub const REPORT_SCHEMA: &str = "tollgate.report/v1";

/// What was asked, as the report repeats it.
#[derive(Debug, Clone, Serialize)]
pub struct PromotionSummary {
    pub source: String,
    pub destination: String,
    pub digest: Option<String>,
    pub targets: Vec<String>,
    pub noop: Option<bool>,
    pub image: Option<String>,
    pub discovery: Option<String>,
}

/// The whole report of one run (`tollgate.report/v1`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub command: &'static str,
    pub decision: Decision,
    /// True when nothing was or will be written (check, dry runs, snapshots, denials).
    pub dry_run: bool,
    pub promotion: PromotionSummary,
    pub rules: Vec<RuleVerdict>,
    pub actions: Vec<Action>,
    pub summary: Tally,
    /// Things gathering noticed (unknown facts, lenient parses, refused reads).
    pub warnings: Vec<String>,
    /// Configured exceptions and what became of each (applied, expired, stale); absent when
    /// none is configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionStatus>,
    /// Why no decision could be made, when `decision` is `error` before any rule ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What became of the writes of a live `promote` (done, aborted, partly done with the
    /// restore command); absent when nothing was attempted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<crate::plan::ActState>,
}

impl Report {
    /// A report for a run whose rules were evaluated.
    pub fn evaluated(
        command: &'static str,
        facts: &Facts,
        verdict: Verdict,
        actions: Vec<Action>,
        dry_run: bool,
    ) -> Report {
        Report {
            schema: REPORT_SCHEMA,
            command,
            decision: verdict.decision,
            dry_run,
            promotion: PromotionSummary {
                source: facts.promotion.source.reference.clone(),
                destination: facts.promotion.destination.reference.clone(),
                digest: Some(facts.promotion.digest.clone()),
                targets: facts.targets.iter().map(|t| t.display_ref()).collect(),
                noop: Some(facts.promotion.noop),
                image: facts.image.reference.clone(),
                discovery: Some(facts.discovery.clone()),
            },
            rules: verdict.rules,
            actions,
            summary: verdict.tally,
            warnings: facts.warnings.clone(),
            exceptions: verdict.exceptions,
            error: None,
            execution: None,
        }
    }

    /// A report for a run that stopped before a decision (bad input, unreadable cluster).
    pub fn failed(command: &'static str, source: &str, destination: &str, error: String) -> Report {
        Report {
            schema: REPORT_SCHEMA,
            command,
            decision: Decision::Error,
            dry_run: true,
            promotion: PromotionSummary {
                source: source.to_string(),
                destination: destination.to_string(),
                digest: None,
                targets: vec![],
                noop: None,
                image: None,
                discovery: None,
            },
            rules: vec![],
            actions: vec![],
            summary: Tally::default(),
            warnings: vec![],
            exceptions: vec![],
            error: Some(error),
            execution: None,
        }
    }
}

/// The object a message is about, for locations and exceptions: the first target whose
/// `ns/kind/name` the message names (rules name targets with `target_ref(t)`), else the
/// destination or source tag when named.
pub fn object_of<'a>(r: &'a Report, message: &str) -> Option<&'a str> {
    r.promotion
        .targets
        .iter()
        .map(String::as_str)
        .chain([
            r.promotion.destination.as_str(),
            r.promotion.source.as_str(),
        ])
        .find(|o| !o.is_empty() && message.contains(*o))
}

/// One line per exception worth a reader's attention (expired, stale, expiring soon).
pub fn exception_notes(r: &Report) -> Vec<(&'static str, String)> {
    r.exceptions
        .iter()
        .filter_map(|e| {
            let note = e.note.as_ref()?;
            let level = if e.status == "applied" {
                "notice"
            } else {
                "warning"
            };
            Some((
                level,
                format!(
                    "exception for `{}` ({}): {note}",
                    e.exception.rule, e.status
                ),
            ))
        })
        .collect()
}

/// `waived by exception (owner …, expires …): reason`
pub fn waiver_line(v: &RuleVerdict) -> Option<String> {
    v.waived_by.as_ref().map(|w| {
        format!(
            "waived by exception ({}; owner {}, expires {}): {}",
            w.scope, w.owner, w.expires, w.reason
        )
    })
}
