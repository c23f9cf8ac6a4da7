//! `tollgate test` through the CLI: the shipped pack's cases pass, a failing case shows the
//! difference (exit 1), a malformed case file is named (exit 2), untested rules are listed.

use crate::common::tollgate;

use std::path::Path;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = tollgate().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A policy dir with one shipped rule and its base facts, plus the given test file.
fn pack_with(test_yaml: &str) -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("tests");
    std::fs::create_dir(&tests).unwrap();
    for rule in ["prod-manual-trigger", "target-ready"] {
        std::fs::copy(
            root.join(format!("policies/{rule}.rhai")),
            dir.path().join(format!("{rule}.rhai")),
        )
        .unwrap();
    }
    std::fs::copy(
        root.join("policies/tests/base-facts.json"),
        tests.join("base-facts.json"),
    )
    .unwrap();
    std::fs::write(tests.join("prod-manual-trigger.yaml"), test_yaml).unwrap();
    dir
}

#[test]
fn the_shipped_pack_passes_its_cases_and_every_rule_has_one() {
    let (code, out, err) = run(&["test", "--require-tests"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains('✗'), "{out}");
    assert!(out.contains("0 failed"), "{out}");
    assert!(out.contains("14 of 14 rules tested"), "{out}");
    assert!(!out.contains("rules with no test case"), "{out}");
    // Every shipped rule has a failing-path and an error-path case.
    for entry in std::fs::read_dir("policies").unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "rhai") {
            let id = p.file_stem().unwrap().to_str().unwrap().to_string();
            let cases = std::fs::read_to_string(format!("policies/tests/{id}.yaml")).unwrap();
            assert!(
                cases.contains(&format!("{id}: error")) || cases.contains("outcome: error"),
                "{id}: no error case"
            );
            assert!(
                ["deny", "warn"]
                    .iter()
                    .any(|o| cases.contains(&format!("outcome: {o}"))
                        || cases.contains(&format!("{id}: {o}"))),
                "{id}: no deny/warn case"
            );
        }
    }
}

#[test]
fn a_failing_case_exits_1_and_shows_the_difference() {
    let dir = pack_with(
        "cases:\n  - name: wrongly expects a pass\n    set: {targets.0.triggers.1.automatic: true}\n    expect: {prod-manual-trigger: pass}\n  - name: wrong message\n    set: {targets.0.triggers.1.automatic: true}\n    expect:\n      prod-manual-trigger: {outcome: deny, messages: 2, match: 'nothing like this'}\n  - name: right\n    expect: {prod-manual-trigger: pass}\n",
    );
    let (code, out, err) = run(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("✗ wrongly expects a pass"), "{out}");
    assert!(
        out.contains("prod-manual-trigger: expected pass, got deny"),
        "{out}"
    );
    assert!(
        out.contains("got: prod/dc/simple-app redeploys automatically"),
        "{out}"
    );
    assert!(out.contains("expected 2 messages, got 1"), "{out}");
    assert!(
        out.contains("message does not match /nothing like this/"),
        "{out}"
    );
    assert!(out.contains("✓ right"), "{out}");
    assert!(out.contains("3 cases: 1 passed, 2 failed"), "{out}");
    assert!(
        out.contains("rules with no test case: target-ready"),
        "{out}"
    );
}

#[test]
fn require_tests_fails_on_an_untested_rule() {
    let dir = pack_with("cases:\n  - name: ok\n    expect: {prod-manual-trigger: pass}\n");
    let (code, out, _) = run(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&["test", "--require-tests", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("(--require-tests: a failure): target-ready"),
        "{out}"
    );
}

#[test]
fn malformed_case_files_exit_2_naming_file_and_field() {
    for (yaml, want) in [
        ("cases:\n  - name: x\n    expect: {prod-manual-trigger: blocked}\n", "cases[0] (x): expect.prod-manual-trigger: outcome `blocked`"),
        ("cases:\n  - name: x\n    expect: {no-such-rule: pass}\n", "expect.no-such-rule: no rule `no-such-rule`"),
        ("cases:\n  - name: x\n    expcet: {prod-manual-trigger: pass}\n", "expcet"),
        ("cases:\n  - name: x\n    set: {targets.0.trigers: []}\n    expect: {prod-manual-trigger: pass}\n", "set.targets.0.trigers: no key `trigers` in `targets.0`"),
        ("cases:\n  - name: x\n    set: {targets.0.paused: \"no\"}\n    expect: {prod-manual-trigger: pass}\n", "do not match the facts schema at `targets[0].paused`"),
        ("cases:\n  - name: x\n    expect:\n      prod-manual-trigger: {outcome: deny, match: '(unclosed'}\n", "match `(unclosed`"),
        ("cases:\n  - name: x\n    snapshot: ../nope\n    expect: {prod-manual-trigger: pass}\n", "source: required with `snapshot`"),
    ] {
        let dir = pack_with(yaml);
        let (code, out, err) = run(&["test", dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{yaml}\n{out}\n{err}");
        assert!(err.contains("prod-manual-trigger.yaml"), "{yaml}\n{err}");
        assert!(err.contains(want), "{yaml}\nwant {want}\n{err}");
    }
}

#[test]
fn the_policy_guide_rule_reference_is_current() {
    let (code, out, err) = run(&["doc", "--check"]);
    assert_eq!(
        code, 0,
        "policies/README.md is stale: run `tollgate doc --write`\n{out}{err}"
    );
}

#[test]
fn doc_check_fails_on_a_stale_guide_and_write_fixes_it() {
    let dir = pack_with("cases: []\n");
    let readme = dir.path().join("README.md");
    let begin = "<!-- BEGIN GENERATED RULES: `tollgate doc --write` rewrites this section -->";
    std::fs::write(
        &readme,
        format!("# Guide\n\n{begin}\nold\n<!-- END GENERATED RULES -->\n\nkept\n"),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, _) = run(&["doc", "--check", d]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("stale"), "{out}");
    let (code, _, _) = run(&["doc", "--write", d]);
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&readme).unwrap();
    assert!(
        text.starts_with("# Guide\n") && text.ends_with("\nkept\n"),
        "{text}"
    );
    assert!(
        text.contains("### `prod-manual-trigger`") && !text.contains("\nold\n"),
        "{text}"
    );
    assert_eq!(run(&["doc", "--check", d]).0, 0);
    let (code, out, _) = run(&["doc", d]);
    assert_eq!(code, 0);
    assert!(
        out.contains("| [`target-ready`](#target-ready) | deny |"),
        "{out}"
    );
}
