//! One promotion end to end: gather from the source, check, and — for a live `promote` that
//! is allowed — act, over one connection in one runtime.

use std::future::Future;

use crate::act::{self, ActOptions, ActOutcome, Receipt};
use crate::cluster;
use crate::error::Error;
use crate::verdict::Decision;

use super::source::{gather_live, gather_offline, FactsSource, Offline, Promotion};
use super::{CheckOptions, Checked, Gate};

/// What acting needs besides the plan: `promote`'s flags. `progress` gets a line per step.
pub struct ActRequest<'a> {
    pub rollout: crate::plan::RolloutMode,
    pub wait: bool,
    pub timeout: std::time::Duration,
    pub progress: &'a mut dyn FnMut(&str),
}

/// A checked promotion and, when the gate acted, what became of the writes.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub checked: Checked,
    /// `None`: nothing was attempted (check, a dry run, a read-only source, a denial).
    pub acted: Option<ActOutcome>,
}

/// Runs a future to completion on a runtime of its own. One thread is enough: the requests
/// wait on the network together.
pub(super) fn block_on<F: Future>(f: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(f))
}

impl Gate {
    /// Gathers the facts of `promotion`, checks them, and, when `act` is given, the source is
    /// live and the decision is allow, performs the plan pinned to the checked digest. Offline
    /// sources need no runtime; a live one is read and written over one connection.
    pub fn run(
        &self,
        source: &FactsSource,
        promotion: &Promotion,
        opts: CheckOptions,
        act: Option<ActRequest<'_>>,
    ) -> Result<Outcome, Error> {
        let connect = match gather_offline(source, promotion, self.settings()) {
            Offline::Facts(facts) => {
                let checked = self.check(facts?, opts);
                return Ok(Outcome {
                    checked,
                    acted: None,
                });
            }
            Offline::Live(connect) => connect,
        };
        block_on(async {
            let mut conn = cluster::connect(connect).await?;
            let facts = gather_live(&mut conn, promotion, self.settings()).await?;
            let checked = self.check(facts, opts);
            let acted = match act {
                Some(a) if checked.decision() == Decision::Allow => {
                    Some(self.act(&conn.client, &checked, a).await)
                }
                _ => None,
            };
            Ok(Outcome { checked, acted })
        })?
    }

    /// Executes the plan of an allowed promotion, recording the receipt on the tag.
    pub async fn act(
        &self,
        client: &kube::Client,
        checked: &Checked,
        req: ActRequest<'_>,
    ) -> ActOutcome {
        let facts = &checked.facts;
        let receipt = Receipt::now(
            "allow",
            self.rules_digest(),
            facts.promotion.requested_by.clone(),
            facts.promotion.reason.clone(),
        );
        let opts = ActOptions::new(req.rollout, req.wait, req.timeout, receipt);
        let outcome = act::execute(client, facts, &opts, req.progress).await;
        if let act::ActState::Partial { why, .. } | act::ActState::Aborted { why } = &outcome.state
        {
            tracing::warn!("promotion not completed: {why}");
        }
        outcome
    }
}
