//! The end of `check` and `promote`: the report (or the error, as a report for machine-read
//! formats) to stdout, and the exit status.

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::gate::Outcome;
use crate::report::{self, OutputFormat, Report};
use crate::verdict::Decision;

/// The report of an outcome; `dry_run` when nothing was or will be written.
pub fn report_of(command: &'static str, outcome: Outcome, dry_run: bool) -> Report {
    let c = outcome.checked;
    let mut report = Report::evaluated(command, &c.facts, c.verdict, c.actions, dry_run);
    if let Some(acted) = outcome.acted {
        report.actions = acted.actions;
        report.dry_run = false;
        report.execution = Some(acted.state);
    }
    report
}

/// Emits the report and maps it to the exit status.
pub fn finish(
    command: &'static str,
    args: &CheckArgs,
    outcome: Result<Report, Error>,
) -> Result<ExitStatus, Error> {
    let format = report::resolve_format(args.output.output);
    let file = args.output.output_file.as_deref();
    let report = match outcome {
        Ok(r) => r,
        // Machine-read formats still get a document saying why, so CI shows it where it looks.
        Err(e) if format != OutputFormat::Text => {
            let p = &args.promotion;
            let (src, dst) = (p.source.as_deref(), p.destination.as_deref());
            let r = Report::failed(
                command,
                src.unwrap_or_default(),
                dst.unwrap_or_default(),
                e.to_string(),
            );
            report::emit(&r, format, file)?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    report::emit(&report, format, file)?;
    if let Some(state) = &report.execution {
        return Ok(state.exit_status());
    }
    Ok(match report.decision {
        Decision::Allow => ExitStatus::Allowed,
        Decision::Deny => ExitStatus::Denied,
        Decision::Error => ExitStatus::Error,
    })
}
