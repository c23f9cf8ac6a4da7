//! Rule test files (`<policy dir>/tests/*.yaml`): parsing and validating them into cases with
//! their input (facts file, snapshot, or overrides on a base facts file) and expectations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::policy::Outcome;

/// A test file that cannot be used; `Display` names the file, the case and the field.
#[derive(Debug)]
pub struct SpecError(pub String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    base: Option<String>,
    cases: Vec<RawCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    facts_file: Option<String>,
    snapshot: Option<OneOrMany>,
    source: Option<String>,
    destination: Option<String>,
    time: Option<String>,
    #[serde(default)]
    targets: Vec<String>,
    base: Option<String>,
    facts: Option<serde_json::Value>,
    #[serde(default)]
    set: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    unchecked: bool,
    config: Option<serde_json::Value>,
    expect: BTreeMap<String, serde_json::Value>,
}

/// `snapshot: DIR` or `snapshot: [DIR, DIR]` (several exports read together, as repeated
/// `--snapshot` flags are).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Where a case's facts come from.
#[derive(Debug)]
pub enum Input {
    /// A facts document (`tollgate facts` output), used as is.
    FactsFile(PathBuf),
    /// Objects exported with `oc get`, gathered for this promotion.
    Snapshot {
        paths: Vec<PathBuf>,
        source: String,
        destination: String,
        time: Option<String>,
        targets: Vec<String>,
    },
    /// A base facts file with `facts` deep-merged onto it, then `set` paths assigned.
    Overrides {
        base: PathBuf,
        facts: Option<serde_json::Value>,
        set: BTreeMap<String, serde_json::Value>,
    },
}

/// What one rule must conclude.
#[derive(Debug)]
pub struct Expect {
    pub outcome: Outcome,
    pub messages: Option<usize>,
    pub matches: Vec<Regex>,
}

/// One test case.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub input: Input,
    /// Facts that need not match the schema (error paths); only with `Overrides`.
    pub unchecked: bool,
    /// Inline `tollgate.yaml` content (levels, params, environments), as JSON text.
    pub config: Option<String>,
    pub expect: BTreeMap<String, Expect>,
}

/// A parsed test file.
#[derive(Debug)]
pub struct SpecFile {
    pub path: PathBuf,
    pub cases: Vec<Case>,
}

fn outcome(s: &str) -> Option<Outcome> {
    Some(match s {
        "pass" => Outcome::Pass,
        "deny" => Outcome::Deny,
        "warn" => Outcome::Warn,
        "skip" => Outcome::Skip,
        "error" => Outcome::Error,
        _ => return None,
    })
}

fn parse_expect(
    v: &serde_json::Value,
    at: &dyn Fn(&str) -> SpecError,
) -> Result<Expect, SpecError> {
    let bad_outcome = |o: &str| {
        at(&format!(
            "outcome `{o}` is not one of pass, deny, warn, skip, error"
        ))
    };
    if let Some(s) = v.as_str() {
        return Ok(Expect {
            outcome: outcome(s).ok_or_else(|| bad_outcome(s))?,
            messages: None,
            matches: vec![],
        });
    }
    let map = v
        .as_object()
        .ok_or_else(|| at("must be an outcome (`deny`) or a map {outcome, messages, match}"))?;
    for k in map.keys() {
        if !["outcome", "messages", "match"].contains(&k.as_str()) {
            return Err(at(&format!(
                "unknown field `{k}` (expected outcome, messages, match)"
            )));
        }
    }
    let o = map
        .get("outcome")
        .and_then(|o| o.as_str())
        .ok_or_else(|| at("missing field `outcome` (pass, deny, warn, skip or error)"))?;
    let messages = match map.get("messages") {
        None => None,
        Some(n) => Some(
            n.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| at("`messages` must be a number of messages"))?,
        ),
    };
    let patterns: Vec<&serde_json::Value> = match map.get("match") {
        None => vec![],
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    };
    let mut matches = vec![];
    for p in patterns {
        let p = p
            .as_str()
            .ok_or_else(|| at("`match` must be a regex or a list of them"))?;
        matches.push(Regex::new(p).map_err(|e| at(&format!("match `{p}`: {e}")))?);
    }
    Ok(Expect {
        outcome: outcome(o).ok_or_else(|| bad_outcome(o))?,
        messages,
        matches,
    })
}

