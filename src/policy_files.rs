//! Reads rule files and shared library modules from policy directories (the I/O edge of the
//! policy stage).

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::input::{self, LinkError};
use crate::policy::{PolicyError, RuleSource};

/// The largest rule or library file read (1 MiB): rules are short scripts; a bigger file is a
/// mistake or an attack, and is refused rather than compiled.
pub const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;

/// Reads `<dir>/*.rhai` (rules) and `<dir>/lib/*.rhai` (the shared rule library, which rules
/// of that directory may `import` by name) from each directory, sorted by path within a
/// directory; nothing else (other subfolders such as `tests/` are not read). A directory that
/// does not exist or holds no rule is an error: a gate run against an empty pack would allow
/// everything. Library modules are told apart by their path (`.../lib/NAME.rhai`).
///
/// Every `*.rhai` entry must be readable: a dangling symlink, a FIFO, a socket, a device, a
/// directory, a file above [`MAX_RULE_FILE_BYTES`] or a symlink that leads outside the policy
/// directory is an error naming it, because a silently skipped rule would let a promotion pass
/// that it should stop. Symlinks inside the directory are followed (a Kubernetes ConfigMap
/// mount is `rule.rhai -> ..data/rule.rhai`, `..data -> ..<timestamp>/`); `..*` entries are the
/// mount's internals, never rules. A UTF-8 byte-order mark at the start of a file is dropped.
pub fn read_policy_dirs(dirs: &[PathBuf]) -> Result<Vec<RuleSource>, PolicyError> {
    let mut out = Vec::new();
    for dir in dirs {
        out.extend(read_dir(dir)?);
    }
    Ok(out)
}

fn read_dir(dir: &Path) -> Result<Vec<RuleSource>, PolicyError> {
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(PolicyError::MissingDir { dir: shown });
    }
    let root = dir.canonicalize().map_err(|e| read_err(dir, e))?;
    let mut paths = rhai_files(dir, &root)?;
    if paths.is_empty() {
        return Err(PolicyError::NoRules { dir: shown });
    }
    let lib = dir.join("lib");
    if lib.is_dir() {
        inside(&lib, &root)?;
        paths.extend(rhai_files(&lib, &root)?);
    }
    paths
        .into_iter()
        .map(|path| {
            let text = read_rule(&path)?;
            Ok(RuleSource {
                path: path.display().to_string(),
                text,
            })
        })
        .collect()
}

fn read_err(path: &Path, e: std::io::Error) -> PolicyError {
    bad(path, e.to_string())
}

fn bad(path: &Path, message: impl Into<String>) -> PolicyError {
    PolicyError::Read {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// The `*.rhai` entries directly in `dir`, sorted, each checked to be a readable regular file
/// inside `root` (the policy directory, canonical).
fn rhai_files(dir: &Path, root: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read_err(dir, e))? {
        let entry = entry.map_err(|e| read_err(dir, e))?;
        let path = entry.path();
        let hidden_mount_entry = entry.file_name().to_string_lossy().starts_with("..");
        if hidden_mount_entry || path.extension().is_none_or(|x| x != "rhai") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).map_err(|e| read_err(&path, e))?;
        let meta = if meta.file_type().is_symlink() {
            inside(&path, root)?
        } else {
            meta
        };
        check_regular(&path, &meta)?;
        paths.push(path);
    }
    paths.sort();
    Ok(paths)
}

/// Resolves a symlink (or a path holding one) and checks it stays inside `root`; returns the
/// metadata of what it leads to.
fn inside(path: &Path, root: &Path) -> Result<Metadata, PolicyError> {
    match input::follow_inside(path, root) {
        Ok((_, meta)) => Ok(meta),
        Err(LinkError::Dangling) => Err(bad(
            path,
            "a dangling symlink: what it points to does not exist",
        )),
        Err(LinkError::Outside(target)) => Err(bad(
            path,
            format!(
                "a symlink that leads outside the policy directory {} (to {}); copy the file into the directory instead",
                root.display(),
                target.display()
            ),
        )),
        Err(LinkError::Io(e)) => Err(read_err(path, e)),
    }
}

/// Refuses anything but a regular file before it is opened (opening a FIFO would block).
fn check_regular(path: &Path, meta: &Metadata) -> Result<(), PolicyError> {
    input::check_regular(meta, MAX_RULE_FILE_BYTES, None).map_err(|m| bad(path, rule_msg(m)))
}

fn rule_msg(message: String) -> String {
    if message.starts_with("not a regular file") {
        format!("{message}; a rule is a `.rhai` file")
    } else if message.contains("bytes, more than the limit") {
        format!("{message} (1 MiB) for a rule file")
    } else {
        message
    }
}

