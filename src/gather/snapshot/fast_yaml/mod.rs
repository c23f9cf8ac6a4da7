//! A fast reader for the plain block-style YAML that `oc get -o yaml` and `kubectl` write,
//! which gives up — and leaves the file to serde-saphyr — on anything else.
//!
//! go-yaml (through sigs.k8s.io/yaml) writes one narrow dialect: 2-space block mappings, block
//! sequences, plain, quoted and `|` scalars, `{}`/`[]`, `---` between documents. Reading that
//! by lines is several times faster than a general YAML parser, which tokenises, buffers
//! events and fingerprints keys for every node. This reader accepts only what it is certain
//! of and produces exactly the values serde-saphyr would (same scalar typing, same folding);
//! on anything outside the subset — anchors, aliases, tags, flow content, complex keys, tabs,
//! directives, odd indentation, duplicate keys, a scalar whose typing it is unsure of, a
//! budget half-spent — it returns [`GiveUp`], and the caller parses the file with
//! serde-saphyr as before, which then words every message and applies every limit.
//!
//! Bounded: no recursion past [`MAX_DEPTH`], every byte looked at a bounded number of times.

mod block;
mod block_scalar;
mod keys;
mod scalar;
mod typing;

use serde_json::Value;

use super::decode::{decode_object, Pos, Read};
use super::parse::{parse_documents, Parsed};
use super::sink::{add_parsed, Sink};
use super::stream::Doc;
use block::{give_up, Nested, Parser};

/// Collections nested deeper than this are left to serde-saphyr (whose limit is
/// [`super::parse::MAX_YAML_DEPTH`]); Kubernetes objects nest about a dozen levels.
pub const MAX_DEPTH: usize = 40;

/// Why the fast reader left a file to serde-saphyr, and where (a byte offset): never shown to
/// users (serde-saphyr says what is wrong, if anything is); for tests and debug logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiveUp {
    pub reason: &'static str,
    pub at: usize,
}

pub(crate) type Fast<T> = Result<T, GiveUp>;

/// The documents of a file, List items decoded as they are read (as [`super::stream`] does
/// through serde-saphyr), empty documents dropped.
pub(super) fn documents(text: &str) -> Fast<Vec<Doc>> {
    Parser::new(text)?.stream(list_document)
}

/// The documents of a file as whole values, empty ones dropped: what
/// [`super::parse::parse_documents`] returns for the same text, or a reason to give up.
pub fn values(text: &str) -> Fast<Vec<Value>> {
    Parser::new(text)?.stream(|p, first, end| {
        let mut map = serde_json::Map::new();
        p.mapping_into(0, first, end, 1, &mut map)?;
        Ok(Value::Object(map))
    })
}

/// A top-level mapping the way [`super::stream::Doc`]'s visitor reads it: a `…List`'s
/// `items` decoded one by one, anything else kept whole.
fn list_document(p: &mut Parser<'_>, first: usize, end: usize) -> Fast<Doc> {
    let mut rest = serde_json::Map::new();
    let mut items: Option<Vec<Read>> = None;
    let mut saw_items = false;
    p.mapping_with(0, first, end, 1, &mut |p, key, after, end| {
        if key != "items" {
            let v = p.value(after, end, 0, 1)?;
            return match rest.insert(key, v) {
                None => Ok(()),
                Some(_) => Err(give_up("duplicate key", after)),
            };
        }
        if saw_items {
            return Err(give_up("duplicate key", after));
        }
        saw_items = true;
        items = match p.nested_after_key(after, end, 0)? {
            Nested::Inline(at) => match p.inline(at, end, 0)? {
                Value::Null => None,
                Value::Array(a) if a.is_empty() => Some(Vec::new()),
                _ => return Err(give_up("items that are not a sequence", at)),
            },
            Nested::Empty => None,
            Nested::Sequence(n) => {
                let mut out = Vec::new();
                p.sequence(n, 2, &mut |_, v, at| {
                    if !v.is_object() {
                        return Err(give_up("a List item that is not an object", at));
                    }
                    // As in `stream`: the plain path reports the item's error with its place.
                    match decode_object(v, "", Pos::default()) {
                        Ok(read) => {
                            out.push(read);
                            Ok(())
                        }
                        Err(_) => Err(give_up("a List item the gate cannot read", at)),
                    }
                })?;
                Some(out)
            }
            Nested::Mapping(_, at, _) => {
                return Err(give_up("items that are not a sequence", at));
            }
        };
        Ok(())
    })?;
    if !saw_items {
        return Ok(Doc::Whole(Value::Object(rest)));
    }
    match rest.get("kind").and_then(Value::as_str) {
        Some(kind) if kind.ends_with("List") => Ok(Doc::List(items.unwrap_or_default())),
        _ => Err(give_up("items in a document that is not a List", 0)),
    }
}

/// Checks the fast reader against serde-saphyr on `text` (the differential tests and fuzz
/// target): `Ok(true)` when the fast reader took it and both read the same values and the same
/// objects, `Ok(false)` when it gave up, `Err` saying what differs.
pub fn differential(text: &str) -> Result<bool, String> {
    const FILE: &str = "differential.yaml";
    let objects = |parsed: Result<Parsed, _>| -> Result<String, String> {
        let mut sink = Sink::default();
        parsed
            .and_then(|p| add_parsed(p, FILE, &mut sink))
            .map_err(|e: super::SnapshotError| e.to_string())?;
        Ok(format!("{:?} skipped {:?}", sink.objects, sink.skipped))
    };
    let plain = parse_documents(text, FILE);
    let mut took = false;
    if let Ok(fast) = values(text) {
        took = true;
        let slow = plain
            .as_ref()
            .map_err(|e| format!("the fast reader read what serde-saphyr refuses: {e}"))?;
        let (a, b) = (json(&fast)?, json(slow)?);
        if a != b {
            return Err(format!("values differ:\nfast:  {a}\nplain: {b}"));
        }
    }
    if let Ok(docs) = documents(text) {
        took = true;
        let fast = objects(Ok(Parsed::Streamed(docs)));
        let slow = objects(parse_documents(text, FILE).map(Parsed::Plain));
        if fast != slow {
            return Err(format!("objects differ:\nfast:  {fast:?}\nplain: {slow:?}"));
        }
    }
    Ok(took)
}

/// Key order included (serde_json's maps compare without it).
fn json(v: &[Value]) -> Result<String, String> {
    serde_json::to_string(v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod gen_tests;
