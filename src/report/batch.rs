//! The report of a batch (`tollgate.batch/v1`): one `tollgate.report/v1` per promotion, the
//! combined decision and what was written; JSON and text here, the other formats in
//! [`super::batch_formats`].

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use super::escape::line;
use super::{render_text, OutputFormat, Report};
use crate::verdict::Decision;

/// Identifies the JSON layout of a batch report (docs/design/CLI.md).
pub const BATCH_SCHEMA: &str = "tollgate.batch/v1";

/// Counts over the promotions of a batch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchSummary {
    pub promotions: usize,
    pub allowed: usize,
    pub denied: usize,
    pub errors: usize,
    /// Promotions whose writes completed.
    pub written: usize,
}

/// What became of the writes, when some were attempted.
#[derive(Debug, Clone, Serialize)]
pub struct BatchExecution {
    /// `done` (every write asked for completed), `partial` (some tags moved, the rest did
    /// not), or `aborted` (nothing was written).
    pub state: &'static str,
    /// The destinations that moved.
    pub written: Vec<String>,
    /// The allowed destinations that did not move.
    pub not_written: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// The whole report of a batch run.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    pub schema: &'static str,
    pub command: &'static str,
    pub decision: Decision,
    /// True when nothing was or will be written.
    pub dry_run: bool,
    /// `--partial`: the allowed promotions are written even when others are not allowed.
    pub partial: bool,
    /// The exit status the run ends with (docs/design/CLI.md; the worst of the promotions').
    pub exit_code: i32,
    pub summary: BatchSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<BatchExecution>,
    /// Why the batch could not run at all (an unreadable batch file, no cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub promotions: Vec<Report>,
}

impl BatchReport {
    /// A batch that could not run: no promotion was checked.
    pub fn failed(command: &'static str, error: String) -> BatchReport {
        BatchReport {
            schema: BATCH_SCHEMA,
            command,
            decision: Decision::Error,
            dry_run: true,
            partial: false,
            exit_code: crate::exit::ExitStatus::Error.code(),
            summary: BatchSummary::default(),
            execution: None,
            error: Some(error),
            promotions: vec![],
        }
    }

    /// `source → destination` of the i-th promotion, for headings.
    pub(super) fn name(r: &Report) -> String {
        format!("{} → {}", r.promotion.source, r.promotion.destination)
    }
}

fn word(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "ALLOW",
        Decision::Deny => "DENY",
        Decision::Error => "ERROR",
    }
}

/// `batch: DENY — 3 promotions: 2 allowed, 1 denied`
pub fn render_batch_summary_line(b: &BatchReport) -> String {
    let s = &b.summary;
    let mut parts = vec![format!("{} allowed", s.allowed)];
    if s.denied > 0 {
        parts.push(format!("{} denied", s.denied));
    }
    if s.errors > 0 {
        parts.push(format!("{} could not be decided", s.errors));
    }
    if s.written > 0 {
        parts.push(format!("{} written", s.written));
    }
    format!(
        "batch: {} — {} promotion{}: {}",
        word(b.decision),
        s.promotions,
        if s.promotions == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// What the batch wrote or why it wrote nothing, for the end of the text and Markdown reports.
pub(super) fn closing(b: &BatchReport) -> Option<String> {
    if let Some(x) = &b.execution {
        let why = x
            .why
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        return Some(match x.state {
            "done" => format!("batch done: {} promotion(s) written", x.written.len()),
            "partial" => format!(
                "batch PARTLY DONE{why}; written: {}; not written: {} (each section says how to \
                 restore or finish)",
                list(&x.written),
                list(&x.not_written)
            ),
            _ => format!("batch ABORTED, nothing was written{why}"),
        });
    }
    if b.command == "promote" && b.decision != Decision::Allow && !b.partial {
        return Some(
            "nothing was written: a batch is all-or-nothing; make every promotion pass (or use \
             --partial to promote the allowed ones)"
                .into(),
        );
    }
    None
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Pretty JSON with a trailing newline.
pub fn render_batch_json(b: &BatchReport) -> String {
    let mut s = serde_json::to_string_pretty(b).unwrap_or_else(|e| {
        format!(
            "{{\"schema\":\"{BATCH_SCHEMA}\",\"decision\":\"error\",\"error\":\"report: {e}\"}}"
        )
    });
    s.push('\n');
    s
}

/// The text report: a section per promotion (the single report's text), then the batch's line.
pub fn render_batch_text(b: &BatchReport) -> String {
    let mut out = String::new();
    let n = b.promotions.len();
    let _ = writeln!(out, "tollgate {} --batch: {n} promotion(s)", b.command);
    if let Some(e) = &b.error {
        let _ = writeln!(out, "\nerror: could not run the batch\n  {}", line(e));
    }
    for (i, r) in b.promotions.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n══ [{}/{n}] {} ══",
            i + 1,
            line(&BatchReport::name(r))
        );
        out.push_str(&render_text(r));
    }
    let _ = writeln!(out, "\n{}", render_batch_summary_line(b));
    for (i, r) in b.promotions.iter().enumerate() {
        let _ = writeln!(
            out,
            "  [{}/{n}] {:5} {}",
            i + 1,
            word(r.decision),
            line(&BatchReport::name(r))
        );
    }
    if let Some(c) = closing(b) {
        let _ = writeln!(out, "{}", line(&c));
    }
    out
}

/// Renders the batch report in `format` to stdout, or to `file` with a summary line on stdout.
pub fn emit_batch(
    b: &BatchReport,
    format: OutputFormat,
    file: Option<&Path>,
) -> std::io::Result<()> {
    use super::batch_formats::{
        render_batch_github, render_batch_junit, render_batch_markdown, render_batch_sarif,
    };
    let body = match format {
        OutputFormat::Text => render_batch_text(b),
        OutputFormat::Json => render_batch_json(b),
        OutputFormat::Sarif => render_batch_sarif(b),
        OutputFormat::Junit => render_batch_junit(b),
        OutputFormat::Github => render_batch_github(b),
        OutputFormat::Markdown => render_batch_markdown(b),
    };
    super::emit::deliver(body, file, || render_batch_summary_line(b))
}
