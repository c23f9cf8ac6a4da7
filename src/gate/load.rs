//! Preparing a gate from files: `tollgate.yaml` and the policy directories.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Settings};
use crate::error::Error;
use crate::policy::{Evaluator, RuleSet};
use crate::policy_files;

use super::Gate;

/// Where rules are read from when no directory is given.
pub const DEFAULT_POLICY_DIR: &str = "policies";

/// The configuration file in use: `explicit`, else `./tollgate.yaml` when present, else none
/// (the built-in defaults).
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    let default = Path::new("tollgate.yaml");
    match explicit {
        Some(p) => Some(p.to_path_buf()),
        None if default.is_file() => Some(default.to_path_buf()),
        None => None,
    }
}

/// The text of a configuration file, bounded; an unreadable file is named.
pub fn read_config_text(path: &Path) -> Result<String, Error> {
    crate::input::read_text(path, crate::config::MAX_CONFIG_BYTES, None).map_err(|message| {
        ConfigError::Syntax {
            file: path.display().to_string(),
            message,
        }
        .into()
    })
}

/// `explicit`, else `./tollgate.yaml` when present, else the built-in defaults.
pub fn load_settings(explicit: Option<&Path>) -> Result<Settings, Error> {
    let Some(path) = config_path(explicit) else {
        return Ok(Settings::default());
    };
    let shown = path.display().to_string();
    let text = read_config_text(&path)?;
    let settings = Settings::parse(&text, &shown)?;
    tracing::info!(config = %shown, "configuration loaded");
    Ok(settings)
}

/// Reads and compiles every rule of `dirs` (default `./policies`) with `evaluator`'s engine.
pub fn read_pack(evaluator: &Evaluator, dirs: &[PathBuf]) -> Result<RuleSet, Error> {
    let dirs = if dirs.is_empty() {
        vec![PathBuf::from(DEFAULT_POLICY_DIR)]
    } else {
        dirs.to_vec()
    };
    let sources = policy_files::read_policy_dirs(&dirs)?;
    let rules = evaluator.compile(sources)?;
    tracing::info!(rules = rules.rules().len(), "rules compiled");
    Ok(rules)
}

impl Gate {
    /// Reads the configuration and compiles the pack (before any fact is gathered: a broken
    /// rule must not cost a cluster round trip), with one engine for the whole run.
    pub fn load(policy_dirs: &[PathBuf], config: Option<&Path>) -> Result<Gate, Error> {
        let settings = load_settings(config)?;
        let evaluator = Evaluator::new();
        let rules = read_pack(&evaluator, policy_dirs)?;
        Gate::new(settings, evaluator, rules)
    }
}

/// The configuration may only name rules the pack has: a typo would silently configure nothing.
pub(super) fn check_names(settings: &Settings, rules: &RuleSet) -> Result<(), Error> {
    let file = settings.source.as_deref().unwrap_or("configuration");
    let known = || {
        rules
            .rules()
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for id in settings.rules.keys() {
        if rules.get(id).is_none() {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                message: format!(
                    "rules.{id}: no rule `{id}` in the pack (rules: {})",
                    known()
                ),
            }
            .into());
        }
    }
    for (i, e) in settings.exceptions.iter().enumerate() {
        if rules.get(&e.rule).is_none() {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                message: format!("exceptions[{i}].rule: no rule `{}` in the pack", e.rule),
            }
            .into());
        }
    }
    Ok(())
}
