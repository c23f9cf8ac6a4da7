//! Loading `oc get -o yaml|json` output (single objects, Lists, multi-document files, directories).

use std::path::Path;

use serde_json::{json, Value};

use super::imageutil::{add_tag_event, default_stream, spec_tag, status_tag};
use super::rollouts::new_rc;
use super::store::Store;
use super::types::{arr_mut, by_kind, meta_str, res, str_at, ResourceType};

/// What a seeding call loaded; unknown kinds are skipped (and named) rather than failing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SeedReport {
    pub loaded: usize,
    pub skipped: Vec<String>,
}

/// Splits a YAML or JSON text into object documents, flattening `kind: List`.
pub fn parse_docs(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> = if text.trim_start().starts_with('{') {
        vec![serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))?]
    } else {
        serde_saphyr::from_multiple(text).map_err(|e| format!("YAML: {e}"))?
    };
    let mut out = Vec::new();
    for doc in docs {
        if doc.is_null() {
            continue;
        }
        if doc["kind"]
            .as_str()
            .is_some_and(|k| k == "List" || k.ends_with("List"))
            && doc["items"].is_array()
        {
            out.extend(doc["items"].as_array().cloned().unwrap_or_default());
        } else {
            out.push(doc);
        }
    }
    Ok(out)
}

