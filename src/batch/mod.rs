//! Release trains: many promotions checked together, then written all-or-nothing.
//!
//! Every promotion of a batch is gathered and checked first (live: with bounded concurrency,
//! over one connection whose reads are shared through a [`crate::cluster::ReadMemo`]). Only
//! then is anything written: when every promotion is allowed — or, with `partial`, the allowed
//! ones — one after another in the file's order, each pinned to its checked digest by
//! [`Gate::act`]. The first write that fails stops the train: what was done and what was not
//! is reported, never success.

mod file;
mod run;

use crate::act::ActOutcome;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::gate::{Checked, Promotion};
use crate::plan::ActState;
use crate::verdict::Decision;

pub use file::{parse, promotions, read, Entry, MAX_BATCH_BYTES, MAX_PROMOTIONS};
pub use run::{run, BatchAct, BatchRequest};

/// The default of `--concurrency`. A promotion costs two round trips of a few requests of its
/// own (its reads shared with the batch come from the memo): at 8, 1,000 promotions at 20 ms a
/// request wait 5 s for the network alone; at 32, 1.25 s, with at most ~32 × 5 requests in
/// flight — well within an API server's default limits (400 reads and 200 writes in flight,
/// queued beyond by API Priority and Fairness, not refused).
pub const DEFAULT_CONCURRENCY: usize = 32;
/// The most promotions gathered at once.
pub const MAX_CONCURRENCY: usize = 64;

/// One promotion of a batch and what became of it.
#[derive(Debug)]
pub struct Item {
    pub promotion: Promotion,
    /// The check, or why none could be made (a gather that failed).
    pub checked: Result<Checked, Error>,
    /// What the writes did, when they were attempted.
    pub acted: Option<ActOutcome>,
    /// Why an allowed promotion was not written (another one was not allowed, or failed).
    pub held: Option<String>,
}

impl Item {
    pub fn decision(&self) -> Decision {
        match &self.checked {
            Ok(c) => c.decision(),
            Err(_) => Decision::Error,
        }
    }
}

/// The whole batch.
#[derive(Debug)]
pub struct BatchOutcome {
    pub items: Vec<Item>,
    /// Live: reads sent and reads answered from the batch's memo.
    pub reads: Option<(u64, u64)>,
}

/// How bad an exit status is for a batch: error 2 > partly done 3 > denied 1 > allowed 0.
fn rank(s: ExitStatus) -> u8 {
    match s {
        ExitStatus::Allowed => 0,
        ExitStatus::Denied => 1,
        ExitStatus::Partial => 2,
        ExitStatus::Error => 3,
    }
}

/// The worst of `statuses` (allowed when empty).
pub fn worst(statuses: impl IntoIterator<Item = ExitStatus>) -> ExitStatus {
    statuses
        .into_iter()
        .max_by_key(|s| rank(*s))
        .unwrap_or(ExitStatus::Allowed)
}

impl BatchOutcome {
    /// Whether any promotion of the batch was written (a tag moved).
    pub fn wrote(&self) -> bool {
        self.items.iter().any(|i| {
            matches!(
                i.acted.as_ref().map(|a| &a.state),
                Some(ActState::Done | ActState::Partial { .. })
            )
        })
    }

    /// Each promotion's exit status, in order. A write that failed after others of the batch
    /// were written leaves the batch partly done (3), not merely failed.
    pub fn statuses(&self) -> Vec<ExitStatus> {
        let wrote = self.wrote();
        self.items
            .iter()
            .map(|i| match (&i.acted, i.decision()) {
                (Some(a), _) => match &a.state {
                    ActState::Aborted { .. } if wrote => ExitStatus::Partial,
                    s => s.exit_status(),
                },
                (None, Decision::Allow) => ExitStatus::Allowed,
                (None, Decision::Deny) => ExitStatus::Denied,
                (None, Decision::Error) => ExitStatus::Error,
            })
            .collect()
    }

    /// The batch's exit status: the worst of its promotions'.
    pub fn exit_status(&self) -> ExitStatus {
        worst(self.statuses())
    }

    /// The batch's decision: allow when every promotion is allowed, error when one could not
    /// be decided, else deny.
    pub fn decision(&self) -> Decision {
        let decisions: Vec<Decision> = self.items.iter().map(Item::decision).collect();
        if decisions.contains(&Decision::Error) {
            Decision::Error
        } else if decisions.contains(&Decision::Deny) {
            Decision::Deny
        } else {
            Decision::Allow
        }
    }
}

#[cfg(test)]
mod tests;
