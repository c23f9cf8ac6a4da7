//! Objects into [`ClusterObjects`]: each document of a file checked for the kinds the gate
//! reads, decoded into its slim type, and kept once — a second object under a name already
//! seen is dropped when it is the same export, and an error when it differs.

use std::collections::{BTreeSet, HashMap};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::decode::{decode_object, Decoded, Object, Pos, Read, KINDS};
use super::parse::{self, Parsed};
use super::stream::Doc;
use super::SnapshotError;
use crate::gather::objects::ClusterObjects;

/// Where an object was first seen (a file by its index in `Sink::files`, and the position in
/// it) and where it is kept (its index in the list of its kind), to tell an object exported
/// twice (kept once) from two different objects under one name (an error).
struct Seen {
    file: usize,
    pos: Pos,
    index: usize,
    /// What was dropped from it (bindings), compared as well.
    dropped: Option<super::fast_rbac::Dropped>,
}

/// Accumulates the objects of a snapshot's files, dropping exact duplicates (the same object
/// exported twice); what [`load_with`] fills file by file with [`load_text`].
#[derive(Default)]
pub struct Sink {
    pub(super) objects: ClusterObjects,
    /// Keyed by (index into `KINDS`, namespace, name).
    seen: HashMap<(usize, String, String), Seen>,
    pub(super) skipped: BTreeSet<String>,
    /// The files added so far, in order; `Seen` names one by its index.
    files: Vec<String>,
}

/// The object types a snapshot holds: decoded once, compared only when a name repeats.
trait Exported: DeserializeOwned + PartialEq + serde::Serialize {}

impl<T: DeserializeOwned + PartialEq + serde::Serialize> Exported for T {}

/// What became of an object that was added.
enum Kept {
    /// First of its name: kept at this index.
    New(usize),
    /// The same object again: dropped.
    Same,
    /// Another object under a name already seen.
    Different,
}

/// Two objects are the same export when every field but `apiVersion` is equal (one object read
/// through two API groups is still one object). Only called when a name repeats.
fn same<T: Exported>(a: &T, b: &T) -> bool {
    if a == b {
        return true;
    }
    let strip = |x: &T| {
        let mut v = serde_json::to_value(x).ok()?;
        v.as_object_mut()?.remove("apiVersion");
        Some(v)
    };
    matches!((strip(a), strip(b)), (Some(x), Some(y)) if x == y)
}

/// Keeps `item` unless an object of the same name is already kept at `seen`.
fn keep<T: Exported>(list: &mut Vec<T>, item: T, seen: Option<usize>) -> Kept {
    match seen.and_then(|i| list.get(i)) {
        Some(first) if same(first, &item) => Kept::Same,
        Some(_) => Kept::Different,
        None => {
            list.push(item);
            Kept::New(list.len() - 1)
        }
    }
}

impl Sink {
    /// The objects read so far.
    pub fn objects(&self) -> &ClusterObjects {
        &self.objects
    }
}

/// Parses one file's text into `sink` — the path every snapshot file takes ([`load_with`]
/// parses in parallel, then adds in order); `file` names it in errors, and its extension says
/// JSON (`.json`) or YAML (anything else). Public for the fuzz targets.
pub fn load_text(text: &str, file: &str, sink: &mut Sink) -> Result<(), SnapshotError> {
    add_parsed(parse::parse_file(text, file)?, file, sink)
}

/// Adds the objects of one parsed file; `file` names it in errors.
pub(super) fn add_parsed(parsed: Parsed, file: &str, sink: &mut Sink) -> Result<(), SnapshotError> {
    match parsed {
        Parsed::Streamed(docs) => add_streamed(docs, file, sink),
        Parsed::Plain(docs) => add_documents(docs, file, sink),
    }
}

/// Adds the documents of a file read the fast way (List items already decoded).
fn add_streamed(docs: Vec<Doc>, file: &str, sink: &mut Sink) -> Result<(), SnapshotError> {
    let single = docs.len() == 1;
    let f = sink.file_index(file);
    for (d, doc) in docs.into_iter().enumerate() {
        let doc_pos = (!single).then_some(d + 1);
        match doc {
            Doc::Whole(v) => add_whole(v, file, f, doc_pos, sink)?,
            Doc::List(items) => {
                reserve(&mut sink.objects, &items);
                for (i, read) in items.into_iter().enumerate() {
                    let pos = Pos {
                        doc: doc_pos,
                        item: Some(i + 1),
                    };
                    insert(read, file, f, pos, sink)?;
                }
            }
        }
    }
    Ok(())
}

/// Adds the objects of one file's documents read whole; `file` names it in errors.
fn add_documents(docs: Vec<Value>, file: &str, sink: &mut Sink) -> Result<(), SnapshotError> {
    let single = docs.len() == 1;
    let f = sink.file_index(file);
    for (d, doc) in docs.into_iter().enumerate() {
        add_whole(doc, file, f, (!single).then_some(d + 1), sink)?;
    }
    Ok(())
}

