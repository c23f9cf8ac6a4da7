//! image.openshift.io ImageTags (`<stream>:<tag>`): the newer face of a stream's tag, with the
//! spec tag (`spec`), its history (`status`) and the current image; writes act as ImageStreamTag's.

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::imageutil::{image_for, latest_event, resolve_latest, spec_tag, status_tag};
use super::rbac::UserInfo;
use super::routes::{Reply, Req, Target};
use super::routes_image::{delete_tag, split_istag, stream_type, write_istag};
use super::store::Store;
use super::types::{meta_str, res, str_at, ITAG};

/// The ImageTag of `tag` (None when the stream has neither a spec tag nor a history for it).
pub fn new_imagetag(store: &Store, stream: &Value, tag: &str) -> Option<Value> {
    let spec = spec_tag(stream, tag).cloned();
    let status = status_tag(stream, tag).cloned();
    if spec.is_none() && status.is_none() {
        return None;
    }
    let image = latest_event(stream, tag)
        .map(|e| str_at(e, "/image"))
        .filter(|digest| !digest.is_empty())
        .map(|digest| {
            image_for(
                store,
                digest,
                &resolve_latest(stream, tag).unwrap_or_default(),
            )
        });
    Some(json!({
        "kind": "ImageTag",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {
            "name": format!("{}:{tag}", meta_str(stream, "name")),
            "namespace": meta_str(stream, "namespace"),
            "uid": meta_str(stream, "uid"),
            "resourceVersion": meta_str(stream, "resourceVersion"),
            "creationTimestamp": stream["metadata"]["creationTimestamp"].clone(),
        },
        "spec": spec,
        "status": status,
        "image": image,
    }))
}

fn tag_names(stream: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let spec = stream["spec"]["tags"].as_array().into_iter().flatten();
    let status = stream["status"]["tags"].as_array().into_iter().flatten();
    for name in spec
        .map(|t| str_at(t, "/name"))
        .chain(status.map(|t| str_at(t, "/tag")))
    {
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names.sort();
    names
}

fn get_imagetag(store: &Store, ns: &str, name: &str) -> ApiResult<Value> {
    let (stream, tag) = split_istag(name)?;
    store
        .get(res::IMAGESTREAMS, ns, stream)
        .and_then(|s| new_imagetag(store, s, tag))
        .ok_or_else(|| ApiError::not_found(&ITAG, name))
}

/// Turns an ImageTag body into the ImageStreamTag body its write amounts to: `spec` is the tag,
/// and the spec's own annotations stay the tag's annotations.
fn as_istag_body(body: &Value) -> Value {
    let mut ist = json!({ "metadata": body["metadata"].clone(), "tag": body["spec"].clone() });
    ist["metadata"]["annotations"] = body["spec"]["annotations"].clone();
    ist
}

pub fn serve(
    store: &mut Store,
    req: &Req,
    t: &Target,
    enforce: bool,
    user: &UserInfo,
) -> ApiResult<Reply> {
    match (req.method.as_str(), t.name.is_empty()) {
        ("GET", true) => {
            let ns = (!t.ns.is_empty()).then_some(t.ns.as_str());
            let mut items = Vec::new();
            for s in store.list(res::IMAGESTREAMS, ns) {
                for tag in tag_names(s) {
                    if let Some(mut it) = new_imagetag(store, s, &tag) {
                        if let Some(m) = it.as_object_mut() {
                            m.remove("kind");
                            m.remove("apiVersion");
                        }
                        items.push(it);
                    }
                }
            }
            Ok((
                200,
                json!({
                    "kind": "ImageTagList", "apiVersion": "image.openshift.io/v1",
                    "metadata": { "resourceVersion": store.resource_version() }, "items": items,
                }),
            ))
        }
        ("GET", false) => get_imagetag(store, &t.ns, &t.name).map(|v| (200, v)),
        ("POST", true) => {
            let body = req.body()?;
            let name = meta_str(body, "name").to_string();
            if !body["spec"].is_object() {
                return Err(ApiError::invalid(
                    &ITAG,
                    &name,
                    "spec",
                    "Required value: spec is required",
                ));
            }
            write(store, user, body, &t.ns, &name, true, enforce)
        }
        ("PUT", false) if req.body()?["spec"].is_null() => {
            remove_spec(store, req.body()?, &t.ns, &t.name)
        }
        ("PUT", false) => write(store, user, req.body()?, &t.ns, &t.name, false, enforce),
        ("DELETE", false) => delete_tag(store, &t.ns, &t.name, &ITAG),
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "method not allowed on imagetags",
        )),
    }
}

fn write(
    store: &mut Store,
    user: &UserInfo,
    body: &Value,
    ns: &str,
    name: &str,
    create: bool,
    enforce: bool,
) -> ApiResult<Reply> {
    let ist = as_istag_body(body);
    let (code, _) = write_istag(store, (user, enforce), &ist, ns, name, create, &ITAG)?;
    get_imagetag(store, ns, name).map(|v| (code, v))
}

/// An update with `spec: null` drops the spec tag and keeps the history (the image stays
/// reachable by digest), as the ImageTag strategy does.
fn remove_spec(store: &mut Store, body: &Value, ns: &str, name: &str) -> ApiResult<Reply> {
    let (stream_name, tag) = split_istag(name)?;
    let mut stream = store
        .get(res::IMAGESTREAMS, ns, stream_name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(&ITAG, name))?;
    let rv = meta_str(body, "resourceVersion");
    if !rv.is_empty() && rv != meta_str(&stream, "resourceVersion") {
        return Err(ApiError::conflict(&ITAG, name));
    }
    if new_imagetag(store, &stream, tag).is_none() {
        return Err(ApiError::not_found(&ITAG, name));
    }
    if let Some(tags) = stream["spec"]["tags"].as_array_mut() {
        let before = tags.len();
        tags.retain(|t| t["name"] != tag);
        if tags.len() != before {
            let generation = stream["metadata"]["generation"].as_i64().unwrap_or(1);
            stream["metadata"]["generation"] = json!(generation + 1);
        }
    }
    store.put(&stream_type(), stream);
    get_imagetag(store, ns, name).map(|v| (200, v))
}
