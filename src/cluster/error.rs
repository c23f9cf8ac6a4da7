//! Why the cluster could not be read: each message names the request and the reason, never a credential.

use thiserror::Error;

use crate::gather::GatherError;

/// A failure that leaves the gate unable to decide (exit 2). A refused read of something the
/// facts can do without is not an error: it becomes a facts warning and an unknown value.
#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("cannot read the kubeconfig {path}: {reason}")]
    Kubeconfig { path: String, reason: String },
    #[error("no cluster to read: {0}")]
    NoConfig(String),
    #[error("cannot set up the cluster client: {0}")]
    Client(String),
    /// The server answered with an error status other than 403/404 (500, 401, 422…).
    #[error("{method} {path}: the cluster answered {code} {reason}: {message}")]
    Api {
        method: String,
        path: String,
        code: u16,
        reason: String,
        message: String,
    },
    /// No answer: connection refused, TLS failure, timeout.
    #[error("{method} {path}: no answer from the cluster: {reason}")]
    Transport {
        method: String,
        path: String,
        reason: String,
    },
    #[error("{method} {path}: cannot decode the answer: {reason}")]
    Decode {
        method: String,
        path: String,
        reason: String,
    },
    /// Something the promotion names does not exist.
    #[error("{what} does not exist in the cluster (GET {path}: 404 Not Found){hint}")]
    NotFound {
        what: String,
        path: String,
        hint: String,
    },
    /// A read the decision cannot do without was refused.
    #[error("cannot read {what}: GET {path} is forbidden for {identity}; grant `{permission}` to it ({message})")]
    Forbidden {
        what: String,
        path: String,
        identity: String,
        permission: String,
        message: String,
    },
    // Boxed: it is large, and `Result<_, ClusterError>` is on every path.
    #[error(transparent)]
    Gather(Box<GatherError>),
    #[error("internal error while reading the cluster: {0}")]
    Internal(String),
}

impl From<GatherError> for ClusterError {
    fn from(e: GatherError) -> Self {
        ClusterError::Gather(Box::new(e))
    }
}

impl From<ClusterError> for crate::error::Error {
    fn from(e: ClusterError) -> Self {
        match e {
            ClusterError::Gather(g) => crate::error::Error::Gather(g),
            // The crate error has no cluster variant yet; the message is the whole story and
            // every `Error` exits 2, which is what "the cluster could not be read" means.
            other => crate::error::Error::Usage(other.to_string()),
        }
    }
}
