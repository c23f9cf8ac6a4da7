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
    // Boxed: these carry file names and object paths, and `Result<_, Error>` is on every path.
    #[error(transparent)]
    Snapshot(Box<SnapshotError>),
    #[error(transparent)]
    Gather(Box<GatherError>),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}

impl From<SnapshotError> for Error {
    fn from(e: SnapshotError) -> Self {
        Error::Snapshot(Box::new(e))
    }
}

impl From<GatherError> for Error {
    fn from(e: GatherError) -> Self {
        Error::Gather(Box::new(e))
    }
}
