//! ImageStream server logic: tag events from spec tags (§1.2 tagsChanged), resolution, newISTag.

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::store::Store;
use super::types::{arr_mut, meta_str, now, obj_mut, res, str_at, ISIMAGE, ISTAG};

/// The 4.x integrated registry; every stream's `status.dockerImageRepository` lives under it.
pub const REGISTRY: &str = "image-registry.openshift-image-registry.svc:5000";

pub fn internal_repo(ns: &str, name: &str) -> String {
    format!("{REGISTRY}/{ns}/{name}")
}

/// The digest-pinned pull spec of `image` in stream `ns/name`'s internal repository: what a
/// build push records, and what a `Local` reference policy resolves to.
pub fn pull_spec(ns: &str, name: &str, image: &str) -> String {
    format!("{}@{image}", internal_repo(ns, name))
}

/// Fills what the server always sets on a stream: status.dockerImageRepository, lookupPolicy.
pub fn default_stream(stream: &mut Value) {
    let repo = internal_repo(meta_str(stream, "namespace"), meta_str(stream, "name"));
    let spec = obj_mut(stream, "spec");
    spec.entry("lookupPolicy")
        .or_insert(json!({ "local": false }));
    let status = obj_mut(stream, "status");
    status.entry("dockerImageRepository").or_insert(json!(repo));
}

pub fn status_tag<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    stream["status"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["tag"] == tag)
}

pub fn spec_tag<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    stream["spec"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == tag)
}

/// `status.tags[tag].items[0]` (LatestTaggedImage).
pub fn latest_event<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    status_tag(stream, tag)?["items"].as_array()?.first()
}

/// ResolveLatestTaggedImage (library-go `imageutil/helpers.go`): the pull spec an image trigger
/// writes for `tag` (empty = `latest`). The newest status event of the tag is resolved by the
/// spec tag's reference policy: `Local` pulls through the integrated registry,
/// `<status.dockerImageRepository>@<event.image>` with any tag on the repository dropped
/// (`reference.Exact()` with `ID` set and `Tag` cleared); every other policy, a missing spec
/// tag, or a `Local` stream without a repository or an event without an image ID gives the
/// event's own `dockerImageReference`. None when the tag has no event, or the chosen reference
/// is empty (callers then treat the tag as unresolved, as the trigger controller does).
pub fn resolve_latest(stream: &Value, tag: &str) -> Option<String> {
    let tag = if tag.is_empty() { "latest" } else { tag };
    let event = latest_event(stream, tag)?;
    let policy = spec_tag(stream, tag)
        .and_then(|t| t["referencePolicy"]["type"].as_str())
        .unwrap_or("Source");
    let resolved = match (policy, event["image"].as_str()) {
        ("Local", Some(id)) if !id.is_empty() => stream["status"]["dockerImageRepository"]
            .as_str()
            .filter(|repo| !repo.is_empty())
            .map(|repo| format!("{}@{id}", untagged(repo))),
        _ => None,
    };
    resolved
        .or_else(|| event["dockerImageReference"].as_str().map(str::to_string))
        .filter(|pull| !pull.is_empty())
}

/// `registry/ns/name[:tag][@id]` without its tag and ID. A colon before the last `/` belongs to
/// the registry host's port, not to a tag.
fn untagged(repo: &str) -> &str {
    let repo = repo.split_once('@').map_or(repo, |(r, _)| r);
    let name_start = repo.rfind('/').map_or(0, |i| i + 1);
    match repo[name_start..].rfind(':') {
        Some(i) => &repo[..name_start + i],
        None => repo,
    }
}

/// ResolveImageID: the one event whose image starts with `prefix`, over all status histories.
pub fn resolve_image_id(stream: &Value, prefix: &str) -> ApiResult<Value> {
    let mut found: Vec<&Value> = Vec::new();
    for tag in stream["status"]["tags"].as_array().into_iter().flatten() {
        for ev in tag["items"].as_array().into_iter().flatten() {
            let image = str_at(ev, "/image");
            if image.starts_with(prefix) && !found.iter().any(|f| f["image"] == image) {
                found.push(ev);
            }
        }
    }
    let name = format!("{}@{prefix}", meta_str(stream, "name"));
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(ApiError::not_found(&ISIMAGE, &name)),
        _ => Err(ApiError::new(
            409,
            "Conflict",
            format!("multiple images match the prefix {prefix:?}"),
        )),
    }
}

/// Rewrites a pull spec that points at the source stream's internal repository to the
/// destination stream's, so tagged images are pulled from the destination (§1.2).
fn rewrite_pull_spec(event: &mut Value, source: &Value, dest: &Value) {
    let src_repo = format!("{}@", str_at(source, "/status/dockerImageRepository"));
    let image = str_at(event, "/image").to_string();
    let pull = str_at(event, "/dockerImageReference").to_string();
    let dest_repo = str_at(dest, "/status/dockerImageRepository");
    if src_repo.len() > 1
        && pull.starts_with(&src_repo)
        && !image.is_empty()
        && !dest_repo.is_empty()
    {
        event["dockerImageReference"] = json!(format!("{dest_repo}@{image}"));
    }
}

