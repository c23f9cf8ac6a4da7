//! Decision records: each decision written as one content-addressed JSON file (`--record DIR`),
//! and read back to replay under other rules (`tollgate backtest`).
//!
//! A record is `{schema, time, tollgate_version, rules_digest, facts, report}`: the facts the
//! rules saw, the report they produced, the digest of the rules and configuration that decided,
//! and when. It is named by the SHA-256 of its bytes, so it is never overwritten: the same
//! content is the same file.

mod replay;
mod walk;
mod write;

use serde::{Deserialize, Serialize};

pub use replay::{backtest, Backtest, RecordError, Replayed, RuleChange, BACKTEST_SCHEMA};
pub use walk::find_records;
pub use write::{encode, write_record};

/// Identifies a decision record.
pub const RECORD_SCHEMA: &str = "tollgate.record/v1";

/// The largest record `backtest` reads (a record is about as big as its facts document).
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 256 * 1024 * 1024;

/// What a record's report must hold for a replay: the decision and each rule's outcome. The
/// rest of the `tollgate.report/v1` document is kept in the file for readers, not parsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedReport {
    pub decision: String,
    pub rules: Vec<RecordedRule>,
}

/// One rule of a recorded report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRule {
    pub id: String,
    pub outcome: String,
}
