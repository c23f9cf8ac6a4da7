//! `tollgate.yaml` → validated settings: environments, per-rule levels and params, exceptions.
//!
//! Raw types mirror the file (unknown keys are errors, so a typo never silently does
//! nothing); [`Settings`] is what the rest of the program uses.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;

mod admission;
mod environments;
pub use admission::{AdmissionSettings, DEFAULT_GUARDED_ENVIRONMENTS};
pub use environments::EnvironmentSettings;

/// The largest `tollgate.yaml` read (4 MiB): a configuration is a page or two; a bigger file is
/// refused before it is read.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

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
    environments: BTreeMap<String, environments::RawEnvironment>,
    #[serde(default)]
    rules: BTreeMap<String, RawRule>,
    #[serde(default)]
    exceptions: Vec<RawException>,
    exceptions_max_days: Option<i64>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    admission: admission::RawAdmission,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    rule_timeout: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    rule: Option<String>,
    target: Option<String>,
    digest: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    level: Option<Level>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
}

/// What configuration says about one rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSettings {
    pub level: Option<Level>,
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// The longest an exception may run from today unless `exceptions_max_days` says otherwise:
/// an exception is a debt with a date, not a permanent hole in the gate.
pub const DEFAULT_EXCEPTIONS_MAX_DAYS: i64 = 90;

/// A time-limited waiver of one rule's denial for a target and/or an image digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exception {
    pub rule: String,
    /// `ns/kind/name`, normalised to the short kind (`prod/dc/simple-app`): matches a denial
    /// whose message names that target (rules name targets with `target_ref(t)`).
    pub target: Option<String>,
    /// `sha256:…`: matches when the promoted image has this digest.
    pub digest: Option<String>,
    pub reason: String,
    pub owner: String,
    #[serde(serialize_with = "iso_date")]
    pub expires: time::Date,
}

fn iso_date<S: serde::Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// The longest one rule may run (wall clock) unless `limits.rule_timeout` says otherwise: as
/// Kubewarden's default, long enough for any honest rule, short enough not to stall a pipeline.
pub const DEFAULT_RULE_TIMEOUT: Duration = Duration::from_secs(2);
/// Bounds of `limits.rule_timeout`: below 10 ms an honest rule may be cut by a scheduler hiccup;
/// above 10 minutes the gate would hang a pipeline longer than any CI step timeout.
const RULE_TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_millis(10), Duration::from_secs(600));

/// Limits on running the rules, as configured (`limits:` in `tollgate.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time one rule may run before it ends with an `error` outcome.
    pub rule_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rule_timeout: DEFAULT_RULE_TIMEOUT,
        }
    }
}

/// Validated configuration. `Settings::default()` is what runs without a `tollgate.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub environments: BTreeMap<String, EnvironmentSettings>,
    pub rules: BTreeMap<String, RuleSettings>,
    pub exceptions: Vec<Exception>,
    pub limits: Limits,
    /// What `tollgate serve` guards.
    pub admission: AdmissionSettings,
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

/// Namespaces that are environment `prod` without configuration.
pub const DEFAULT_PROD_NAMESPACES: [&str; 2] = ["prod", "production"];

impl Settings {
    /// Parses and validates the text of a `tollgate.yaml`; `file` names it in errors.
    /// Exception expiries are checked against today's date (UTC).
    pub fn parse(text: &str, file: &str) -> Result<Settings, ConfigError> {
        Settings::parse_at(text, file, time::OffsetDateTime::now_utc().date())
    }

    /// [`Settings::parse`] with "today" given (tests).
    pub fn parse_at(text: &str, file: &str, today: time::Date) -> Result<Settings, ConfigError> {
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
        let environments = environments::environments(raw.environments).map_err(&invalid)?;
        let max_days = raw
            .exceptions_max_days
            .unwrap_or(DEFAULT_EXCEPTIONS_MAX_DAYS);
        if max_days < 1 {
            return Err(invalid(format!(
                "exceptions_max_days: {max_days} must be at least 1"
            )));
        }
        let exceptions = raw
            .exceptions
            .iter()
            .enumerate()
            .map(|(i, e)| exception(i, e, today, max_days).map_err(&invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let limits = Limits {
            rule_timeout: match &raw.limits.rule_timeout {
                None => DEFAULT_RULE_TIMEOUT,
                Some(t) => {
                    rule_timeout(t).map_err(|m| invalid(format!("limits.rule_timeout: {m}")))?
                }
            },
        };
        let admission = admission::admission(raw.admission).map_err(&invalid)?;
        Ok(Settings {
            exceptions,
            limits,
            admission,
            environments,
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

    /// The environment configured before `environment` (`after:`), if any.
    pub fn previous_environment(&self, environment: &str) -> Option<&str> {
        self.environments
            .get(environment)
            .and_then(|e| e.after.as_deref())
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

/// `500ms`, `2s`, `1m`: a whole number and a unit, within [`RULE_TIMEOUT_RANGE`].
fn rule_timeout(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration like 500ms, 2s or 1m");
    let (n, unit) = crate::duration::whole_with_unit(text).ok_or_else(bad)?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(bad()),
    };
    let (min, max) = RULE_TIMEOUT_RANGE;
    if d < min || d > max {
        return Err(format!(
            "`{text}` is outside the allowed range of 10ms to 10m"
        ));
    }
    Ok(d)
}

/// Validates one raw exception (`exceptions[i]` in messages).
fn exception(
    i: usize,
    e: &RawException,
    today: time::Date,
    max_days: i64,
) -> Result<Exception, String> {
    let at = |field: &str, msg: &str| format!("exceptions[{i}].{field}: {msg}");
    let need = |v: &Option<String>, field: &str, what: &str| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| at(field, &format!("missing: every exception needs {what}")))
    };
    let rule = need(&e.rule, "rule", "the id of the rule it waives")?;
    let reason = need(&e.reason, "reason", "a reason")?;
    let owner = need(&e.owner, "owner", "an owner (who answers for it)")?;
    let expires_text = need(&e.expires, "expires", "an expiry date (YYYY-MM-DD)")?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let expires = time::Date::parse(&expires_text, &format).map_err(|_| {
        at(
            "expires",
            &format!("`{expires_text}` is not a date like 2024-06-30"),
        )
    })?;
    if e.target.is_none() && e.digest.is_none() {
        return Err(format!(
            "exceptions[{i}]: missing scope: give `target: ns/kind/name` and/or `digest: sha256:…`"
        ));
    }
    let target = match &e.target {
        None => None,
        Some(t) => Some(
            crate::refs::parse_target(t, None)
                .map_err(|err| at("target", &err.to_string()))?
                .to_string(),
        ),
    };
    if let Some(d) = &e.digest {
        // Lowercase only: OpenShift writes digests in lowercase, so an uppercase one would
        // never match and the exception would silently do nothing.
        crate::refs::validate_digest(d).map_err(|e| at("digest", &e))?;
    }
    let days = (expires - today).whole_days();
    if days > max_days {
        return Err(at(
            "expires",
            &format!(
                "{expires_text} is {days} days from today, more than the maximum of {max_days} (exceptions_max_days): fix the finding, or set an earlier date and renew it then"
            ),
        ));
    }
    Ok(Exception {
        rule,
        target,
        digest: e.digest.clone(),
        reason,
        owner,
        expires,
    })
}

#[cfg(test)]
mod tests;
