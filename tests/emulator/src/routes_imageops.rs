//! image.openshift.io writes that only create: ImageStreamMappings (a build or registry push)
//! and ImageStreamImports (`oc import-image`), against a test-seeded "external registry".

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::imageutil::{add_tag_event, apply_spec_changes, default_stream, image_for, spec_tag};
use super::routes::Reply;
use super::routes_image::stream_type;
use super::seed::update_tracking_tags;
use super::store::Store;
use super::types::{
    arr_mut, by_key, meta_str, now, obj_mut_value, res, str_at, ISIMPORT, ISMAPPING,
};

fn image_type() -> super::types::ResourceType {
    by_key(res::IMAGES).unwrap_or(ISMAPPING)
}

/// Stores `image` unless an Image of that digest exists (images are immutable and shared).
fn store_image(store: &mut Store, mut image: Value) -> ApiResult<()> {
    if store
        .get(res::IMAGES, "", meta_str(&image, "name"))
        .is_some()
    {
        return Ok(());
    }
    if let Some(m) = image["metadata"].as_object_mut() {
        for k in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "namespace",
        ] {
            m.remove(k);
        }
    }
    store.create(&image_type(), "", image).map(|_| ())
}

/// POST imagestreammappings: the Image is stored if new, `tag` gains a history event (spec tags
/// are not touched) and tags tracking it follow. Answers a `Status` Success, as the server does.
pub fn create_mapping(store: &mut Store, body: &Value, ns: &str) -> ApiResult<Reply> {
    let stream_name = meta_str(body, "name");
    let tag = body["tag"].as_str().unwrap_or("");
    let digest = meta_str(&body["image"], "name");
    let pull = str_at(body, "/image/dockerImageReference");
    for (field, value) in [
        ("metadata.name", stream_name),
        ("tag", tag),
        ("image.metadata.name", digest),
        ("image.dockerImageReference", pull),
    ] {
        if value.is_empty() {
            return Err(ApiError::invalid(
                &ISMAPPING,
                stream_name,
                field,
                "Required value",
            ));
        }
    }
    let mut stream = store
        .get(res::IMAGESTREAMS, ns, stream_name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(&stream_type(), stream_name))?;
    store_image(store, body["image"].clone())?;
    let generation = stream["metadata"]["generation"].as_i64().unwrap_or(1);
    let event = json!({ "created": now(), "dockerImageReference": pull, "image": digest, "generation": generation });
    add_tag_event(&mut stream, tag, event.clone());
    update_tracking_tags(&mut stream, ns, stream_name, tag, &event);
    store.put(&stream_type(), stream);
    Ok((
        201,
        json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success" }),
    ))
}

/// `repo[:tag]` or `repo@digest` → (repository, tag, digest), a colon in the host's port kept.
fn split_pull_spec(pull: &str) -> (&str, &str, &str) {
    if let Some((repo, digest)) = pull.split_once('@') {
        return (repo, "", digest);
    }
    let name_start = pull.rfind('/').map_or(0, |i| i + 1);
    match pull[name_start..].rfind(':') {
        Some(i) => (&pull[..name_start + i], &pull[name_start + i + 1..], ""),
        None => (pull, "", ""),
    }
}

/// What the "registry" knows about a pull spec: (digest, pull spec by digest) or why not.
fn resolve(
    store: &Store,
    registry: &BTreeMap<String, String>,
    pull: &str,
) -> Result<(String, String), String> {
    let (repo, tag, digest) = split_pull_spec(pull);
    if !digest.is_empty() {
        return match store.get(res::IMAGES, "", digest) {
            Some(_) => Ok((digest.to_string(), pull.to_string())),
            None => Err(format!("{pull}: manifest unknown: manifest unknown")),
        };
    }
    let tag = if tag.is_empty() { "latest" } else { tag };
    registry
        .get(pull)
        .or_else(|| registry.get(&format!("{repo}:{tag}")))
        .map(|d| (d.clone(), format!("{repo}@{d}")))
        .ok_or_else(|| format!("{repo}:{tag}: manifest unknown: manifest unknown"))
}

/// One `spec.images[i]` after validation: (pull spec, destination tag).
fn requested(body: &Value, name: &str) -> ApiResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, img) in body["spec"]["images"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let kind = str_at(img, "/from/kind");
        let pull = str_at(img, "/from/name");
        if kind != "DockerImage" {
            return Err(ApiError::invalid(
                &ISIMPORT,
                name,
                &format!("spec.images[{i}].from.kind"),
                &format!("Unsupported value: {kind:?}: supported values: \"DockerImage\""),
            ));
        }
        if pull.is_empty() {
            return Err(ApiError::invalid(
                &ISIMPORT,
                name,
                &format!("spec.images[{i}].from.name"),
                "Required value",
            ));
        }
        let tag = match (str_at(img, "/to/name"), split_pull_spec(pull).1) {
            ("", "") => "latest",
            ("", t) => t,
            (to, _) => to,
        };
        out.push((pull.to_string(), tag.to_string()));
    }
    Ok(out)
}

