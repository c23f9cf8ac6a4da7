//! The policy engine against bad, hostile and odd rules: each gives a clear outcome or error.

use std::time::{Duration, Instant};

use tollgate::config::Settings;
use tollgate::facts::sample_facts;
use tollgate::policy::{compile, Evaluator, Outcome, PolicyError, RuleResult, RuleSource};

fn src(id: &str, body: &str) -> RuleSource {
    RuleSource {
        path: format!("policies/{id}.rhai"),
        text: format!("//! Test rule {id}\n//! Fix: nothing\n{body}"),
    }
}

fn run_all(sources: Vec<RuleSource>, settings: &Settings) -> Vec<RuleResult> {
    let rules = compile(sources).unwrap_or_else(|e| panic!("compile: {e}"));
    Evaluator::new().evaluate(&rules, &sample_facts(), settings)
}

fn run(body: &str) -> RuleResult {
    run_all(vec![src("r", body)], &Settings::default()).remove(0)
}

fn compile_err(body: &str) -> String {
    match compile(vec![src("r", body)]) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected a compile error for {body}"),
    }
}

fn rendered(r: &RuleResult) -> String {
    assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    r.error.as_ref().expect("error detail").rendered.clone()
}

#[test]
fn outcomes_from_calls() {
    assert_eq!(run("deny(\"no\"); warn(\"hm\");").outcome, Outcome::Deny);
    let r = run("warn(\"hm\"); skip(\"n/a\");");
    assert_eq!(
        (r.outcome, r.messages.clone()),
        (Outcome::Warn, vec!["hm".to_string()])
    );
    assert_eq!(run("skip(\"n/a\");").outcome, Outcome::Skip);
    let r = run("let x = 1 + 2;");
    assert_eq!((r.outcome, r.messages.len()), (Outcome::Pass, 0));
    assert!(r.operations > 0, "{r:?}");
}

#[test]
fn returned_value_is_ignored() {
    let r = run("if image.digest != \"\" { \"deny\" } else { false }");
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    assert!(r.messages.is_empty());
}

#[test]
fn syntax_error_has_position_and_caret() {
    let e = compile_err("let x = ;\n");
    assert!(e.contains("policies/r.rhai:3:9:"), "{e}");
    assert!(e.contains("3 | let x = ;"), "{e}");
    assert!(e.contains("  |         ^"), "{e}");
}

#[test]
fn all_compile_errors_are_reported() {
    let e = compile(vec![
        src("a", "let = 1;"),
        src("b", "if {"),
        src("c", "let ok = 1;"),
    ])
    .unwrap_err();
    match &e {
        PolicyError::Invalid(errs) => assert_eq!(errs.len(), 2, "{e}"),
        other => panic!("{other}"),
    }
    let text = e.to_string();
    assert!(
        text.contains("policies/a.rhai:3:") && text.contains("policies/b.rhai:3:"),
        "{text}"
    );
}

#[test]
fn header_and_id_problems() {
    let e = compile(vec![RuleSource {
        path: "p/no-header.rhai".into(),
        text: "deny(\"x\");".into(),
    }])
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("p/no-header.rhai:1:1: missing `//!` header"),
        "{e}"
    );
    let e = compile(vec![RuleSource {
        path: "p/Bad_Name.rhai".into(),
        text: "//! t\n".into(),
    }])
    .unwrap_err()
    .to_string();
    assert!(e.contains("kebab-case"), "{e}");
    let mut a = src("same", "");
    a.path = "one/same.rhai".into();
    let mut b = src("same", "");
    b.path = "two/same.rhai".into();
    let e = compile(vec![a, b]).unwrap_err().to_string();
    assert!(
        e.contains("one/same.rhai") && e.contains("two/same.rhai") && e.contains("duplicate"),
        "{e}"
    );
}

#[test]
fn undefined_variable_is_a_compile_error() {
    let e = compile_err("if imgae.digest == \"\" { deny(\"x\"); }");
    assert!(
        e.contains("unknown variable `imgae`; did you mean `image`?"),
        "{e}"
    );
}

