//! `tollgate test`: run the rules' test cases and print each case ✓/✗ with a summary.
//!
//! Exit status: 0 every case passed, 1 a case failed (or, with `--require-tests`, a rule has
//! no case), 2 a test file or its input cannot be used.

use crate::cli::TestArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::report;
use crate::rule_tests;

pub fn test(args: &TestArgs) -> Result<ExitStatus, Error> {
    let run = rule_tests::run(&args.dirs, args.require_tests)?;
    report::print_stdout(&run.text)?;
    Ok(run.status)
}
