//! Writing reports out: stdout (the only place that does), or a file plus a summary line.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::{
    render_github, render_json, render_junit, render_markdown, render_sarif, render_summary_line,
    render_text, Report,
};
use crate::cli::OutputFormat;

/// Text on a terminal, JSON otherwise (CLI.md), unless `--output` says.
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
    match file {
        Some(path) => {
            std::fs::write(path, body)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            print_stdout(&format!(
                "{} (report written to {})\n",
                render_summary_line(report),
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

/// A progress line of a running promotion, on stderr so stdout keeps only the report.
pub fn progress(line: &str) {
    let mut err = std::io::stderr().lock();
    // Progress is best effort: a closed stderr must not fail the promotion.
    let _ = writeln!(err, "{line}");
}