/// Parses one test file; relative paths in it are relative to its directory. A base facts
/// file named `base-facts.json` next to it is the default `base`.
pub fn parse(path: &Path, text: &str) -> Result<SpecFile, SpecError> {
    let shown = path.display().to_string();
    let raw: RawFile =
        serde_saphyr::from_str(text).map_err(|e| SpecError(format!("{shown}: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let default_base = Some(dir.join("base-facts.json")).filter(|p| p.is_file());
    let file_base = raw.base.as_ref().map(|b| dir.join(b)).or(default_base);
    let mut cases = vec![];
    for (i, c) in raw.cases.into_iter().enumerate() {
        let label = format!("{shown}: cases[{i}] ({})", c.name);
        let at = |field: &str, msg: &str| SpecError(format!("{label}: {field}: {msg}"));
        if c.expect.is_empty() {
            return Err(at(
                "expect",
                "names no rule: give at least one `rule-id: outcome`",
            ));
        }
        let kinds = [c.facts_file.is_some(), c.snapshot.is_some()]
            .iter()
            .filter(|x| **x)
            .count();
        let overrides = c.facts.is_some() || !c.set.is_empty() || c.base.is_some();
        if kinds > 1 || (kinds == 1 && overrides) {
            return Err(at(
                "input",
                "give one of `facts_file`, `snapshot`, or overrides (`base`/`facts`/`set`)",
            ));
        }
        if c.snapshot.is_none() && (c.source.is_some() || c.destination.is_some()) {
            return Err(at("source", "`source`/`destination` go with `snapshot`"));
        }
        let input = if let Some(f) = c.facts_file {
            Input::FactsFile(dir.join(f))
        } else if let Some(s) = c.snapshot {
            let need =
                |v: Option<String>, f: &str| v.ok_or_else(|| at(f, "required with `snapshot`"));
            let paths: Vec<PathBuf> = match s {
                OneOrMany::One(p) => vec![dir.join(p)],
                OneOrMany::Many(ps) => ps.iter().map(|p| dir.join(p)).collect(),
            };
            if paths.is_empty() {
                return Err(at("snapshot", "names no directory"));
            }
            Input::Snapshot {
                paths,
                source: need(c.source, "source")?,
                destination: need(c.destination, "destination")?,
                time: c.time,
                targets: c.targets,
            }
        } else {
            let base = c
                .base
                .map(|b| dir.join(b))
                .or_else(|| file_base.clone())
                .ok_or_else(|| {
                    at("base", "no input: give `facts_file`, `snapshot`, or a `base` facts file (default: base-facts.json next to the test file)")
                })?;
            Input::Overrides {
                base,
                facts: c.facts,
                set: c.set,
            }
        };
        if c.unchecked && !matches!(input, Input::Overrides { .. }) {
            return Err(at(
                "unchecked",
                "only applies to overrides on a base facts file",
            ));
        }
        let mut expect = BTreeMap::new();
        for (rule, v) in &c.expect {
            let field = format!("expect.{rule}");
            expect.insert(rule.clone(), parse_expect(v, &|m: &str| at(&field, m))?);
        }
        let config = match c.config {
            None => None,
            Some(v) => Some(serde_json::to_string(&v).map_err(|e| at("config", &e.to_string()))?),
        };
        cases.push(Case {
            name: c.name,
            input,
            unchecked: c.unchecked,
            config,
            expect,
        });
    }
    Ok(SpecFile {
        path: path.to_path_buf(),
        cases,
    })
}

/// Deep-merges `over` onto `base`: maps merge key by key, anything else replaces.
pub fn merge(base: &mut serde_json::Value, over: &serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// Assigns `value` at a dotted path (`targets.0.triggers.1.automatic`); every step but the
/// last must exist, so a typo is an error rather than a new key nobody reads.
pub fn set_path(
    doc: &mut serde_json::Value,
    path: &str,
    value: serde_json::Value,
) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut at = doc;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let here = if i == 0 {
            "the facts".to_string()
        } else {
            parts[..i].join(".")
        };
        at = match at {
            serde_json::Value::Object(m) => {
                if last {
                    if !m.contains_key(*part) {
                        return Err(format!("no key `{part}` in `{here}`"));
                    }
                    m.insert((*part).to_string(), value);
                    return Ok(());
                }
                m.get_mut(*part)
                    .ok_or_else(|| format!("no key `{part}` in `{here}`"))?
            }
            serde_json::Value::Array(a) => {
                let n: usize = part
                    .parse()
                    .map_err(|_| format!("`{here}` is a list: `{part}` must be an index"))?;
                let len = a.len();
                let slot = a
                    .get_mut(n)
                    .ok_or_else(|| format!("`{here}` has {len} entries, no index {n}"))?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => return Err(format!("`{here}` is not a map or a list")),
        };
    }
    Err("empty path".into())
}
