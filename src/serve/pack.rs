//! The rules in force: the pack and `tollgate.yaml`, re-read when their files change (a
//! ConfigMap mount swaps a symlink). A new pack that does not compile or lint, or a
//! configuration that does not validate, is refused and the old one stays in force.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use sha2::{Digest, Sha256};

use crate::config::{ConfigError, Settings};
use crate::error::Error;
use crate::gate::{Gate, DEFAULT_POLICY_DIR};
use crate::policy::{self, Evaluator, RuleSource};
use crate::policy_files;

/// Where the rules come from, and the gate they make.
#[derive(Debug)]
pub struct Pack {
    dirs: Vec<PathBuf>,
    config: Option<PathBuf>,
    current: RwLock<Loaded>,
}

#[derive(Clone)]
struct Loaded {
    gate: Gate,
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("rules_digest", &self.gate.rules_digest())
            .finish()
    }
}

/// What a reload found.
#[derive(Debug, PartialEq, Eq)]
pub enum Reload {
    /// The files are as they were.
    Unchanged,
    /// A new pack is in force; its rules digest.
    Loaded(String),
}

impl Pack {
    /// Loads the pack at start-up; any problem is an error (the server does not start).
    pub fn load(dirs: &[PathBuf], config: Option<&Path>) -> Result<Pack, Error> {
        let dirs = if dirs.is_empty() {
            vec![PathBuf::from(DEFAULT_POLICY_DIR)]
        } else {
            dirs.to_vec()
        };
        // Where `check` would find it: `--config`, else ./tollgate.yaml when present.
        let config = crate::gate::config_path(config);
        let (sources, config_text) = read(&dirs, config.as_deref())?;
        let fingerprint = fingerprint(&sources, config_text.as_deref());
        let gate = prepare(sources, config.as_deref(), config_text.as_deref())?;
        Ok(Pack {
            dirs,
            config,
            current: RwLock::new(Loaded { gate, fingerprint }),
        })
    }

    /// The gate in force (cheap: an `Arc` clone).
    pub fn gate(&self) -> Gate {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .gate
            .clone()
    }

    /// Re-reads the files; a changed pack that is sound replaces the one in force. `Err` says
    /// why a changed pack was refused (the old one stays).
    pub fn reload(&self) -> Result<Reload, String> {
        let (sources, config_text) =
            read(&self.dirs, self.config.as_deref()).map_err(|e| e.to_string())?;
        let fingerprint = fingerprint(&sources, config_text.as_deref());
        let unchanged = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fingerprint
            == fingerprint;
        if unchanged {
            return Ok(Reload::Unchanged);
        }
        let gate = prepare(sources, self.config.as_deref(), config_text.as_deref())
            .map_err(|e| e.to_string())?;
        let digest = gate.rules_digest().to_string();
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Loaded { gate, fingerprint };
        Ok(Reload::Loaded(digest))
    }
}

/// The rule files and the configuration's text, read once for both the fingerprint and the
/// gate, so what is checked is what was fingerprinted.
fn read(
    dirs: &[PathBuf],
    config: Option<&Path>,
) -> Result<(Vec<RuleSource>, Option<String>), Error> {
    let sources = policy_files::read_policy_dirs(dirs)?;
    let text = config.map(crate::gate::read_config_text).transpose()?;
    Ok((sources, text))
}

fn fingerprint(sources: &[RuleSource], config: Option<&str>) -> [u8; 32] {
    let mut h = Sha256::new();
    for s in sources {
        for part in [s.path.as_bytes(), s.text.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
    }
    if let Some(c) = config {
        h.update(c.as_bytes());
    }
    h.finalize().into()
}

/// Lint, compile and validate against the configuration: what `tollgate lint` and `check`
/// would refuse, the server refuses too.
fn prepare(
    sources: Vec<RuleSource>,
    config: Option<&Path>,
    config_text: Option<&str>,
) -> Result<Gate, Error> {
    let linted = policy::lint(sources.clone());
    if let Some(first) = linted.findings.first() {
        return Err(Error::Config(ConfigError::Invalid {
            file: first.file.clone(),
            message: format!(
                "the rule pack does not lint ({} problem{}); first: {}",
                linted.findings.len(),
                if linted.findings.len() == 1 { "" } else { "s" },
                first.rendered.lines().next().unwrap_or(&first.message)
            ),
        }));
    }
    let settings = match (config, config_text) {
        (Some(path), Some(text)) => Settings::parse(text, &path.display().to_string())?,
        _ => Settings::default(),
    };
    let evaluator = Evaluator::new();
    let rules = evaluator.compile(sources)?;
    Gate::new(settings, evaluator, rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_pack(to: &Path) {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        for entry in std::fs::read_dir(&from).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "rhai") {
                std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            }
        }
        let lib = to.join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        for entry in std::fs::read_dir(from.join("lib")).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, lib.join(p.file_name().unwrap())).unwrap();
        }
    }

    #[test]
    fn a_changed_pack_is_loaded_and_a_broken_one_refused_keeping_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        copy_pack(&rules);
        let config = dir.path().join("tollgate.yaml");
        std::fs::write(&config, "").unwrap();
        let pack = Pack::load(std::slice::from_ref(&rules), Some(&config)).unwrap();
        let first = pack.gate().rules_digest().to_string();
        assert_eq!(pack.reload(), Ok(Reload::Unchanged));

        // A level change is a new pack.
        std::fs::write(&config, "rules:\n  image-age:\n    level: warn\n").unwrap();
        let Ok(Reload::Loaded(second)) = pack.reload() else {
            panic!("the new configuration was not loaded");
        };
        assert_ne!(second, first);
        assert_eq!(pack.gate().rules_digest(), second);

        // A rule that calls an unknown function compiles but does not lint: refused.
        let bad = rules.join("image-age.rhai");
        let text = std::fs::read_to_string(&bad).unwrap();
        std::fs::write(&bad, format!("{text}\nno_such_function();\n")).unwrap();
        let e = pack.reload().unwrap_err();
        assert!(e.contains("does not lint"), "{e}");
        assert!(e.contains("image-age.rhai"), "{e}");
        assert_eq!(pack.gate().rules_digest(), second, "the old pack stays");

        // A configuration naming an unknown rule is refused too.
        std::fs::write(&bad, text).unwrap();
        std::fs::write(&config, "rules:\n  no-such-rule:\n    level: warn\n").unwrap();
        let e = pack.reload().unwrap_err();
        assert!(e.contains("no-such-rule"), "{e}");
        assert_eq!(pack.gate().rules_digest(), second);
    }
}
