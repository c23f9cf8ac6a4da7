//! Request routing: path → target, RBAC enforcement, generic CRUD for stored types.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::rbac::{authorize, Attributes, UserInfo};
use super::store::{bump_generation, field_selector_matches, label_selector_matches, Store};
use super::types::{by_key, by_path, meta_str, ResourceType};
use super::{controllers, discovery, routes_apps, routes_image, routes_rbac, World};

/// A parsed request, identity included.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
    pub content_type: String,
    pub user: UserInfo,
}

impl Req {
    pub fn body(&self) -> ApiResult<&Value> {
        self.body
            .as_ref()
            .ok_or_else(|| ApiError::bad_request("a JSON request body is required"))
    }
}

/// `/apis/{group}/{version}/[namespaces/{ns}/]{plural}[/{name}[/{sub}]]` pieces.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub ns: String,
    pub name: String,
    pub sub: String,
}

pub type Reply = (u16, Value);

fn not_served() -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

pub fn parse_target(segs: &[&str]) -> Option<Target> {
    let (group, version, rest) = match segs {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (ns, rest) = match rest {
        ["namespaces", ns, plural, rest @ ..] => (*ns, [&[*plural][..], rest].concat()),
        other => ("", other.to_vec()),
    };
    let mut t = Target {
        group: group.into(),
        version: version.into(),
        ns: ns.into(),
        ..Target::default()
    };
    match rest.as_slice() {
        [plural] => t.plural = plural.to_string(),
        [plural, name] => (t.plural, t.name) = (plural.to_string(), name.to_string()),
        [plural, name, sub] => {
            (t.plural, t.name, t.sub) = (plural.to_string(), name.to_string(), sub.to_string())
        }
        _ => return None,
    }
    Some(t)
}

/// The RBAC attributes of a resource request, as the apiserver's RequestInfo derives them.
pub fn attributes(req: &Req, t: &Target) -> Attributes {
    let verb = match (req.method.as_str(), t.name.is_empty()) {
        ("GET", _)
            if req
                .query
                .get("watch")
                .is_some_and(|w| w == "true" || w == "1") =>
        {
            "watch"
        }
        ("GET", true) => "list",
        ("GET", false) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "deletecollection",
        ("DELETE", false) => "delete",
        _ => "unknown",
    };
    Attributes {
        verb: verb.into(),
        group: t.group.clone(),
        resource: t.plural.clone(),
        subresource: t.sub.clone(),
        name: t.name.clone(),
        namespace: t.ns.clone(),
        path: None,
    }
}

pub fn path_segments(req: &Req) -> Vec<&str> {
    req.path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// RBAC for a resource request (self-reviews are open to everyone, as on the real server).
fn authorize_request(w: &World, req: &Req, t: &Target) -> ApiResult<()> {
    let is_self_review = matches!(
        t.plural.as_str(),
        "selfsubjectaccessreviews" | "selfsubjectreviews"
    );
    if w.enforce_rbac && !is_self_review {
        let a = attributes(req, t);
        if !authorize(&w.store, &req.user, &a).0 {
            let u = &req.user.username;
            return Err(ApiError::forbidden(
                u,
                &a.verb,
                &a.group,
                &a.combined(),
                &a.name,
                &a.namespace,
            ));
        }
    }
    Ok(())
}

/// `GET …?watch=true` (or `1`): such a request is answered by [`watch`], not [`dispatch`].
pub fn is_watch(req: &Req) -> bool {
    req.method == "GET"
        && req
            .query
            .get("watch")
            .is_some_and(|w| w == "true" || w == "1")
}

/// Admits a watch under the world lock: RBAC (`watch` verb), the type, selectors, the start point.
pub fn watch(w: &World, req: &Req) -> ApiResult<super::watch::WatchStart> {
    let segs = path_segments(req);
    let t = parse_target(&segs).ok_or_else(not_served)?;
    authorize_request(w, req, &t)?;
    if !t.sub.is_empty() {
        return Err(not_served());
    }
    let rt = by_path(&t.group, &t.version, &t.plural).ok_or_else(not_served)?;
    if by_key(&rt.key()).is_none() {
        // ImageStreamTags and ImageStreamImages are virtual: the real server does not watch them.
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!(
                "the server does not allow this method on the requested resource ({})",
                rt.plural
            ),
        ));
    }
    let ns = (rt.namespaced && !t.ns.is_empty()).then_some(t.ns.as_str());
    super::watch::start(&w.store, &req.query, &rt, ns, &t.name)
}

