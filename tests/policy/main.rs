//! Tollgate's policy side as a library: the Rhai engine's sandbox and limits, the rule library,
//! facts built from the seed snapshots, and what the shipped pack's YAML cases cannot say.
//! (What each shipped rule decides is tested by `policies/tests/*.yaml`, via `tollgate test`.)
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod facts;
mod library;
mod limits;
mod pack;
