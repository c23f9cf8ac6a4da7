//! A record's own checks, each naming what is wrong: hostile or stale records are errors of
//! their own, never a panic or a silently skipped file.

#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};

use super::parse;

/// A well-formed record of the sample facts.
fn record() -> Value {
    json!({
        "schema": "tollgate.record/v1",
        "time": "2024-03-06T12:00:00Z",
        "tollgate_version": "0.1.0",
        "rules_digest": "sha256:00",
        "facts": serde_json::to_value(crate::facts::sample_facts()).unwrap(),
        "report": {"decision": "allow", "rules": [{"id": "image-age", "outcome": "pass"}]},
    })
}

fn err(v: &Value) -> String {
    match parse(&v.to_string()) {
        Ok(_) => panic!("accepted: {v}"),
        Err(e) => e,
    }
}

#[test]
fn a_well_formed_record_parses() {
    let p = parse(&record().to_string()).unwrap();
    assert_eq!(p.time, "2024-03-06T12:00:00Z");
    assert_eq!(p.recorded_at.date().to_string(), "2024-03-06");
    assert_eq!(p.report.rules.len(), 1);
    assert_eq!(p.facts, crate::facts::sample_facts());
}

/// A change that spoils a record.
type Change = Box<dyn Fn(&mut Value)>;

#[test]
fn each_bad_part_is_named() {
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|v| *v = json!([])), "not a JSON object"),
        (Box::new(|v| v["schema"] = json!("x")), "`schema` is `x`"),
        (
            Box::new(|v| drop(v.as_object_mut().unwrap().remove("time"))),
            "`time` is missing",
        ),
        (Box::new(|v| v["time"] = json!(5)), "`time` is not a string"),
        (
            Box::new(|v| v["time"] = json!("yesterday")),
            "`time` `yesterday`: not an RFC 3339",
        ),
        (
            Box::new(|v| drop(v.as_object_mut().unwrap().remove("rules_digest"))),
            "`rules_digest` is missing",
        ),
        (
            Box::new(|v| v["report"] = json!("allow")),
            "`report`: invalid type",
        ),
        (
            Box::new(|v| v["report"]["decision"] = json!("banana")),
            "`report.decision` is `banana`",
        ),
        (
            Box::new(|v| v["report"]["rules"][0]["outcome"] = json!("ok")),
            "`report.rules[0].outcome` is `ok`",
        ),
        (
            Box::new(|v| v["report"]["rules"][0]["id"] = json!(1)),
            "`report.rules[0].id`: invalid type",
        ),
        (
            Box::new(|v| v["facts"]["schema"] = json!("tollgate.facts/v0")),
            "its facts no longer parse: not a facts document",
        ),
        (
            Box::new(|v| v["facts"]["promotion"]["digest"] = json!("sha256:zz")),
            "its facts no longer parse: `promotion.digest`: \"sha256:zz\" is not an image digest",
        ),
    ];
    for (change, want) in cases {
        let mut v = record();
        change(&mut v);
        let e = err(&v);
        assert!(e.contains(want), "want {want}, got {e}");
    }
}

#[test]
fn a_repeated_key_and_deep_nesting_are_refused() {
    let text = record().to_string().replacen("{", "{\"time\": \"x\", ", 1);
    assert!(parse(&text).unwrap_err().contains("not JSON"));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse(&deep).unwrap_err().contains("not JSON"));
}