/// Serves one request against the world; controllers run after every successful write.
pub fn dispatch(w: &mut World, req: &Req) -> ApiResult<Reply> {
    let segs = path_segments(req);
    match segs.as_slice() {
        ["version"] => return Ok((200, discovery::version())),
        ["api"] => return Ok((200, discovery::core_versions())),
        ["apis"] => return Ok((200, discovery::group_list())),
        ["apis", g] => return discovery::group(g).map(|d| (200, d)).ok_or_else(not_served),
        ["api", v] => {
            return discovery::resource_list("", v)
                .map(|d| (200, d))
                .ok_or_else(not_served)
        }
        ["apis", g, v] => {
            return discovery::resource_list(g, v)
                .map(|d| (200, d))
                .ok_or_else(not_served)
        }
        _ => {}
    }
    let t = parse_target(&segs).ok_or_else(not_served)?;
    authorize_request(w, req, &t)?;
    // Reviews are answered, never stored: no controller has anything to do after one.
    let review = matches!(
        t.group.as_str(),
        "authorization.k8s.io" | "authentication.k8s.io" | "authorization.openshift.io"
    );
    let reply = match (t.group.as_str(), t.plural.as_str()) {
        _ if review => routes_rbac::review(w, req, &t),
        (
            "image.openshift.io",
            "imagestreams"
            | "imagestreamtags"
            | "imagestreamimages"
            | "imagetags"
            | "imagestreammappings"
            | "imagestreamimports",
        ) => routes_image::serve(w, req, &t),
        ("apps.openshift.io", "deploymentconfigs") | ("apps", "deployments") => {
            routes_apps::serve(w, req, &t)
        }
        _ => {
            let rt = by_path(&t.group, &t.version, &t.plural).ok_or_else(not_served)?;
            if !t.sub.is_empty() {
                return Err(not_served());
            }
            generic(&mut w.store, req, &t, &rt, &mut |_, _, _| Ok(()))
        }
    }?;
    if req.method != "GET" && !review {
        controllers::reconcile(w);
    }
    Ok(reply)
}

/// Validates a PUT/PATCH result before it is stored: (store, old, new).
pub type Prepare<'a> = dyn FnMut(&Store, &Value, &mut Value) -> ApiResult<()> + 'a;

/// GET/LIST/POST/PUT/PATCH/DELETE on a stored type; `prepare` adds type-specific update rules.
pub fn generic(
    store: &mut Store,
    req: &Req,
    tg: &Target,
    t: &ResourceType,
    prepare: &mut Prepare,
) -> ApiResult<Reply> {
    let ns = if t.namespaced { tg.ns.as_str() } else { "" };
    match (req.method.as_str(), tg.name.is_empty()) {
        ("GET", true) => list(store, req, t, tg),
        ("GET", false) => get(store, t, ns, &tg.name).map(|o| (200, o)),
        ("POST", true) => {
            let mut body = req.body()?.clone();
            if let Some(m) = body["metadata"].as_object_mut() {
                for k in ["resourceVersion", "uid", "creationTimestamp", "generation"] {
                    m.remove(k);
                }
            }
            store.create(t, ns, body).map(|o| (201, o))
        }
        ("PUT", false) => {
            update(store, t, ns, &tg.name, req.body()?.clone(), prepare).map(|o| (200, o))
        }
        ("PATCH", false) => {
            let old = get(store, t, ns, &tg.name)?;
            let mut new = old.clone();
            let strategic = req.content_type.contains("strategic-merge-patch");
            if !(strategic || req.content_type.contains("merge-patch")) {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    format!(
                        "the emulator only serves merge patches, not {:?}",
                        req.content_type
                    ),
                ));
            }
            merge_patch(&mut new, req.body()?, strategic);
            if new["metadata"]["resourceVersion"] == old["metadata"]["resourceVersion"] {
                // A patch without a resourceVersion is unconditional.
                new["metadata"]["resourceVersion"] = Value::Null;
            }
            update(store, t, ns, &tg.name, new, prepare).map(|o| (200, o))
        }
        ("DELETE", false) => {
            let gone = store
                .remove(&t.key(), ns, &tg.name)
                .ok_or_else(|| ApiError::not_found(t, &tg.name))?;
            Ok((200, gone))
        }
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{} is not supported here", req.method),
        )),
    }
}

