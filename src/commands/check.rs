//! `tollgate check`: evaluate the rules for a promotion and report; never writes.

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::gate::CheckOptions;
use crate::report::Report;

use super::input::{facts_source, fail_on, gate, promotion};
use super::output::{finish_recorded, report_and_record};

/// The report `check` would print, without printing it (benchmarks, embedding).
pub fn check_report(args: &CheckArgs) -> Result<Report, Error> {
    decide(args).map(|(report, _)| report)
}

/// The report and, with `--record`, the record of the decision.
fn decide(args: &CheckArgs) -> Result<(Report, Option<Vec<u8>>), Error> {
    let gate = gate(&args.policy)?;
    let promotion = promotion(&args.promotion, &args.source)?;
    let opts = CheckOptions {
        fail_on: fail_on(&args.policy),
        plan: None,
    };
    let outcome = gate.run(&facts_source(&args.source), &promotion, opts, None)?;
    let decided = report_and_record("check", outcome, true, &gate, args.record.is_some());
    crate::exit::release(gate);
    decided
}

pub fn check(args: &CheckArgs) -> Result<ExitStatus, Error> {
    super::batch::refuse_batch_flags(args, false)?;
    if let Some(file) = &args.batch.batch {
        return super::batch::check_batch(args, file);
    }
    finish_recorded("check", args, decide(args))
}
