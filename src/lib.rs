//! tollgate: policy-checked image promotion for OpenShift.
//!
//! The pipeline is gather → evaluate → decide → act → report; each stage is a module:
//! [`gather`] builds the [`facts`] document from cluster objects, [`policy`] evaluates the Rhai
//! rules over it, [`verdict`] turns outcomes into a decision, [`plan`] lists what `promote` does,
//! and [`report`] renders the result. [`run`] is the whole program minus process setup.

pub mod act;
pub mod admission;
pub mod batch;
pub mod cache;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod duration;
pub mod error;
pub mod exit;
pub mod facts;
pub mod gate;
pub mod gather;
pub mod input;
pub mod openshift;
pub mod plan;
pub mod policy;
pub mod policy_files;
pub mod records;
pub mod refs;
pub mod report;
pub mod rule_tests;
pub mod serve;
pub mod verdict;

use cli::{Cli, Command};
use error::Error;
use exit::ExitStatus;

/// Runs one command; `Err` means "could not decide" (exit 2) and carries the reason.
pub fn run(cli: &Cli) -> Result<ExitStatus, Error> {
    match &cli.command {
        Command::Check(a) => commands::check(a),
        Command::Promote(a) => commands::promote(a),
        Command::Facts(a) => commands::facts(a),
        Command::Lint(a) => commands::lint(a),
        Command::Test(a) => commands::test(a),
        Command::Doc(a) => commands::doc(a),
        Command::Serve(a) => commands::serve(a),
        Command::Backtest(a) => commands::backtest(a),
    }
}
