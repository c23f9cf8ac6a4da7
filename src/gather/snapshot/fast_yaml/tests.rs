//! The fast reader against serde-saphyr: every YAML file of the repository and the shared
//! fixtures, `oc`-style Lists, and the shapes it must leave to serde-saphyr.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use super::{differential, documents, values};
use crate::gather::snapshot::{load_text, Sink};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

/// Agreement on `text`, or the panic saying what differs; whether the fast reader took it.
fn agrees(text: &str, what: &str) -> bool {
    match differential(text) {
        Ok(took) => took,
        Err(e) => panic!("{what}: {e}\n--- text:\n{text}"),
    }
}

/// `n` bindings as `oc get clusterrolebindings -o yaml` writes them (the scale generator's
/// shape, `benches/peer/src/generate.rs`).
pub(super) fn crb_list(n: usize) -> String {
    let mut s = String::from("# oc get clusterrolebindings -o yaml\napiVersion: v1\nitems:\n");
    for i in 0..n {
        s.push_str(&format!(
            "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRoleBinding\n  metadata:\n    creationTimestamp: \"2024-02-01T10:00:00Z\"\n    name: generated-{i}\n    resourceVersion: \"{}\"\n    uid: 6f1c{i:04x}-aaaa-4bbb-8ccc-000000000000\n  roleRef:\n    apiGroup: rbac.authorization.k8s.io\n    kind: ClusterRole\n    name: view\n  subjects:\n  - kind: ServiceAccount\n    name: sa-{i}\n    namespace: ns-{i}\n  - apiGroup: rbac.authorization.k8s.io\n    kind: Group\n    name: group-{i}\n",
            100_000 + i
        ));
    }
    s.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    s
}

#[test]
fn every_yaml_file_of_the_repository_reads_as_serde_saphyr_reads_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    for dir in [
        "tests",
        "examples",
        "src",
        "policies",
        "../shared/fixtures/openshift",
    ] {
        yaml_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 40, "{files:?}");
    let mut gave_up = vec![];
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        if !agrees(&text, &f.display().to_string()) {
            gave_up.push(format!("{}: {:?}", f.display(), values(&text).unwrap_err()));
        }
    }
    // What `oc` exported (the seed states, the fixtures) must all take the fast path; the
    // rest (hand-written manifests, rule tests) may fall back.
    let exported: Vec<_> = gave_up
        .iter()
        .filter(|g| {
            g.contains("examples/seed/")
                || g.contains("fixtures/openshift")
                || g.contains("testdata")
        })
        .collect();
    assert!(exported.is_empty(), "{exported:#?}");
    // Hand-written manifests and rule tests use flow collections (`[a, b]`), which the fast
    // reader leaves to serde-saphyr; still, most files must take it.
    assert!(gave_up.len() * 3 < files.len(), "{gave_up:#?}");
}

#[test]
fn oc_style_lists_are_read_item_by_item() {
    let text = crb_list(50);
    assert!(agrees(&text, "generated"));
    let docs = documents(&text).unwrap();
    assert!(matches!(&docs[..], [super::Doc::List(items)] if items.len() == 50));
    // Several documents, empty ones among them, and a List without items.
    let multi = format!("---\n{text}---\n\n---\nkind: List\nitems:\n---\n# only a comment\n");
    assert!(agrees(&multi, "multi"));
    assert_eq!(values(&multi).unwrap().len(), 2);
}

#[test]
fn what_it_is_not_sure_of_is_left_to_serde_saphyr() {
    let cases = [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: {b: 1}\n",
        "a: [1]\n",
        "? a\n: b\n",
        "a:\tb\n",
        "a: b\r\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\na: 2\n",
        "a: 1\n\"a\": 2\n",
        "a:\n  b: 1\n   c: 2\n",
        "<<: {a: 1}\n",
        "a: .inf\n",
        "a: 1e999\n",
        "1: a\n",
        "~: a\n",
        "a: |2\n   x\n",
        "a: |\nb: 1\n",
        "a: b: c\n",
        "- a\n",
        "a\n",
        "--- a: 1\n",
        "a: 1\n...\n",
        "a:\n- - b\n",
        "a: b\n  # comment\n  c\n",
        "a: \"x\n\"\n",
        "a: \u{feff}b\n",
        "a: |\n  no newline at the end",
    ];
    for text in cases {
        assert!(values(text).is_err(), "{text:?}");
        assert!(!agrees(text, text), "{text:?}");
    }
    let mut deep = String::new();
    for i in 0..60 {
        deep.push_str(&format!("{}k:\n", "  ".repeat(i)));
    }
    deep.push_str(&format!("{}x: 1\n", "  ".repeat(60)));
    assert_eq!(values(&deep).unwrap_err().reason, "deep nesting");
}

#[test]
fn a_duplicate_key_still_gets_serde_saphyrs_message() {
    let text =
        "kind: List\nitems:\n- kind: ClusterRoleBinding\n  metadata:\n    name: a\n    name: b\n";
    assert_eq!(values(text).unwrap_err().reason, "duplicate key");
    let e = load_text(text, "dup.yaml", &mut Sink::default()).unwrap_err();
    assert!(e.to_string().starts_with("dup.yaml:6:"), "{e}");
    assert!(e.to_string().contains("duplicate"), "{e}");
}

#[test]
fn scalars_fold_and_unescape_as_serde_saphyr_does() {
    let text = concat!(
        "plain: one\n  two\n\n  three   \n",
        "single: 'it''s\n  folded\n\n  here '\n",
        "double: \"a\\tb \\\"q\\\" \\u00e9\\x41\\\\ \n   c\\\n   d\\ \n  e\"\n",
        "literal: |\n  l1\n\n   l2\n\n",
        "strip: |-\n  s\n\n",
        "keep: |+\n  k\n\n",
        "folded: >\n  f1\n  f2\n\n  f3\n   more\n  f4\n",
        "empty: \"\"\n",
        "nothing:\n",
        "flow: {}\n",
        "list: []\n",
        "types:\n- on\n- 0x1F\n- 012\n- +1\n- -3\n- 1e3\n- ~\n- 2024-03-06\n- 1.5\n- \"1\"\n",
        "url: http://x/y#z # comment\n",
    );
    assert!(agrees(text, "scalars"), "{:?}", values(text));
}
