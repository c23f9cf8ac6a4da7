//! Explaining a block through the CLI: a denied rule shows the fact values its code reads
//! (text under its messages, JSON in `rules[].facts_read`).

use crate::common::tollgate;
use serde_json::Value;

fn check(output: &str) -> (i32, String) {
    let out = tollgate()
        .args([
            "check",
            "dev/simple-app:latest",
            "dev/simple-app:promote",
            "--snapshot",
            "examples/seed/b-automatic-trigger",
            "--time",
            "2024-03-06T12:00:00Z",
            "--output",
            output,
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn text_shows_the_values_the_denying_rule_read() {
    let (code, text) = check("text");
    assert_eq!(code, 1, "{text}");
    let block: String = text
        .split("✗ prod-manual-trigger")
        .nth(1)
        .and_then(|s| s.split("\n  ✓").next())
        .unwrap()
        .to_string();
    assert!(
        block.contains("Production must be rolled out by hand"),
        "{block}"
    );
    assert!(block.contains("facts read: "), "{block}");
    assert!(
        block.contains("targets[0].environment = \"prod\""),
        "{block}"
    );
    assert!(
        block.contains("targets[0].triggers[1].consumes_promotion = true"),
        "{block}"
    );
    assert!(
        block.contains("targets[0].triggers[1].automatic = true"),
        "{block}"
    );
    assert!(block.contains("fix: `oc set triggers"), "{block}");
    // Listed after the messages, before the fix.
    let read = block.find("facts read").unwrap();
    assert!(
        block.find("redeploys automatically").unwrap() < read,
        "{block}"
    );
    assert!(read < block.find("fix:").unwrap(), "{block}");
    // Passing rules explain nothing.
    assert_eq!(text.matches("facts read").count(), 1, "{text}");
}

#[test]
fn json_has_facts_read_for_the_denial_only() {
    let (code, out) = check("json");
    assert_eq!(code, 1, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let rules = r["rules"].as_array().unwrap();
    let denied = rules
        .iter()
        .find(|v| v["id"] == "prod-manual-trigger")
        .unwrap();
    let reads = denied["facts_read"].as_array().unwrap();
    let get = |p: &str| {
        reads
            .iter()
            .find(|f| f["path"] == p)
            .map(|f| f["value"].clone())
            .unwrap_or_else(|| panic!("no {p} in {reads:?}"))
    };
    assert_eq!(get("targets[0].triggers[1].automatic"), Value::Bool(true));
    assert_eq!(get("targets[0].environment"), Value::from("prod"));
    assert_eq!(
        get("promotion.destination.ref"),
        Value::from("dev/simple-app:promote")
    );
    // The loop's list itself is explained element by element, not dumped.
    assert!(
        reads.iter().all(|f| f["path"] != "targets[0].triggers"),
        "{reads:?}"
    );
    for v in rules.iter().filter(|v| v["outcome"] == "pass") {
        assert!(v.get("facts_read").is_none(), "{v}");
    }
}
