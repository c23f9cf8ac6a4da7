//! `check --batch FILE` and `promote --batch FILE`: the batch file → [`crate::batch::run`] →
//! one batch report, and the worst exit status of its promotions.

use std::path::Path;

use crate::batch::{self, BatchAct, BatchOutcome, BatchRequest, Item};
use crate::cli::{CheckArgs, PromoteArgs};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::gate::{CheckOptions, PlanOptions};
use crate::plan::ActState;
use crate::report::{self, BatchExecution, BatchReport, BatchSummary, OutputFormat, Report};
use crate::verdict::Decision;

use super::input::{default_namespace, facts_source, fail_on, gate, parse_time};
use super::output::report_of;

/// `--concurrency` and `--partial` mean something only with `--batch`.
pub fn refuse_batch_flags(args: &CheckArgs, partial: bool) -> Result<(), Error> {
    if args.batch.batch.is_none() && (args.batch.concurrency.is_some() || partial) {
        let flag = if partial {
            "--partial"
        } else {
            "--concurrency"
        };
        return Err(Error::Usage(format!(
            "{flag} applies to a batch: add --batch FILE (a YAML list of promotions), or drop {flag}"
        )));
    }
    Ok(())
}

pub fn check_batch(args: &CheckArgs, file: &Path) -> Result<ExitStatus, Error> {
    let opts = CheckOptions {
        fail_on: fail_on(&args.policy),
        plan: None,
    };
    finish("check", args, run("check", args, file, opts, None, false))
}

pub fn promote_batch(args: &PromoteArgs, file: &Path) -> Result<ExitStatus, Error> {
    let opts = CheckOptions {
        fail_on: fail_on(&args.check.policy),
        plan: Some(PlanOptions {
            rollout: args.rollout,
            wait: args.wait,
        }),
    };
    let result = (|| {
        let source = facts_source(&args.check.source);
        let act = if args.dry_run || source.is_read_only() {
            None
        } else {
            Some(BatchAct {
                rollout: args.rollout,
                wait: args.wait,
                timeout: super::promote::parse_duration(&args.timeout)?,
            })
        };
        run("promote", &args.check, file, opts, act, args.partial)
    })();
    finish("promote", &args.check, result)
}

fn run(
    command: &'static str,
    args: &CheckArgs,
    file: &Path,
    opts: CheckOptions,
    act: Option<BatchAct>,
    partial: bool,
) -> Result<BatchReport, Error> {
    let source = facts_source(&args.source);
    if args.source.facts.is_some() {
        return Err(Error::Usage(
            "--batch cannot be used with --facts: a facts file holds the facts of one \
             promotion; use --snapshot or a live cluster"
                .into(),
        ));
    }
    let entries = batch::read(file)?;
    let ns = default_namespace(&args.source);
    let time = parse_time(args.source.time.as_deref())?;
    let promotions = batch::promotions(&entries, &file.display().to_string(), ns.as_deref(), time)?;
    let gate = gate(&args.policy)?;
    let acting = act.is_some();
    let started = std::time::Instant::now();
    let mut progress = |line: &str| report::progress(started, line);
    let outcome = batch::run(
        &gate,
        &source,
        promotions,
        BatchRequest {
            opts,
            concurrency: args
                .batch
                .concurrency
                .map_or(batch::DEFAULT_CONCURRENCY, usize::from),
            act,
            partial,
            progress: &mut progress,
        },
    );
    if acting {
        report::progress_done();
    }
    let outcome = outcome?;
    if let Some((sent, shared)) = outcome.reads {
        tracing::info!("batch: {sent} reads sent, {shared} answered from the batch's shared reads");
    }
    Ok(batch_report(command, outcome, partial))
}

fn item_report(command: &'static str, item: Item) -> Report {
    let p = &item.promotion;
    match item.checked {
        Ok(checked) => report_of(
            command,
            crate::gate::Outcome {
                checked,
                acted: item.acted,
            },
            true,
        ),
        Err(e) => Report::failed(
            command,
            &p.source.to_string(),
            &p.destination.to_string(),
            e.to_string(),
        ),
    }
}

/// The batch report of an outcome.
pub fn batch_report(command: &'static str, outcome: BatchOutcome, partial: bool) -> BatchReport {
    let exit_code = outcome.exit_status().code();
    let decision = outcome.decision();
    let execution = execution(&outcome);
    let promotions: Vec<Report> = outcome
        .items
        .into_iter()
        .map(|i| item_report(command, i))
        .collect();
    let count = |d: Decision| promotions.iter().filter(|r| r.decision == d).count();
    let summary = BatchSummary {
        promotions: promotions.len(),
        allowed: count(Decision::Allow),
        denied: count(Decision::Deny),
        errors: count(Decision::Error),
        written: promotions
            .iter()
            .filter(|r| r.execution == Some(ActState::Done))
            .count(),
    };
    BatchReport {
        schema: report::BATCH_SCHEMA,
        command,
        decision,
        dry_run: execution.is_none(),
        partial,
        exit_code,
        summary,
        execution,
        error: None,
        promotions,
    }
}

/// What the writes did, when any was attempted.
fn execution(outcome: &BatchOutcome) -> Option<BatchExecution> {
    if outcome.items.iter().all(|i| i.acted.is_none()) {
        return None;
    }
    let (mut written, mut not_written, mut why) = (vec![], vec![], None);
    for i in outcome
        .items
        .iter()
        .filter(|i| i.decision() == Decision::Allow)
    {
        let dest = i.promotion.destination.to_string();
        match i.acted.as_ref().map(|a| &a.state) {
            Some(ActState::Done) => written.push(dest),
            Some(ActState::Partial { why: w, .. }) => {
                why.get_or_insert_with(|| format!("{dest}: {w}"));
                written.push(dest);
            }
            Some(ActState::Aborted { why: w }) => {
                why.get_or_insert_with(|| format!("{dest}: {w}"));
                not_written.push(dest);
            }
            None => not_written.push(dest),
        }
    }
    let state = match (written.is_empty(), not_written.is_empty() && why.is_none()) {
        (_, true) => "done",
        (false, false) => "partial",
        (true, false) => "aborted",
    };
    Some(BatchExecution {
        state,
        written,
        not_written,
        why,
    })
}

/// Emits the batch report (or, for machine-read formats, a batch report saying why the batch
/// could not run) and maps it to the exit status.
fn finish(
    command: &'static str,
    args: &CheckArgs,
    outcome: Result<BatchReport, Error>,
) -> Result<ExitStatus, Error> {
    let format = report::resolve_format(args.output.output);
    let file = args.output.output_file.as_deref();
    let report = match outcome {
        Ok(r) => r,
        Err(e) if format != OutputFormat::Text => {
            report::emit_batch(&BatchReport::failed(command, e.to_string()), format, file)?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    report::emit_batch(&report, format, file)?;
    Ok(match report.exit_code {
        0 => ExitStatus::Allowed,
        1 => ExitStatus::Denied,
        3 => ExitStatus::Partial,
        _ => ExitStatus::Error,
    })
}
