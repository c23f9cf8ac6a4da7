//! Tollgate through its CLI, on the seed snapshots and small packs written per case: decisions
//! and exit codes, bad input, exceptions, explain, lint, reports, rule tests, the README, and the
//! deployment manifests and Containerfile.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backtest;
mod bad_input;
mod batch;
mod batch_pipeline;
mod common;
mod deploy;
mod exceptions;
mod explain;
mod lint;
mod panic_guard;
mod readme;
mod records;
mod report_escaping;
mod reports;
mod rule_tests;
mod seed;
