//! Tollgate against a live cluster: the in-process OpenShift API emulator (`tollgate-emulator`)
//! seeded with the example states. `check`, `facts` and `promote` run the CLI binary through a
//! kubeconfig, as a pipeline does; the act cases call the library (all through `crate_api`).
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod act;
mod batch;
mod cache;
mod check;
mod common;
mod crate_api;
mod faults;
mod harness;
mod https;
mod limits;
mod serve;
mod serve_cluster;
mod story;
