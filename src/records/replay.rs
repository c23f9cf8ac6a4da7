//! Replaying records under the rules at hand: each record's facts checked again as of the
//! recorded time, compared with the recorded report. Records are read and replayed in parallel,
//! one prepared gate shared by every thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::exit::ExitStatus;
use crate::facts::Facts;
use crate::gate::{facts_from_value, typed_facts_acceptable, CheckOptions, Gate};
use crate::gather::unique_keys;
use crate::verdict::{Decision, FailOn};

use super::walk::{find_records, Found};
use super::{RecordedReport, RECORD_SCHEMA};

/// Identifies the JSON backtest report.
pub const BACKTEST_SCHEMA: &str = "tollgate.backtest/v1";

/// A record that could not be replayed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RecordError {
    pub path: String,
    pub error: String,
}

impl RecordError {
    pub fn new(path: &Path, error: impl Into<String>) -> RecordError {
        RecordError {
            path: path.display().to_string(),
            error: error.into(),
        }
    }
}

/// A rule whose outcome differs; `None` where the rule was not in that run's pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    pub id: String,
    pub recorded: Option<String>,
    pub now: Option<String>,
}

/// One replayed record.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    pub path: String,
    /// When the decision was made (the record's `time`).
    pub recorded_at: String,
    /// The time the rules judged: the facts' `promotion.time`.
    pub as_of: String,
    pub source: String,
    pub destination: String,
    pub digest: String,
    /// The digest of the rules and configuration that made the recorded decision.
    pub recorded_rules_digest: String,
    pub recorded_decision: String,
    pub decision: Decision,
    pub decision_changed: bool,
    /// Every rule whose outcome differs, in the order of the current pack (then removed rules).
    pub rules_changed: Vec<RuleChange>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Records replayed (unreadable ones not counted).
    pub replayed: usize,
    pub decisions_changed: usize,
    /// Same decision, some rule outcome changed.
    pub rules_changed_only: usize,
    pub unchanged: usize,
    pub unreadable: usize,
}

/// The whole backtest (`tollgate.backtest/v1`).
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub schema: &'static str,
    /// The digest of the rules and configuration replayed under.
    pub rules_digest: String,
    pub summary: Summary,
    /// Every replayed record, by `as_of` then path.
    pub records: Vec<Replayed>,
    /// Every record that could not be read or replayed, by path.
    pub errors: Vec<RecordError>,
}

impl Backtest {
    /// 2 when a record could not be replayed, else 1 when a decision changes, else 0.
    pub fn exit_status(&self) -> ExitStatus {
        if !self.errors.is_empty() {
            ExitStatus::Error
        } else if self.summary.decisions_changed > 0 {
            ExitStatus::Denied
        } else {
            ExitStatus::Allowed
        }
    }
}

/// Replays every record under `paths` with `gate`. Never fails as a whole: a record that cannot
/// be used is listed in `errors` and the others are still replayed.
pub fn backtest(gate: &Gate, paths: &[PathBuf], fail_on: FailOn, max_bytes: u64) -> Backtest {
    let (found, mut errors) = find_records(paths, max_bytes);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(found.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut out = Vec::new();
        while let Some(f) = found.get(next.fetch_add(1, Ordering::Relaxed)) {
            // A bug in one replay must not lose the others' results.
            let one = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                replay(gate, f, fail_on, max_bytes)
            }))
            .unwrap_or_else(|_| Err("internal error while replaying it (a bug)".into()));
            out.push(one.map_err(|e| RecordError::new(&f.shown, e)));
        }
        out
    };
    let results: Vec<Result<Replayed, RecordError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers).map(|_| s.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Err(RecordError::new(
                        Path::new("(backtest)"),
                        "a replay thread stopped: some records were not replayed",
                    ))]
                })
            })
            .collect()
    });
    let mut records = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(r) => records.push(r),
            Err(e) => errors.push(e),
        }
    }
    records.sort_by(|a, b| (&a.as_of, &a.path).cmp(&(&b.as_of, &b.path)));
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    let mut summary = Summary {
        replayed: records.len(),
        unreadable: errors.len(),
        ..Summary::default()
    };
    for r in &records {
        if r.decision_changed {
            summary.decisions_changed += 1;
        } else if !r.rules_changed.is_empty() {
            summary.rules_changed_only += 1;
        } else {
            summary.unchanged += 1;
        }
    }
    Backtest {
        schema: BACKTEST_SCHEMA,
        rules_digest: gate.rules_digest().to_string(),
        summary,
        records,
        errors,
    }
}

/// The parts of a record a replay needs, checked.
#[derive(Debug)]
struct Parsed {
    time: String,
    recorded_at: OffsetDateTime,
    rules_digest: String,
    facts: Facts,
    report: RecordedReport,
}

/// A record as decoded straight from its text (the fast path of [`parse`]).
#[derive(Deserialize)]
struct RecordIn {
    schema: String,
    time: String,
    rules_digest: String,
    facts: Facts,
    report: RecordedReport,
}

/// Reads a record. Most records are well formed, so they are decoded straight into their typed
/// parts, with duplicate keys refused by a pass that builds nothing ([`unique_keys`]); building
/// a JSON value tree first was half the cost of a replay. Anything that path does not accept is
/// read again the value way ([`parse_value`]), which words every error as before.
fn parse(text: &str) -> Result<Parsed, String> {
    parse_typed(text).or_else(|()| parse_value(text))
}

