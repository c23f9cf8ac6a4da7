//! Why a run could not decide: one error type with a variant per stage, each naming what is at fault.
//!
//! Every variant means the same to the caller — exit 2, "could not decide; nothing was changed"
//! ([`Error::exit_status`] is the one place that says so) — but the variant tells which stage
//! failed, so a library caller (the admission server, a batch) can tell a bad input from an
//! unreachable cluster.

use thiserror::Error;

use crate::cluster::ClusterError;
use crate::config::ConfigError;
use crate::exit::ExitStatus;
use crate::gather::{GatherError, SnapshotError};
use crate::policy::PolicyError;
use crate::refs::RefError;

#[derive(Debug, Error)]
pub enum Error {
    /// A promotion reference (`ns/stream:tag`, `ns/dc/name`) that does not parse.
    #[error(transparent)]
    Ref(#[from] RefError),
    /// Arguments that cannot be used together or do not make sense (`--time`, `--timeout`).
    #[error("{0}")]
    Usage(String),
    /// `tollgate.yaml`: unreadable, invalid, or naming rules the pack does not have.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Rule files: unreadable, or scripts that do not compile.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// Rule test case files (`tollgate test`) that cannot be used.
    #[error("{0}")]
    RuleTests(String),
    // Boxed: these carry file names and object paths, and `Result<_, Error>` is on every path.
    #[error(transparent)]
    Snapshot(Box<SnapshotError>),
    /// A facts document (`--facts FILE`) that cannot be replayed.
    #[error("{path}: {message}")]
    Facts { path: String, message: String },
    /// Objects that do not make a promotion (a missing source tag, an unknown image).
    #[error(transparent)]
    Gather(Box<GatherError>),
    /// The live cluster could not be read or connected to.
    #[error(transparent)]
    Cluster(Box<ClusterError>),
    /// A file other than the above that cannot be read or written (the policy guide).
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// `tollgate serve` could not start: the certificate, the listening address.
    #[error("{0}")]
    Serve(String),
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
    /// Something that should not happen (the async runtime would not start).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Every error ends the run undecided (docs/design/CLI.md: exit 2).
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::Error
    }
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

impl From<ClusterError> for Error {
    fn from(e: ClusterError) -> Self {
        match e {
            // Objects that were read but do not make a promotion: the same as from a snapshot.
            ClusterError::Gather(g) => Error::Gather(g),
            other => Error::Cluster(Box::new(other)),
        }
    }
}
