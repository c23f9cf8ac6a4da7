//! Acting on the cluster: retag pinned to the checked digest, roll out, wait — the only code that writes.
//!
//! [`execute`] runs the steps of an allowed promotion against a live cluster through the
//! caller's `kube::Client` (docs/ARCHITECTURE.md rule 9):
//! 1. **preconditions**, re-read right before writing ([`precheck`]): the source still resolves
//!    to the checked digest, the destination is where the facts saw it, no target was paused or
//!    started a rollout. Any difference: [`ActState::Aborted`], nothing written;
//! 2. **retag** like `oc tag`, pinned to the digest, with the [`Receipt`] as spec-tag annotations,
//!    conditional on the stream's resourceVersion, retried on conflict, read back;
//! 3. **rollout** of each target per [`RolloutMode`], never twice, skipping targets that already
//!    run the digest (so a re-run after a partial failure converges);
//! 4. **wait** (optional) for each rollout to end and confirm the target runs the digest.
//!
//! Every step becomes an [`Action`]; a failure after the tag moved is [`ActState::Partial`] with
//! the command that restores the previous digest.

mod precheck;
mod receipt;
mod retag;
mod rollout;
mod wait;

#[cfg(test)]
mod tests;

use std::time::Duration;

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::facts::Facts;
use crate::plan::{Action, ActionKind, ActionStatus, RolloutMode};
use crate::refs::short_digest as short;

pub use crate::plan::ActState;
pub use receipt::{
    Receipt, ANN_DECISION, ANN_DIGEST, ANN_PROMOTED_AT, ANN_PROMOTED_BY, ANN_REASON,
    ANN_RULES_DIGEST,
};

use rollout::{Context, Follow};

/// How to act (`promote`'s flags) and what to record.
#[derive(Debug, Clone)]
pub struct ActOptions {
    /// `--rollout`.
    pub rollout: RolloutMode,
    /// `--wait`: follow rollouts to their end and confirm the digest runs.
    pub wait: bool,
    /// `--timeout`: how long the wait may take in total.
    pub timeout: Duration,
    /// Time between two looks at a rollout while waiting.
    pub poll: Duration,
    /// Annotations written onto the destination's spec tag.
    pub receipt: Receipt,
}

impl ActOptions {
    /// Options with the default poll interval (2 s).
    pub fn new(rollout: RolloutMode, wait: bool, timeout: Duration, receipt: Receipt) -> Self {
        ActOptions {
            rollout,
            wait,
            timeout,
            poll: Duration::from_secs(2),
            receipt,
        }
    }
}

/// The steps taken and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActOutcome {
    pub actions: Vec<Action>,
    pub state: ActState,
}

impl ActOutcome {
    /// The exit status of docs/design/CLI.md for this outcome.
    pub fn exit_status(&self) -> ExitStatus {
        self.state.exit_status()
    }
}

/// Retags, rolls out and (optionally) waits, as described in the module docs.
pub async fn execute(
    client: &kube::Client,
    facts: &Facts,
    opts: &ActOptions,
    progress: &mut dyn FnMut(&str),
) -> ActOutcome {
    let live = match precheck::check(client, facts, opts.rollout).await {
        Ok(live) => live,
        Err(why) => {
            tracing::warn!("act: precondition failed: {why}");
            progress(&format!("precondition failed: {why}; nothing written"));
            let detail = format!("precondition failed: {why}; nothing written");
            return aborted(
                facts,
                opts,
                vec![retag_action(facts, ActionStatus::Failed, detail)],
                why,
            );
        }
    };
    let retagged = match retag::retag(client, facts, &opts.receipt, live.dest_stream.clone()).await
    {
        Ok(r) => r,
        Err(failed) => {
            progress(&format!("retag: {}", failed.action.detail));
            let why = failed.action.detail.clone();
            let mut actions = vec![failed.action];
            if failed.wrote {
                skip_rest(
                    facts,
                    opts,
                    &mut actions,
                    "not attempted: the retag did not read back",
                );
                return partial(facts, actions, why);
            }
            return aborted(facts, opts, actions, why);
        }
    };
    progress(&format!("retag: {}", retagged.action.detail));
    let mut actions = vec![retagged.action.clone()];
    let cx = Context {
        mode: opts.rollout,
        moved: retagged.moved,
        pull_spec: retagged.pull_spec.as_deref(),
    };
    let mut follows: Vec<Option<Follow>> = Vec::with_capacity(facts.targets.len());
    for (t, pre) in facts.targets.iter().zip(live.versions.iter().copied()) {
        let r = rollout::rollout(client, facts, t, pre, cx).await;
        progress(&format!("rollout {}: {}", t.display_ref(), r.action.detail));
        actions.push(r.action);
        follows.push(r.follow);
    }
    if opts.wait {
        let deadline = tokio::time::Instant::now() + opts.timeout;
        for (i, (t, follow)) in facts.targets.iter().zip(&follows).enumerate() {
            let action = match follow {
                Some(f) => {
                    wait::wait_for(client, facts, t, *f, deadline, opts.poll, progress).await
                }
                None => {
                    let rolled = &actions[i + 1];
                    let detail = if rolled.status == ActionStatus::Failed {
                        "nothing to follow: the rollout was not started".to_string()
                    } else {
                        format!("nothing to follow: {}", rolled.detail)
                    };
                    Action {
                        kind: ActionKind::Wait,
                        target: t.display_ref(),
                        status: ActionStatus::Skipped,
                        detail,
                    }
                }
            };
            actions.push(action);
        }
    }
    if actions.iter().any(|a| a.status == ActionStatus::Failed) {
        let why = describe_partial(facts, &actions);
        return partial(facts, actions, why);
    }
    ActOutcome {
        actions,
        state: ActState::Done,
    }
}