/// Adds a tag event, collapsing a re-tag of the same image into items[0] (only generation moves).
pub fn add_tag_event(stream: &mut Value, tag: &str, event: Value) -> bool {
    let tags = arr_mut(obj_mut_value(stream, "status"), "tags");
    let idx = match tags.iter().position(|t| t["tag"] == tag) {
        Some(i) => i,
        None => {
            tags.push(json!({ "tag": tag, "items": [] }));
            tags.len() - 1
        }
    };
    let items = arr_mut(&mut tags[idx], "items");
    if let Some(first) = items.first_mut() {
        if first["image"] == event["image"]
            && first["dockerImageReference"] == event["dockerImageReference"]
        {
            first["generation"] = event["generation"].clone();
            return false;
        }
    }
    items.insert(0, event);
    true
}

fn obj_mut_value<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    obj_mut(v, key);
    &mut v[key]
}

/// What the requesting identity may do across namespaces (TagVerifier's SubjectAccessReview).
pub type CanPull<'a> = &'a dyn Fn(&str, &str) -> bool;

/// tagsChanged: turns every new/changed spec tag into a status event right away, and bumps the
/// stream generation (stamped on changed spec tags) when the spec changed.
pub fn apply_spec_changes(
    store: &Store,
    old: Option<&Value>,
    stream: &mut Value,
    can_pull: CanPull,
) -> ApiResult<()> {
    let ns = meta_str(stream, "namespace").to_string();
    let name = meta_str(stream, "name").to_string();
    let mut tags: Vec<Value> = stream["spec"]["tags"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut changed_tags = Vec::new();
    for (i, tag) in tags.iter_mut().enumerate() {
        let before = old.and_then(|o| spec_tag(o, str_at(tag, "/name")));
        match before {
            // Clients may only ask for generation 0 (re-import); otherwise it is the server's.
            Some(b) if strip_gen(b) == strip_gen(tag) && tag["generation"] != 0 => {
                tag["generation"] = b["generation"].clone();
            }
            _ => changed_tags.push(i),
        }
    }
    stream["spec"]["tags"] = json!(tags);
    let old_gen = old
        .and_then(|o| o["metadata"]["generation"].as_i64())
        .unwrap_or(0);
    let spec_changed = old.is_none_or(|o| o["spec"] != stream["spec"]);
    let generation = if spec_changed {
        old_gen + 1
    } else {
        old_gen.max(1)
    };
    stream["metadata"]["generation"] = json!(generation);
    let mut events = Vec::new();
    for i in changed_tags {
        stream["spec"]["tags"][i]["generation"] = json!(generation);
        let tag = stream["spec"]["tags"][i].clone();
        let tag_name = str_at(&tag, "/name").to_string();
        let field = format!("spec.tags[{tag_name}].from");
        let from_ns = match str_at(&tag, "/from/namespace") {
            "" => ns.clone(),
            other => other.to_string(),
        };
        let from_name = str_at(&tag, "/from/name").to_string();
        let src_stream = from_name.split(['@', ':']).next().unwrap_or("").to_string();
        let is_stream_ref = matches!(
            str_at(&tag, "/from/kind"),
            "ImageStreamImage" | "ImageStreamTag"
        );
        if is_stream_ref
            && from_ns != ns
            && !src_stream.is_empty()
            && !can_pull(&from_ns, &src_stream)
        {
            let detail = format!(
                "Forbidden: {from_ns}/{src_stream}: you may not pull images from this image stream"
            );
            return Err(ApiError::invalid(
                &ISTAG,
                &format!("{name}:{tag_name}"),
                &field,
                &detail,
            ));
        }
        if let Some(mut ev) = event_for(store, stream, &from_ns, &tag, &field)? {
            ev["generation"] = json!(generation);
            events.push((tag_name, ev));
        }
    }
    for (tag, ev) in events {
        add_tag_event(stream, &tag, ev);
    }
    Ok(())
}

fn strip_gen(tag: &Value) -> Value {
    let mut t = tag.clone();
    if let Some(m) = t.as_object_mut() {
        m.remove("generation");
    }
    t
}

fn event_for(
    store: &Store,
    dest: &Value,
    from_ns: &str,
    tag: &Value,
    field: &str,
) -> ApiResult<Option<Value>> {
    let from = str_at(tag, "/from/name");
    let reference = tag["reference"].as_bool().unwrap_or(false);
    let lookup = |stream: &str| -> ApiResult<Value> {
        if meta_str(dest, "name") == stream && meta_str(dest, "namespace") == from_ns {
            return Ok(dest.clone());
        }
        store
            .get(res::IMAGESTREAMS, from_ns, stream)
            .cloned()
            .ok_or_else(|| {
                let t = super::types::by_key(res::IMAGESTREAMS).unwrap_or(ISTAG);
                ApiError::not_found(&t, stream)
            })
    };
    let invalid = |e: ApiError| {
        let name = format!("{}:{}", meta_str(dest, "name"), str_at(tag, "/name"));
        ApiError::invalid(
            &ISTAG,
            &name,
            field,
            &format!(
                "Invalid value: {from:?}: error generating tag event: {}",
                e.message
            ),
        )
    };
    let mut event = match str_at(tag, "/from/kind") {
        "ImageStreamImage" => {
            let (stream, digest) = from
                .split_once('@')
                .ok_or_else(|| invalid(ApiError::bad_request("must be <stream>@<id>")))?;
            let src = lookup(stream).map_err(invalid)?;
            let mut ev = resolve_image_id(&src, digest).map_err(invalid)?;
            if !reference {
                rewrite_pull_spec(&mut ev, &src, dest);
            }
            ev
        }
        "ImageStreamTag" => {
            let (stream, src_tag) = from.split_once(':').unwrap_or((from, "latest"));
            let src = lookup(stream).map_err(invalid)?;
            let Some(ev) = latest_event(&src, src_tag) else {
                return Ok(None);
            };
            let mut ev = ev.clone();
            if !reference {
                rewrite_pull_spec(&mut ev, &src, dest);
            }
            ev
        }
        "DockerImage" => {
            // No registry here: a reference tag points at the pull spec as is; an "import" only
            // succeeds for an Image the test seeded with that exact pull spec or digest.
            let digest = from.split_once('@').map(|(_, d)| d).unwrap_or("");
            let known = store.list(res::IMAGES, None).into_iter().find(|img| {
                str_at(img, "/dockerImageReference") == from
                    || (!digest.is_empty() && meta_str(img, "name") == digest)
            });
            match (reference, known) {
                (false, Some(img)) => {
                    json!({ "dockerImageReference": from, "image": meta_str(img, "name") })
                }
                (true, _) => json!({ "dockerImageReference": from, "image": "" }),
                (false, None) => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    event["created"] = json!(now());
    Ok(Some(event))
}

/// The stored Image for a digest, or a minimal one when the test seeded only the stream.
pub fn image_for(store: &Store, digest: &str, pull: &str) -> Value {
    let mut img = store.get(res::IMAGES, "", digest).cloned().unwrap_or_else(|| {
        json!({ "metadata": { "name": digest, "creationTimestamp": null }, "dockerImageMetadata": {}, "dockerImageMetadataVersion": "1.0" })
    });
    if let Some(m) = img.as_object_mut() {
        m.remove("kind");
        m.remove("apiVersion");
        m.remove("dockerImageManifest");
        m.remove("dockerImageConfig");
    }
    if !pull.is_empty() {
        img["dockerImageReference"] = json!(pull);
    }
    img
}

/// newISTag: the ImageStreamTag of `tag` built from the stream (None: the tag has no image yet,
/// unless `allow_empty`, as PUT/POST responses are).
pub fn new_istag(store: &Store, stream: &Value, tag: &str, allow_empty: bool) -> Option<Value> {
    let event = latest_event(stream, tag).filter(|e| !str_at(e, "/image").is_empty());
    if event.is_none() && !allow_empty {
        return None;
    }
    let spec = spec_tag(stream, tag).cloned();
    let annotations = spec
        .as_ref()
        .map(|s| s["annotations"].clone())
        .unwrap_or(Value::Null);
    let mut meta = json!({
        "name": format!("{}:{tag}", meta_str(stream, "name")),
        "namespace": meta_str(stream, "namespace"),
        "uid": meta_str(stream, "uid"),
        "resourceVersion": meta_str(stream, "resourceVersion"),
        "creationTimestamp": event.map(|e| e["created"].clone()).unwrap_or(Value::Null),
    });
    if stream["metadata"]["labels"].is_object() {
        meta["labels"] = stream["metadata"]["labels"].clone();
    }
    if annotations.is_object() {
        meta["annotations"] = annotations.clone();
    }
    let mut istag = json!({
        "kind": "ImageStreamTag",
        "apiVersion": "image.openshift.io/v1",
        "metadata": meta,
        "tag": spec,
        "generation": event.map(|e| e["generation"].clone()).unwrap_or(json!(0)),
        "lookupPolicy": stream["spec"]["lookupPolicy"].clone(),
        "image": { "metadata": { "creationTimestamp": null } },
    });
    if let Some(conds) = status_tag(stream, tag)
        .map(|t| &t["conditions"])
        .filter(|c| c.is_array())
    {
        istag["conditions"] = conds.clone();
    }
    if let Some(ev) = event {
        let pull = resolve_latest(stream, tag).unwrap_or_default();
        let mut img = image_for(store, str_at(ev, "/image"), &pull);
        if let Some(a) = annotations.as_object() {
            let ia = obj_mut(obj_mut_value(&mut img, "metadata"), "annotations");
            for (k, v) in a {
                ia.insert(k.clone(), v.clone());
            }
        }
        istag["image"] = img;
    }
    Some(istag)
}

/// ImageStreamImage `<stream>@<digest>`: the image of that digest from the stream's history.
pub fn new_isimage(store: &Store, stream: &Value, digest: &str) -> ApiResult<Value> {
    let ev = resolve_image_id(stream, digest)?;
    let image = str_at(&ev, "/image");
    let img = image_for(store, image, str_at(&ev, "/dockerImageReference"));
    Ok(json!({
        "kind": "ImageStreamImage",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {
            "name": format!("{}@{image}", meta_str(stream, "name")),
            "namespace": meta_str(stream, "namespace"),
            "uid": meta_str(stream, "uid"),
            "resourceVersion": meta_str(stream, "resourceVersion"),
            "creationTimestamp": img["metadata"]["creationTimestamp"].clone(),
        },
        "image": img,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPO: &str = "image-registry.openshift-image-registry.svc:5000/dev/app";
    const ID: &str = "sha256:aaaa";
    const EXTERNAL: &str = "quay.io/acme/app@sha256:aaaa";

    /// A stream whose `tag` has one event pulled from `pull`, under reference `policy`.
    fn stream(policy: Option<&str>, repo: &str, image: &str, pull: &str) -> Value {
        let mut spec_tag =
            json!({ "name": "latest", "from": { "kind": "DockerImage", "name": pull } });
        if let Some(p) = policy {
            spec_tag["referencePolicy"] = json!({ "type": p });
        }
        json!({
            "metadata": { "namespace": "dev", "name": "app" },
            "spec": { "tags": [spec_tag] },
            "status": {
                "dockerImageRepository": repo,
                "tags": [{ "tag": "latest", "items": [
                    { "image": image, "dockerImageReference": pull },
                    { "image": "sha256:older", "dockerImageReference": "quay.io/acme/app@sha256:older" },
                ] }],
            },
        })
    }

    #[test]
    fn source_policy_gives_the_newest_events_own_reference() {
        let s = stream(Some("Source"), REPO, ID, EXTERNAL);
        assert_eq!(resolve_latest(&s, "latest").as_deref(), Some(EXTERNAL));
        let no_policy = stream(None, REPO, ID, EXTERNAL);
        assert_eq!(
            resolve_latest(&no_policy, "latest").as_deref(),
            Some(EXTERNAL)
        );
    }

    #[test]
    fn local_policy_pulls_through_the_integrated_registry() {
        let s = stream(Some("Local"), REPO, ID, EXTERNAL);
        let want = format!("{REPO}@{ID}");
        assert_eq!(resolve_latest(&s, "latest"), Some(want.clone()));
        // An empty tag name means `latest`.
        assert_eq!(resolve_latest(&s, ""), Some(want));
        // A tag on the repository is dropped; the registry's port is kept.
        let tagged = stream(Some("Local"), &format!("{REPO}:v1"), ID, EXTERNAL);
        assert_eq!(
            resolve_latest(&tagged, "latest"),
            Some(format!("{REPO}@{ID}"))
        );
    }

    #[test]
    fn local_policy_falls_back_to_the_event_reference() {
        let no_repo = stream(Some("Local"), "", ID, EXTERNAL);
        assert_eq!(
            resolve_latest(&no_repo, "latest").as_deref(),
            Some(EXTERNAL)
        );
        let no_image = stream(Some("Local"), REPO, "", EXTERNAL);
        assert_eq!(
            resolve_latest(&no_image, "latest").as_deref(),
            Some(EXTERNAL)
        );
    }

    #[test]
    fn a_tag_without_events_or_reference_is_unresolved() {
        let s = stream(Some("Source"), REPO, ID, EXTERNAL);
        assert_eq!(resolve_latest(&s, "missing"), None);
        let empty = stream(Some("Source"), REPO, ID, "");
        assert_eq!(resolve_latest(&empty, "latest"), None);
    }

    #[test]
    fn the_status_tag_resolves_even_without_a_spec_tag() {
        let mut s = stream(Some("Local"), REPO, ID, EXTERNAL);
        s["spec"]["tags"] = json!([]);
        assert_eq!(resolve_latest(&s, "latest").as_deref(), Some(EXTERNAL));
    }
}
