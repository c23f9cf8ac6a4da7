//! `tollgate promote`: evaluate, then act when allowed. On snapshots and facts files it is a dry run.

use crate::cli::PromoteArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::plan::{plan, ActionStatus};
use crate::verdict::Decision;

use super::check::{evaluate, finish};

pub fn promote(args: &PromoteArgs) -> Result<ExitStatus, Error> {
    let src = &args.check.source;
    let read_only = !src.snapshot.is_empty() || src.facts.is_some();
    if !args.dry_run && !read_only {
        // Live promotion needs the cluster gatherer and actor, which this version does not have;
        // refusing here keeps `promote` from pretending it wrote anything.
        return Err(Error::Usage(
            "promote on a live cluster is not available in this version: use --dry-run with \
             --snapshot PATH or --facts FILE to see the plan"
                .into(),
        ));
    }
    if read_only && !args.dry_run {
        tracing::info!("facts come from a snapshot or facts file: promote is a dry run");
    }
    let outcome = evaluate("promote", &args.check, |facts, decision| {
        let mut actions = plan(facts, args.rollout, args.wait);
        if decision != Decision::Allow {
            for a in &mut actions {
                a.status = ActionStatus::Skipped;
                let why = if decision == Decision::Deny {
                    "the promotion was denied"
                } else {
                    "no decision (a rule error)"
                };
                a.detail = format!("not run: {why}; would be: {}", a.detail);
            }
        }
        actions
    });
    finish("promote", &args.check, outcome)
}
