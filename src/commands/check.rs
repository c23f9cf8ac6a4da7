//! `tollgate check`: evaluate the rules for a promotion and report; never writes.

use crate::cli::CheckArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::gate::CheckOptions;
use crate::report::Report;

use super::input::{facts_source, fail_on, gate, promotion};
use super::output::{finish, report_of};

/// The report `check` would print, without printing it (benchmarks, embedding).
pub fn check_report(args: &CheckArgs) -> Result<Report, Error> {
    let gate = gate(&args.policy)?;
    let promotion = promotion(&args.promotion, &args.source)?;
    let opts = CheckOptions {
        fail_on: fail_on(&args.policy),
        plan: None,
    };
    let outcome = gate.run(&facts_source(&args.source), &promotion, opts, None)?;
    Ok(report_of("check", outcome, true))
}

pub fn check(args: &CheckArgs) -> Result<ExitStatus, Error> {
    super::batch::refuse_batch_flags(args, false)?;
    if let Some(file) = &args.batch.batch {
        return super::batch::check_batch(args, file);
    }
    finish("check", args, check_report(args))
}
