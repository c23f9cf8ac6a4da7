//! `tollgate.yaml` → validated settings: environments, per-rule levels and params.
//!
//! Raw types mirror the file (unknown keys are errors, so a typo never silently does
//! nothing); [`Settings`] is what the rest of the program uses.

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

use crate::refs::is_dns_label;

/// How a rule's findings count, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Every finding of the rule blocks (its `warn` calls too).
    Deny,
    /// Every finding of the rule is a warning (its `deny` calls too).
    Warn,
    /// The rule is compiled but not run.
    Off,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    environments: BTreeMap<String, RawEnvironment>,
    #[serde(default)]
    rules: BTreeMap<String, RawRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    level: Option<Level>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
}

/// A configured environment.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentSettings {
    pub namespaces: Vec<String>,
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// What configuration says about one rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSettings {
    pub level: Option<Level>,
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// Validated configuration. `Settings::default()` is what runs without a `tollgate.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub environments: BTreeMap<String, EnvironmentSettings>,
    pub rules: BTreeMap<String, RuleSettings>,
    /// Where the settings came from, for messages (`None`: built-in defaults).
    pub source: Option<String>,
}

/// A configuration file that cannot be used; the message names the file and the key.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl Settings {
    /// Parses and validates the text of a `tollgate.yaml`; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Settings, ConfigError> {
        let raw: RawConfig = if text.trim().is_empty() {
            RawConfig::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| ConfigError::Syntax {
                file: file.to_string(),
                message: e.to_string(),
            })?
        };
        let invalid = |message: String| ConfigError::Invalid {
            file: file.to_string(),
            message,
        };
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for (env, e) in &raw.environments {
            if env.trim().is_empty() {
                return Err(invalid("environments: an environment name is empty".into()));
            }
            for ns in &e.namespaces {
                if !is_dns_label(ns) {
                    return Err(invalid(format!(
                        "environments.{env}.namespaces: `{ns}` is not a valid namespace name"
                    )));
                }
                if let Some(prev) = owner.insert(ns, env) {
                    return Err(invalid(format!(
                        "namespace `{ns}` is in two environments: `{prev}` and `{env}`"
                    )));
                }
            }
        }
        Ok(Settings {
            environments: raw
                .environments
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        EnvironmentSettings {
                            namespaces: v.namespaces,
                            params: v.params,
                        },
                    )
                })
                .collect(),
            rules: raw
                .rules
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        RuleSettings {
                            level: v.level,
                            params: v.params,
                        },
                    )
                })
                .collect(),
            source: Some(file.to_string()),
        })
    }

    /// The environment a namespace belongs to: the configured one, else `prod` for a namespace
    /// named `prod` or `production`, else the namespace's own name.
    pub fn environment_of(&self, namespace: &str) -> String {
        for (name, env) in &self.environments {
            if env.namespaces.iter().any(|n| n == namespace) {
                return name.clone();
            }
        }
        match namespace {
            "prod" | "production" => "prod".to_string(),
            other => other.to_string(),
        }
    }

    /// Namespaces configured as belonging to some environment (live discovery lists these).
    pub fn configured_namespaces(&self) -> impl Iterator<Item = &str> {
        self.environments
            .values()
            .flat_map(|e| e.namespaces.iter().map(String::as_str))
    }

    /// Settings for one rule (defaults when unconfigured).
    pub fn rule(&self, id: &str) -> RuleSettings {
        self.rules.get(id).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_map_prod_and_production() {
        let s = Settings::default();
        assert_eq!(s.environment_of("prod"), "prod");
        assert_eq!(s.environment_of("production"), "prod");
        assert_eq!(s.environment_of("dev"), "dev");
    }

    #[test]
    fn configured_environments_win() {
        let s = Settings::parse(
            "environments:\n  prod:\n    namespaces: [shop-live]\n  staging:\n    namespaces: [shop-stage]\nrules:\n  image-age:\n    level: warn\n    params: {max_age_days: 14}\n",
            "tollgate.yaml",
        )
        .unwrap();
        assert_eq!(s.environment_of("shop-live"), "prod");
        assert_eq!(s.environment_of("shop-stage"), "staging");
        assert_eq!(s.rule("image-age").level, Some(Level::Warn));
        assert_eq!(s.rule("image-age").params["max_age_days"], 14);
    }

    #[test]
    fn unknown_keys_and_bad_levels_are_errors() {
        let e = Settings::parse("rules:\n  x:\n    levle: warn\n", "t.yaml").unwrap_err();
        assert!(e.to_string().contains("levle"), "{e}");
        let e = Settings::parse("rules:\n  x:\n    level: block\n", "t.yaml").unwrap_err();
        assert!(e.to_string().starts_with("t.yaml:"), "{e}");
        let e = Settings::parse(
            "environments:\n  a: {namespaces: [x]}\n  b: {namespaces: [x]}\n",
            "t.yaml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("two environments"), "{e}");
    }
}
