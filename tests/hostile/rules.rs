//! Rows: rule files that cannot be read must stop every command, never be skipped.

use super::Row;

const RULE: &str = "pol/prod-manual-trigger.rhai";

pub const ROWS: &[Row] = &[
    Row {
        name: "dangling-symlink rule",
        setup: |e| {
            e.remove(RULE);
            e.link("gone.rhai", RULE);
            e.check(&[])
        },
        code: 2,
        needle: "prod-manual-trigger.rhai`: a dangling symlink",
    },
    Row {
        name: "FIFO rule",
        setup: |e| {
            e.remove(RULE);
            e.fifo(RULE);
            e.check(&[])
        },
        code: 2,
        needle: "prod-manual-trigger.rhai`: not a regular file (a FIFO)",
    },
    Row {
        name: "rule symlinked outside the policy directory",
        setup: |e| {
            e.write("elsewhere/r.rhai", e.read(RULE));
            e.remove(RULE);
            e.link(e.at("elsewhere/r.rhai"), RULE);
            e.check(&[])
        },
        code: 2,
        needle: "a symlink that leads outside the policy directory",
    },
    Row {
        name: "rule symlinked to /dev/zero",
        setup: |e| {
            e.link("/dev/zero", "pol/zero.rhai");
            e.check(&[])
        },
        code: 2,
        needle: "zero.rhai`: a symlink that leads outside",
    },
    Row {
        name: "library module symlinked outside",
        setup: |e| {
            e.write("elsewhere/x.rhai", "fn x() {}");
            e.link(e.at("elsewhere/x.rhai"), "pol/lib/x.rhai");
            e.check(&[])
        },
        code: 2,
        needle: "lib/x.rhai`: a symlink that leads outside",
    },
    Row {
        name: "directory named x.rhai",
        setup: |e| {
            std::fs::create_dir(e.at("pol/x.rhai")).unwrap();
            e.check(&[])
        },
        code: 2,
        needle: "x.rhai`: not a regular file (a directory)",
    },
    Row {
        name: "2 MiB rule file",
        setup: |e| {
            e.write(
                "pol/big.rhai",
                format!("//! Big\n{}", "// padding\n".repeat(200_000)),
            );
            e.check(&[])
        },
        code: 2,
        needle:
            "big.rhai`: 2200008 bytes, more than the limit of 1048576 bytes (1 MiB) for a rule file",
    },
    Row {
        name: "rule file that is not UTF-8",
        setup: |e| {
            e.write("pol/bin.rhai", [0x2f, 0x2f, 0x21, 0xff, 0xfe, 0x00]);
            e.check(&[])
        },
        code: 2,
        needle: "bin.rhai`: not UTF-8 text",
    },
    Row {
        name: "BOM rule (passes)",
        setup: |e| {
            let text = e.read(RULE);
            e.write(RULE, format!("\u{feff}{text}"));
            e.check(&[])
        },
        code: 0,
        needle: "ALLOW",
    },
    Row {
        name: "ConfigMap mount layout (passes, all rules read)",
        setup: |e| {
            std::fs::rename(e.at("pol"), e.at("..2026_12_01_10_00_00.1")).unwrap();
            std::fs::create_dir(e.at("pol")).unwrap();
            std::fs::rename(
                e.at("..2026_12_01_10_00_00.1"),
                e.at("pol/..2026_12_01_10_00_00.1"),
            )
            .unwrap();
            e.link("..2026_12_01_10_00_00.1", "pol/..data");
            for f in std::fs::read_dir(e.at("pol/..data")).unwrap() {
                let name = f.unwrap().file_name().to_string_lossy().into_owned();
                e.link(format!("..data/{name}"), &format!("pol/{name}"));
            }
            e.check(&[])
        },
        code: 0,
        needle: "10 passed",
    },
    Row {
        name: "lint with a dangling rule",
        setup: |e| {
            e.link("gone.rhai", "pol/new-rule.rhai");
            vec!["lint".into(), e.s("pol")]
        },
        code: 2,
        needle: "new-rule.rhai`: a dangling symlink",
    },
    Row {
        name: "test with a FIFO rule",
        setup: |e| {
            e.fifo("pol/new-rule.rhai");
            vec!["test".into(), e.s("pol")]
        },
        code: 2,
        needle: "new-rule.rhai`: not a regular file (a FIFO)",
    },
    Row {
        name: "test with a FIFO test case file",
        setup: |e| {
            std::fs::create_dir_all(e.at("pol/tests")).unwrap();
            e.fifo("pol/tests/stuck.yaml");
            vec!["test".into(), e.s("pol")]
        },
        code: 2,
        needle: "stuck.yaml: not a regular file (a FIFO)",
    },
    Row {
        name: "test with a dangling test case file",
        setup: |e| {
            std::fs::create_dir_all(e.at("pol/tests")).unwrap();
            e.link("missing.yaml", "pol/tests/gone.yaml");
            vec!["test".into(), e.s("pol")]
        },
        code: 2,
        needle: "gone.yaml: No such file",
    },
    Row {
        name: "doc with a rule linked outside",
        setup: |e| {
            e.link("/etc/passwd", "pol/passwd.rhai");
            vec!["doc".into(), e.s("pol")]
        },
        code: 2,
        needle: "passwd.rhai`: a symlink that leads outside",
    },
    Row {
        name: "promote --dry-run with a dangling rule",
        setup: |e| {
            e.remove(RULE);
            e.link("gone.rhai", RULE);
            let mut a = e.check(&[]);
            a[0] = "promote".into();
            a.push("--dry-run".into());
            a
        },
        code: 2,
        needle: "a dangling symlink",
    },
];
