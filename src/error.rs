//! Why a run could not decide: one error type over the stages, each variant naming what is at fault.

use thiserror::Error;

use crate::config::ConfigError;
use crate::gather::{GatherError, SnapshotError};
use crate::policy::PolicyError;
use crate::refs::RefError;

/// Everything that makes the gate exit 2 ("could not decide; nothing was changed").
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Ref(#[from] RefError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Gather(#[from] GatherError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}
