//! Reads rule files and shared library modules from policy directories (the I/O edge of the
//! policy stage).

use std::path::{Path, PathBuf};

use crate::policy::{PolicyError, RuleSource};

/// Reads `<dir>/*.rhai` (rules) and `<dir>/lib/*.rhai` (the shared rule library, which rules
/// of that directory may `import` by name) from each directory, sorted by path within a
/// directory; nothing else (other subfolders such as `tests/` are not read). A directory that
/// does not exist or holds no rule is an error: a gate run against an empty pack would allow
/// everything. Library modules are told apart by their path (`.../lib/NAME.rhai`).
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
    let read_err = |path: &Path, e: std::io::Error| PolicyError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut paths = rhai_files(dir)?;
    if paths.is_empty() {
        return Err(PolicyError::NoRules { dir: shown });
    }
    let lib = dir.join("lib");
    if lib.is_dir() {
        paths.extend(rhai_files(&lib)?);
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
            Ok(RuleSource {
                path: path.display().to_string(),
                text,
            })
        })
        .collect()
}

/// The `*.rhai` files directly in `dir`, sorted.
fn rhai_files(dir: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    let read_err = |e: std::io::Error| PolicyError::Read {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "rhai") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
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
}