fn retag_action(facts: &Facts, status: ActionStatus, detail: String) -> Action {
    Action {
        kind: ActionKind::Retag,
        target: facts.promotion.destination.reference.clone(),
        status,
        detail,
    }
}

/// Marks every step after the retag as not attempted.
fn skip_rest(facts: &Facts, opts: &ActOptions, actions: &mut Vec<Action>, why: &str) {
    let mut kinds = vec![ActionKind::Rollout];
    if opts.wait {
        kinds.push(ActionKind::Wait);
    }
    for kind in kinds {
        for t in &facts.targets {
            actions.push(Action {
                kind,
                target: t.display_ref(),
                status: ActionStatus::Skipped,
                detail: why.to_string(),
            });
        }
    }
}

fn aborted(facts: &Facts, opts: &ActOptions, mut actions: Vec<Action>, why: String) -> ActOutcome {
    skip_rest(
        facts,
        opts,
        &mut actions,
        "not attempted: nothing was changed",
    );
    ActOutcome {
        actions,
        state: ActState::Aborted { why },
    }
}

fn partial(facts: &Facts, actions: Vec<Action>, why: String) -> ActOutcome {
    ActOutcome {
        actions,
        state: ActState::Partial {
            why,
            restore_command: restore_command(facts),
        },
    }
}

/// The digest the destination pointed at before this promotion, if known.
pub fn previous_digest(facts: &Facts) -> Option<&str> {
    let promoted = facts.promotion.digest.as_str();
    facts
        .destination
        .digest
        .iter()
        .chain(facts.destination.history.iter().map(|h| &h.digest))
        .map(String::as_str)
        .find(|d| *d != promoted)
}

/// `oc tag <dest ns>/<stream>@<previous> <dest ref>`, or `oc tag -d <dest ref>` for a tag that
/// did not exist before; `None` when the previous state is unknown.
pub fn restore_command(facts: &Facts) -> Option<String> {
    let d = &facts.promotion.destination;
    match previous_digest(facts) {
        Some(prev) => Some(format!(
            "oc tag {}/{}@{prev} {}",
            d.namespace, d.stream, d.reference
        )),
        None if facts.destination.exists == Some(false) => {
            Some(format!("oc tag -d {}", d.reference))
        }
        None => None,
    }
}

/// The exact state after a failure: where the tag is, which targets rolled, how to go back.
fn describe_partial(facts: &Facts, actions: &[Action]) -> String {
    let d = &facts.promotion.destination;
    let (mut rolled, mut not_rolled, mut left) = (Vec::new(), Vec::new(), Vec::new());
    for t in &facts.targets {
        let name = t.display_ref();
        let steps: Vec<&Action> = actions
            .iter()
            .filter(|a| a.target == name && a.kind != ActionKind::Retag)
            .collect();
        if let Some(a) = steps.iter().find(|a| a.status == ActionStatus::Failed) {
            not_rolled.push(format!("{name} ({})", a.detail));
        } else if steps.iter().any(|a| {
            a.status == ActionStatus::Done
                || a.detail.starts_with("already runs")
                || a.detail.starts_with("rolls out by itself")
        }) {
            rolled.push(name);
        } else {
            left.push(name);
        }
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut why = format!(
        "{} now points at {}; rolled out: {}; not rolled out: {}",
        d.reference,
        short(&facts.promotion.digest),
        list(&rolled),
        list(&not_rolled)
    );
    if !left.is_empty() {
        why.push_str(&format!("; left alone: {}", left.join(", ")));
    }
    match previous_digest(facts) {
        Some(prev) => why.push_str(&format!(
            "; it pointed at {prev} before: `tollgate promote {ns}/{s}@{prev} {r}` (or `oc tag {ns}/{s}@{prev} {r}`) restores it, \
             or run the same promote again to finish the rollout",
            ns = d.namespace,
            s = d.stream,
            r = d.reference
        )),
        None => why.push_str("; run the same promote again to finish the rollout"),
    }
    why
}
