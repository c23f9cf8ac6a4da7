//! Snapshot loading under hostile inputs: duplicates, odd files, links, limits and bombs.

use std::fs;
use std::os::unix::fs::symlink;

use super::*;

const DC: &str = "kind: DeploymentConfig\napiVersion: apps.openshift.io/v1\nmetadata: {name: app, namespace: prod}\nspec:\n  triggers:\n  - type: ConfigChange\n";
const DC_AUTO: &str = "kind: DeploymentConfig\napiVersion: apps.openshift.io/v1\nmetadata: {name: app, namespace: prod}\nspec:\n  triggers:\n  - type: ImageChange\n    imageChangeParams: {automatic: true, containerNames: [app], from: {kind: ImageStreamTag, name: 'app:prod'}}\n";

#[test]
fn conflicting_duplicates_name_both_files_whatever_their_order() {
    for (a, b) in [(DC, DC_AUTO), (DC_AUTO, DC)] {
        let e = err_of(&[("prod/0-dc.yaml", a), ("prod/dc.yaml", b)]);
        assert!(
            e.contains("DeploymentConfig `prod/app` is in the snapshot twice with different contents")
                && e.contains("prod/0-dc.yaml and ")
                && e.ends_with("prod/dc.yaml; keep only the current export of it (which one is current cannot be told)"),
            "{e}"
        );
    }
}

#[test]
fn identical_duplicates_are_kept_once_even_through_another_api_group() {
    let legacy = DC.replace("apps.openshift.io/v1", "v1");
    let d = dir_with(&[("a.yaml", DC), ("b.yaml", DC), ("c.yaml", &legacy)]);
    let o = load(&[d.path().to_path_buf()]).unwrap();
    assert_eq!(o.dcs.len(), 1);
}

