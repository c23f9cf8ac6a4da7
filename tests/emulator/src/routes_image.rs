//! image.openshift.io: ImageStreams (CRUD), ImageStreamTags (§1.2 PUT/POST/DELETE), ImageStreamImages.

use serde_json::{json, Value};

use super::errors::{success_status, ApiError, ApiResult};
use super::imageutil::{apply_spec_changes, default_stream, new_isimage, new_istag, spec_tag};
use super::rbac::{authorize, Attributes, UserInfo};
use super::routes::{generic, Reply, Req, Target};
use super::store::Store;
use super::types::{by_key, meta_str, res, ResourceType, ISIMAGE, ISTAG};
use super::World;

pub fn stream_type() -> ResourceType {
    by_key(res::IMAGESTREAMS).unwrap_or(ISTAG)
}

/// The TagVerifier check: `get imagestreams/layers` on the source stream for the requester.
fn can_pull(store: &Store, user: &UserInfo, enforce: bool, ns: &str, stream: &str) -> bool {
    let a = Attributes {
        verb: "get".into(),
        group: "image.openshift.io".into(),
        resource: "imagestreams".into(),
        subresource: "layers".into(),
        name: stream.into(),
        namespace: ns.into(),
        path: None,
    };
    !enforce || authorize(store, user, &a).0
}

pub fn serve(w: &mut World, req: &Req, t: &Target) -> ApiResult<Reply> {
    let (enforce, user) = (w.enforce_rbac, req.user.clone());
    let World {
        store, registry, ..
    } = w;
    match t.plural.as_str() {
        "imagestreams" => streams(store, req, t, enforce, &user),
        "imagetags" => super::routes_imagetag::serve(store, req, t, enforce, &user),
        "imagestreammappings" | "imagestreamimports"
            if req.method != "POST" || !t.name.is_empty() =>
        {
            Err(ApiError::new(
                405,
                "MethodNotAllowed",
                format!("{} only accepts create (POST)", t.plural),
            ))
        }
        "imagestreammappings" => super::routes_imageops::create_mapping(store, req.body()?, &t.ns),
        "imagestreamimports" => {
            super::routes_imageops::create_import(store, registry, req.body()?, &t.ns)
        }
        "imagestreamtags" => match (req.method.as_str(), t.name.is_empty()) {
            ("GET", true) => list_istags(store, &t.ns),
            ("GET", false) => get_istag(store, &t.ns, &t.name),
            ("PUT", false) => write_istag(
                store,
                (&user, enforce),
                req.body()?,
                &t.ns,
                &t.name,
                false,
                &ISTAG,
            ),
            ("POST", true) => {
                let name = meta_str(req.body()?, "name").to_string();
                write_istag(
                    store,
                    (&user, enforce),
                    req.body()?,
                    &t.ns,
                    &name,
                    true,
                    &ISTAG,
                )
            }
            ("DELETE", false) => delete_tag(store, &t.ns, &t.name, &ISTAG),
            _ => Err(ApiError::new(
                405,
                "MethodNotAllowed",
                "method not allowed on imagestreamtags",
            )),
        },
        _ => {
            let (stream, digest) = t.name.split_once('@').ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{:?} must be of the form <stream>@<digest>",
                    t.name
                ))
            })?;
            if req.method != "GET" {
                return Err(ApiError::new(
                    405,
                    "MethodNotAllowed",
                    "imagestreamimages are read-only",
                ));
            }
            let s = store
                .get(res::IMAGESTREAMS, &t.ns, stream)
                .ok_or_else(|| ApiError::not_found(&ISIMAGE, &t.name))?;
            new_isimage(store, s, digest).map(|v| (200, v))
        }
    }
}

fn streams(
    store: &mut Store,
    req: &Req,
    t: &Target,
    enforce: bool,
    user: &UserInfo,
) -> ApiResult<Reply> {
    let st = stream_type();
    let mut prepare = |store: &Store, old: &Value, new: &mut Value| {
        let check = |ns: &str, s: &str| can_pull(store, user, enforce, ns, s);
        apply_spec_changes(store, Some(old), new, &check)
    };
    match req.method.as_str() {
        "POST" => {
            let mut body = req.body()?.clone();
            let name = meta_str(&body, "name").to_string();
            if store.get(res::IMAGESTREAMS, &t.ns, &name).is_some() {
                return Err(ApiError::already_exists(&st, &name));
            }
            body["metadata"]["namespace"] = json!(t.ns);
            body["status"] = json!({});
            default_stream(&mut body);
            let check = |ns: &str, s: &str| can_pull(store, user, enforce, ns, s);
            apply_spec_changes(store, None, &mut body, &check)?;
            let created = store.create(&st, &t.ns, body)?;
            Ok((201, created))
        }
        "PUT" if meta_str(req.body()?, "resourceVersion").is_empty() => {
            // The ImageStream strategy refuses unconditional updates.
            Err(ApiError::invalid(
                &st,
                &t.name,
                "metadata.resourceVersion",
                "Invalid value: 0x0: must be specified for an update",
            ))
        }
        _ => generic(store, req, t, &st, &mut prepare),
    }
}

pub fn split_istag(name: &str) -> ApiResult<(&str, &str)> {
    name.split_once(':')
        .filter(|(s, t)| !s.is_empty() && !t.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "\"{name}\" must be of the form <stream_name>:<tag>"
            ))
        })
}

