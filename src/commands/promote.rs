//! `tollgate promote`: evaluate, then act when allowed. On snapshots and facts files it is a dry run.

use std::time::Duration;

use crate::act::{self, ActOptions, ActState, Receipt};
use crate::cli::PromoteArgs;
use crate::cluster;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::plan::{plan, ActionStatus};
use crate::report;
use crate::verdict::Decision;

use super::check::{evaluate_full, finish};
use super::connect_options;

pub fn promote(args: &PromoteArgs) -> Result<ExitStatus, Error> {
    let src = &args.check.source;
    let read_only = !src.snapshot.is_empty() || src.facts.is_some();
    if read_only && !args.dry_run {
        tracing::info!("facts come from a snapshot or facts file: promote is a dry run");
    }
    let dry_run = args.dry_run || read_only;
    let timeout = parse_duration(&args.timeout)?;
    let outcome = evaluate_full("promote", &args.check, |facts, decision| {
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
    let outcome = match outcome {
        Ok(e) if !dry_run && e.report.decision == Decision::Allow => {
            let mut report = e.report;
            let receipt = Receipt::now(
                "allow",
                &e.rules_digest,
                e.facts.promotion.requested_by.clone(),
                e.facts.promotion.reason.clone(),
            );
            let opts = ActOptions::new(args.rollout, args.wait, timeout, receipt);
            let acted = act_live(args, &e.facts, &opts)?;
            report.actions = acted.actions;
            report.dry_run = false;
            report.execution = Some(acted.state);
            Ok(report)
        }
        other => other.map(|e| e.report),
    };
    finish("promote", &args.check, outcome)
}

/// Connects (again: the gathering connection lived in its own runtime) and executes the plan.
fn act_live(
    args: &PromoteArgs,
    facts: &crate::facts::Facts,
    opts: &ActOptions,
) -> Result<act::ActOutcome, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let conn = cluster::connect(&connect_options(&args.check.source)).await?;
        let started = std::time::Instant::now();
        let mut progress = |line: &str| report::progress(started, line);
        let outcome = act::execute(&conn.client, facts, opts, &mut progress).await;
        report::progress_done();
        if let ActState::Partial { why, .. } | ActState::Aborted { why } = &outcome.state {
            tracing::warn!("promotion not completed: {why}");
        }
        Ok(outcome)
    })
}

/// `90s`, `10m`, `1h`, or a plain number of seconds.
fn parse_duration(text: &str) -> Result<Duration, Error> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().map_err(|_| {
        Error::Usage(format!(
            "--timeout `{text}`: expected a duration such as 90s, 10m or 1h"
        ))
    })?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => {
            return Err(Error::Usage(format!(
                "--timeout `{text}`: unknown unit `{unit}` (use s, m or h)"
            )))
        }
    };
    if secs == 0 {
        return Err(Error::Usage("--timeout must be longer than zero".into()));
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("10m").unwrap().as_secs(), 600);
        assert_eq!(parse_duration("1h").unwrap().as_secs(), 3600);
        assert_eq!(parse_duration("45").unwrap().as_secs(), 45);
        for bad in ["", "0s", "5d", "m", "1.5m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
