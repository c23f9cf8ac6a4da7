//! A record's own checks, each naming what is wrong: hostile or stale records are errors of
//! their own, never a panic or a silently skipped file.

#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};

use super::{parse, parse_typed, parse_value};

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
        // The typed path refuses whatever the value path refuses (it then words the error).
        assert!(
            parse_typed(&v.to_string()).is_err(),
            "typed path accepted {want}"
        );
    }
}

#[test]
fn a_repeated_key_and_deep_nesting_are_refused() {
    let text = record().to_string().replacen("{", "{\"time\": \"x\", ", 1);
    assert!(parse(&text).unwrap_err().contains("not JSON"));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse(&deep).unwrap_err().contains("not JSON"));
}

/// The typed path and the value path read a good record the same way, also when the record
/// holds more than a replay needs (the full report, unknown report keys, escapes in keys).
#[test]
fn both_paths_read_a_record_alike() {
    let mut v = record();
    v["report"]["summary"] = json!({"pass": 1, "nested": [{"a": 1}, {"a": 2}]});
    v["report"]["rules"][0]["message"] = json!("fine \u{e9}");
    v["tollgate_version"] = json!("9.9.9");
    for text in [v.to_string(), serde_json::to_string_pretty(&v).unwrap()] {
        let typed = parse_typed(&text).unwrap();
        let value = parse_value(&text).unwrap();
        assert_eq!(typed.facts, value.facts);
        assert_eq!(typed.time, value.time);
        assert_eq!(typed.recorded_at, value.recorded_at);
        assert_eq!(typed.rules_digest, value.rules_digest);
        assert_eq!(typed.report.decision, value.report.decision);
        assert_eq!(typed.report.rules.len(), value.report.rules.len());
    }
    // A key repeated deep inside the part a replay never reads is still refused.
    let text = v
        .to_string()
        .replacen("\"nested\":[{\"a\":1}", "\"nested\":[{\"a\":1,\"a\":3}", 1);
    assert!(text.contains("\"a\":3"), "{text}");
    assert!(parse_typed(&text).is_err());
    assert!(parse(&text).unwrap_err().contains("duplicate key `a`"));
}
