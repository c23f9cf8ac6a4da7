//! Rule outcomes → the decision (pure): configured levels applied, errors outranking denials.

use serde::Serialize;

use crate::config::{Level, Settings};
use crate::policy::{Outcome, RuleResult, RuleSet};

/// The gate's answer for one promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
    Error,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Error => "error",
        }
    }
}

/// One rule's final outcome with what a reader needs to act on it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleVerdict {
    pub id: String,
    pub outcome: Outcome,
    pub messages: Vec<String>,
    pub file: String,
    pub title: String,
    /// The header text between title and fix (SARIF's fullDescription); not in the JSON report,
    /// which predates it and stays lean.
    #[serde(skip)]
    pub description: String,
    pub fix: Option<String>,
    /// Where in the rule file the finding comes from (1-based line, column): the error's
    /// position, else the first call of the outcome's kind (`deny(`…). For SARIF and GitHub.
    #[serde(skip)]
    pub position: Option<(usize, usize)>,
    /// The configured level when one changed how findings count.
    pub level: Option<&'static str>,
    pub operations: u64,
    pub duration_us: u64,
}

/// Counts per outcome, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub pass: usize,
    pub deny: usize,
    pub warn: usize,
    pub skip: usize,
    pub error: usize,
}

/// What the evaluation amounts to.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub rules: Vec<RuleVerdict>,
    pub tally: Tally,
}

/// When warnings block too (`--fail-on warn`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailOn {
    pub warn: bool,
}

/// Applies configured levels and decides. Rules come back ordered most severe first, then by id.
pub fn decide(
    results: Vec<RuleResult>,
    rules: &RuleSet,
    settings: &Settings,
    fail_on: FailOn,
) -> Verdict {
    let mut verdicts: Vec<RuleVerdict> = results
        .into_iter()
        .map(|r| {
            let rule = rules.rules().iter().find(|x| x.id == r.id);
            let level = settings.rule(&r.id).level;
            let outcome = match (level, r.outcome) {
                (Some(Level::Warn), Outcome::Deny) => Outcome::Warn,
                (Some(Level::Deny), Outcome::Warn) => Outcome::Deny,
                (_, o) => o,
            };
            let level = match (level, outcome != r.outcome) {
                (Some(Level::Warn), true) => Some("warn"),
                (Some(Level::Deny), true) => Some("deny"),
                _ => None,
            };
            let mut messages = r.messages;
            let position = match &r.error {
                Some(e) if e.line > 0 => Some((e.line, e.col.max(1))),
                _ => rule.and_then(|x| first_call(&x.text, r.outcome)),
            };
            if let Some(e) = r.error {
                messages.push(e.rendered);
            }
            RuleVerdict {
                id: r.id,
                outcome,
                messages,
                file: r.path,
                title: rule.map(|x| x.title.clone()).unwrap_or_default(),
                description: rule.map(|x| x.description.clone()).unwrap_or_default(),
                position,
                fix: rule.and_then(|x| x.fix.clone()),
                level,
                operations: r.operations,
                duration_us: u64::try_from(r.duration.as_micros()).unwrap_or(u64::MAX),
            }
        })
        .collect();
    verdicts.sort_by(|a, b| {
        severity(b.outcome)
            .cmp(&severity(a.outcome))
            .then(a.id.cmp(&b.id))
    });
    let mut tally = Tally::default();
    for v in &verdicts {
        match v.outcome {
            Outcome::Pass => tally.pass += 1,
            Outcome::Deny => tally.deny += 1,
            Outcome::Warn => tally.warn += 1,
            Outcome::Skip => tally.skip += 1,
            Outcome::Error => tally.error += 1,
        }
    }
    let decision = if tally.error > 0 {
        Decision::Error
    } else if tally.deny > 0 || (fail_on.warn && tally.warn > 0) {
        Decision::Deny
    } else {
        Decision::Allow
    };
    Verdict {
        decision,
        rules: verdicts,
        tally,
    }
}

/// The first line calling the function that produces `outcome`: an approximation of where a
/// finding comes from, since the engine records messages but not call sites.
fn first_call(text: &str, outcome: Outcome) -> Option<(usize, usize)> {
    let call = match outcome {
        Outcome::Deny => "deny(",
        Outcome::Warn => "warn(",
        Outcome::Skip => "skip(",
        Outcome::Pass | Outcome::Error => return None,
    };
    text.lines().enumerate().find_map(|(i, line)| {
        let code = line.split("//").next().unwrap_or("");
        code.find(call)
            .map(|c| (i + 1, code[..c].chars().count() + 1))
    })
}

fn severity(o: Outcome) -> u8 {
    match o {
        Outcome::Error => 4,
        Outcome::Deny => 3,
        Outcome::Warn => 2,
        Outcome::Skip => 1,
        Outcome::Pass => 0,
    }
}
