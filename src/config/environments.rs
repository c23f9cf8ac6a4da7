//! `environments:` in `tollgate.yaml`: names, namespaces, params and the order (`after:`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::refs::is_dns_label;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnvironment {
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
    after: Option<String>,
}

/// A configured environment.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentSettings {
    pub namespaces: Vec<String>,
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The environment an image passes through before this one (`after:`), if configured.
    pub after: Option<String>,
}

/// Validates the environments: names, namespaces (each in one environment only) and the
/// order, which must name configured environments and never loop. Messages name the key.
pub(super) fn environments(
    raw: BTreeMap<String, RawEnvironment>,
) -> Result<BTreeMap<String, EnvironmentSettings>, String> {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (env, e) in &raw {
        if env.trim().is_empty() {
            return Err("environments: an environment name is empty".into());
        }
        for ns in &e.namespaces {
            if !is_dns_label(ns) {
                return Err(format!(
                    "environments.{env}.namespaces: `{ns}` is not a valid namespace name"
                ));
            }
            if let Some(prev) = owner.insert(ns, env) {
                return Err(format!(
                    "namespace `{ns}` is in two environments: `{prev}` and `{env}`"
                ));
            }
        }
        if let Some(after) = &e.after {
            if after == env {
                return Err(format!(
                    "environments.{env}.after: an environment cannot come after itself"
                ));
            }
            if !raw.contains_key(after) {
                let known: Vec<&str> = raw.keys().map(String::as_str).collect();
                return Err(format!(
                    "environments.{env}.after: `{after}` is not a configured environment (environments: {})",
                    known.join(", ")
                ));
            }
        }
    }
    for start in raw.keys() {
        // Following `after:` from any environment must end; a revisit is a loop. The walk is
        // bounded by the number of environments.
        let mut seen = vec![start.as_str()];
        let mut at = start.as_str();
        while let Some(next) = raw.get(at).and_then(|e| e.after.as_deref()) {
            if next == start {
                seen.push(next);
                return Err(format!(
                    "environments.{start}.after: the order loops ({}); an order must end at a first environment",
                    seen.join(" after ")
                ));
            }
            if seen.contains(&next) {
                // A loop that does not pass through `start`: reported from its own member.
                break;
            }
            seen.push(next);
            at = next;
        }
    }
    Ok(raw
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                EnvironmentSettings {
                    namespaces: v.namespaces,
                    params: v.params,
                    after: v.after,
                },
            )
        })
        .collect())
}
