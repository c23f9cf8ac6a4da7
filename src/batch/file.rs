//! Reading a batch file: a YAML (or JSON) list of `{source, destination, targets?, reason?}`,
//! strictly — an unknown key, a wrong type, a duplicate key or destination is refused, naming
//! the entry.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use time::OffsetDateTime;

use crate::error::Error;
use crate::gate::Promotion;
use crate::gather::strict_json::StrictValue;
use crate::refs::{parse_destination, parse_source, parse_target};

/// The largest batch file read, in bytes: 10,000 promotions fit with room to spare.
pub const MAX_BATCH_BYTES: u64 = 4 * 1024 * 1024;
/// The most promotions one batch may hold.
pub const MAX_PROMOTIONS: usize = 10_000;
/// The most targets one entry may name.
const MAX_TARGETS: usize = 1_000;
/// A batch entry nests two levels; anything deeper is not a batch file.
const MAX_DEPTH: usize = 16;

const KEYS: &str = "source, destination, targets, reason";

/// One entry as written (references not yet parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub source: String,
    pub destination: String,
    pub targets: Vec<String>,
    pub reason: Option<String>,
}

fn file_error(file: &str, message: String) -> Error {
    Error::File {
        path: file.to_string(),
        message,
    }
}

/// Reads and parses a batch file (bounded: [`MAX_BATCH_BYTES`]).
pub fn read(path: &Path) -> Result<Vec<Entry>, Error> {
    let shown = path.display().to_string();
    let text =
        crate::input::read_text(path, MAX_BATCH_BYTES, None).map_err(|e| file_error(&shown, e))?;
    parse(&text, &shown)
}

/// Parses the text of a batch file; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Vec<Entry>, Error> {
    let len = text.len();
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: len.max(10_000),
            max_events: len.saturating_mul(4).max(40_000),
            max_depth: MAX_DEPTH,
            max_documents: 1,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
        },
    };
    let value = serde_saphyr::from_str_with_options::<StrictValue>(text, options)
        .map_err(|e| {
            let message = e
                .to_string()
                .replace(", set DuplicateKeyPolicy in Options if acceptable", "");
            file_error(file, format!("not a YAML batch file: {message}"))
        })?
        .0;
    let shape = format!("a batch file is a YAML list of {{{KEYS}}} (targets and reason optional)");
    let Value::Array(items) = value else {
        return Err(file_error(file, format!("not a list: {shape}")));
    };
    if items.is_empty() {
        return Err(file_error(file, format!("no promotions: {shape}")));
    }
    if items.len() > MAX_PROMOTIONS {
        return Err(file_error(
            file,
            format!(
                "{} promotions: at most {MAX_PROMOTIONS} fit in one batch; split the file",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| entry(item).map_err(|m| file_error(file, format!("entry {}: {m}", i + 1))))
        .collect()
}

fn string(key: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::String(_) => Err(format!("`{key}` is empty")),
        other => Err(format!("`{key}` must be a string, not {}", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn entry(item: &Value) -> Result<Entry, String> {
    let Value::Object(map) = item else {
        return Err(format!("expected a mapping of {KEYS}, not {}", kind(item)));
    };
    if let Some(k) = map
        .keys()
        .find(|k| !["source", "destination", "targets", "reason"].contains(&k.as_str()))
    {
        return Err(format!(
            "unknown key `{}` (known: {KEYS})",
            crate::report::escape::line(k)
        ));
    }
    let required = |key: &str| {
        map.get(key)
            .ok_or_else(|| format!("`{key}` is missing"))
            .and_then(|v| string(key, v))
    };
    let targets = match map.get("targets") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(list)) if list.len() > MAX_TARGETS => {
            return Err(format!(
                "`targets`: {} names, at most {MAX_TARGETS}",
                list.len()
            ))
        }
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(j, t)| string(&format!("targets[{j}]"), t))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(format!(
                "`targets` must be a list of `ns/dc/name` references, not {}",
                kind(other)
            ))
        }
    };
    let reason = match map.get("reason") {
        None | Some(Value::Null) => None,
        Some(v) => Some(string("reason", v)?),
    };
    Ok(Entry {
        source: required("source")?,
        destination: required("destination")?,
        targets,
        reason,
    })
}

/// The promotions of a batch: references parsed (`default_ns` for those written without a
/// namespace), and two entries moving the same tag refused.
pub fn promotions(
    entries: &[Entry],
    file: &str,
    default_ns: Option<&str>,
    time: Option<OffsetDateTime>,
) -> Result<Vec<Promotion>, Error> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let at = |m: String| file_error(file, format!("entry {}: {m}", i + 1));
        let source = parse_source(&e.source, default_ns).map_err(|r| at(r.to_string()))?;
        let destination =
            parse_destination(&e.destination, default_ns).map_err(|r| at(r.to_string()))?;
        if let Some(first) = seen.insert(destination.to_string(), i) {
            return Err(at(format!(
                "moves {destination} again (entry {} does too): two promotions of one tag in a \
                 batch conflict; keep one",
                first + 1
            )));
        }
        let mut targets = e
            .targets
            .iter()
            .map(|t| parse_target(t, default_ns))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|r| at(r.to_string()))?;
        targets.sort();
        targets.dedup();
        out.push(Promotion::cli(
            source,
            destination,
            targets,
            e.reason.clone(),
            time,
        ));
    }
    Ok(out)
}
