//! Turns cluster objects into the facts document: from a snapshot on disk (and later the live cluster).

mod objects;
pub mod snapshot;

pub use objects::{ClusterObjects, Provenance};
pub use snapshot::{load, SnapshotError};
