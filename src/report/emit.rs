//! Writing reports out: stdout (the only place that does), or a file plus a summary line.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::{
    render_github, render_json, render_junit, render_markdown, render_sarif, render_summary_line,
    render_text, Report,
};

/// Text on a terminal, JSON otherwise (docs/design/CLI.md), unless `--output` says.
pub fn resolve_format(requested: Option<OutputFormat>) -> OutputFormat {
    requested.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            OutputFormat::Text
        } else {
            OutputFormat::Json
        }
    })
}

/// Renders the report in `format` to stdout, or to `file` with a summary line on stdout.
pub fn emit(report: &Report, format: OutputFormat, file: Option<&Path>) -> std::io::Result<()> {
    let body = match format {
        OutputFormat::Text => render_text(report),
        OutputFormat::Json => render_json(report),
        OutputFormat::Sarif => render_sarif(report),
        OutputFormat::Junit => render_junit(report),
        OutputFormat::Github => render_github(report),
        OutputFormat::Markdown => render_markdown(report),
    };
    deliver(body, file, || render_summary_line(report))
}

/// Writes a rendered report to stdout, or to `file` with its one-line summary on stdout (so a
/// terminal still says what was decided).
pub(super) fn deliver(
    body: String,
    file: Option<&Path>,
    summary: impl FnOnce() -> String,
) -> std::io::Result<()> {
    match file {
        Some(path) => {
            std::fs::write(path, body)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            print_stdout(&format!(
                "{} (report written to {})\n",
                summary(),
                path.display()
            ))
        }
        None => print_stdout(&body),
    }
}

/// Writes raw text (a facts document, lint output) to stdout.
pub fn print_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not a failure of the gate.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Whether a status line is on the terminal and must be ended before anything else prints.
static STATUS_LINE_OPEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A progress line of a running promotion, on stderr so stdout keeps only the report. On a
/// terminal it is one status line rewritten in place (the report lists every step after);
/// elsewhere (CI logs) each line is kept, with the seconds since the start.
pub fn progress(started: std::time::Instant, line: &str) {
    let secs = started.elapsed().as_secs();
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    // Progress is best effort: a closed stderr must not fail the promotion.
    if stderr.is_terminal() {
        let _ = write!(err, "\r\x1b[2K[{secs:>3}s] {line}");
        let _ = err.flush();
        STATUS_LINE_OPEN.store(true, std::sync::atomic::Ordering::Relaxed);
    } else {
        let _ = writeln!(err, "[{secs:>3}s] {line}");
    }
}

/// Ends the terminal status line, if one is open, so the report starts on a fresh line.
pub fn progress_done() {
    if STATUS_LINE_OPEN.swap(false, std::sync::atomic::Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr().lock());
    }
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable report (the default on a terminal).
    Text,
    /// The `tollgate.report/v1` JSON document (the default when stdout is not a terminal).
    Json,
    /// SARIF 2.1.0 (code scanning: GitHub, GitLab, Azure DevOps), findings located in the rule files.
    Sarif,
    /// JUnit XML: one testcase per rule (CI test views).
    Junit,
    /// GitHub Actions workflow commands (`::error file=…::…`), annotations on the rule files.
    Github,
    /// A Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
}
