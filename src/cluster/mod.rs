//! The live cluster: connecting through kube and gathering the objects of a promotion.
//!
//! [`connect`] loads the kubeconfig (or the pod's service account) explicitly; [`gather`] asks
//! the cluster who we are and reads what the facts need in waves of concurrent
//! requests and returns the same [`crate::gather::ClusterObjects`] a snapshot gives, so one
//! builder turns either into facts.

pub mod api;
mod apply;
mod connect;
mod credentials;
mod deadline;
mod error;
mod exec;
mod gather;
mod memo;
pub mod paths;
pub mod redact;
mod reviews;
mod waves;

pub use crate::duration::parse_request_timeout;
pub use connect::{connect, default_namespace, ConnectOptions, Connection};
pub use deadline::{DEFAULT_REQUEST_TIMEOUT, GATHER_TIMEOUTS};
pub use error::ClusterError;
pub use gather::{discovery_namespaces, gather};
pub use memo::ReadMemo;
pub use reviews::service_account_user;

#[cfg(test)]
mod tests;