#[test]
fn list_items_must_be_objects() {
    let e = err_of(&[(
        "l.yaml",
        "kind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: a}\n- 1\n",
    )]);
    assert!(
        e.contains("l.yaml: a List: field `items[1]`: is a number, not an object"),
        "{e}"
    );
    let e = err_of(&[("l.json", r#"{"kind":"List","items":["x"]}"#)]);
    assert!(e.contains("field `items[0]`: is a string"), "{e}");
}

#[test]
fn duplicate_keys_are_errors_in_json_and_yaml() {
    let e = err_of(&[(
        "d.json",
        "{\"kind\": \"ImageStream\",\n \"metadata\": {\"name\": \"a\", \"name\": \"b\", \"namespace\": \"dev\"}}",
    )]);
    assert!(
        e.contains("d.json:2:") && e.contains("duplicate key `name`"),
        "{e}"
    );
    let e = err_of(&[("d.yaml", "kind: ImageStream\nkind: ImageStream\n")]);
    assert!(
        e.contains("d.yaml:") && e.to_lowercase().contains("duplicate"),
        "{e}"
    );
}

#[test]
fn fifos_devices_and_links_leaving_the_root_are_refused_unopened() {
    let d = dir_with(&[("dc.yaml", DC)]);
    let fifo = d.path().join("pipe.yaml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let e = load(&[d.path().to_path_buf()]).unwrap_err().to_string();
    assert!(e.contains("pipe.yaml: not a regular file (a FIFO)"), "{e}");
    // named on the command line, too
    let e = load(std::slice::from_ref(&fifo)).unwrap_err().to_string();
    assert!(e.contains("pipe.yaml: not a regular file (a FIFO)"), "{e}");
    fs::remove_file(&fifo).unwrap();
    // a FIFO without a snapshot extension is not a snapshot file: never opened, no error
    assert!(std::process::Command::new("mkfifo")
        .arg(d.path().join("pipe"))
        .status()
        .unwrap()
        .success());
    load(&[d.path().to_path_buf()]).unwrap();

    symlink("/dev/zero", d.path().join("zero.yaml")).unwrap();
    let e = load(&[d.path().to_path_buf()]).unwrap_err().to_string();
    assert!(
        e.contains("zero.yaml: a symlink that leads outside the snapshot directory"),
        "{e}"
    );
    fs::remove_file(d.path().join("zero.yaml")).unwrap();
    let e = load(&[PathBuf::from("/dev/zero")]).unwrap_err().to_string();
    assert!(
        e.contains("/dev/zero: not a regular file (a device)"),
        "{e}"
    );

    symlink(d.path().join("nothing.yaml"), d.path().join("gone.yaml")).unwrap();
    let e = load(&[d.path().to_path_buf()]).unwrap_err().to_string();
    assert!(e.contains("gone.yaml: a dangling symlink"), "{e}");
    fs::remove_file(d.path().join("gone.yaml")).unwrap();

    let outside = dir_with(&[("x.yaml", DC)]);
    symlink(outside.path(), d.path().join("elsewhere")).unwrap();
    let e = load(&[d.path().to_path_buf()]).unwrap_err().to_string();
    assert!(e.contains("elsewhere: a symlink that leads outside"), "{e}");
}

#[test]
fn links_inside_the_root_are_followed_and_loops_walked_once() {
    let d = dir_with(&[("sub/dc.yaml", DC)]);
    for name in ["a", "b", "c"] {
        symlink(".", d.path().join("sub").join(name)).unwrap();
        symlink("..", d.path().join("sub").join(format!("up-{name}"))).unwrap();
    }
    symlink("sub/dc.yaml", d.path().join("linked.yaml")).unwrap();
    let o = load(&[d.path().to_path_buf()]).unwrap();
    assert_eq!(o.dcs.len(), 1);
}

#[test]
fn file_and_total_limits_name_the_file_the_limit_and_the_flag() {
    let d = dir_with(&[("a.yaml", DC), ("b.yaml", DC)]);
    let n = DC.len() as u64;
    let limits = LoadLimits {
        max_file_bytes: n - 1,
        max_total_bytes: u64::MAX,
    };
    let e = load_with(&[d.path().to_path_buf()], &limits)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("a.yaml: {n} bytes, more than the limit of {} bytes; raise it with --max-snapshot-file-bytes", n - 1)),
        "{e}"
    );
    let limits = LoadLimits {
        max_file_bytes: n,
        max_total_bytes: 2 * n - 1,
    };
    let e = load_with(&[d.path().to_path_buf()], &limits)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("b.yaml: the snapshot's files add up to")
            && e.contains(&format!(
                "more than the limit of {} bytes; raise it with --max-snapshot-bytes",
                2 * n - 1
            )),
        "{e}"
    );
}

#[test]
fn alias_and_nesting_bombs_stop_with_a_message() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let e = err_of(&[("bomb.yaml", &bomb)]);
    assert!(
        e.contains("bomb.yaml:") && e.contains("not valid YAML"),
        "{e}"
    );
    assert!(e.contains("tollgate's YAML limits"), "{e}");
    let deep = format!(
        "kind: ImageStream\nx: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let e = err_of(&[("deep.yaml", &deep)]);
    assert!(
        e.contains("deep.yaml:") && e.contains("not valid YAML"),
        "{e}"
    );
    let deep = format!("{{\"a\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let e = err_of(&[("deep.json", &deep)]);
    assert!(
        e.contains("deep.json:") && e.contains("recursion limit"),
        "{e}"
    );
}

fn crb_items(from: usize, to: usize) -> String {
    let mut s = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in from..to {
        s.push_str(&format!(
            "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRoleBinding\n  metadata:\n    name: binding-{i}\n    uid: 5a1d2c3e-0000-4000-8000-{i:012}\n  roleRef:\n    apiGroup: rbac.authorization.k8s.io\n    kind: ClusterRole\n    name: view\n  subjects:\n  - apiGroup: rbac.authorization.k8s.io\n    kind: User\n    name: user-{i}\n"
        ));
    }
    s
}

/// Refused by the old fixed node budget (250,000 nodes per file, about 5,500 bindings).
#[test]
fn ten_thousand_bindings_in_one_yaml_file_load() {
    let d = dir_with(&[("crb.yaml", &crb_items(0, 10_000))]);
    let o = load(&[d.path().to_path_buf()]).unwrap();
    assert_eq!(o.clusterrolebindings.len(), 10_000);
}
