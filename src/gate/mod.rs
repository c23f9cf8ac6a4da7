//! The pipeline as a library: a [`Gate`] is prepared once (settings and a compiled pack) and
//! then asked many times — gather → evaluate → decide → plan, and act on a live cluster.
//!
//! Every entry point calls this module: the CLI commands are adapters (arguments in, one call,
//! report out), and anything that checks many promotions in one process (an admission server,
//! a batch) shares one `Gate` (cheap to clone: the prepared parts sit behind an `Arc`) and
//! hands it facts from any [`FactsSource`], the in-memory object store included.

mod load;
mod run;
mod source;

use std::sync::Arc;

use time::{Date, OffsetDateTime};

use crate::config::Settings;
use crate::error::Error;
use crate::facts::Facts;
use crate::plan::{plan, Action, ActionStatus, RolloutMode};
use crate::policy::{Evaluator, RuleSet};
use crate::verdict::{decide, deny_builtin, Context, Decision, FailOn, Verdict};

/// The id of the gate's own denial when target discovery could not search everywhere.
pub const DISCOVERY_CHECK: &str = "tollgate/discovery-complete";

pub use load::{config_path, load_settings, read_config_text, read_pack, DEFAULT_POLICY_DIR};
pub use run::{ActRequest, Outcome};
pub(crate) use source::typed_facts_acceptable;
pub use source::{
    facts_from_value, gather, gather_live, parse_facts_document, FactsSource, Promotion, Requester,
};

/// Settings and a compiled pack, validated against each other; shared by every check.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<Prepared>,
}

struct Prepared {
    settings: Settings,
    evaluator: Evaluator,
    rules: RuleSet,
    rules_digest: String,
}

/// How one check decides and what it plans.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// What blocks besides denials and errors.
    pub fail_on: FailOn,
    /// `Some` for `promote`: the actions an allowed promotion takes (skipped, with why,
    /// when it is not allowed).
    pub plan: Option<PlanOptions>,
}

/// `promote`'s flags that shape the plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    pub rollout: RolloutMode,
    pub wait: bool,
}

/// One evaluated promotion: the facts it was decided on, the decision, and the plan.
#[derive(Debug, Clone)]
pub struct Checked {
    pub facts: Facts,
    pub verdict: Verdict,
    pub actions: Vec<Action>,
}

impl Checked {
    pub fn decision(&self) -> Decision {
        self.verdict.decision
    }
}

impl Gate {
    /// Checks that the configuration names only rules the pack has (levels, params and
    /// exceptions), then prepares the gate.
    pub fn new(settings: Settings, evaluator: Evaluator, rules: RuleSet) -> Result<Gate, Error> {
        load::check_names(&settings, &rules)?;
        // The configuration counts too: a level or an exception changes what was checked.
        let config = format!("{settings:?}");
        let rules_digest = crate::plan::rules_digest(
            rules
                .rules()
                .iter()
                .map(|r| (r.id.as_str(), r.source_text()))
                .chain(std::iter::once(("tollgate.yaml", config.as_str()))),
        );
        Ok(Gate {
            inner: Arc::new(Prepared {
                settings,
                evaluator,
                rules,
                rules_digest,
            }),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    /// `sha256:…` over the rule sources and the effective configuration (the tag's receipt).
    pub fn rules_digest(&self) -> &str {
        &self.inner.rules_digest
    }

    /// Evaluates the rules over `facts` and decides; pure (no I/O). Exception expiry is judged
    /// by `today`, the wall clock's date, not the facts' time: replaying old facts must not
    /// revive an exception that has run out.
    pub fn check_at(&self, facts: Facts, opts: CheckOptions, today: Date) -> Checked {
        let p = &*self.inner;
        // Shared with the rules' lookups for the evaluation (no copy of the cluster's
        // bindings), then owned again by the result.
        let facts = Arc::new(facts);
        let results = p.evaluator.evaluate_shared(&p.rules, &facts, &p.settings);
        let facts = Arc::try_unwrap(facts).unwrap_or_else(|shared| (*shared).clone());
        let ctx = Context {
            fail_on: opts.fail_on,
            digest: &facts.promotion.digest,
            today,
        };
        let mut verdict = decide(results, &p.rules, &p.settings, ctx);
        if !facts.discovery_complete {
            // The rules judged the targets that were found; a follower that was not found (a
            // prod DeploymentConfig with an automatic trigger) would roll out unchecked.
            deny_builtin(
                &mut verdict,
                DISCOVERY_CHECK,
                "Every workload that follows the destination was found",
                format!(
                    "target discovery was incomplete ({}): a workload that follows {} may have \
                     been missed",
                    facts.discovery, facts.promotion.destination.reference
                ),
                "name the targets with `--target ns/dc/name`, or declare where workloads live \
                 with `environments:` in tollgate.yaml (or grant `list deploymentconfigs` and \
                 `list deployments` in all namespaces)",
            );
        }
        let actions = match opts.plan {
            Some(o) => planned(&facts, o, verdict.decision),
            None => vec![],
        };
        Checked {
            facts,
            verdict,
            actions,
        }
    }

    /// [`Gate::check_at`] with today's date.
    pub fn check(&self, facts: Facts, opts: CheckOptions) -> Checked {
        self.check_at(facts, opts, OffsetDateTime::now_utc().date())
    }
}

/// The plan; when the promotion is not allowed every step is kept, marked as not run and why.
fn planned(facts: &Facts, o: PlanOptions, decision: Decision) -> Vec<Action> {
    let mut actions = plan(facts, o.rollout, o.wait);
    if decision != Decision::Allow {
        let why = if decision == Decision::Deny {
            "the promotion was denied"
        } else {
            "no decision (a rule error)"
        };
        for a in &mut actions {
            a.status = ActionStatus::Skipped;
            a.detail = format!("not run: {why}; would be: {}", a.detail);
        }
    }
    actions
}

#[cfg(test)]
mod tests;