fn get_istag(store: &Store, ns: &str, name: &str) -> ApiResult<Reply> {
    let (stream, tag) = split_istag(name)?;
    let s = store
        .get(res::IMAGESTREAMS, ns, stream)
        .ok_or_else(|| ApiError::not_found(&ISTAG, name))?;
    new_istag(store, s, tag, false)
        .map(|v| (200, v))
        .ok_or_else(|| ApiError::not_found(&ISTAG, name))
}

fn list_istags(store: &Store, ns: &str) -> ApiResult<Reply> {
    let ns = (!ns.is_empty()).then_some(ns);
    let mut items = Vec::new();
    for s in store.list(res::IMAGESTREAMS, ns) {
        for tag in s["status"]["tags"].as_array().into_iter().flatten() {
            if let Some(mut istag) = new_istag(store, s, tag["tag"].as_str().unwrap_or(""), false) {
                if let Some(m) = istag.as_object_mut() {
                    m.remove("kind");
                    m.remove("apiVersion");
                }
                items.push(istag);
            }
        }
    }
    let list = json!({
        "kind": "ImageStreamTagList", "apiVersion": "image.openshift.io/v1",
        "metadata": { "resourceVersion": store.resource_version() }, "items": items,
    });
    Ok((200, list))
}

/// ImageStreamTag Update (PUT) / Create (POST), openshift-apiserver imagestreamtag/rest.go.
/// `body` is an ImageStreamTag (ImageTag writes are translated into one).
pub fn write_istag(
    store: &mut Store,
    (user, enforce): (&UserInfo, bool),
    body: &Value,
    ns: &str,
    name: &str,
    create: bool,
    t: &ResourceType,
) -> ApiResult<Reply> {
    let (stream_name, tag) = split_istag(name)?;
    let body_name = meta_str(body, "name");
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let rv = meta_str(body, "resourceVersion");
    let old = store.get(res::IMAGESTREAMS, ns, stream_name).cloned();
    let mut stream = match &old {
        Some(s) if !create && !rv.is_empty() && rv != meta_str(s, "resourceVersion") => {
            return Err(ApiError::conflict(t, name));
        }
        Some(s) => s.clone(),
        None if !create && !rv.is_empty() => return Err(ApiError::not_found(t, name)),
        None => {
            let mut s = json!({
                "metadata": { "name": stream_name, "namespace": ns },
                "spec": { "lookupPolicy": body["lookupPolicy"].clone(), "tags": [] },
                "status": {},
            });
            if body["metadata"]["labels"].is_object() {
                s["metadata"]["labels"] = body["metadata"]["labels"].clone();
            }
            if !s["spec"]["lookupPolicy"].is_object() {
                s["spec"]["lookupPolicy"] = json!({ "local": false });
            }
            default_stream(&mut s);
            s
        }
    };
    let existing = spec_tag(&stream, tag).cloned();
    if create && existing.is_some() {
        return Err(ApiError::already_exists(t, name));
    }
    let mut tagref = match (&body["tag"], &existing) {
        (Value::Object(_), _) => body["tag"].clone(),
        (_, Some(e)) => e.clone(),
        _ => {
            return Err(ApiError::invalid(
                t,
                name,
                "tag",
                "Required value: tag is required",
            ))
        }
    };
    tagref["name"] = json!(tag);
    // The spec tag's annotations are exactly the ISTag's metadata.annotations (wiped if absent).
    tagref["annotations"] = body["metadata"]["annotations"].clone();
    let tags = super::types::arr_mut(super::types::obj_mut_value(&mut stream, "spec"), "tags");
    match tags.iter_mut().find(|x| x["name"] == tag) {
        Some(slot) => *slot = tagref,
        None => tags.push(tagref),
    }
    let check = |ns: &str, s: &str| can_pull(store, user, enforce, ns, s);
    apply_spec_changes(store, old.as_ref(), &mut stream, &check)?;
    let stored = match old {
        Some(_) => store.put(&stream_type(), stream),
        None => store.create(&stream_type(), ns, stream)?,
    };
    let istag = new_istag(store, &stored, tag, true).unwrap_or(Value::Null);
    Ok((if existing.is_some() { 200 } else { 201 }, istag))
}

/// DELETE removes both the spec tag and the status history of the tag (ImageStreamTag or
/// ImageTag `t`, which names the object in errors and the answer).
pub fn delete_tag(store: &mut Store, ns: &str, name: &str, t: &ResourceType) -> ApiResult<Reply> {
    let (stream_name, tag) = split_istag(name)?;
    let mut stream = store
        .get(res::IMAGESTREAMS, ns, stream_name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(t, name))?;
    let mut found = false;
    for (section, key) in [("spec", "name"), ("status", "tag")] {
        if let Some(tags) = stream[section]["tags"].as_array_mut() {
            let before = tags.len();
            tags.retain(|t| t[key] != tag);
            found |= tags.len() != before;
        }
    }
    if !found {
        return Err(ApiError::not_found(t, name));
    }
    let generation = stream["metadata"]["generation"].as_i64().unwrap_or(1);
    stream["metadata"]["generation"] = json!(generation + 1);
    store.put(&stream_type(), stream);
    Ok((200, success_status(t, name)))
}
