//! The end of `check` and `promote`: the report (or the error, as a report for machine-read
//! formats) to stdout, and the exit status.

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::facts::Facts;
use crate::gate::{Gate, Outcome};
use crate::report::{self, OutputFormat, Report};
use crate::verdict::Decision;

/// The report of an outcome; `dry_run` when nothing was or will be written.
pub fn report_of(command: &'static str, outcome: Outcome, dry_run: bool) -> Report {
    report_and_facts(command, outcome, dry_run).0
}

/// [`report_of`], the facts handed back.
fn report_and_facts(command: &'static str, outcome: Outcome, dry_run: bool) -> (Report, Facts) {
    let c = outcome.checked;
    let mut report = Report::evaluated(command, &c.facts, c.verdict, c.actions, dry_run);
    if let Some(acted) = outcome.acted {
        report.actions = acted.actions;
        report.dry_run = false;
        report.execution = Some(acted.state);
    }
    (report, c.facts)
}

/// The report of an outcome and, when `record`, the bytes of the decision's record (encoded
/// here, while the facts are at hand; written by [`finish_recorded`] after the report is out).
pub fn report_and_record(
    command: &'static str,
    outcome: Outcome,
    dry_run: bool,
    gate: &Gate,
    record: bool,
) -> Result<(Report, Option<Vec<u8>>), Error> {
    let (report, facts) = report_and_facts(command, outcome, dry_run);
    let bytes = record.then(|| {
        let now = time::OffsetDateTime::now_utc();
        crate::records::encode(&facts, &report, gate.rules_digest(), now)
            .map_err(|e| Error::Internal(format!("cannot encode the decision record: {e}")))
    });
    // One promotion per process here: a large cluster's facts are hundreds of thousands of
    // values to free one by one just before the exit.
    crate::exit::release(facts);
    Ok((report, bytes.transpose()?))
}

/// [`finish`], then the record written to `--record DIR`. A record that cannot be written is
/// an error after the report: a pipeline must not believe the decision was recorded. A run
/// that could not decide has no facts and leaves no record (its exit status says so).
pub fn finish_recorded(
    command: &'static str,
    args: &CheckArgs,
    outcome: Result<(Report, Option<Vec<u8>>), Error>,
) -> Result<ExitStatus, Error> {
    let (outcome, record) = match outcome {
        Ok((report, record)) => (Ok(report), record),
        Err(e) => (Err(e), None),
    };
    let status = finish(command, args, outcome)?;
    if let (Some(dir), Some(bytes)) = (&args.record, record) {
        let path = crate::records::write_record(dir, &bytes).map_err(|e| Error::File {
            path: dir.display().to_string(),
            message: format!("the decision above was not recorded: {e}"),
        })?;
        tracing::info!(record = %path.display(), "decision recorded");
    }
    Ok(status)
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
