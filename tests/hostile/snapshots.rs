//! Rows: snapshots that are odd files, leave their directory, conflict, or are parser bombs.

use super::{Env, Row, DIGEST};

const SEED_B_DC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/seed/b-automatic-trigger/prod/deploymentconfig.yaml"
);
const CONFLICT: &str =
    "DeploymentConfig `prod/simple-app` is in the snapshot twice with different contents";

fn alias_bomb() -> String {
    let mut s = String::from("kind: ImageStream\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    s
}

/// The seed's image stream with the promoted digest replaced.
fn bad_digest(e: &Env, digest: &str) -> Vec<String> {
    let is = e.read("snap/dev/imagestream.yaml");
    assert!(is.contains(&format!("image: {DIGEST}")));
    e.write(
        "snap/dev/imagestream.yaml",
        is.replace(&format!("image: {DIGEST}"), &format!("image: \"{digest}\"")),
    );
    e.check(&[])
}

/// `check` on `path` alone instead of the seed.
fn with_snapshot(e: &Env, path: &str) -> Vec<String> {
    let mut a = e.check(&[]);
    let i = a.iter().position(|x| x == "--snapshot").unwrap();
    a[i + 1] = path.into();
    a
}

pub const ROWS: &[Row] = &[
    Row {
        name: "snapshot FIFO",
        setup: |e| {
            e.fifo("snap/dev/pipe.yaml");
            e.check(&[])
        },
        code: 2,
        needle: "pipe.yaml: not a regular file (a FIFO)",
    },
    Row {
        name: "snapshot named FIFO on the command line",
        setup: |e| {
            e.fifo("pipe.json");
            with_snapshot(e, &e.s("pipe.json"))
        },
        code: 2,
        needle: "pipe.json: not a regular file (a FIFO)",
    },
    Row {
        name: "snapshot link to /dev/zero",
        setup: |e| {
            e.link("/dev/zero", "snap/zero.yaml");
            e.check(&[])
        },
        code: 2,
        needle: "zero.yaml: a symlink that leads outside the snapshot directory",
    },
    Row {
        name: "snapshot /dev/zero on the command line",
        setup: |e| with_snapshot(e, "/dev/zero"),
        code: 2,
        needle: "/dev/zero: not a regular file (a device)",
    },
    Row {
        name: "`-> .` symlink loops (passes)",
        setup: |e| {
            for n in ["a", "b", "c", "d"] {
                e.link(".", &format!("snap/dev/{n}"));
                e.link("..", &format!("snap/prod/{n}"));
            }
            e.check(&[])
        },
        code: 0,
        needle: "ALLOW",
    },
    Row {
        name: "directory symlink outside the root",
        setup: |e| {
            e.write("elsewhere/x.yaml", "kind: ConfigMap\n");
            e.link(e.at("elsewhere"), "snap/more");
            e.check(&[])
        },
        code: 2,
        needle: "more: a symlink that leads outside the snapshot directory",
    },
    Row {
        name: "dangling symlink in a snapshot",
        setup: |e| {
            e.link("nothing.yaml", "snap/prod/gone.yaml");
            e.check(&[])
        },
        code: 2,
        needle: "gone.yaml: a dangling symlink",
    },
    Row {
        name: "conflicting duplicate DC sorting first",
        setup: |e| {
            std::fs::copy(SEED_B_DC, e.at("snap/prod/0-deploymentconfig.yaml")).unwrap();
            e.check(&[])
        },
        code: 2,
        needle: CONFLICT,
    },
    Row {
        name: "conflicting duplicate DC sorting last",
        setup: |e| {
            std::fs::copy(SEED_B_DC, e.at("snap/prod/z-deploymentconfig.yaml")).unwrap();
            e.check(&[])
        },
        code: 2,
        needle: CONFLICT,
    },
    Row {
        name: "identical duplicate DC (passes)",
        setup: |e| {
            e.write("snap/prod/copy.yaml", e.read("snap/prod/deploymentconfig.yaml"));
            e.check(&[])
        },
        code: 0,
        needle: "ALLOW",
    },
    Row {
        name: "List with a non-object item",
        setup: |e| {
            e.write("snap/list.yaml", "apiVersion: v1\nkind: List\nitems: [1, \"x\"]\n");
            e.check(&[])
        },
        code: 2,
        needle: "list.yaml: a List: field `items[0]`: is a number, not an object",
    },
    Row {
        name: "duplicate JSON keys",
        setup: |e| {
            e.write(
                "snap/dup.json",
                r#"{"kind": "ConfigMap", "kind": "ImageStream", "metadata": {"name": "x"}}"#,
            );
            e.check(&[])
        },
        code: 2,
        needle: "duplicate key `kind`",
    },
    Row {
        name: "duplicate YAML keys",
        setup: |e| {
            e.write("snap/dup.yaml", "kind: ConfigMap\nkind: ImageStream\n");
            e.check(&[])
        },
        code: 2,
        needle: "dup.yaml:2:1: not valid YAML: error: line 2 column 1: duplicate mapping key: kind",
    },
    Row {
        name: "alias bomb YAML",
        setup: |e| {
            e.write("snap/bomb.yaml", alias_bomb());
            e.check(&[])
        },
        code: 2,
        needle: "tollgate's YAML limits",
    },
    Row {
        name: "nesting bomb YAML",
        setup: |e| {
            e.write("snap/deep.yaml", format!("x: {}\n", "[".repeat(100_000)));
            e.check(&[])
        },
        code: 2,
        needle: "deep.yaml:",
    },
    Row {
        name: "nesting bomb JSON",
        setup: |e| {
            e.write("snap/deep.json", "[".repeat(1_000_000));
            e.check(&[])
        },
        code: 2,
        needle: "recursion limit",
    },
    Row {
        name: "truncated YAML",
        setup: |e| {
            let is = e.read("snap/dev/imagestream.yaml");
            let cut = is.find("  - items:").unwrap() + 9;
            e.write("snap/dev/imagestream.yaml", &is[..cut]);
            e.check(&[])
        },
        code: 2,
        needle: "imagestream.yaml",
    },
    Row {
        name: "binary garbage",
        setup: |e| {
            e.write("snap/garbage.yaml", (0..=255u8).cycle().take(4096).collect::<Vec<_>>());
            e.check(&[])
        },
        code: 2,
        needle: "garbage.yaml: not UTF-8 text",
    },
    Row {
        name: "empty file in an otherwise empty snapshot",
        setup: |e| {
            e.write("empty/e.yaml", "");
            with_snapshot(e, &e.s("empty"))
        },
        code: 2,
        needle: "but no objects in them",
    },
    Row {
        name: "digest sha256:zz",
        setup: |e| bad_digest(e, "sha256:zz"),
        code: 2,
        needle: "image stream dev/simple-app in the snapshot",
    },
    Row {
        name: "digest with /../ and shell characters",
        setup: |e| bad_digest(e, "sha256:../../etc/$(id)"),
        code: 2,
        needle: "field `status.tags[0].items[0].image`: \"sha256:../../etc/$(id)\" is not an image digest",
    },
    Row {
        name: "uppercase digest in a stream",
        setup: |e| bad_digest(e, &DIGEST.to_uppercase().replace("SHA256", "sha256")),
        code: 2,
        needle: "is not an image digest (`sha256:` and 64 lowercase hex digits)",
    },
    Row {
        name: "file over --max-snapshot-file-bytes",
        setup: |e| e.check(&["--max-snapshot-file-bytes", "1000"]),
        code: 2,
        needle: "more than the limit of 1000 bytes; raise it with --max-snapshot-file-bytes",
    },
    Row {
        name: "snapshot over --max-snapshot-bytes",
        setup: |e| e.check(&["--max-snapshot-bytes", "5000"]),
        code: 2,
        needle: "more than the limit of 5000 bytes; raise it with --max-snapshot-bytes",
    },
];