/// Every `*.yaml`, `*.yml`, `*.json` file under `dir` (recursively), in path order.
pub fn read_dir_docs(dir: &Path) -> Result<Vec<Value>, String> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        docs.extend(parse_docs(&text).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    Ok(docs)
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Seeding order: roles and images before streams, streams before tags, all before controllers
/// look at DeploymentConfigs.
fn rank(kind: &str) -> u8 {
    match kind {
        "ClusterRole" | "Role" | "Image" | "Namespace" => 0,
        "ImageStream" => 1,
        "ImageStreamTag" | "ImageStreamImage" => 2,
        _ => 3,
    }
}

/// Loads documents into the store. DeploymentConfigs whose latest RC is not in the seed get a
/// synthesized, completed `<dc>-<latestVersion>` so a snapshot looks settled.
pub fn seed_docs(store: &mut Store, mut docs: Vec<Value>) -> SeedReport {
    docs.sort_by_key(|d| rank(str_at(d, "/kind")));
    let mut report = SeedReport::default();
    for doc in docs {
        let kind = str_at(&doc, "/kind").to_string();
        let Some(t) = by_kind(str_at(&doc, "/apiVersion"), &kind) else {
            report
                .skipped
                .push(format!("{kind} {}", meta_str(&doc, "name")));
            continue;
        };
        match kind.as_str() {
            "ImageStreamTag" => seed_istag(store, &doc),
            "ImageStreamImage" => seed_image(store, &doc["image"]),
            "ImageStream" => {
                let mut doc = doc;
                default_stream(&mut doc);
                store.seed(&t, doc);
            }
            _ => {
                store.seed(&t, doc);
            }
        }
        report.loaded += 1;
    }
    synthesize_rcs(store);
    report
}

fn image_type() -> ResourceType {
    by_kind("image.openshift.io/v1", "Image").unwrap_or(super::types::ISTAG)
}

fn stream_type() -> ResourceType {
    by_kind("image.openshift.io/v1", "ImageStream").unwrap_or(super::types::ISTAG)
}

fn seed_image(store: &mut Store, image: &Value) {
    let name = meta_str(image, "name");
    if name.is_empty() || store.get(res::IMAGES, "", name).is_some() {
        return;
    }
    let mut img = image.clone();
    if let Some(a) = img["metadata"]["annotations"].as_object_mut() {
        // Spec-tag annotations are copied into ISTag images; they are not the Image's own.
        a.retain(|k, _| {
            k.starts_with("image.openshift.io/") || k.starts_with("openshift.io/image")
        });
    }
    store.seed(&image_type(), img);
}

/// An `oc get istag -o yaml` document: its image becomes an Image, and the stream gains the
/// tag (spec tag if `tag` is set, status event for the image) unless it already has them.
fn seed_istag(store: &mut Store, doc: &Value) {
    let ns = meta_str(doc, "namespace").to_string();
    let full = meta_str(doc, "name").to_string();
    let Some((stream_name, tag)) = full.split_once(':') else {
        return;
    };
    seed_image(store, &doc["image"]);
    let mut stream = store.get(res::IMAGESTREAMS, &ns, stream_name).cloned().unwrap_or_else(|| {
        json!({
            "metadata": { "name": stream_name, "namespace": ns, "labels": doc["metadata"]["labels"].clone() },
            "spec": { "lookupPolicy": doc["lookupPolicy"].clone() },
        })
    });
    default_stream(&mut stream);
    if doc["tag"].is_object() && spec_tag(&stream, tag).is_none() {
        arr_mut(&mut stream["spec"], "tags").push(doc["tag"].clone());
    }
    let digest = meta_str(&doc["image"], "name");
    let known = status_tag(&stream, tag)
        .and_then(|t| t["items"].as_array())
        .is_some_and(|items| items.iter().any(|i| i["image"] == digest));
    if !digest.is_empty() && !known {
        let created = match &doc["metadata"]["creationTimestamp"] {
            Value::String(s) => json!(s),
            _ => json!(super::types::now()),
        };
        let generation = doc["generation"].as_i64().unwrap_or(1);
        let event = json!({
            "created": created,
            "dockerImageReference": str_at(doc, "/image/dockerImageReference"),
            "image": digest,
            "generation": generation,
        });
        add_tag_event(&mut stream, tag, event);
    }
    store.seed(&stream_type(), stream);
}

fn synthesize_rcs(store: &mut Store) {
    let Some(rc_type) = by_kind("v1", "ReplicationController") else {
        return;
    };
    for (ns, name) in store.keys(res::DEPLOYMENTCONFIGS) {
        let Some(dc) = store.get(res::DEPLOYMENTCONFIGS, &ns, &name).cloned() else {
            continue;
        };
        let version = dc["status"]["latestVersion"].as_i64().unwrap_or(0);
        let rc_name = format!("{name}-{version}");
        if version == 0 {
            continue;
        }
        match store
            .get(res::REPLICATIONCONTROLLERS, &ns, &rc_name)
            .cloned()
        {
            None => {
                store.seed(&rc_type, new_rc(&dc, version, "Complete"));
            }
            // An abbreviated export (no template, no encoded spec) is taken to run what the DC
            // says, so the controllers do not mistake the snapshot for a pending change.
            Some(mut rc) if !rc["spec"]["template"].is_object() => {
                let full = new_rc(&dc, version, "Complete");
                rc["spec"]["template"] = full["spec"]["template"].clone();
                let encoded = &mut rc["metadata"]["annotations"][super::rollouts::ANN_ENCODED];
                let has_spec = encoded
                    .as_str()
                    .and_then(|e| serde_json::from_str::<Value>(e).ok())
                    .is_some_and(|e| e["spec"].is_object());
                if !has_spec {
                    *encoded = json!(dc.to_string());
                }
                store.seed(&rc_type, rc);
            }
            Some(_) => {}
        }
    }
}

/// What a build push does (ImageStreamMapping): the Image is stored, `tag` gains an event with the
/// integrated-registry pull spec, and spec tags tracking `<stream>:<tag>` follow it (UpdateTrackingTags).
pub fn push_image(store: &mut Store, ns: &str, stream_name: &str, tag: &str, image: Value) {
    let digest = meta_str(&image, "name").to_string();
    let pull = super::imageutil::pull_spec(ns, stream_name, &digest);
    let mut image = image;
    image["dockerImageReference"] = json!(pull);
    if store.get(res::IMAGES, "", &digest).is_none() {
        store.seed(&image_type(), image);
    }
    let mut stream = store
        .get(res::IMAGESTREAMS, ns, stream_name)
        .cloned()
        .unwrap_or_else(
            || json!({ "metadata": { "name": stream_name, "namespace": ns }, "spec": {} }),
        );
    default_stream(&mut stream);
    let generation = stream["metadata"]["generation"].as_i64().unwrap_or(1);
    let event = json!({ "created": super::types::now(), "dockerImageReference": pull, "image": digest, "generation": generation });
    add_tag_event(&mut stream, tag, event.clone());
    update_tracking_tags(&mut stream, ns, stream_name, tag, &event);
    match store.get(res::IMAGESTREAMS, ns, stream_name) {
        Some(_) => store.put(&stream_type(), stream),
        None => store.seed(&stream_type(), stream),
    };
}

/// UpdateTrackingTags: spec tags that follow `<stream>:<tag>` (an alias, `oc tag --alias`) get
/// the same event as `tag`, in the same write; no request names them.
pub fn update_tracking_tags(
    stream: &mut Value,
    ns: &str,
    stream_name: &str,
    tag: &str,
    event: &Value,
) {
    let tracking: Vec<String> = stream["spec"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| {
            t["from"]["kind"] == "ImageStreamTag"
                && (t["from"]["namespace"].is_null() || t["from"]["namespace"] == ns)
                && (t["from"]["name"] == format!("{stream_name}:{tag}") || t["from"]["name"] == tag)
        })
        .map(|t| str_at(t, "/name").to_string())
        .collect();
    for t in tracking {
        add_tag_event(stream, &t, event.clone());
    }
}