pub fn get(store: &Store, t: &ResourceType, ns: &str, name: &str) -> ApiResult<Value> {
    store
        .get(&t.key(), ns, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(t, name))
}

fn list(store: &Store, req: &Req, t: &ResourceType, tg: &Target) -> ApiResult<Reply> {
    let ns = (t.namespaced && !tg.ns.is_empty()).then_some(tg.ns.as_str());
    let labels = req
        .query
        .get("labelSelector")
        .map(String::as_str)
        .unwrap_or("");
    let fields = req
        .query
        .get("fieldSelector")
        .map(String::as_str)
        .unwrap_or("");
    let mut items = Vec::new();
    for obj in store.list(&t.key(), ns) {
        let keep = label_selector_matches(obj, labels).map_err(ApiError::bad_request)?
            && field_selector_matches(obj, fields).map_err(ApiError::bad_request)?;
        if keep {
            // Typed list items carry no kind/apiVersion on the wire.
            let mut item = obj.clone();
            if let Some(m) = item.as_object_mut() {
                m.remove("kind");
                m.remove("apiVersion");
            }
            items.push(item);
        }
    }
    let list = super::paging::page_list(
        items,
        &req.query,
        store.resource_version(),
        format!("{}List", t.kind),
        t.api_version(),
    )?;
    Ok((200, list))
}

/// PUT semantics: name must match the URL, a resourceVersion in the body is a precondition,
/// status is kept from the stored object (it has its own subresource), spec changes bump generation.
pub fn update(
    store: &mut Store,
    t: &ResourceType,
    ns: &str,
    name: &str,
    mut new: Value,
    prepare: &mut Prepare,
) -> ApiResult<Value> {
    let body_name = meta_str(&new, "name");
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let old = get(store, t, ns, name)?;
    let rv = meta_str(&new, "resourceVersion");
    if !rv.is_empty() && rv != meta_str(&old, "resourceVersion") {
        return Err(ApiError::conflict(t, name));
    }
    new["metadata"]["name"] = json!(name);
    if t.namespaced {
        new["metadata"]["namespace"] = json!(ns);
    }
    match old.get("status") {
        Some(status) => new["status"] = status.clone(),
        None => {
            if let Some(m) = new.as_object_mut() {
                m.remove("status");
            }
        }
    }
    new["metadata"]["generation"] = old["metadata"]["generation"].clone();
    bump_generation(Some(&old), &mut new);
    prepare(store, &old, &mut new)?;
    Ok(store.put(t, new))
}

/// RFC 7386 merge patch; `strategic` merges lists of named objects by `name` (containers).
pub fn merge_patch(target: &mut Value, patch: &Value, strategic: bool) {
    match (target, patch) {
        (Value::Array(t), Value::Array(p))
            if strategic && p.iter().all(|i| i["name"].is_string()) =>
        {
            for item in p {
                match t.iter_mut().find(|x| x["name"] == item["name"]) {
                    Some(existing) => merge_patch(existing, item, strategic),
                    None => t.push(item.clone()),
                }
            }
        }
        (target, Value::Object(p)) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v, strategic);
                    }
                }
            }
        }
        (target, p) => *target = p.clone(),
    }
}
