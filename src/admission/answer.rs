//! Turns a judgement into the AdmissionReview sent back: allowed or 403, warnings, audit
//! annotations, as the mode says.

use serde_json::{json, Map, Value};

use super::review::{Review, API_VERSION, KIND};
use super::{Answer, Mode};
use crate::verdict::Decision;

/// `status.message` is shown by `oc` in full; the API server also logs it. Bounded so a
/// pack with many long messages cannot bloat every answer.
pub const MAX_MESSAGE_BYTES: usize = 2048;
/// The API server truncates longer warnings; oc prints each on its own line.
pub const MAX_WARNING_BYTES: usize = 256;
pub const MAX_WARNINGS: usize = 16;

/// One line of the answer: a denied or erroring rule, or a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub message: String,
}

/// What the rules (or the gate's own checks) made of a request, before the mode applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub decision: Decision,
    pub evaluated: bool,
    /// Denials and errors, in the order the verdicts list them (most severe first).
    pub blocking: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub outcomes: Vec<(String, &'static str)>,
    /// The facts each evaluated move was decided on (tests compare them with the CLI's).
    pub facts: Vec<crate::facts::Facts>,
}

impl Judgement {
    pub fn allow_at_once() -> Judgement {
        Judgement {
            decision: Decision::Allow,
            evaluated: false,
            blocking: vec![],
            warnings: vec![],
            outcomes: vec![],
            facts: vec![],
        }
    }

    /// The gate's own refusals before any rule (`tollgate/…`).
    pub fn refused_at_once(decision: Decision, blocking: Vec<Finding>) -> Judgement {
        Judgement {
            decision,
            evaluated: false,
            blocking,
            warnings: vec![],
            outcomes: vec![],
            facts: vec![],
        }
    }

    /// One refusal of the gate's own.
    pub fn refuse_at_once(decision: Decision, rule: &str, message: String) -> Judgement {
        let finding = Finding {
            rule: rule.to_string(),
            message,
        };
        Judgement::refused_at_once(decision, vec![finding])
    }
}

/// `s` cut to at most `max` bytes on a character boundary, with `…` when cut.
pub fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let ell = '…'.len_utf8();
    let mut end = max.saturating_sub(ell);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn line(prefix: &str, f: &Finding) -> String {
    bounded(
        &format!("{prefix}{}: {}", f.rule, f.message),
        MAX_WARNING_BYTES,
    )
}

/// The answer for `review` in `mode`.
pub fn render(review: &Review, mode: Mode, rules_digest: &str, j: Judgement) -> Answer {
    let blocks = j.decision != Decision::Allow;
    let allowed = !blocks || mode != Mode::Enforce;
    let mut warnings: Vec<String> = match mode {
        Mode::Audit => vec![],
        Mode::Enforce => j.warnings.iter().map(|f| line("tollgate: ", f)).collect(),
        Mode::Warn => j
            .blocking
            .iter()
            .map(|f| line("tollgate (warn mode, would deny): ", f))
            .chain(j.warnings.iter().map(|f| line("tollgate: ", f)))
            .collect(),
    };
    warnings.truncate(MAX_WARNINGS);
    let mut denied: Vec<String> = Vec::new();
    for f in &j.blocking {
        if !denied.contains(&f.rule) {
            denied.push(f.rule.clone());
        }
    }
    let mut response = Map::new();
    response.insert("uid".into(), json!(review.uid));
    response.insert("allowed".into(), json!(allowed));
    if !allowed {
        let text = j
            .blocking
            .iter()
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        let message = if text.is_empty() {
            // A decision that blocks always names why; this only guards the contract.
            format!(
                "tollgate: the promotion was not allowed ({})",
                j.decision.as_str()
            )
        } else {
            format!("tollgate: {text}")
        };
        response.insert(
            "status".into(),
            json!({"code": 403, "reason": "Forbidden", "message": bounded(&message, MAX_MESSAGE_BYTES)}),
        );
    }
    if !warnings.is_empty() {
        response.insert("warnings".into(), json!(warnings));
    }
    response.insert(
        "auditAnnotations".into(),
        json!({
            "decision": j.decision.as_str(),
            "rules-digest": rules_digest,
            "denied": bounded(&denied.join(","), MAX_MESSAGE_BYTES),
        }),
    );
    Answer {
        review: json!({"apiVersion": API_VERSION, "kind": KIND, "response": Value::Object(response)}),
        decision: j.decision,
        evaluated: j.evaluated,
        denied,
        outcomes: j.outcomes,
        moves: j
            .facts
            .iter()
            .map(|f| {
                let p = &f.promotion;
                format!("{} → {}", p.source.reference, p.destination.reference)
            })
            .collect(),
        resource: review.resource.clone(),
        operation: review.operation.clone(),
    }
}