#[test]
fn infinite_loop_is_stopped_fast() {
    let start = Instant::now();
    let r = run("let i = 0;\nloop { i += 1; }");
    let text = rendered(&r);
    assert!(text.contains("operations"), "{text}");
    assert!(text.contains("policies/r.rhai:"), "{text}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let r = run("fn down(n) { down(n + 1) }\ndown(0);");
    let text = rendered(&r);
    assert!(text.contains("nested function calls"), "{text}");
}

#[test]
fn recursion_just_inside_the_limit_works() {
    let depth = tollgate::policy::MAX_CALL_LEVELS - 2;
    let r = run(&format!(
        "fn down(n) {{ if n > 0 {{ down(n - 1) + 1 }} else {{ 0 }} }}\nif down({depth}) != {depth} {{ deny(\"bad\"); }}"
    ));
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
}

#[test]
fn huge_string_hits_the_size_limit() {
    let r = run("let s = \"x\";\nloop { s += s; }");
    let text = rendered(&r);
    assert!(text.to_lowercase().contains("length of string"), "{text}");
}

#[test]
fn typo_in_fact_key_suggests_the_right_one() {
    let r = run("if image.digset == \"\" {\n    deny(\"x\");\n}");
    let text = rendered(&r);
    assert!(text.contains("did you mean `digest`"), "{text}");
    assert!(text.contains("policies/r.rhai:3:"), "{text}");
    // A loop variable: resolved against every key in the facts.
    let r = run("for t in targets {\n  if t.enviroment == \"prod\" { deny(\"x\"); }\n}");
    assert!(rendered(&r).contains("did you mean `environment`"), "{r:?}");
}

#[test]
fn unknown_function_is_named() {
    let r = run("let x = 1;\nfrobnicate(x);");
    let text = rendered(&r);
    assert!(text.contains("frobnicate"), "{text}");
    assert!(text.contains("policies/r.rhai:4:"), "{text}");
}

#[test]
fn throw_is_an_error() {
    let r = run("throw \"cannot decide\";");
    let text = rendered(&r);
    assert!(text.contains("cannot decide"), "{text}");
}

#[test]
fn imports_fail() {
    // Imports are resolved when compiling, from the policy directory's `lib/` only: an unknown
    // name or any path is a compile error with its position (tests/policy_lib.rs has more).
    for body in ["import \"x\" as x;", "import \"/etc/passwd\" as x;"] {
        let e = compile(vec![src("r", body)]).unwrap_err().to_string();
        assert!(e.contains("policies/r.rhai:3:8: cannot import"), "{e}");
    }
}

#[test]
fn eval_and_clock_are_unavailable() {
    assert!(
        compile(vec![src("r", "eval(\"1\");")]).is_err()
            || run("eval(\"1\");").outcome == Outcome::Error
    );
    assert_eq!(run("let t = timestamp();").outcome, Outcome::Error);
}

#[test]
fn facts_are_immutable_across_rules() {
    let results = run_all(
        vec![
            src("a-clear", "targets.clear();"),
            src("b-assign", "image.digest = \"x\";"),
            src("c-copy", "let t = targets; t.clear(); let i = image; i.digest = \"x\";"),
            src("d-elem", "for t in targets { t.name = \"evil\"; t.triggers.clear(); }\nlet first = targets[0]; first.paused = true;"),
            src("e-index", "targets[0].paused = true;"),
            src("f-closure", "let f = || { targets.clear(); image.digest = \"x\"; };\nf.call();"),
            src(
                "z-check",
                "if targets.len() != 1 { deny(\"targets changed\"); }\nif image.digest == \"x\" { deny(\"digest changed\"); }\nif targets[0].name != \"simple-app\" || targets[0].paused { deny(\"target changed\"); }\nif targets[0].triggers.len() != 2 { deny(\"triggers changed\"); }",
            ),
        ],
        &Settings::default(),
    );
    let check = results.iter().find(|r| r.id == "z-check").unwrap();
    assert_eq!(check.outcome, Outcome::Pass, "{results:#?}");
    // Copies are the rule's own to change.
    for id in ["c-copy", "d-elem"] {
        let r = results.iter().find(|r| r.id == id).unwrap();
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }
    for id in ["a-clear", "b-assign", "e-index", "f-closure"] {
        let r = results.iter().find(|r| r.id == id).unwrap();
        assert_eq!(r.outcome, Outcome::Error, "{r:?}");
    }
}

#[test]
fn off_rules_are_skipped_not_run() {
    let settings = Settings::parse("rules:\n  r:\n    level: off\n", "tollgate.yaml").unwrap();
    let r = run_all(vec![src("r", "deny(\"ran\");")], &settings).remove(0);
    assert_eq!(r.outcome, Outcome::Skip);
    assert_eq!(r.messages, vec!["turned off in tollgate.yaml".to_string()]);
    assert_eq!(r.operations, 0);
}

#[test]
fn params_reach_each_rule_separately() {
    let settings = Settings::parse("rules:\n  a:\n    params: {n: 3}\n", "tollgate.yaml").unwrap();
    let results = run_all(
        vec![
            src("a", "if params.n != 3 { deny(\"n\"); }"),
            src("b", "if \"n\" in params { deny(\"leaked\"); }"),
        ],
        &settings,
    );
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Pass),
        "{results:#?}"
    );
}

