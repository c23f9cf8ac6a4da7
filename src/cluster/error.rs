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
    /// A credential of the kubeconfig user entry that cannot be used; never the value.
    #[error("the credentials of kubeconfig user `{user}` cannot be used: {reason}")]
    Credentials { user: String, reason: String },
    /// An exec credential plugin that failed, hung or printed something unusable.
    #[error("the exec credential plugin `{command}` of kubeconfig user `{user}`: {reason}")]
    ExecPlugin {
        user: String,
        command: String,
        reason: String,
    },
    /// The server answered with an error status (for reads: other than 403/404, which
    /// [`super::api::send`] sorts into unknown / absent).
    #[error("{method} {path}: the cluster answered {code} {reason}: {message}")]
    Api {
        method: String,
        path: String,
        code: u16,
        reason: String,
        message: String,
    },
    /// No answer: connection refused, TLS failure. `server` is `host:port` (no user info).
    #[error("{method} {path} on {server}: no answer from the cluster: {reason}")]
    Transport {
        method: String,
        path: String,
        server: String,
        reason: String,
    },
    /// No complete answer within `--request-timeout` (connect, headers and body together).
    #[error("{method} {path} on {server}: no complete answer within {limit} (--request-timeout)")]
    Timeout {
        method: String,
        path: String,
        server: String,
        limit: String,
    },
    /// The whole gather took longer than its deadline (a multiple of `--request-timeout`).
    #[error("reading the cluster {server} took longer than {limit} ({times} × --request-timeout)")]
    GatherTimeout {
        server: String,
        limit: String,
        times: u32,
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

impl ClusterError {
    /// The HTTP status of an error answer (`None`: no answer, or not an HTTP failure).
    pub fn code(&self) -> Option<u16> {
        match self {
            ClusterError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A short description for an action's detail: the status and the server's message, or
    /// why there was no answer (the request is named by the action itself).
    pub fn brief(&self) -> String {
        match self {
            ClusterError::Api {
                code,
                reason,
                message,
                ..
            } => {
                let reason = if reason.is_empty() { "error" } else { reason };
                format!("{code} {reason}: {message}")
            }
            ClusterError::Transport { reason, .. } => format!("connection error: {reason}"),
            ClusterError::Timeout { limit, .. } => {
                format!("no complete answer within {limit} (--request-timeout)")
            }
            other => other.to_string(),
        }
    }
}
