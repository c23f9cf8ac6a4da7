//! Objects into [`ClusterObjects`]: each document of a file checked for the kinds the gate
//! reads, decoded into its slim type, and kept once — a second object under a name already
//! seen is dropped when it is the same export, and an error when it differs.

use std::collections::{BTreeSet, HashMap};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{parse, SnapshotError};
use crate::gather::objects::ClusterObjects;

/// Where an object was first seen and where it is kept (its index in the list of its kind),
/// to tell an object exported twice (kept once) from two different objects under one name
/// (an error).
struct Seen {
    at: String,
    index: usize,
}

/// Accumulates the objects of a snapshot's files, dropping exact duplicates (the same object
/// exported twice); what [`load_with`] fills file by file with [`load_text`].
#[derive(Default)]
pub struct Sink {
    pub(super) objects: ClusterObjects,
    seen: HashMap<(String, String, String), Seen>,
    pub(super) skipped: BTreeSet<String>,
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

/// Decodes `v` and keeps it unless an object of the same name is already kept at `seen`.
fn keep<T: Exported>(
    list: &mut Vec<T>,
    v: Value,
    seen: Option<usize>,
    invalid: &dyn Fn(String, String) -> SnapshotError,
) -> Result<Kept, SnapshotError> {
    let item: T = decode(v, invalid)?;
    match seen.and_then(|i| list.get(i)) {
        Some(first) if same(first, &item) => Ok(Kept::Same),
        Some(_) => Ok(Kept::Different),
        None => {
            list.push(item);
            Ok(Kept::New(list.len() - 1))
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
    add_documents(parse::parse_documents(text, file)?, file, sink)
}

/// Adds the objects of one file's documents; `file` names it in errors.
pub(super) fn add_documents(
    docs: Vec<Value>,
    file: &str,
    sink: &mut Sink,
) -> Result<(), SnapshotError> {
    let single = docs.len() == 1;
    for (d, mut doc) in docs.into_iter().enumerate() {
        let here = if single {
            String::new()
        } else {
            format!("document {}", d + 1)
        };
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        let is_list = kind == "List" || (kind.ends_with("List") && doc.get("items").is_some());
        if is_list {
            // Taken, not copied: a List is most of a big export.
            let items = match doc.get_mut("items").map(Value::take) {
                Some(Value::Array(items)) => items,
                None | Some(Value::Null) => vec![],
                Some(_) => {
                    return Err(SnapshotError::Invalid {
                        file: file.into(),
                        object: describe_pos(&here, "a List"),
                        field: "items".into(),
                        message: "is not a list".into(),
                    })
                }
            };
            for (i, item) in items.into_iter().enumerate() {
                let pos = if here.is_empty() {
                    format!("List item {}", i + 1)
                } else {
                    format!("{here}, List item {}", i + 1)
                };
                if !item.is_object() {
                    return Err(SnapshotError::Invalid {
                        file: file.into(),
                        object: describe_pos(&here, "a List"),
                        field: format!("items[{i}]"),
                        message: format!("is {}, not an object", json_type(&item)),
                    });
                }
                add_object(item, file, &pos, sink)?;
            }
        } else {
            add_object(doc, file, &here, sink)?;
        }
    }
    Ok(())
}

fn describe_pos(pos: &str, what: &str) -> String {
    if pos.is_empty() {
        what.to_string()
    } else {
        format!("{what} ({pos})")
    }
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

/// Kinds the gate reads, and whether they live in a namespace.
const KINDS: &[(&str, bool)] = &[
    ("ImageStream", true),
    ("ImageStreamTag", true),
    ("ImageStreamImage", true),
    ("Image", false),
    ("DeploymentConfig", true),
    ("Deployment", true),
    ("ReplicationController", true),
    ("ReplicaSet", true),
    ("RoleBinding", true),
    ("ClusterRoleBinding", false),
    ("ClusterRole", false),
    ("Role", true),
];

fn add_object(v: Value, file: &str, pos: &str, sink: &mut Sink) -> Result<(), SnapshotError> {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(&(_, namespaced)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        tracing::debug!(file, kind = %kind, "skipping an object of a kind the gate does not read");
        sink.skipped.insert(if kind.is_empty() {
            "objects without kind".into()
        } else {
            kind
        });
        return Ok(());
    };
    let meta_str = |key: &str| {
        v.get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let name = meta_str("name");
    let object = match &name {
        Some(n) => describe_pos(pos, &format!("{kind} `{n}`")),
        None if pos.is_empty() => kind.clone(),
        None => format!("{kind} at {pos}"),
    };
    let invalid = |field: String, message: String| SnapshotError::Invalid {
        file: file.into(),
        object: object.clone(),
        field,
        message,
    };
    let Some(name) = name else {
        return Err(invalid("metadata.name".into(), "is missing".into()));
    };
    let ns = meta_str("namespace");
    if namespaced && ns.is_none() {
        return Err(invalid(
            "metadata.namespace".into(),
            "is missing (export with `oc get … -o yaml`, which writes it)".into(),
        ));
    }
    // Keyed by kind, not API group: the gate reads a kind the same from either group (e.g.
    // `v1` and `apps.openshift.io/v1` DeploymentConfigs), so two of them would be ambiguous.
    let key = (kind.clone(), ns.unwrap_or_default(), name);
    let at = if pos.is_empty() {
        file.to_string()
    } else {
        format!("{file} ({pos})")
    };
    let seen = sink.seen.get(&key).map(|s| s.index);
    let o = &mut sink.objects;
    let kept = match kind.as_str() {
        "ImageStream" => keep(&mut o.streams, v, seen, &invalid)?,
        "ImageStreamTag" => keep(&mut o.istags, v, seen, &invalid)?,
        "ImageStreamImage" => keep(&mut o.isimages, v, seen, &invalid)?,
        "Image" => keep(&mut o.images, v, seen, &invalid)?,
        "DeploymentConfig" => keep(&mut o.dcs, v, seen, &invalid)?,
        "Deployment" => keep(&mut o.deployments, v, seen, &invalid)?,
        "ReplicationController" => keep(&mut o.rcs, v, seen, &invalid)?,
        "ReplicaSet" => keep(&mut o.replicasets, v, seen, &invalid)?,
        "RoleBinding" => keep(&mut o.rolebindings, v, seen, &invalid)?,
        "ClusterRoleBinding" => keep(&mut o.clusterrolebindings, v, seen, &invalid)?,
        "ClusterRole" => keep(&mut o.clusterroles, v, seen, &invalid)?,
        _ => keep(&mut o.roles, v, seen, &invalid)?,
    };
    match kept {
        Kept::New(index) => {
            sink.seen.insert(key, Seen { at, index });
        }
        Kept::Same => tracing::debug!(file, ?key, "skipping an object exported twice"),
        Kept::Different => {
            let first = sink
                .seen
                .get(&key)
                .map(|s| s.at.clone())
                .unwrap_or_default();
            let (kind, ns, name) = key;
            return Err(SnapshotError::Conflict {
                object: if ns.is_empty() {
                    format!("{kind} `{name}`")
                } else {
                    format!("{kind} `{ns}/{name}`")
                },
                first,
                second: at,
            });
        }
    }
    Ok(())
}

/// Decodes with the failing field's path, e.g. `spec.triggers[1].imageChangeParams.from.name`.
fn decode<T: DeserializeOwned>(
    v: Value,
    invalid: &dyn Fn(String, String) -> SnapshotError,
) -> Result<T, SnapshotError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names a missing field in the message, at its parent's path: join them.
        if let Some(field) = inner
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            let full = if path == "." {
                field.to_string()
            } else {
                format!("{path}.{field}")
            };
            invalid(full, "is missing".into())
        } else {
            invalid(path, inner)
        }
    })
}
