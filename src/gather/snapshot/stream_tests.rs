//! The fast path (List items decoded as they are read) against the plain path (the whole file
//! as one value): same objects, same errors, for every fixture and for the odd shapes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use super::parse::{parse_documents, parse_file, Parsed};
use super::sink::{add_parsed, Sink};

/// Objects (as debug text) or the error, read one way.
fn read(text: &str, file: &str, plain: bool) -> Result<String, String> {
    let parsed = if plain {
        parse_documents(text, file).map(Parsed::Plain)
    } else {
        parse_file(text, file)
    };
    let mut sink = Sink::default();
    parsed
        .and_then(|p| add_parsed(p, file, &mut sink))
        .map_err(|e| e.to_string())?;
    Ok(format!("{:?} skipped {:?}", sink.objects, sink.skipped))
}

fn streamed(text: &str, file: &str) -> bool {
    matches!(parse_file(text, file), Ok(Parsed::Streamed(_)))
}

/// Both paths agree on `text`; returns whether the fast path took it.
fn agree(text: &str, file: &str) -> bool {
    assert_eq!(read(text, file, false), read(text, file, true), "{file}");
    streamed(text, file)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

#[test]
fn every_fixture_and_seed_file_reads_the_same_both_ways() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    files_under(&root.join("src/openshift/testdata"), &mut files);
    files_under(&root.join("examples"), &mut files);
    assert!(files.len() > 20, "{files:?}");
    let mut fast = 0;
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        if agree(&text, &f.display().to_string()) {
            fast += 1;
        }
    }
    // Most files are Lists or single objects: the fast path must take them.
    assert!(fast * 2 > files.len(), "{fast} of {}", files.len());
}

const CRB: &str = r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"NAME","annotations":{"a":"1"}},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"u"}]}"#;

fn list(items: &[String], kind: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","items":[{}],"kind":"{kind}","metadata":{{}}}}"#,
        items.join(",")
    )
}

#[test]
fn lists_take_the_fast_path_and_odd_shapes_the_plain_one_with_its_errors() {
    let a = CRB.replace("NAME", "a");
    let b = CRB.replace("NAME", "b");
    let cm = r#"{"kind":"ConfigMap","metadata":{"name":"c","namespace":"x"}}"#.to_string();
    let fast = [
        list(&[a.clone(), b.clone(), cm.clone()], "List"),
        list(&[a.clone(), b.clone()], "ClusterRoleBindingList"),
        list(&[], "List"),
        r#"{"kind":"List","items":null}"#.into(),
        // The same object twice in one List is kept once.
        list(&[a.clone(), a.clone()], "List"),
        // A conflict is an error the fast path reports as the plain one does.
        list(&[a.clone(), a.replace("view", "edit")], "List"),
        a.clone(),
    ];
    for text in &fast {
        assert!(agree(text, "f.json"), "{text}");
    }
    let plain = [
        // Not Lists: `items` means nothing to these kinds.
        list(std::slice::from_ref(&a), "ImageStream"),
        format!(r#"{{"items":[{a}]}}"#),
        // Items that are not objects, objects that cannot be read, duplicate keys.
        list(&[a.clone(), "1".into()], "List"),
        list(
            &[r#"{"kind":"ClusterRoleBinding","metadata":{}}"#.into()],
            "List",
        ),
        list(&[a.replace(r#""kind":"User""#, r#""kind":7"#)], "List"),
        list(
            &[a.replace(r#""name":"u""#, r#""name":"u","name":"v""#)],
            "List",
        ),
        format!(r#"{{"kind":"List","items":[],"items":[{a}]}}"#),
        r#"{"kind":"List","items":"x"}"#.into(),
        "[1]".into(),
        "{".into(),
    ];
    for text in &plain {
        assert!(!agree(text, "f.json"), "{text}");
    }
    // YAML: several documents, Lists among them, and an alias the plain path also reads.
    let yaml = "kind: List\nitems:\n- kind: ClusterRoleBinding\n  metadata: {name: a}\n  roleRef: {kind: ClusterRole, name: view}\n  subjects: [{kind: User, name: u}]\n---\n---\nkind: ClusterRole\nmetadata: {name: view}\nrules: &r []\n";
    assert!(agree(yaml, "f.yaml"));
    let bad_yaml = "kind: List\nitems:\n- kind: ClusterRoleBinding\n  metadata: {name: a}\n  roleRef: {kind: ClusterRole}\n";
    assert!(!agree(bad_yaml, "f.yaml"));
    assert!(read(bad_yaml, "f.yaml", false)
        .unwrap_err()
        .contains("ClusterRoleBinding `a` (List item 1): field `roleRef.name`: is missing"));
}

#[test]
fn bindings_keep_what_the_facts_read_and_still_tell_two_exports_apart() {
    let a = CRB.replace("NAME", "a");
    let text = list(std::slice::from_ref(&a), "List");
    let mut sink = Sink::default();
    add_parsed(parse_file(&text, "f.json").unwrap(), "f.json", &mut sink).unwrap();
    let b = &sink.objects.clusterrolebindings[0];
    assert_eq!(
        (b.metadata.name.as_str(), b.role_ref.name.as_str()),
        ("a", "view")
    );
    assert_eq!(b.subjects[0].name, "u");
    assert!(b.metadata.annotations.is_empty() && b.extra.is_empty());
    // The same binding again: through another API group, with its keys in another order.
    let again = r#"{"kind":"ClusterRoleBinding","apiVersion":"v1","roleRef":{"kind":"ClusterRole","name":"view","apiGroup":"rbac.authorization.k8s.io"},"subjects":[{"name":"u","kind":"User"}],"metadata":{"annotations":{"a":"1"},"name":"a"}}"#;
    // Different only in what the facts do not read: an annotation, an unknown field.
    let changed = [
        a.replace(r#"{"a":"1"}"#, r#"{"a":"2"}"#),
        a.replace(r#""subjects""#, r#""extra":{"x":[1]},"subjects""#),
    ];
    for (second, same) in [
        (again.to_string(), true),
        (changed[0].clone(), false),
        (changed[1].clone(), false),
    ] {
        for fast in [false, true] {
            let mut sink = Sink::default();
            for (i, t) in [&text, &list(std::slice::from_ref(&second), "List")]
                .into_iter()
                .enumerate()
            {
                let file = format!("{i}.json");
                let parsed = if fast {
                    parse_file(t, &file).unwrap()
                } else {
                    Parsed::Plain(parse_documents(t, &file).unwrap())
                };
                let r = add_parsed(parsed, &file, &mut sink);
                if i == 1 {
                    match (same, r) {
                        (true, Ok(())) => assert_eq!(sink.objects.clusterrolebindings.len(), 1),
                        (false, Err(e)) => assert!(
                            e.to_string().contains("ClusterRoleBinding `a` is in the snapshot twice with different contents: 0.json (List item 1) and 1.json (List item 1)"),
                            "{e}"
                        ),
                        (s, r) => panic!("{second}: same {s}, got {r:?}"),
                    }
                }
            }
        }
    }
}