/// Adds one document read whole: a List's items, or the document itself.
fn add_whole(
    mut doc: Value,
    file: &str,
    f: usize,
    doc_pos: Option<usize>,
    sink: &mut Sink,
) -> Result<(), SnapshotError> {
    let here = Pos {
        doc: doc_pos,
        item: None,
    };
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    let is_list = kind == "List" || (kind.ends_with("List") && doc.get("items").is_some());
    if !is_list {
        return insert(decode_object(doc, file, here)?, file, f, here, sink);
    }
    // Taken, not copied: a List is most of a big export.
    let items = match doc.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => vec![],
        Some(_) => {
            return Err(SnapshotError::Invalid {
                file: file.into(),
                object: here.describe("a List"),
                field: "items".into(),
                message: "is not a list".into(),
            })
        }
    };
    for (i, item) in items.into_iter().enumerate() {
        let pos = Pos {
            doc: doc_pos,
            item: Some(i + 1),
        };
        if !item.is_object() {
            return Err(SnapshotError::Invalid {
                file: file.into(),
                object: here.describe("a List"),
                field: format!("items[{i}]"),
                message: format!("is {}, not an object", json_type(&item)),
            });
        }
        insert(decode_object(item, file, pos)?, file, f, pos, sink)?;
    }
    Ok(())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Makes room for a List's objects at once: a list of 100,000 bindings grown by doubling
/// copies itself again and again, and each copy touches fresh memory.
fn reserve(o: &mut ClusterObjects, items: &[Read]) {
    let mut counts = [0usize; KINDS.len()];
    for r in items {
        if let Read::Object(d) = r {
            if let Some(c) = counts.get_mut(d.kind) {
                *c += 1;
            }
        }
    }
    o.streams.reserve(counts[0]);
    o.istags.reserve(counts[1]);
    o.isimages.reserve(counts[2]);
    o.images.reserve(counts[3]);
    o.dcs.reserve(counts[4]);
    o.deployments.reserve(counts[5]);
    o.rcs.reserve(counts[6]);
    o.replicasets.reserve(counts[7]);
    o.rolebindings.reserve(counts[8]);
    o.clusterrolebindings.reserve(counts[9]);
    o.clusterroles.reserve(counts[10]);
    o.roles.reserve(counts[11]);
}

impl Sink {
    /// The index `Seen` names `file` by.
    fn file_index(&mut self, file: &str) -> usize {
        if self.files.last().map(String::as_str) != Some(file) {
            self.files.push(file.to_string());
        }
        self.files.len() - 1
    }

    /// `file (position)`, as conflicts name where an object was seen.
    fn at(&self, file: usize, pos: Pos) -> String {
        let name = self.files.get(file).map_or("", String::as_str);
        if pos.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({pos})")
        }
    }
}

/// Keeps one object read at `pos` of file `f` (`file`) unless it is there already.
fn insert(
    read: Read,
    file: &str,
    f: usize,
    pos: Pos,
    sink: &mut Sink,
) -> Result<(), SnapshotError> {
    let Decoded {
        kind,
        namespace,
        name,
        object,
        dropped,
    } = match read {
        Read::Skipped(kind) => {
            sink.skipped.insert(kind);
            return Ok(());
        }
        Read::Object(d) => *d,
    };
    let key = (kind, namespace, name);
    let first = sink.seen.get(&key).map(|s| (s.index, s.dropped));
    let seen = first.map(|(index, _)| index);
    let o = &mut sink.objects;
    let kept = match object {
        Object::Stream(x) => keep(&mut o.streams, x, seen),
        Object::IsTag(x) => keep(&mut o.istags, x, seen),
        Object::IsImage(x) => keep(&mut o.isimages, x, seen),
        Object::Image(x) => keep(&mut o.images, x, seen),
        Object::Dc(x) => keep(&mut o.dcs, x, seen),
        Object::Deployment(x) => keep(&mut o.deployments, x, seen),
        Object::Rc(x) => keep(&mut o.rcs, x, seen),
        Object::ReplicaSet(x) => keep(&mut o.replicasets, x, seen),
        Object::RoleBinding(x) => keep(&mut o.rolebindings, x, seen),
        Object::ClusterRoleBinding(x) => keep(&mut o.clusterrolebindings, x, seen),
        Object::ClusterRole(x) => keep(&mut o.clusterroles, x, seen),
        Object::Role(x) => keep(&mut o.roles, x, seen),
    };
    // Equal kept fields are the same object only if what was dropped was equal too.
    let kept = match (kept, first) {
        (Kept::Same, Some((_, d))) if d != dropped => Kept::Different,
        (k, _) => k,
    };
    match kept {
        Kept::New(index) => {
            sink.seen.insert(
                key,
                Seen {
                    file: f,
                    pos,
                    index,
                    dropped,
                },
            );
        }
        Kept::Same => tracing::debug!(file, ?key, "skipping an object exported twice"),
        Kept::Different => {
            let first = sink
                .seen
                .get(&key)
                .map(|s| sink.at(s.file, s.pos))
                .unwrap_or_default();
            let (kind, ns, name) = key;
            let kind = KINDS[kind].0;
            return Err(SnapshotError::Conflict {
                object: if ns.is_empty() {
                    format!("{kind} `{name}`")
                } else {
                    format!("{kind} `{ns}/{name}`")
                },
                first,
                second: sink.at(f, pos),
            });
        }
    }
    Ok(())
}
