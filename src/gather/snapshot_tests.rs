//! Snapshot loading: every container format, and the bad inputs with their positions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use super::*;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/openshift/testdata");

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = d.path().join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    d
}

fn err_of(files: &[(&str, &str)]) -> String {
    let d = dir_with(files);
    load(&[d.path().to_path_buf()]).unwrap_err().to_string()
}

/// The seed's files, each several times under other object names, in directories.
fn many_files() -> tempfile::TempDir {
    let seed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/seed/c-manual-trigger"
    );
    let d = tempfile::tempdir().unwrap();
    for copy in 0..6 {
        for sub in ["cluster", "dev", "prod"] {
            for e in fs::read_dir(format!("{seed}/{sub}")).unwrap() {
                let p = e.unwrap().path();
                let text = fs::read_to_string(&p)
                    .unwrap()
                    .replace("name: ", &format!("name: c{copy}-"));
                let to = d.path().join(format!("{copy}/{sub}"));
                fs::create_dir_all(&to).unwrap();
                fs::write(to.join(p.file_name().unwrap()), text).unwrap();
            }
        }
    }
    d
}

#[test]
fn files_parsed_in_parallel_or_in_turn_load_the_same_objects_and_errors() {
    let d = many_files();
    let paths = [d.path().to_path_buf()];
    let limits = LoadLimits::default();
    let parallel = load_files(&paths, &limits, 0).unwrap();
    let in_turn = load_files(&paths, &limits, u64::MAX).unwrap();
    assert_eq!(parallel.len(), in_turn.len());
    assert!(parallel.len() > 100, "{}", parallel.len());
    assert_eq!(format!("{parallel:?}"), format!("{in_turn:?}"));
    // Two bad files: both ways report the one a sequential read meets first.
    fs::write(d.path().join("0/dev/zz-bad.yaml"), "kind: [unclosed\n").unwrap();
    fs::write(d.path().join("5/prod/zz-bad.yaml"), "kind: [unclosed\n").unwrap();
    let parallel = load_files(&paths, &limits, 0).unwrap_err().to_string();
    let in_turn = load_files(&paths, &limits, u64::MAX)
        .unwrap_err()
        .to_string();
    assert_eq!(parallel, in_turn);
    assert!(parallel.contains("0/dev/zz-bad.yaml"), "{parallel}");
}

#[test]
fn loads_lists_single_objects_multi_docs_and_json_recursively() {
    let fix = |f: &str| fs::read_to_string(format!("{FIX}/{f}")).unwrap();
    let d = dir_with(&[
        ("a/is-list.yaml", &fix("imagestream-list.4x-crc.yaml")),
        ("a/b/is.json", &fix("synth.imagestream.after-oc-tag.json")),
        ("dc.yml", &fix("deploymentconfig.mysql-3x.yaml")),
        ("rb.yaml", &rolebindings_without_the_variant()),
        (
            "roles.yaml",
            &fix("clusterroles.image-and-apps.subset.yaml"),
        ),
        ("image.json", &fix("image.4x-oci-tekton.json")),
        ("istag.json", &fix("synth.imagestreamtag.GET-response.json")),
        ("notes.txt", "not read: wrong extension"),
        (
            "other.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: dev}\n",
        ),
    ]);
    let o = load(&[d.path().to_path_buf()]).unwrap();
    assert_eq!(o.streams.len(), 2);
    assert_eq!(o.dcs.len(), 1);
    assert_eq!(o.rolebindings.len(), 3);
    assert_eq!(o.clusterroles.len(), 9);
    assert_eq!(o.images.len(), 1);
    assert_eq!(o.istags.len(), 1);
    assert!(o.origin.starts_with("snapshot "));
    assert!(o.stream("dev", "simple-app").is_some());
}

/// The fixture holds two variants of `dev/system:image-puller` (two ways `oc policy` makes
/// it); a snapshot may hold only one of them.
fn rolebindings_without_the_variant() -> String {
    let text = fs::read_to_string(format!("{FIX}/synth.rolebindings.oc-policy.yaml")).unwrap();
    let docs: Vec<&str> = text.split("\n---\n").collect();
    assert_eq!(docs.len(), 4);
    [docs[0], docs[1], docs[3]].join("\n---\n")
}

