//! Loads a snapshot: files exported with `oc get … -o yaml|json` into [`ClusterObjects`].
//!
//! A path is a file or a directory (walked recursively, sorted, `*.yaml|*.yml|*.json`). A file
//! holds one object, a `List`, or several YAML documents. Unknown kinds are skipped; a file that
//! does not parse, or an object of a known kind that cannot be read, is an error naming the file,
//! the object and the line or field, because a half-read snapshot would give wrong facts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;
use thiserror::Error;

use super::objects::{ClusterObjects, Provenance};

/// Why a snapshot cannot be used.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot path {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: not valid {format}: {message}")]
    Syntax {
        file: String,
        line: u64,
        column: u64,
        format: &'static str,
        message: String,
    },
    #[error("{file}: {object}: field `{field}`: {message}")]
    Invalid {
        file: String,
        object: String,
        field: String,
        message: String,
    },
    #[error("snapshot {paths}: {detail}; export objects with e.g. `oc get is,istag,dc,rolebindings -n dev -o yaml > dev.yaml`")]
    Empty { paths: String, detail: String },
}

/// Loads every object the gate reads from the given files and directories.
pub fn load(paths: &[PathBuf]) -> Result<ClusterObjects, SnapshotError> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let mut sink = Sink::default();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|source| SnapshotError::Io {
            path: f.clone(),
            source,
        })?;
        load_text(&text, &f.display().to_string(), &mut sink)?;
    }
    let shown = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if sink.objects.is_empty() {
        let detail = if files.is_empty() {
            "no .yaml, .yml or .json files found".to_string()
        } else if sink.skipped.is_empty() {
            format!("{} file(s) but no objects in them", files.len())
        } else {
            format!(
                "{} file(s) but none of the kinds the gate reads (found only: {})",
                files.len(),
                sink.skipped.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        return Err(SnapshotError::Empty {
            paths: shown,
            detail,
        });
    }
    sink.objects.origin = format!("snapshot {shown}");
    sink.objects.provenance = Provenance::Snapshot;
    tracing::debug!(
        objects = sink.objects.len(),
        files = files.len(),
        "snapshot loaded"
    );
    Ok(sink.objects)
}

fn is_snapshot_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        // A file named explicitly is read whatever its extension.
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect(&e, out)?;
        } else if is_snapshot_file(&e) {
            out.push(e);
        }
    }
    Ok(())
}

/// Accumulates objects, dropping exact duplicates (the same object exported twice).
#[derive(Default)]
struct Sink {
    objects: ClusterObjects,
    seen: BTreeSet<(String, String, String)>,
    skipped: BTreeSet<String>,
}

/// Parses one file's text; `file` names it in errors.
fn load_text(text: &str, file: &str, sink: &mut Sink) -> Result<(), SnapshotError> {
    let docs = parse_documents(text, file)?;
    let single = docs.len() == 1;
    for (d, doc) in docs.into_iter().enumerate() {
        let here = if single {
            String::new()
        } else {
            format!("document {}", d + 1)
        };
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        let is_list = kind == "List" || (kind.ends_with("List") && doc.get("items").is_some());
        if is_list {
            let items = match doc.get("items") {
                Some(Value::Array(items)) => items.clone(),
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

fn parse_documents(text: &str, file: &str) -> Result<Vec<Value>, SnapshotError> {
    let docs = if file.ends_with(".json") {
        let v: Value = serde_json::from_str(text).map_err(|e| SnapshotError::Syntax {
            file: file.into(),
            line: e.line() as u64,
            column: e.column() as u64,
            format: "JSON",
            message: e.to_string(),
        })?;
        vec![v]
    } else {
        serde_saphyr::from_multiple::<Value>(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            SnapshotError::Syntax {
                file: file.into(),
                line,
                column,
                format: "YAML",
                message: e.to_string(),
            }
        })?
    };
    // `---` with nothing after it yields an empty document; it holds no object.
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
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
    let key = (kind.clone(), ns.unwrap_or_default(), name);
    if !sink.seen.insert(key.clone()) {
        tracing::debug!(file, ?key, "skipping a duplicate object");
        return Ok(());
    }
    let o = &mut sink.objects;
    match kind.as_str() {
        "ImageStream" => o.streams.push(decode(&v, &invalid)?),
        "ImageStreamTag" => o.istags.push(decode(&v, &invalid)?),
        "ImageStreamImage" => o.isimages.push(decode(&v, &invalid)?),
        "Image" => o.images.push(decode(&v, &invalid)?),
        "DeploymentConfig" => o.dcs.push(decode(&v, &invalid)?),
        "Deployment" => o.deployments.push(decode(&v, &invalid)?),
        "ReplicationController" => o.rcs.push(decode(&v, &invalid)?),
        "RoleBinding" => o.rolebindings.push(decode(&v, &invalid)?),
        "ClusterRoleBinding" => o.clusterrolebindings.push(decode(&v, &invalid)?),
        "ClusterRole" => o.clusterroles.push(decode(&v, &invalid)?),
        _ => o.roles.push(decode(&v, &invalid)?),
    }
    Ok(())
}

/// Decodes with the failing field's path, e.g. `spec.triggers[1].imageChangeParams.from.name`.
fn decode<T: DeserializeOwned>(
    v: &Value,
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

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
