//! Reads rule files from policy directories (the I/O edge of the policy stage).

use std::path::{Path, PathBuf};

use crate::policy::{PolicyError, RuleSource};

/// Reads `<dir>/*.rhai` from each directory (not recursive: `lib/` is reserved for a shared
/// rule library), sorted by path within a directory. A directory that does not exist or holds
/// no rule is an error: a gate run against an empty pack would allow everything.
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
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read_err(dir, e))? {
        let path = entry.map_err(|e| read_err(dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "rhai") {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(PolicyError::NoRules { dir: shown });
    }
    paths.sort();
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_sorted_rules_and_ignores_lib_and_other_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b-rule.rhai"), "//! B\n").unwrap();
        std::fs::write(d.path().join("a-rule.rhai"), "//! A\n").unwrap();
        std::fs::write(d.path().join("README.md"), "guide").unwrap();
        std::fs::create_dir(d.path().join("lib")).unwrap();
        std::fs::write(d.path().join("lib").join("shared.rhai"), "fn x() {}").unwrap();
        let got = read_policy_dirs(&[d.path().to_path_buf()]).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|s| s.path.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["a-rule.rhai", "b-rule.rhai"]);
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
