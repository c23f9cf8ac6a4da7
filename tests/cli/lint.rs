//! `tollgate lint` through the CLI: each defect class is reported at its file:line:col with a
//! caret (and a "did you mean" where one exists); the shipped pack lints clean.

use std::path::Path;

use crate::common::tollgate;

fn lint(dirs: &[&Path]) -> (i32, String) {
    let out = tollgate().arg("lint").args(dirs).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), text)
}

/// A policy dir holding `files` (`lib/x.rhai` for library modules).
fn pack(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = d.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

/// Asserts `file:line:col: …needle…` is reported with a caret line.
fn reported(out: &str, file: &str, line: usize, col: usize, needle: &str) {
    let head = format!("{file}:{line}:{col}: ");
    let at = out
        .lines()
        .position(|l| l.contains(&head) && l.contains(needle))
        .unwrap_or_else(|| panic!("no `{head}…{needle}` in:\n{out}"));
    let caret = out.lines().nth(at + 3).unwrap_or("");
    assert!(
        caret.trim_end().ends_with('^'),
        "no caret after line {at}:\n{out}"
    );
}

#[test]
fn shipped_pack_lints_clean() {
    let (code, out) = lint(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems"), "{out}");
    assert!(out.contains("and 1 library module"), "{out}");
}

#[test]
fn syntax_error_with_position() {
    let d = pack(&[("bad-syntax.rhai", "//! Title\nlet x = ;\n")]);
    let (code, out) = lint(&[d.path()]);
    assert_eq!(code, 1, "{out}");
    reported(&out, "bad-syntax.rhai", 2, 9, "Unexpected ';'");
}

#[test]
fn missing_header_and_missing_title() {
    let d = pack(&[
        ("no-header.rhai", "deny(\"x\");\n"),
        ("no-title.rhai", "//!\n//! why\ndeny(\"x\");\n"),
    ]);
    let (code, out) = lint(&[d.path()]);
    assert_eq!(code, 1, "{out}");
    reported(&out, "no-header.rhai", 1, 1, "missing `//!` header");
    reported(&out, "no-title.rhai", 1, 1, "missing title");
}

#[test]
fn duplicate_ids_across_dirs() {
    let a = pack(&[("same-id.rhai", "//! A\n")]);
    let b = pack(&[("same-id.rhai", "//! B\n")]);
    let (code, out) = lint(&[a.path(), b.path()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("duplicate rule id `same-id`"), "{out}");
}

#[test]
fn unknown_functions_with_suggestions() {
    let d = pack(&[
        (
            "calls.rhai",
            "//! Calls\nif is_digset(image.digest) { deny(\"x\"); }\nif is_digest(1, 2) { }\nlet n = targets.lenn();\nfn mine(a) { a }\nmine(1);\nimport \"tg\" as tg;\ntg::in_prd(1);\n",
        ),
        ("lib/tg.rhai", "fn in_prod(t) { t.environment == \"prod\" }\n"),
    ]);
    let (code, out) = lint(&[d.path()]);
    assert_eq!(code, 1, "{out}");
    reported(
        &out,
        "calls.rhai",
        2,
        4,
        "unknown function `is_digset`; did you mean `is_digest`?",
    );
    reported(
        &out,
        "calls.rhai",
        3,
        4,
        "`is_digest` exists but not with 2 argument(s)",
    );
    reported(&out, "calls.rhai", 4, 17, "did you mean `len`?");
    reported(&out, "calls.rhai", 8, 5, "has no function `in_prd`");
    assert!(
        !out.contains("`mine`"),
        "a rule's own function is known:\n{out}"
    );
}

#[test]
fn unknown_fact_paths_through_facts_and_loop_variables() {
    let d = pack(&[(
        "paths.rhai",
        "//! Paths\nif image.digset == \"\" { deny(\"x\"); }\nfor t in targets {\n    if t.enviroment == \"prod\" { deny(promotion.destination.reff); }\n    for trig in t.triggers { trig.from.nmae; }\n}\nlet ok = image.labels[\"any.label\"] + params.anything + environments.prod.whatever;\n",
    )]);
    let (code, out) = lint(&[d.path()]);
    assert_eq!(code, 1, "{out}");
    reported(
        &out,
        "paths.rhai",
        2,
        10,
        "`image.digset`: `image` has no key `digset`; did you mean `digest`?",
    );
    reported(&out, "paths.rhai", 4, 10, "`targets[].enviroment`");
    reported(&out, "paths.rhai", 4, 60, "`promotion.destination.reff`");
    reported(
        &out,
        "paths.rhai",
        5,
        40,
        "`targets[].triggers[].from.nmae`",
    );
    assert!(out.contains("did you mean `environment`?"), "{out}");
    assert!(
        !out.contains("any.label") && !out.contains("anything"),
        "open maps:\n{out}"
    );
    assert!(out.contains("4 problems"), "{out}");
}

#[test]
fn unreadable_dir_exits_2() {
    let (code, out) = lint(&[Path::new("no/such/dir")]);
    assert_eq!(code, 2, "{out}");
}
