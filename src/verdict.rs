//! Rule outcomes → the decision (pure): configured levels and exceptions applied, errors
//! outranking denials.

mod waivers;

use serde::Serialize;
use time::Date;

use crate::config::{Level, Settings};
use crate::policy::{self, RuleResult, RuleSet};

pub use waivers::{ExceptionStatus, Waiver, EXPIRY_NOTICE_DAYS};

/// A rule's final outcome: the engine's, or `waived` when an exception covers its denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Deny,
    Warn,
    Skip,
    Error,
    /// Denied, but every message is covered by a current exception: does not block.
    Waived,
}

impl From<policy::Outcome> for Outcome {
    fn from(o: policy::Outcome) -> Self {
        match o {
            policy::Outcome::Pass => Outcome::Pass,
            policy::Outcome::Deny => Outcome::Deny,
            policy::Outcome::Warn => Outcome::Warn,
            policy::Outcome::Skip => Outcome::Skip,
            policy::Outcome::Error => Outcome::Error,
        }
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Deny => "deny",
            Outcome::Warn => "warn",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
            Outcome::Waived => "waived",
        }
    }
}

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
    /// The exception that waived the denial (outcome `waived`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived_by: Option<Waiver>,
    /// For a denial, warning or error: the fact paths the rule's code reads, with their values
    /// in this promotion (`{path, value}`); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facts_read: Vec<policy::FactRead>,
    /// How many more such values there were (the list is capped).
    #[serde(skip_serializing_if = "is_zero")]
    pub facts_read_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Counts per outcome, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub pass: usize,
    pub deny: usize,
    pub warn: usize,
    pub skip: usize,
    pub error: usize,
    pub waived: usize,
}

/// What the evaluation amounts to.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub rules: Vec<RuleVerdict>,
    pub tally: Tally,
    /// Every configured exception and what became of it in this run.
    pub exceptions: Vec<ExceptionStatus>,
}

/// What blocks besides denials and errors (`--fail-on warn`, `--fail-on stale`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailOn {
    pub warn: bool,
    pub stale: bool,
}

/// What the decision needs besides the results: what blocks, the promoted digest (exception
/// scopes) and today's date (exception expiry).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub fail_on: FailOn,
    pub digest: &'a str,
    pub today: Date,
}

/// Applies configured levels and exceptions and decides. Rules come back ordered most severe
/// first, then by id.
pub fn decide(
    results: Vec<RuleResult>,
    rules: &RuleSet,
    settings: &Settings,
    ctx: Context<'_>,
) -> Verdict {
    let fail_on = ctx.fail_on;
    let mut verdicts: Vec<RuleVerdict> = results
        .into_iter()
        .map(|r| {
            let rule = rules.rules().iter().find(|x| x.id == r.id);
            let level = settings.rule(&r.id).level;
            let outcome = match (level, Outcome::from(r.outcome)) {
                (Some(Level::Warn), Outcome::Deny) => Outcome::Warn,
                (Some(Level::Deny), Outcome::Warn) => Outcome::Deny,
                (_, o) => o,
            };
            let level = match (level, outcome != Outcome::from(r.outcome)) {
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
                waived_by: None,
                facts_read: r.facts_read,
                facts_read_omitted: r.facts_read_omitted,
            }
        })
        .collect();
    let exceptions = waivers::apply(&mut verdicts, &settings.exceptions, ctx.digest, ctx.today);
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
            Outcome::Waived => tally.waived += 1,
        }
    }
    let stale = exceptions.iter().any(|e| e.status == "stale");
    let decision = if tally.error > 0 {
        Decision::Error
    } else if tally.deny > 0 || (fail_on.warn && tally.warn > 0) || (fail_on.stale && stale) {
        Decision::Deny
    } else {
        Decision::Allow
    };
    Verdict {
        decision,
        rules: verdicts,
        tally,
        exceptions,
    }
}

/// Adds a denial that is the gate's own, not a rule's (a precondition of any sound
/// decision, such as complete target discovery): it cannot be turned off or waived.
pub fn deny_builtin(verdict: &mut Verdict, id: &str, title: &str, message: String, fix: &str) {
    verdict.rules.insert(
        0,
        RuleVerdict {
            id: id.to_string(),
            outcome: Outcome::Deny,
            messages: vec![message],
            file: String::new(),
            title: title.to_string(),
            description: String::new(),
            fix: Some(fix.to_string()),
            position: None,
            level: None,
            operations: 0,
            duration_us: 0,
            waived_by: None,
            facts_read: vec![],
            facts_read_omitted: 0,
        },
    );
    verdict.tally.deny += 1;
    if verdict.decision != Decision::Error {
        verdict.decision = Decision::Deny;
    }
}

/// The first line calling the function that produces `outcome`: an approximation of where a
/// finding comes from, since the engine records messages but not call sites.
fn first_call(text: &str, outcome: policy::Outcome) -> Option<(usize, usize)> {
    let call = match outcome {
        policy::Outcome::Deny => "deny(",
        policy::Outcome::Warn => "warn(",
        policy::Outcome::Skip => "skip(",
        policy::Outcome::Pass | policy::Outcome::Error => return None,
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
        Outcome::Waived => 1,
        Outcome::Skip => 1,
        Outcome::Pass => 0,
    }
}
