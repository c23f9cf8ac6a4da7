//! SARIF 2.1.0: one run, the rules with their `//!` docs, one result per finding, located in
//! the rule file and, where a message names one, on the object it is about.

use serde_json::{json, Map, Value};

use super::{exception_notes, object_of, Report};
use crate::verdict::Outcome;

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A rule path as a URI reference: forward slashes, as code-scanning tools expect.
fn uri(path: &str) -> String {
    path.replace('\\', "/")
}

fn text(s: &str) -> Value {
    json!({ "text": s })
}

fn rule_descriptor(v: &crate::verdict::RuleVerdict) -> Value {
    let mut d = Map::new();
    d.insert("id".into(), json!(v.id));
    d.insert("name".into(), json!(v.id));
    d.insert("shortDescription".into(), text(&v.title));
    let full = if v.description.is_empty() {
        &v.title
    } else {
        &v.description
    };
    d.insert("fullDescription".into(), text(full));
    if let Some(fix) = &v.fix {
        d.insert("help".into(), json!({ "text": fix, "markdown": fix }));
    }
    d.insert(
        "properties".into(),
        json!({ "file": uri(&v.file), "outcome": v.outcome }),
    );
    Value::Object(d)
}

fn location(r: &Report, v: &crate::verdict::RuleVerdict, message: &str) -> Value {
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), json!({ "uri": uri(&v.file) }));
    if let Some((line, col)) = v.position {
        physical.insert(
            "region".into(),
            json!({ "startLine": line, "startColumn": col }),
        );
    }
    let mut loc = Map::new();
    loc.insert("physicalLocation".into(), Value::Object(physical));
    if let Some(object) = object_of(r, message) {
        loc.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": object, "name": object, "kind": "resource" }]),
        );
    }
    Value::Object(loc)
}

fn results(r: &Report) -> Vec<Value> {
    let mut out = vec![];
    for (index, v) in r.rules.iter().enumerate() {
        let (level, kind) = match v.outcome {
            Outcome::Deny | Outcome::Error | Outcome::Waived => ("error", "fail"),
            Outcome::Warn => ("warning", "fail"),
            Outcome::Skip => ("none", "notApplicable"),
            Outcome::Pass => continue,
        };
        for m in &v.messages {
            let message = if v.outcome == Outcome::Error {
                format!("rule error (fails closed): {m}")
            } else {
                m.clone()
            };
            let mut res = Map::new();
            res.insert("ruleId".into(), json!(v.id));
            res.insert("ruleIndex".into(), json!(index));
            res.insert("kind".into(), json!(kind));
            res.insert("level".into(), json!(level));
            res.insert("message".into(), text(&message));
            res.insert("locations".into(), json!([location(r, v, m)]));
            if let Some(w) = &v.waived_by {
                // SARIF's own word for an accepted, justified finding: viewers hide it by default.
                res.insert(
                    "suppressions".into(),
                    json!([{
                        "kind": "external",
                        "status": "accepted",
                        "justification": format!("{} (owner {}, expires {}, {})", w.reason, w.owner, w.expires, w.scope),
                    }]),
                );
            }
            out.push(Value::Object(res));
        }
    }
    out
}

/// Pretty SARIF JSON with a trailing newline.
pub fn render_sarif(r: &Report) -> String {
    document(vec![run(r)])
}

/// The SARIF document of some runs (a batch has one per promotion).
pub(super) fn document(runs: Vec<Value>) -> String {
    let doc = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": runs,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// The run of one report: the rules, the invocation, the findings.
pub(super) fn run(r: &Report) -> Value {
    let rules: Vec<Value> = r.rules.iter().map(rule_descriptor).collect();
    let mut notifications = vec![];
    if let Some(e) = &r.error {
        notifications.push(json!({ "level": "error", "message": text(e) }));
    }
    for w in &r.warnings {
        notifications.push(json!({ "level": "warning", "message": text(w) }));
    }
    let config_notes: Vec<Value> = exception_notes(r)
        .into_iter()
        .map(|(level, n)| {
            let level = if level == "notice" { "note" } else { "warning" };
            json!({ "level": level, "message": text(&n) })
        })
        .collect();
    let invocation = json!({
        "toolConfigurationNotifications": config_notes,
        "executionSuccessful": r.error.is_none(),
        "commandLine": format!("tollgate {} {} {}", r.command, r.promotion.source, r.promotion.destination),
        "toolExecutionNotifications": notifications,
        "properties": { "decision": r.decision, "summary": r.summary },
    });
    json!({
        "tool": { "driver": {
            "name": "tollgate",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "invocations": [invocation],
        "results": results(r),
        "properties": { "promotion": r.promotion },
    })
}
