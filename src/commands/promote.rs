//! `tollgate promote`: evaluate, then act when allowed. On snapshots and facts files it is a dry run.

use std::time::Duration;

use crate::cli::PromoteArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::gate::{ActRequest, CheckOptions, PlanOptions};
use crate::report::{self, Report};

use super::input::{facts_source, fail_on, gate, promotion};
use super::output::{finish_recorded, report_and_record};

pub fn promote(args: &PromoteArgs) -> Result<ExitStatus, Error> {
    super::batch::refuse_batch_flags(&args.check, args.partial)?;
    if let Some(file) = &args.check.batch.batch {
        return super::batch::promote_batch(args, file);
    }
    finish_recorded("promote", &args.check, run(args))
}

/// The report and, with `--record`, the record of the decision (and of what was done).
fn run(args: &PromoteArgs) -> Result<(Report, Option<Vec<u8>>), Error> {
    let source = facts_source(&args.check.source);
    if source.is_read_only() && !args.dry_run {
        tracing::info!("facts come from a snapshot or facts file: promote is a dry run");
    }
    let dry_run = args.dry_run || source.is_read_only();
    let timeout = parse_duration(&args.timeout)?;
    let gate = gate(&args.check.policy)?;
    let promotion = promotion(&args.check.promotion, &args.check.source)?;
    let opts = CheckOptions {
        fail_on: fail_on(&args.check.policy),
        plan: Some(PlanOptions {
            rollout: args.rollout,
            wait: args.wait,
        }),
    };
    let started = std::time::Instant::now();
    let mut progress = |line: &str| report::progress(started, line);
    let act = (!dry_run).then_some(ActRequest {
        rollout: args.rollout,
        wait: args.wait,
        timeout,
        progress: &mut progress,
    });
    let acting = act.is_some();
    let outcome = gate.run(&source, &promotion, opts, act);
    if acting {
        report::progress_done();
    }
    let record = args.check.record.is_some();
    report_and_record("promote", outcome?, true, &gate, record)
}

/// `90s`, `10m`, `1h`, or a plain number of seconds.
pub(super) fn parse_duration(text: &str) -> Result<Duration, Error> {
    let bad = || {
        Error::Usage(format!(
            "--timeout `{text}`: expected a duration such as 90s, 10m or 1h"
        ))
    };
    let (n, unit) = crate::duration::whole_with_unit(text).ok_or_else(bad)?;
    let secs = match unit {
        "" | "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => {
            return Err(Error::Usage(format!(
                "--timeout `{text}`: unknown unit `{unit}` (use s, m or h)"
            )))
        }
    }
    .ok_or_else(bad)?;
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
        for bad in ["", "0s", "5d", "m", "1.5m", "99999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