/// Reads a checked file, bounded again while reading (it may have grown since it was checked).
fn read_rule(path: &Path) -> Result<String, PolicyError> {
    let text =
        input::read_text(path, MAX_RULE_FILE_BYTES, None).map_err(|m| bad(path, rule_msg(m)))?;
    // Editors on Windows may write a byte-order mark; it is not part of the `//!` header.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_sorted_rules_then_the_library_and_ignores_other_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b-rule.rhai"), "//! B\n").unwrap();
        std::fs::write(d.path().join("a-rule.rhai"), "//! A\n").unwrap();
        std::fs::write(d.path().join("README.md"), "guide").unwrap();
        std::fs::create_dir(d.path().join("lib")).unwrap();
        std::fs::write(d.path().join("lib").join("shared.rhai"), "fn x() {}").unwrap();
        std::fs::write(d.path().join("lib").join("notes.md"), "x").unwrap();
        std::fs::create_dir(d.path().join("tests")).unwrap();
        std::fs::write(d.path().join("tests").join("t.rhai"), "x").unwrap();
        let got = read_policy_dirs(&[d.path().to_path_buf()]).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|s| s.path.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["a-rule.rhai", "b-rule.rhai", "shared.rhai"]);
        assert!(got[2].path.ends_with("lib/shared.rhai"), "{}", got[2].path);
        assert_eq!(got[0].text, "//! A\n");
    }

    #[test]
    fn missing_or_empty_dirs_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let e = read_policy_dirs(&[d.path().to_path_buf()]).unwrap_err();
        assert!(matches!(e, PolicyError::NoRules { .. }), "{e}");
        let e = read_policy_dirs(&[d.path().join("nope")]).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    fn err_of(setup: impl FnOnce(&Path)) -> String {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a-ok.rhai"), "//! ok\n").unwrap();
        setup(d.path());
        read_policy_dirs(&[d.path().to_path_buf()])
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unreadable_rule_entries_are_errors_naming_them() {
        use std::os::unix::fs::symlink;
        let e = err_of(|d| symlink(d.join("gone.rhai"), d.join("b.rhai")).unwrap());
        assert!(
            e.contains("b.rhai") && e.contains("dangling symlink"),
            "{e}"
        );
        let e = err_of(|d| std::fs::create_dir(d.join("x.rhai")).unwrap());
        assert!(e.contains("x.rhai") && e.contains("a directory"), "{e}");
        let e = err_of(|d| {
            let st = std::process::Command::new("mkfifo")
                .arg(d.join("f.rhai"))
                .status()
                .unwrap();
            assert!(st.success());
        });
        assert!(e.contains("f.rhai") && e.contains("a FIFO"), "{e}");
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("o.rhai"), "//! o\n").unwrap();
        let e = err_of(|d| symlink(outside.path().join("o.rhai"), d.join("o.rhai")).unwrap());
        assert!(
            e.contains("o.rhai") && e.contains("outside the policy directory"),
            "{e}"
        );
        let e = err_of(|d| {
            std::fs::create_dir(d.join("lib")).unwrap();
            symlink(outside.path().join("o.rhai"), d.join("lib").join("l.rhai")).unwrap();
        });
        assert!(e.contains("lib/l.rhai") && e.contains("outside"), "{e}");
        let e = err_of(|d| symlink("/dev/null", d.join("n.rhai")).unwrap());
        assert!(e.contains("n.rhai") && e.contains("outside"), "{e}");
        let big = "/".repeat(MAX_RULE_FILE_BYTES as usize + 1);
        let e = err_of(|d| std::fs::write(d.join("big.rhai"), &big).unwrap());
        assert!(e.contains("big.rhai") && e.contains("1048576 bytes"), "{e}");
    }

    #[test]
    fn a_configmap_mount_layout_is_read_and_its_internals_are_not_rules() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().unwrap();
        let stamp = d.path().join("..2026_12_01_10_00_00.123456789");
        std::fs::create_dir(&stamp).unwrap();
        std::fs::write(stamp.join("rule.rhai"), "//! From a ConfigMap\n").unwrap();
        symlink("..2026_12_01_10_00_00.123456789", d.path().join("..data")).unwrap();
        symlink("..data/rule.rhai", d.path().join("rule.rhai")).unwrap();
        let got = read_policy_dirs(&[d.path().to_path_buf()]).unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].path.ends_with("/rule.rhai"), "{}", got[0].path);
        assert!(!got[0].path.contains(".."), "{}", got[0].path);
        assert_eq!(got[0].text, "//! From a ConfigMap\n");
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("r.rhai"), "\u{feff}//! R\n").unwrap();
        let got = read_policy_dirs(&[d.path().to_path_buf()]).unwrap();
        assert_eq!(got[0].text, "//! R\n");
    }
}