#[test]
fn the_fixtures_two_variants_of_one_binding_conflict() {
    let text = fs::read_to_string(format!("{FIX}/synth.rolebindings.oc-policy.yaml")).unwrap();
    let e = err_of(&[("rb.yaml", &text)]);
    assert!(
        e.contains("RoleBinding `dev/system:image-puller` is in the snapshot twice with different contents")
            && e.contains("rb.yaml (document 2) and ")
            && e.contains("rb.yaml (document 3)"),
        "{e}"
    );
}

#[test]
fn a_single_file_path_is_read() {
    let d = dir_with(&[(
        "dc.yaml",
        &fs::read_to_string(format!("{FIX}/deploymentconfig.mysql-3x.yaml")).unwrap(),
    )]);
    let o = load(&[d.path().join("dc.yaml")]).unwrap();
    assert_eq!(o.dcs[0].metadata.name, "mysql");
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let e = err_of(&[(
        "bad.yaml",
        "apiVersion: v1\nkind: ImageStream\nmetadata:\n  name: x\n   namespace: [dev\n",
    )]);
    assert!(e.contains("bad.yaml:"), "{e}");
    assert!(e.contains("not valid YAML"), "{e}");
    let line: u64 = e
        .split("bad.yaml:")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((4..=6).contains(&line), "{e}");
}

#[test]
fn malformed_json_names_file_and_line() {
    let e = err_of(&[(
        "bad.json",
        "{\n  \"kind\": \"ImageStream\",\n  \"metadata\": {,}\n}\n",
    )]);
    assert!(e.contains("bad.json:3:"), "{e}");
    assert!(e.contains("not valid JSON"), "{e}");
}

#[test]
fn missing_required_fields_are_named_with_the_object() {
    let e = err_of(&[(
        "rb.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- kind: RoleBinding\n  metadata: {name: ok, namespace: dev}\n  roleRef: {kind: ClusterRole, name: view}\n- kind: RoleBinding\n  metadata: {namespace: dev}\n  roleRef: {kind: ClusterRole, name: view}\n",
    )]);
    assert!(
        e.contains("rb.yaml: RoleBinding at List item 2: field `metadata.name`: is missing"),
        "{e}"
    );

    let e = err_of(&[(
        "rb.yaml",
        "kind: RoleBinding\nmetadata: {name: view, namespace: dev}\nroleRef: {kind: ClusterRole}\n",
    )]);
    assert!(
        e.contains("RoleBinding `view`: field `roleRef.name`: is missing"),
        "{e}"
    );

    let e = err_of(&[(
        "dc.yaml",
        "kind: DeploymentConfig\nmetadata: {name: app, namespace: prod}\nspec:\n  triggers:\n  - type: ConfigChange\n  - type: ImageChange\n    imageChangeParams:\n      from: {kind: ImageStreamTag}\n",
    )]);
    assert!(
        e.contains("field `spec.triggers[1].imageChangeParams.from.name`: is missing"),
        "{e}"
    );

    let e = err_of(&[("dc.yaml", "kind: DeploymentConfig\nmetadata: {name: app}\n")]);
    assert!(
        e.contains("DeploymentConfig `app`: field `metadata.namespace`"),
        "{e}"
    );

    let e = err_of(&[(
        "two.yaml",
        "kind: ImageStream\nmetadata: {name: a, namespace: dev}\n---\nkind: ImageStream\nmetadata: {name: b, namespace: dev}\nspec: {tags: [{from: {kind: DockerImage, name: x}}]}\n",
    )]);
    assert!(
        e.contains("ImageStream `b` (document 2): field `spec.tags[0].name`"),
        "{e}"
    );
}

#[test]
fn empty_inputs_are_errors() {
    let e = err_of(&[]);
    assert!(e.contains("no .yaml, .yml or .json files"), "{e}");
    let e = err_of(&[("cm.yaml", "kind: ConfigMap\nmetadata: {name: x}\n")]);
    assert!(e.contains("found only: ConfigMap"), "{e}");
    let e = err_of(&[("empty.yaml", "---\n")]);
    assert!(e.contains("no objects"), "{e}");
    let e = load(&[PathBuf::from("/nonexistent/tollgate-snapshot")]).unwrap_err();
    assert!(
        e.to_string().contains("/nonexistent/tollgate-snapshot"),
        "{e}"
    );
}

#[path = "snapshot_hostile_tests.rs"]
mod hostile;