#[test]
fn helpers_work_in_scripts() {
    let r = run(r#"
let p = parse_image(image.reference);
if p.namespace != "dev" || p.name != "simple-app" || p.tag != () || !is_digest(image.reference) { deny("parse"); }
if parse_image("app:latest").tag != "latest" || is_digest("app:latest") { deny("tag"); }
let h = hours_between(image.created, promotion.time);
if h != 3.0 { deny(`hours ${h}`); }
"#);
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    let r = run("hours_between(\"yesterday\", promotion.time);");
    assert!(rendered(&r).contains("not an RFC 3339 time"), "{r:?}");
}

#[test]
fn deep_recursion_through_nested_expressions_is_an_error_not_a_crash() {
    // Each level nests expressions and calls from inside them: the heaviest native stack use
    // per call level a rule can reach within the expression-depth limit.
    let nested = format!("{}down(n + 1){}", "(".repeat(6), ")".repeat(6));
    let r = run(&format!(
        "fn down(n) {{ let x = [#{{a: [{nested}]}}]; if n > 0 {{ x }} else {{ x }} }}\ndown(0);"
    ));
    assert!(rendered(&r).contains("nested function calls"), "{r:?}");
}

/// A larger pack reports every problem, in source order (a duplicate id names the first
/// definition), and its rules sorted by id.
#[test]
fn a_large_pack_reports_every_problem_in_source_order() {
    let rule = |dir: &str, id: &str, body: &str| RuleSource {
        path: format!("{dir}/{id}.rhai"),
        text: format!("//! Rule {id}\n//! Fix: nothing\n{body}\n"),
    };
    let mut sources: Vec<RuleSource> = (0..12)
        .map(|i| rule("one", &format!("r{i:02}"), "let x = 1;"))
        .collect();
    sources[1] = rule("one", "r01", "let = ;");
    sources[10] = rule("one", "r10", "deny(;");
    sources.push(rule("two", "r00", "let y = 2;"));
    let errors = match compile(sources.clone()) {
        Err(PolicyError::Invalid(errors)) => errors,
        other => panic!("expected problems, got {other:?}"),
    };
    let files: Vec<&str> = errors.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, ["one/r01.rhai", "one/r10.rhai", "two/r00.rhai"]);
    assert!(
        errors[2].message.contains("one/r00.rhai"),
        "{}",
        errors[2].message
    );

    sources.truncate(12);
    sources[1] = rule("one", "r01", "let x = 1;");
    sources[10] = rule("one", "r10", "let x = 1;");
    sources.reverse();
    let ids: Vec<String> = compile(sources)
        .unwrap()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let expected: Vec<String> = (0..12).map(|i| format!("r{i:02}")).collect();
    assert_eq!(ids, expected);
}
