//! Turns cluster objects into the facts document: from a snapshot on disk (and later the live cluster).
//!
//! Gatherers fill [`ClusterObjects`]; [`build_facts`] turns them into facts. The snapshot
//! gatherer is [`load`].

mod build;
mod error;
mod objects;
pub mod snapshot;

pub use build::{build_facts, PromotionRequest};
pub use error::GatherError;
pub use objects::{ClusterObjects, Provenance};
pub use snapshot::{load, SnapshotError};
