//! Admission requests → the CLI's decision: from "a request body arrived" to "this is the
//! AdmissionReview to answer", pure and synchronous (docs: ADMISSION.md).
//!
//! The server, the tests and the parity test share this one path: [`parse_review`] reads the
//! body, [`decide`] works out which guarded tags the write moves and to which candidate, builds
//! each move's facts from the in-memory objects exactly as `check` does ([`crate::gate`]), and
//! renders the answer for the [`Mode`].

mod answer;
mod candidate;
mod guarded;
mod review;
mod writes;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::facts::VIA_ADMISSION;
use crate::gate::{self, CheckOptions, FactsSource, Gate, Promotion};
use crate::gather::ClusterObjects;
use crate::refs::{ImageRef, Selector};
use crate::verdict::{Decision, Outcome};

use answer::{Finding, Judgement};
pub use guarded::{Guarded, TagKey};
use writes::Write;

pub use answer::{bounded, MAX_MESSAGE_BYTES, MAX_WARNINGS, MAX_WARNING_BYTES};
pub use candidate::{UNPINNED, UNREADABLE};
pub use review::{parse_review, BadReview, Review, API_VERSION, KIND};

/// The gate's own refusal to delete a guarded tag (unless `admission.allow_delete`).
pub const GUARDED_DELETE: &str = "tollgate/guarded-tag-delete";
/// A move whose facts could not be built (unknown stream or digest, …): fails closed.
pub const FACTS_ERROR: &str = "tollgate/facts";

/// `--mode`: what a denial does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Denials deny.
    #[default]
    Enforce,
    /// Everything is allowed; denials come back as warnings.
    Warn,
    /// Everything is allowed silently; only annotations, metrics and logs record.
    Audit,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "enforce" => Ok(Mode::Enforce),
            "warn" => Ok(Mode::Warn),
            "audit" => Ok(Mode::Audit),
            other => Err(format!(
                "unknown mode `{other}`: expected enforce, warn or audit"
            )),
        }
    }
}

/// The answer to one request and what the server records about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The AdmissionReview v1 to send back (same uid).
    pub review: serde_json::Value,
    /// What the rules decided (`Deny` even when the mode let the write through).
    pub decision: Decision,
    /// False: allowed or refused at once, without rules.
    pub evaluated: bool,
    /// Denied (or erroring) rule ids, built-in ones included (`tollgate/…`).
    pub denied: Vec<String>,
    /// (rule id, outcome) of every evaluated rule, for `tollgate_rule_outcomes_total`.
    pub outcomes: Vec<(String, &'static str)>,
    /// `source → destination` of every evaluated move (`dev/app:latest → dev/app:promote`),
    /// for the server's log line.
    pub moves: Vec<String>,
    pub resource: String,
    pub operation: String,
}

/// Decides one request against the objects the cache holds now; `now` is the facts' time and
/// the date exceptions expire by.
pub fn decide(
    gate: &Gate,
    objects: &Arc<ClusterObjects>,
    review: &Review,
    mode: Mode,
    now: OffsetDateTime,
) -> Answer {
    let j = judge(gate, objects, None, review, now);
    answer::render(review, mode, gate.rules_digest(), j)
}

/// [`decide`] with the guarded tags worked out beforehand ([`Guarded::new`] over the same
/// `objects` and the gate's settings): a server may keep them until either changes instead of
/// reading every workload's triggers per request.
pub fn decide_with(
    gate: &Gate,
    objects: &Arc<ClusterObjects>,
    guarded: &Guarded,
    review: &Review,
    mode: Mode,
    now: OffsetDateTime,
) -> Answer {
    let j = judge(gate, objects, Some(guarded), review, now);
    answer::render(review, mode, gate.rules_digest(), j)
}

/// A refusal decided before looking at the request (the cache has not synced, the pack is not
/// loaded): `Error`, denied in enforce mode, recorded as `rule` in every mode.
pub fn fail_closed(
    review: &Review,
    mode: Mode,
    rules_digest: &str,
    rule: &str,
    message: String,
) -> Answer {
    let j = Judgement::refuse_at_once(Decision::Error, rule, message);
    answer::render(review, mode, rules_digest, j)
}