/// The typed path: every check of [`parse_value`], none of its messages.
fn parse_typed(text: &str) -> Result<Parsed, ()> {
    unique_keys::check(text).map_err(drop)?;
    let r: RecordIn = serde_json::from_str(text).map_err(drop)?;
    if r.schema != RECORD_SCHEMA || !typed_facts_acceptable(&r.facts) {
        return Err(());
    }
    let recorded_at = OffsetDateTime::parse(&r.time, &Rfc3339).map_err(drop)?;
    check_report(&r.report).map_err(drop)?;
    Ok(Parsed {
        time: r.time,
        recorded_at,
        rules_digest: r.rules_digest,
        facts: r.facts,
        report: r.report,
    })
}

/// The value path: the whole record as a strict JSON value, then each part, each failure named.
fn parse_value(text: &str) -> Result<Parsed, String> {
    let value = crate::gather::strict_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    let serde_json::Value::Object(mut obj) = value else {
        return Err("not a decision record: not a JSON object".into());
    };
    let schema = obj.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema != RECORD_SCHEMA {
        return Err(format!(
            "not a decision record: `schema` is `{schema}`, expected `{RECORD_SCHEMA}` (written \
             by `tollgate check --record DIR`)"
        ));
    }
    let mut take = |name: &str| obj.remove(name).ok_or(format!("`{name}` is missing"));
    let string = |v: serde_json::Value, name: &str| match v {
        serde_json::Value::String(s) => Ok(s),
        _ => Err(format!("`{name}` is not a string")),
    };
    let time = string(take("time")?, "time")?;
    let recorded_at = OffsetDateTime::parse(&time, &Rfc3339)
        .map_err(|e| format!("`time` `{time}`: not an RFC 3339 time ({e})"))?;
    let rules_digest = string(take("rules_digest")?, "rules_digest")?;
    let report: RecordedReport =
        serde_path_to_error::deserialize(take("report")?).map_err(|e| {
            match e.path().to_string().as_str() {
                "." => format!("`report`: {}", e.inner()),
                path => format!("`report.{path}`: {}", e.inner()),
            }
        })?;
    check_report(&report)?;
    let facts =
        facts_from_value(take("facts")?).map_err(|e| format!("its facts no longer parse: {e}"))?;
    Ok(Parsed {
        time,
        recorded_at,
        rules_digest,
        facts,
        report,
    })
}

const DECISIONS: [&str; 3] = ["allow", "deny", "error"];
const OUTCOMES: [&str; 6] = ["pass", "deny", "warn", "skip", "error", "waived"];

fn check_report(r: &RecordedReport) -> Result<(), String> {
    if !DECISIONS.contains(&r.decision.as_str()) {
        return Err(format!(
            "`report.decision` is `{}`, not one of {}",
            r.decision,
            DECISIONS.join(", ")
        ));
    }
    for (i, rule) in r.rules.iter().enumerate() {
        if !OUTCOMES.contains(&rule.outcome.as_str()) {
            return Err(format!(
                "`report.rules[{i}].outcome` is `{}`, not one of {}",
                rule.outcome,
                OUTCOMES.join(", ")
            ));
        }
    }
    Ok(())
}

fn replay(gate: &Gate, f: &Found, fail_on: FailOn, max_bytes: u64) -> Result<Replayed, String> {
    let text = crate::input::read_text(&f.read, max_bytes, Some("--max-record-bytes"))?;
    let Parsed {
        time,
        recorded_at,
        rules_digest,
        mut facts,
        report,
    } = parse(&text)?;
    // Environment params are configuration, not observation: the configuration at hand gives
    // them (an environment it does not configure has none). Which namespaces make up an
    // environment, and the order, shaped the facts when they were gathered and stay recorded.
    for (name, env) in &mut facts.environments {
        env.params = gate
            .settings()
            .environments
            .get(name)
            .map(|e| e.params.clone())
            .unwrap_or_default();
    }
    // Exceptions expire as of the day the decision was made, as they did then: a replay with
    // unchanged rules gives back the recorded decision, and only a change in the rules, the
    // configuration or the exceptions shows.
    let opts = CheckOptions {
        fail_on,
        plan: None,
    };
    let checked = gate.check_at(facts, opts, recorded_at.date());
    let v = &checked.verdict;
    let mut rules_changed = Vec::new();
    for now in &v.rules {
        let old = report.rules.iter().find(|r| r.id == now.id);
        let now_outcome = now.outcome.as_str();
        if old.map(|o| o.outcome.as_str()) != Some(now_outcome) {
            rules_changed.push(RuleChange {
                id: now.id.clone(),
                recorded: old.map(|o| o.outcome.clone()),
                now: Some(now_outcome.to_string()),
            });
        }
    }
    for old in &report.rules {
        if !v.rules.iter().any(|r| r.id == old.id) {
            rules_changed.push(RuleChange {
                id: old.id.clone(),
                recorded: Some(old.outcome.clone()),
                now: None,
            });
        }
    }
    let p = &checked.facts.promotion;
    Ok(Replayed {
        path: f.shown.display().to_string(),
        recorded_at: time,
        as_of: p.time.clone(),
        source: p.source.reference.clone(),
        destination: p.destination.reference.clone(),
        digest: p.digest.clone(),
        recorded_rules_digest: rules_digest,
        decision_changed: report.decision != v.decision.as_str(),
        recorded_decision: report.decision,
        decision: v.decision,
        rules_changed,
    })
}

#[cfg(test)]
mod tests;
