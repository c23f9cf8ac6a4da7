//! `tollgate check`: evaluate the rules for a promotion and report; never writes.

use crate::cli::{CheckArgs, FailOnArg};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::plan::Action;
use crate::policy::Evaluator;
use crate::report::{self, Report};
use crate::verdict::{decide, Context, Decision, FailOn};

use super::{default_namespace, gather_facts, load_rules, load_settings, parse_request};

/// Runs the gate up to the decision; `plan` turns an allowed decision into actions (promote).
pub(crate) fn evaluate(
    command: &'static str,
    args: &CheckArgs,
    plan: impl FnOnce(&crate::facts::Facts, Decision) -> Vec<Action>,
) -> Result<Report, Error> {
    evaluate_full(command, args, plan).map(|e| e.report)
}

/// A decision with what acting on it needs: the facts it was made on and the rules' digest.
pub(crate) struct Evaluated {
    pub report: Report,
    pub facts: crate::facts::Facts,
    /// `sha256:…` over the rule sources and the effective configuration (the tag's receipt).
    pub rules_digest: String,
}

pub(crate) fn evaluate_full(
    command: &'static str,
    args: &CheckArgs,
    plan: impl FnOnce(&crate::facts::Facts, Decision) -> Vec<Action>,
) -> Result<Evaluated, Error> {
    let ns = default_namespace(&args.source);
    let req = parse_request(&args.promotion, ns.as_deref())?;
    let settings = load_settings(args.policy.config.as_deref())?;
    let evaluator = Evaluator::new();
    let rules = load_rules(&evaluator, &args.policy.policies, &settings)?;
    for (i, e) in settings.exceptions.iter().enumerate() {
        if rules.get(&e.rule).is_none() {
            return Err(Error::Usage(format!(
                "{}: exceptions[{i}].rule: no rule `{}` in the pack",
                settings.source.as_deref().unwrap_or("configuration"),
                e.rule
            )));
        }
    }
    let facts = gather_facts(&req, &args.promotion, &args.source, &settings)?;
    let results = evaluator.evaluate(&rules, &facts, &settings);
    let fail_on = FailOn {
        warn: args.policy.fail_on.contains(&FailOnArg::Warn),
        stale: args.policy.fail_on.contains(&FailOnArg::Stale),
    };
    let ctx = Context {
        fail_on,
        digest: &facts.promotion.digest,
        // Expiry is judged by the wall clock, not `--time`: replaying old facts must not revive
        // an exception that has run out.
        today: time::OffsetDateTime::now_utc().date(),
    };
    let verdict = decide(results, &rules, &settings, ctx);
    let actions = plan(&facts, verdict.decision);
    // The configuration counts too: a level or an exception changes what was checked.
    let config = format!("{settings:?}");
    let rules_digest = crate::act::rules_digest(
        rules
            .rules()
            .iter()
            .map(|r| (r.id.as_str(), r.source_text()))
            .chain(std::iter::once(("tollgate.yaml", config.as_str()))),
    );
    let report = Report::evaluated(command, &facts, verdict, actions, true);
    Ok(Evaluated {
        report,
        facts,
        rules_digest,
    })
}

/// Emits the report (or the error as a report in JSON mode) and maps it to the exit status.
pub(crate) fn finish(
    command: &'static str,
    args: &CheckArgs,
    outcome: Result<Report, Error>,
) -> Result<ExitStatus, Error> {
    let format = report::resolve_format(args.output.output);
    let report = match outcome {
        Ok(r) => r,
        // Machine-read formats still get a document saying why, so CI shows it where it looks.
        Err(e) if format != crate::cli::OutputFormat::Text => {
            let r = Report::failed(
                command,
                &args.promotion.source,
                &args.promotion.destination,
                e.to_string(),
            );
            report::emit(&r, format, args.output.output_file.as_deref())?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    report::emit(&report, format, args.output.output_file.as_deref())?;
    if let Some(state) = &report.execution {
        return Ok(crate::act::ActOutcome::state_exit_status(state));
    }
    Ok(match report.decision {
        Decision::Allow => ExitStatus::Allowed,
        Decision::Deny => ExitStatus::Denied,
        Decision::Error => ExitStatus::Error,
    })
}

/// The report `check` would print, without printing it (benchmarks, embedding).
pub fn check_report(args: &CheckArgs) -> Result<Report, Error> {
    evaluate("check", args, |_, _| vec![])
}

pub fn check(args: &CheckArgs) -> Result<ExitStatus, Error> {
    let outcome = evaluate("check", args, |_, _| vec![]);
    finish("check", args, outcome)
}
