//! Parses one snapshot file into JSON values: strict JSON, and YAML with budgets that grow
//! with the file (so a large export loads) but stop alias and nesting bombs.

use serde_json::Value;

use super::stream::Doc;
use super::SnapshotError;
use crate::gather::strict_json::{self, StrictValue};

/// Alias expansion is bounded in absolute terms: `oc` never writes anchors, so only a crafted
/// file needs more, and a "billion laughs" file must stop after this many replayed events.
pub const MAX_ALIAS_REPLAYED_EVENTS: usize = 1_000_000;
/// Nesting deeper than this is refused in YAML (serde_json stops JSON at 128 levels);
/// Kubernetes objects nest about a dozen levels.
pub const MAX_YAML_DEPTH: usize = 64;

/// The YAML options for a file of `len` bytes. The counts scale with the file: a node written
/// out takes at least a byte of input, so a real export (no aliases) never reaches one node per
/// byte, while nodes produced by alias expansion count too and stop a "billion laughs" once
/// the document is bigger than the file — memory stays proportional to the input. Alias replay
/// and depth (the stack) also have fixed limits.
fn yaml_options(len: usize) -> serde_saphyr::Options {
    let budget = serde_saphyr::budget! {
        max_nodes: len.max(250_000),
        max_events: len.saturating_mul(4).max(1_000_000),
        max_total_scalar_bytes: len.max(64 * 1024 * 1024),
        max_documents: (len / 4).max(1024),
        max_depth: MAX_YAML_DEPTH,
    };
    serde_saphyr::options! {
        budget: budget,
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_REPLAYED_EVENTS,
        },
    }
}

/// One file's documents, read one of the two ways.
pub(super) enum Parsed {
    Streamed(Vec<Doc>),
    Plain(Vec<Value>),
}

/// Parses one file: the fast way when it can, else the plain way (which names any error).
pub(super) fn parse_file(text: &str, file: &str) -> Result<Parsed, SnapshotError> {
    match parse_streamed(text, file) {
        Some(docs) => Ok(Parsed::Streamed(docs)),
        None => parse_documents(text, file).map(Parsed::Plain),
    }
}

/// The documents of one file read the fast way (List items decoded as they are read, see
/// [`super::stream`]; YAML by [`super::fast_yaml`] when it can, else by serde-saphyr), or `None` when the file needs the plain way ([`parse_documents`]), which
/// also gives every error. Empty documents are dropped.
fn parse_streamed(text: &str, file: &str) -> Option<Vec<Doc>> {
    let docs = if file.ends_with(".json") {
        vec![serde_json::from_str::<Doc>(text).ok()?]
    } else {
        match super::fast_yaml::documents(text) {
            Ok(docs) => docs,
            Err(g) => {
                tracing::debug!(
                    file,
                    reason = g.reason,
                    offset = g.at,
                    "YAML outside the fast reader's subset: read by serde-saphyr"
                );
                serde_saphyr::from_multiple_with_options::<Doc>(text, yaml_options(text.len()))
                    .ok()?
            }
        }
    };
    Some(
        docs.into_iter()
            .filter(|d| !matches!(d, Doc::Whole(Value::Null)))
            .collect(),
    )
}

/// The documents of one file (`file` names it; `.json` files are JSON, others YAML), with
/// duplicate keys refused in both. Empty documents (a bare `---`) are dropped.
pub(super) fn parse_documents(text: &str, file: &str) -> Result<Vec<Value>, SnapshotError> {
    let docs = if file.ends_with(".json") {
        let v = strict_json::from_str(text).map_err(|e| SnapshotError::Syntax {
            file: file.into(),
            line: e.line() as u64,
            column: e.column() as u64,
            format: "JSON",
            message: e.to_string(),
        })?;
        vec![v]
    } else {
        serde_saphyr::from_multiple_with_options::<StrictValue>(text, yaml_options(text.len()))
            .map_err(|e| {
                let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
                // The library's hint names its own option, which a user cannot set.
                let mut message = e
                    .to_string()
                    .replace(", set DuplicateKeyPolicy in Options if acceptable", "");
                if message.contains("budget") || message.contains("alias") {
                    message.push_str(&format!(
                        " (tollgate's YAML limits: at most one node per byte of the file (at least 250000), alias expansions included; {MAX_ALIAS_REPLAYED_EVENTS} events replayed from aliases; nesting depth {MAX_YAML_DEPTH}; `oc get … -o yaml` output stays far below them)"
                    ));
                }
                SnapshotError::Syntax {
                    file: file.into(),
                    line,
                    column,
                    format: "YAML",
                    message,
                }
            })?
            .into_iter()
            .map(|v| v.0)
            .collect()
    };
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}