fn judge(
    gate: &Gate,
    objects: &Arc<ClusterObjects>,
    guarded: Option<&Guarded>,
    review: &Review,
    now: OffsetDateTime,
) -> Judgement {
    let writes = match writes::writes_of(review) {
        Ok(Some(w)) if !w.is_empty() => w,
        Ok(_) => return Judgement::allow_at_once(),
        Err(e) => {
            return Judgement::refuse_at_once(
                Decision::Error,
                UNREADABLE,
                format!(
                    "cannot read this {} {} request: {e}",
                    review.resource, review.operation
                ),
            )
        }
    };
    let settings = gate.settings();
    let computed;
    let guarded = match guarded {
        Some(g) => g,
        None => {
            computed = Guarded::new(objects, settings);
            &computed
        }
    };
    let mut refusals: Vec<(&'static str, String)> = Vec::new();
    let mut promotions = Vec::new();
    for w in &writes {
        match w {
            Write::Delete { tag } => {
                let moved = guarded.moved_by(tag);
                if !moved.is_empty() && !settings.admission.allow_delete {
                    refusals.push((GUARDED_DELETE, delete_message(&tag.to_string(), &moved)));
                }
            }
            Write::DeleteStream { namespace, stream } => {
                if guarded.touches_stream(namespace, stream) && !settings.admission.allow_delete {
                    let what = format!("image stream {namespace}/{stream}");
                    refusals.push((GUARDED_DELETE, delete_message(&what, &[])));
                }
            }
            Write::ImportRepository {
                namespace,
                stream,
                from,
            } => {
                if guarded.touches_stream(namespace, stream) {
                    refusals.push((candidate::UNPINNED, format!(
                        "importing repository {from} into {namespace}/{stream} may move its guarded tags to images that cannot be pinned to a digest: import each tag by digest (`oc import-image {namespace}/{stream}:TAG --from=REPOSITORY@sha256:…`)"
                    )));
                }
            }
            Write::Set { tag, reason, .. } | Write::Push { tag, reason, .. } => {
                for dest in guarded.moved_by(tag) {
                    match candidate::pin(objects, w, &dest) {
                        Ok(p) => promotions.push((dest, p, reason.clone())),
                        Err(r) => refusals.push(r),
                    }
                }
            }
        }
    }
    if !refusals.is_empty() {
        let decision = if refusals.iter().any(|(id, _)| *id == UNREADABLE) {
            Decision::Error
        } else {
            Decision::Deny
        };
        let blocking = refusals
            .into_iter()
            .map(|(rule, message)| Finding {
                rule: rule.to_string(),
                message,
            })
            .collect();
        return Judgement::refused_at_once(decision, blocking);
    }
    if promotions.is_empty() {
        return Judgement::allow_at_once();
    }
    let mut j = Judgement {
        decision: Decision::Allow,
        evaluated: true,
        blocking: vec![],
        warnings: vec![],
        outcomes: vec![],
        facts: vec![],
    };
    for (dest, pinned, reason) in promotions {
        let promotion = Promotion {
            source: pinned.source,
            destination: ImageRef {
                namespace: dest.namespace.clone(),
                stream: dest.stream.clone(),
                selector: Selector::Tag(dest.tag.clone()),
            },
            targets: vec![],
            reason,
            time: Some(now),
            requester: review.user.clone(),
            via: VIA_ADMISSION,
            alias: pinned.alias,
            candidate: pinned.candidate,
        };
        evaluate(gate, objects, &dest, &promotion, now, &mut j);
    }
    j
}

fn delete_message(what: &str, moved: &[TagKey]) -> String {
    let aliases: Vec<String> = moved
        .iter()
        .map(ToString::to_string)
        .filter(|m| m != what)
        .collect();
    let mut why = Vec::new();
    if moved.is_empty() {
        why.push("it holds guarded tags".to_string());
    }
    if moved.len() > aliases.len() {
        why.push(
            "a workload in a guarded environment follows it, or admission.guarded_tags names it"
                .to_string(),
        );
    }
    if !aliases.is_empty() {
        let s = if aliases.len() == 1 { "s" } else { "" };
        why.push(format!("guarded {} track{s} it", aliases.join(", ")));
    }
    format!(
        "deleting {what} is refused: {}, and the next rollout of every workload that follows it would fail; set `admission.allow_delete: true` in tollgate.yaml to allow it",
        why.join("; ")
    )
}

/// Builds the facts of one move and checks them as `check` does, folding the verdict into `j`.
fn evaluate(
    gate: &Gate,
    objects: &Arc<ClusterObjects>,
    dest: &TagKey,
    promotion: &Promotion,
    now: OffsetDateTime,
    j: &mut Judgement,
) {
    let source = FactsSource::Objects(objects.clone());
    let facts = match gate::gather(&source, promotion, gate.settings()) {
        Ok(f) => f,
        Err(e) => {
            j.decision = Decision::Error;
            j.blocking.push(Finding {
                rule: FACTS_ERROR.into(),
                message: format!(
                    "cannot build the facts of {} → {dest}: {e}",
                    promotion.source
                ),
            });
            return;
        }
    };
    let checked = gate.check_at(facts, CheckOptions::default(), now.date());
    j.decision = worse(j.decision, checked.decision());
    for r in checked.verdict.rules {
        j.outcomes.push((r.id.clone(), r.outcome.as_str()));
        let message = r.messages.first().cloned().unwrap_or(r.title);
        let finding = Finding {
            rule: r.id,
            message,
        };
        let list = match r.outcome {
            Outcome::Deny | Outcome::Error => &mut j.blocking,
            Outcome::Warn => &mut j.warnings,
            _ => continue,
        };
        if !list.iter().any(|f| f.rule == finding.rule) {
            list.push(finding);
        }
    }
    j.facts.push(checked.facts);
}

fn worse(a: Decision, b: Decision) -> Decision {
    let rank = |d: Decision| match d {
        Decision::Allow => 0,
        Decision::Deny => 1,
        Decision::Error => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests;
