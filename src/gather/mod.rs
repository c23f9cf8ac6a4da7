//! Turns cluster objects into the facts document: from a snapshot on disk or the live cluster.
//!
//! Gatherers fill [`ClusterObjects`]; [`build_facts`] turns them into facts. The snapshot
//! gatherer is [`load`]; the live one is `crate::cluster::gather`.

mod build;
mod error;
mod objects;
pub mod objs;
pub mod snapshot;
pub mod strict_json;
pub mod unique_keys;

pub use build::{
    build_facts, build_facts_with, followed_tags, is_well_known_cluster_role, select_targets,
    Candidate, PromotionRequest,
};
pub use error::GatherError;
pub use objects::{AccessReviews, ClusterObjects, HistoryUnread, Provenance};
pub use objs::{Objs, Shared};
pub use snapshot::{load, SnapshotError};
