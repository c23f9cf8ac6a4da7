//! The shared rule library: `lib/*.rhai` modules imported by name, from the policy directory's
//! `lib/` only; anything else is a compile error with its position.

use std::path::PathBuf;

use tollgate::config::Settings;
use tollgate::facts::sample_facts;
use tollgate::policy::{compile, Evaluator, Outcome, RuleSource};
use tollgate::policy_files::read_policy_dirs;

fn rule(id: &str, body: &str) -> RuleSource {
    RuleSource {
        path: format!("pack/{id}.rhai"),
        text: format!("//! Rule {id}\n{body}"),
    }
}

fn lib(name: &str, text: &str) -> RuleSource {
    RuleSource {
        path: format!("pack/lib/{name}.rhai"),
        text: text.into(),
    }
}

const TARGETS: &str = "fn in_prod(t) { t.environment == \"prod\" }\nfn short_kind(t) { if t.kind == \"DeploymentConfig\" { \"dc\" } else { \"deployment\" } }\nprivate fn hidden() { 1 }\n";

fn compile_err(sources: Vec<RuleSource>) -> String {
    compile(sources).unwrap_err().to_string()
}

#[test]
fn a_rule_imports_a_library_module_by_name() {
    let rules = compile(vec![
        lib("targets", TARGETS),
        rule(
            "uses-lib",
            "import \"targets\" as tg;\nfor t in targets { if tg::in_prod(t) { deny(`${tg::short_kind(t)}/${t.name}`); } }",
        ),
    ])
    .unwrap();
    assert_eq!(rules.len(), 1, "library modules are not rules");
    let r = Evaluator::new()
        .evaluate(&rules, &sample_facts(), &Settings::default())
        .remove(0);
    assert_eq!(r.outcome, Outcome::Deny, "{r:?}");
    assert_eq!(r.messages, ["dc/simple-app"]);
}

#[test]
fn the_rules_digest_covers_imported_modules() {
    let src = |body: &str| {
        vec![
            lib("targets", body),
            rule(
                "uses-lib",
                "import \"targets\" as tg;\nlet k = tg::in_prod(targets[0]);",
            ),
        ]
    };
    let a = compile(src(TARGETS)).unwrap();
    let b = compile(src("fn in_prod(t) { false }")).unwrap();
    let text = |s: &tollgate::policy::RuleSet| s.rules()[0].source_text().to_string();
    assert_ne!(text(&a), text(&b));
    assert!(text(&a).contains("fn short_kind"), "{}", text(&a));
}

#[test]
fn paths_unknown_names_and_other_dirs_are_compile_errors_with_position() {
    for (import, needle) in [
        ("../secrets", "never a path"),
        ("/etc/passwd", "never a path"),
        ("lib/targets", "never a path"),
        ("targets.rhai", "never a path"),
        ("target", "did you mean `targets`?"),
    ] {
        let e = compile_err(vec![
            lib("targets", TARGETS),
            rule("imports", &format!("import \"{import}\" as x;")),
        ]);
        assert!(e.contains("pack/imports.rhai:2:8: cannot import"), "{e}");
        assert!(e.contains(needle), "{import}: {e}");
        assert!(e.contains("^"), "caret: {e}");
    }
    // A module of another policy directory is not visible.
    let e = compile_err(vec![
        lib("targets", TARGETS),
        RuleSource {
            path: "other/imports.rhai".into(),
            text: "//! Other\nimport \"targets\" as x;".into(),
        },
    ]);
    assert!(
        e.contains("other/imports.rhai:2:8: cannot import `targets`"),
        "{e}"
    );
    // Private functions are not exported.
    let e = compile(vec![
        lib("targets", TARGETS),
        rule(
            "private",
            "import \"targets\" as tg;\nlet x = tg::hidden();",
        ),
    ])
    .map(|rules| {
        Evaluator::new()
            .evaluate(&rules, &sample_facts(), &Settings::default())
            .remove(0)
    })
    .unwrap();
    assert_eq!(e.outcome, Outcome::Error, "{e:?}");
}

#[test]
fn library_modules_are_checked_too() {
    let e = compile_err(vec![lib("broken", "fn f( { }"), rule("ok", "")]);
    assert!(e.contains("pack/lib/broken.rhai:1:"), "{e}");
    let e = compile_err(vec![lib("facts", "let x = image.digest;"), rule("ok", "")]);
    assert!(e.contains("library modules do not see the facts"), "{e}");
    let e = compile_err(vec![lib("chain", "import \"other\" as o;"), rule("ok", "")]);
    assert!(e.contains("cannot import other modules"), "{e}");
}

#[test]
fn the_shipped_library_is_read_and_its_helpers_work() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut sources = read_policy_dirs(std::slice::from_ref(&dir)).unwrap();
    assert!(sources.iter().any(|s| s.path.ends_with("lib/targets.rhai")));
    // A rule in the shipped directory using the shipped helpers.
    sources.push(RuleSource {
        path: dir.join("uses-helpers.rhai").display().to_string(),
        text: "//! Uses the helpers\nimport \"targets\" as tg;\nfor t in targets { if tg::in_prod(t) { deny(`${tg::short_kind(t)}/${t.name}`); } }".into(),
    });
    let rules = compile(sources).unwrap();
    assert!(rules.get("targets").is_none(), "lib/ files are not rules");
    let r = Evaluator::new()
        .evaluate(&rules, &sample_facts(), &Settings::default())
        .into_iter()
        .find(|r| r.id == "uses-helpers")
        .unwrap();
    assert_eq!(r.outcome, Outcome::Deny, "{r:?}");
    assert_eq!(r.messages, ["dc/simple-app"]);
}
