//! Rows: facts files, configurations and arguments that must be refused, not half-used.

use serde_json::{json, Value};

use super::{Env, Row, DIGEST, DST, SRC};

/// Writes the seed's facts, changed by `edit`, to `facts.json`.
fn facts_with(e: &Env, edit: fn(&mut Value)) -> Vec<String> {
    let mut f = e.facts();
    edit(&mut f);
    e.write("facts.json", serde_json::to_string_pretty(&f).unwrap());
    e.check_facts("facts.json", &[])
}

fn with_config(e: &Env, text: &str) -> Vec<String> {
    e.write("tollgate.yaml", text);
    e.check(&["--config", &e.s("tollgate.yaml")])
}

fn exception_with_digest(e: &Env, digest: &str) -> Vec<String> {
    with_config(
        e,
        &format!("exceptions:\n  - rule: prod-manual-trigger\n    digest: \"{digest}\"\n    reason: scheduled\n    owner: team@example.com\n    expires: 2024-03-20\n"),
    )
}

fn source(e: &Env, source: &str) -> Vec<String> {
    let mut a = e.check(&[]);
    a[1] = source.into();
    a
}

pub const ROWS: &[Row] = &[
    Row {
        name: "facts replay (passes)",
        setup: |e| facts_with(e, |_| {}),
        code: 0,
        needle: "ALLOW",
    },
    Row {
        name: "facts with mismatching promotion.digest and image.digest",
        setup: |e| {
            facts_with(e, |f| {
                f["image"]["digest"] = json!(format!("sha256:{}", "0".repeat(64)));
            })
        },
        code: 2,
        needle: "`promotion.digest` (sha256:7c3e",
    },
    Row {
        name: "facts with digest sha256:zz",
        setup: |e| {
            facts_with(e, |f| {
                f["promotion"]["digest"] = json!("sha256:zz");
                f["image"]["digest"] = json!("sha256:zz");
            })
        },
        code: 2,
        needle: "`promotion.digest`: \"sha256:zz\" is not an image digest",
    },
    Row {
        name: "facts with a bad history digest",
        setup: |e| {
            facts_with(e, |f| {
                f["destination"]["history"][0]["digest"] = json!("sha256:/../x");
            })
        },
        code: 2,
        needle: "`destination.history[0].digest`",
    },
    Row {
        name: "facts with a bad promotion.time",
        setup: |e| facts_with(e, |f| f["promotion"]["time"] = json!("yesterday")),
        code: 2,
        needle: "`promotion.time`: \"yesterday\" is not an RFC 3339 time",
    },
    Row {
        name: "facts with duplicate keys",
        setup: |e| {
            let text = serde_json::to_string_pretty(&e.facts()).unwrap();
            let dup = text.replacen(
                "\"noop\": false,",
                "\"noop\": false,\n    \"noop\": true,",
                1,
            );
            assert_ne!(dup, text);
            e.write("facts.json", dup);
            e.check_facts("facts.json", &[])
        },
        code: 2,
        needle: "duplicate key `noop`",
    },
    Row {
        name: "facts file is a FIFO",
        setup: |e| {
            e.fifo("facts.json");
            e.check_facts("facts.json", &[])
        },
        code: 2,
        needle: "facts.json: not a regular file (a FIFO)",
    },
    Row {
        name: "--time with --facts",
        setup: |e| {
            let mut f = e.facts();
            f["promotion"]["digest"] = f["image"]["digest"].clone();
            e.write("facts.json", f.to_string());
            e.check_facts("facts.json", &["--time", "2030-01-01T00:00:00Z"])
        },
        code: 2,
        needle: "cannot be used with --facts: the facts in",
    },
    Row {
        name: "--time garbage",
        setup: |e| {
            let mut a = e.check(&[]);
            let i = a.iter().position(|x| x == "--time").unwrap();
            a[i + 1] = "next tuesday".into();
            a
        },
        code: 2,
        needle: "--time `next tuesday`: not an RFC 3339 time",
    },
    Row {
        name: "leap second (passes)",
        setup: |e| {
            let mut a = e.check(&[]);
            let i = a.iter().position(|x| x == "--time").unwrap();
            a[i + 1] = "2024-03-06T23:59:60Z".into();
            a
        },
        code: 0,
        needle: "ALLOW",
    },
    Row {
        name: "source digest sha256:zz",
        setup: |e| source(e, "dev/simple-app@sha256:zz"),
        code: 2,
        needle: "`sha256:zz` is not a sha256 digest",
    },
    Row {
        name: "source digest with /../",
        setup: |e| source(e, "dev/simple-app@sha256:../../x"),
        code: 2,
        needle: "is not a sha256 digest",
    },
    Row {
        name: "uppercase digest in an exception",
        setup: |e| exception_with_digest(e, &DIGEST.to_uppercase().replace("SHA256", "sha256")),
        code: 2,
        needle: "exceptions[0]",
    },
    Row {
        name: "exception digest with shell characters",
        setup: |e| exception_with_digest(e, "sha256:$(rm -rf /)"),
        code: 2,
        needle: "is not an image digest",
    },
    Row {
        name: "unknown config key",
        setup: |e| with_config(e, "environmentz: {}\n"),
        code: 2,
        needle: "environmentz",
    },
    Row {
        name: "config that is a directory",
        setup: |e| {
            std::fs::create_dir(e.at("tollgate.yaml")).unwrap();
            e.check(&["--config", &e.s("tollgate.yaml")])
        },
        code: 2,
        needle: "tollgate.yaml: not a regular file (a directory)",
    },
    Row {
        name: "config FIFO",
        setup: |e| {
            e.fifo("tollgate.yaml");
            e.check(&["--config", &e.s("tollgate.yaml")])
        },
        code: 2,
        needle: "tollgate.yaml: not a regular file (a FIFO)",
    },
    Row {
        name: "config huge",
        setup: |e| with_config(e, &format!("# {}\n", "x".repeat(5 << 20))),
        code: 2,
        needle: "more than the limit of 4194304 bytes",
    },
    Row {
        name: "./tollgate.yaml that is a FIFO is not read",
        setup: |e| {
            e.fifo("tollgate.yaml");
            e.check(&[])
        },
        code: 0,
        needle: "ALLOW",
    },
    Row {
        name: "facts command with a FIFO snapshot",
        setup: |e| {
            e.fifo("snap/x.json");
            vec![
                "facts".into(),
                SRC.into(),
                DST.into(),
                "--snapshot".into(),
                e.s("snap"),
            ]
        },
        code: 2,
        needle: "x.json: not a regular file (a FIFO)",
    },
];