/// POST imagestreamimports. With `spec.import: true` every image that resolves becomes the spec
/// tag `to.name` (`from: DockerImage <pull spec>`) with a history event; `false` only reports.
pub fn create_import(
    store: &mut Store,
    registry: &BTreeMap<String, String>,
    body: &Value,
    ns: &str,
) -> ApiResult<Reply> {
    let name = meta_str(body, "name").to_string();
    if name.is_empty() {
        return Err(ApiError::invalid(
            &ISIMPORT,
            "",
            "metadata.name",
            "Required value: name is required",
        ));
    }
    if !body["spec"]["repository"].is_null() {
        return Err(ApiError::invalid(
            &ISIMPORT,
            &name,
            "spec.repository",
            "Forbidden: the emulator imports single images only (spec.images)",
        ));
    }
    let wanted = requested(body, &name)?;
    let do_import = body["spec"]["import"] == true;
    let old = store.get(res::IMAGESTREAMS, ns, &name).cloned();
    let mut stream = old.clone().unwrap_or_else(|| {
        json!({ "metadata": { "name": name, "namespace": ns }, "spec": { "tags": [] }, "status": {} })
    });
    default_stream(&mut stream);
    let mut results = Vec::new();
    let mut imported = Vec::new();
    for (i, (pull, tag)) in wanted.iter().enumerate() {
        match resolve(store, registry, pull) {
            Ok((digest, by_digest)) => {
                let img = &body["spec"]["images"][i];
                let mut tagref = json!({
                    "name": tag, "annotations": null,
                    "from": { "kind": "DockerImage", "name": pull },
                    "generation": null,
                    "importPolicy": if img["importPolicy"].is_object() { img["importPolicy"].clone() } else { json!({}) },
                    "referencePolicy": if img["referencePolicy"].is_object() { img["referencePolicy"].clone() } else { json!({ "type": "Source" }) },
                });
                if let Some(existing) = spec_tag(&stream, tag) {
                    tagref["annotations"] = existing["annotations"].clone();
                }
                let tags = arr_mut(obj_mut_value(&mut stream, "spec"), "tags");
                match tags.iter_mut().find(|t| t["name"] == tag.as_str()) {
                    Some(slot) => *slot = tagref,
                    None => tags.push(tagref),
                }
                let image = json!({
                    "metadata": { "name": digest },
                    "dockerImageReference": by_digest,
                    "dockerImageMetadata": {}, "dockerImageMetadataVersion": "1.0",
                });
                imported.push((tag.clone(), digest.clone(), by_digest.clone(), image));
                results.push(json!({
                    "tag": tag,
                    "status": { "metadata": {}, "status": "Success" },
                    "image": image_for(store, &digest, &by_digest),
                }));
            }
            Err(message) => results.push(json!({
                "tag": tag,
                "status": { "metadata": {}, "status": "Failure", "message": message, "reason": "NotFound", "code": 404 },
            })),
        }
    }
    let mut answer = body.clone();
    answer["kind"] = json!("ImageStreamImport");
    answer["apiVersion"] = json!("image.openshift.io/v1");
    answer["metadata"]["namespace"] = json!(ns);
    answer["status"] = json!({ "images": results });
    if !do_import {
        return Ok((201, answer));
    }
    apply_spec_changes(store, old.as_ref(), &mut stream, &|_, _| true)?;
    let generation = stream["metadata"]["generation"].as_i64().unwrap_or(1);
    for (tag, digest, by_digest, image) in imported {
        store_image(store, image)?;
        let event = json!({ "created": now(), "dockerImageReference": by_digest, "image": digest, "generation": generation });
        add_tag_event(&mut stream, &tag, event.clone());
        update_tracking_tags(&mut stream, ns, &name, &tag, &event);
    }
    let stored = match old {
        Some(_) => store.put(&stream_type(), stream),
        None => store.create(&stream_type(), ns, stream)?,
    };
    answer["status"]["import"] = stored;
    // Images in the answer now carry what was stored.
    if let Some(items) = answer["status"]["images"].as_array_mut() {
        for item in items.iter_mut().filter(|i| i["image"].is_object()) {
            let digest = meta_str(&item["image"], "name").to_string();
            let pull = str_at(item, "/image/dockerImageReference").to_string();
            item["image"] = image_for(store, &digest, &pull);
        }
    }
    Ok((201, answer))
}
