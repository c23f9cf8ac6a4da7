//! `tollgate backtest`: replay recorded decisions under the rules at hand, report what changes.

use crate::cli::BacktestArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::report;

use super::input::{fail_on, gate};

pub fn backtest(args: &BacktestArgs) -> Result<ExitStatus, Error> {
    let gate = gate(&args.policy)?;
    let result = crate::records::backtest(
        &gate,
        &args.paths,
        fail_on(&args.policy),
        args.max_record_bytes,
    );
    let format = report::resolve_backtest_format(args.output);
    report::print_stdout(&report::render_backtest(&result, format))?;
    Ok(result.exit_status())
}
