//! Hostile rules against the per-rule limits: a wall-clock deadline, caps on messages and on
//! print output. Each ends with an `error` outcome naming the limit (or, for print output, a
//! capped log), whatever the rule does. No timed assertions: outcomes and messages only.

use tollgate::config::Settings;
use tollgate::facts::{sample_facts, Binding, Facts, RoleRefFact, Subject};
use tollgate::policy::{
    compile, Evaluator, Outcome, RuleResult, RuleSource, MAX_MESSAGES, MAX_MESSAGE_BYTES,
};

fn src(body: &str) -> RuleSource {
    RuleSource {
        path: "policies/r.rhai".into(),
        text: format!("//! Test rule\n//! Fix: nothing\n{body}"),
    }
}

/// Facts with `n` extra ClusterRoleBindings.
fn facts_with_bindings(n: usize) -> Facts {
    let mut f = sample_facts();
    for i in 0..n {
        f.rbac.bindings.push(Binding {
            namespace: None,
            name: format!("binding-{i}"),
            role: RoleRefFact {
                kind: "ClusterRole".into(),
                name: "view".into(),
            },
            subjects: vec![Subject {
                kind: "User".into(),
                name: format!("user-{i}"),
                namespace: None,
            }],
        });
    }
    f
}

fn run_on(body: &str, facts: &Facts, settings: &Settings) -> RuleResult {
    let rules = compile(vec![src(body)]).unwrap_or_else(|e| panic!("compile: {e}"));
    Evaluator::new().evaluate(&rules, facts, settings).remove(0)
}

/// A short deadline keeps the suite quick; the message must name it.
fn quick() -> Settings {
    Settings::parse("limits: {rule_timeout: 300ms}\n", "tollgate.yaml").unwrap()
}

fn assert_timed_out(r: &RuleResult, limit: &str) {
    assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    assert_eq!(
        r.messages[0],
        format!("rule exceeded its {limit} time limit (limits.rule_timeout)"),
        "{r:?}"
    );
    // The position is where the rule was when the clock was read (none inside some engine
    // internals), so it is not asserted.
    assert_eq!(r.error.as_ref().unwrap().file, "policies/r.rhai");
}

#[test]
fn the_default_deadline_is_two_seconds_and_named() {
    // Formatting every binding on each pass of a loop: minutes before the deadline existed.
    let r = run_on(
        "let s = \"\";\nfor b in rbac.bindings { s = `${rbac.bindings}`; }",
        &facts_with_bindings(1_000),
        &Settings::default(),
    );
    assert_timed_out(&r, "2 s");
}

#[test]
fn cheap_operations_in_a_long_loop_meet_the_deadline_before_the_operation_limit() {
    // A loop of string work on a 200 KiB string: each operation costs microseconds, so the
    // deadline, not the operation count, ends it.
    let r = run_on(
        "let s = \"x\";\ns.pad(200000, \"y\");\nlet n = 0;\nloop { if s.contains(\"z\") { n += 1; } }",
        &sample_facts(),
        &quick(),
    );
    assert_timed_out(&r, "300 ms");
}

#[test]
fn contains_over_a_big_array_is_stopped() {
    let r = run_on(
        "let a = [];\nfor i in 0..40000 { a.push(i); }\nloop { if -1 in a { deny(\"found\"); } }",
        &sample_facts(),
        &quick(),
    );
    assert!(
        r.outcome == Outcome::Error
            && (r.messages[0].contains("limits.rule_timeout")
                || r.messages[0].contains("operations")),
        "{r:?}"
    );
}

#[test]
fn a_rule_cannot_catch_the_deadline() {
    let r = run_on(
        "loop { try { let s = `${rbac.bindings}`; } catch (e) { } }",
        &facts_with_bindings(1_000),
        &quick(),
    );
    assert_timed_out(&r, "300 ms");
}

#[test]
fn formatting_a_huge_fact_hits_the_string_limit() {
    let r = run_on(
        "let s = `${rbac.bindings}`;",
        &facts_with_bindings(20_000),
        &Settings::default(),
    );
    assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    assert!(r.messages[0].contains("Length of string"), "{r:?}");
}

#[test]
fn denying_in_a_loop_stops_at_the_message_count() {
    let r = run_on(
        "for b in rbac.bindings { deny(`binding ${b.name}`); }",
        &facts_with_bindings(1_000),
        &Settings::default(),
    );
    assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    assert_eq!(
        r.messages[0],
        format!("rule called deny/warn/skip more than {MAX_MESSAGES} times (limit: {MAX_MESSAGES} messages per rule)")
    );
    // What it said before the limit is kept, after the error.
    assert_eq!(r.messages.len(), 1 + MAX_MESSAGES, "{}", r.messages.len());
    let e = r.error.as_ref().unwrap();
    assert_eq!(e.line, 3, "{e:?}");
}

#[test]
fn a_rule_cannot_catch_the_message_limit() {
    let r = run_on(
        "loop { try { warn(\"again\"); } catch (e) { } }",
        &sample_facts(),
        &Settings::default(),
    );
    assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    assert!(r.messages[0].contains("messages per rule"), "{r:?}");
}

#[test]
fn long_messages_are_cut_and_their_total_is_capped() {
    let r = run_on(
        "let s = \"\";\ns.pad(10000, \"x\");\nwarn(s);",
        &sample_facts(),
        &Settings::default(),
    );
    assert_eq!(r.outcome, Outcome::Warn, "{r:?}");
    let m = &r.messages[0];
    assert!(m.len() <= MAX_MESSAGE_BYTES, "{}", m.len());
    assert!(
        m.ends_with("[message cut: 10000 bytes, limit 4096]"),
        "{}",
        &m[m.len() - 60..]
    );
    let r = run_on(
        "let s = \"\";\ns.pad(10000, \"x\");\nfor i in 0..50 { skip(s); }",
        &sample_facts(),
        &Settings::default(),
    );
    assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    assert_eq!(
        r.messages[0],
        "rule's messages exceed 64 KiB in total (limit: 64 KiB of deny/warn/skip messages per rule)"
    );
    assert!(r.messages.iter().map(String::len).sum::<usize>() < 70 * 1024);
}

#[test]
fn print_in_a_loop_does_not_fail_the_rule() {
    // The output is capped (unit tests in src/policy/sink.rs count the lines); the rule's
    // outcome is what it said.
    let r = run_on(
        "for i in 0..1000 { print(`line ${i}`); debug(i); }\nwarn(\"done\");",
        &sample_facts(),
        &Settings::default(),
    );
    assert_eq!(r.outcome, Outcome::Warn, "{r:?}");
}

#[test]
fn facts_are_not_bound_by_the_array_limit_but_what_rules_build_is() {
    // 60,000 bindings: more than the 50,000 a rule may build, readable all the same (a
    // generous deadline: copying that many values is slow in a debug build).
    let patient = Settings::parse("limits: {rule_timeout: 1m}\n", "tollgate.yaml").unwrap();
    let r = run_on(
        "let n = 0;\nfor b in rbac.bindings { n += 1; }\nif n < 60000 || rbac.bindings[60003].name != \"binding-59999\" { deny(\"missing\"); }",
        &facts_with_bindings(60_000),
        &patient,
    );
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    let r = run_on("let a = [];\na.pad(60000, 0);", &sample_facts(), &patient);
    assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    assert!(r.messages[0].contains("Size of array"), "{r:?}");
}
