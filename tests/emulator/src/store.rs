//! The object store: JSON objects keyed by (resource, namespace, name) with apiserver metadata.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::types::{meta_str, now, obj_mut, ResourceType};
use super::watch::ChangeLog;

/// (resource key such as `imagestreams.image.openshift.io`, namespace or "", name).
pub type ObjKey = (String, String, String);

/// Every object of the fake cluster. `resourceVersion` is one global counter, as in etcd; every
/// write is also recorded in `changes`, which watches replay and follow.
#[derive(Debug)]
pub struct Store {
    objects: BTreeMap<ObjKey, Value>,
    rv: u64,
    uids: u64,
    pub changes: ChangeLog,
    /// During a dry run writes are not recorded (no watcher sees them), then undone.
    muted: bool,
}

/// What a dry run restores afterwards.
#[derive(Debug)]
pub struct Snapshot {
    objects: BTreeMap<ObjKey, Value>,
    rv: u64,
    uids: u64,
}

fn key(resource: &str, ns: &str, name: &str) -> ObjKey {
    (resource.to_string(), ns.to_string(), name.to_string())
}

impl Store {
    pub fn new() -> Self {
        // Start high so seeded objects never look "older" than hand-made ones in logs.
        Store {
            objects: BTreeMap::new(),
            rv: 1000,
            uids: 0,
            changes: ChangeLog::new(1000),
            muted: false,
        }
    }

    /// Starts a dry run (`?dryRun=All`): the request is served as usual, then [`Store::restore`]
    /// undoes every write it made, and none is seen by watchers.
    pub fn begin_dry_run(&mut self) -> Snapshot {
        self.muted = true;
        Snapshot {
            objects: self.objects.clone(),
            rv: self.rv,
            uids: self.uids,
        }
    }

    pub fn restore(&mut self, snapshot: Snapshot) {
        self.objects = snapshot.objects;
        self.rv = snapshot.rv;
        self.uids = snapshot.uids;
        self.muted = false;
    }

    /// The current global resourceVersion as a number (watch bookkeeping).
    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// Forgets the watch history (as a compaction does). The counter moves on by one, so
    /// every resourceVersion handed out so far is too old to watch from, while a fresh LIST
    /// reports one that is not.
    pub fn expire_changes(&mut self) {
        self.rv += 1;
        self.changes.expire(self.rv);
    }

    /// Stores `obj` under `k` and records the change for watchers.
    fn insert(&mut self, k: ObjKey, obj: Value) {
        let kind = if self.objects.contains_key(&k) {
            "MODIFIED"
        } else {
            "ADDED"
        };
        if !self.muted {
            self.changes.record(self.rv, &k.0, &k.1, kind, obj.clone());
        }
        self.objects.insert(k, obj);
    }

    /// The current global resourceVersion (what a LIST reports).
    pub fn resource_version(&self) -> String {
        self.rv.to_string()
    }

    fn next_rv(&mut self) -> String {
        self.rv += 1;
        self.rv.to_string()
    }

    fn next_uid(&mut self) -> String {
        self.uids += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.uids)
    }

    pub fn get(&self, resource: &str, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&key(resource, ns, name))
    }

    /// Objects of one resource, in one namespace or (ns = None) everywhere, ordered by ns/name.
    pub fn list(&self, resource: &str, ns: Option<&str>) -> Vec<&Value> {
        // Keys sort by resource, then namespace: the objects asked for are one run of the map,
        // found by a range rather than a walk over every object (every request's authorization
        // lists the bindings; a 1,000-promotion batch bench holds 7,000 objects).
        let start = key(resource, ns.unwrap_or(""), "");
        self.objects
            .range(start..)
            .take_while(|((r, n, _), _)| r == resource && ns.is_none_or(|want| want == n))
            .map(|(_, v)| v)
            .collect()
    }

    /// Names (ns, name) of one resource across namespaces, so callers can mutate while iterating.
    pub fn keys(&self, resource: &str) -> Vec<(String, String)> {
        self.objects
            .range(key(resource, "", "")..)
            .map(|(k, _)| k)
            .take_while(|(r, _, _)| r == resource)
            .map(|(_, n, name)| (n.clone(), name.clone()))
            .collect()
    }

    /// Creates an object as POST does: fresh uid/resourceVersion/creationTimestamp, generation 1.
    pub fn create(&mut self, t: &ResourceType, ns: &str, mut obj: Value) -> ApiResult<Value> {
        let name = meta_str(&obj, "name").to_string();
        if name.is_empty() {
            return Err(ApiError::invalid(
                t,
                "",
                "metadata.name",
                "Required value: name is required",
            ));
        }
        let ns = if t.namespaced { ns } else { "" };
        if self.get(&t.key(), ns, &name).is_some() {
            return Err(ApiError::already_exists(t, &name));
        }
        obj["kind"] = json!(t.kind);
        obj["apiVersion"] = json!(t.api_version());
        let uid = self.next_uid();
        let rv = self.next_rv();
        let meta = obj_mut(&mut obj, "metadata");
        if t.namespaced {
            meta.insert("namespace".into(), json!(ns));
        }
        meta.insert("uid".into(), json!(uid));
        meta.insert("resourceVersion".into(), json!(rv));
        meta.insert("creationTimestamp".into(), json!(now()));
        meta.insert("generation".into(), json!(1));
        self.insert(key(&t.key(), ns, &name), obj.clone());
        Ok(obj)
    }

    /// Stores an object unconditionally (callers check preconditions): keeps uid and
    /// creationTimestamp of the stored version, assigns a new resourceVersion.
    pub fn put(&mut self, t: &ResourceType, mut obj: Value) -> Value {
        let ns = if t.namespaced {
            meta_str(&obj, "namespace").to_string()
        } else {
            String::new()
        };
        let name = meta_str(&obj, "name").to_string();
        let k = key(&t.key(), &ns, &name);
        let (uid, created, generation) = match self.objects.get(&k) {
            Some(old) => (
                meta_str(old, "uid").to_string(),
                old["metadata"]["creationTimestamp"].clone(),
                old["metadata"]["generation"].clone(),
            ),
            None => (self.next_uid(), json!(now()), json!(1)),
        };
        obj["kind"] = json!(t.kind);
        obj["apiVersion"] = json!(t.api_version());
        let rv = self.next_rv();
        let meta = obj_mut(&mut obj, "metadata");
        meta.insert("uid".into(), json!(uid));
        meta.insert("resourceVersion".into(), json!(rv));
        meta.insert("creationTimestamp".into(), created);
        if !meta.get("generation").is_some_and(Value::is_i64) {
            meta.insert("generation".into(), generation);
        }
        self.insert(k, obj.clone());
        obj
    }

    /// Loads a seeded object: its own uid/timestamps/generation are kept, the resourceVersion
    /// is re-issued from the global counter.
    pub fn seed(&mut self, t: &ResourceType, mut obj: Value) -> Value {
        obj["kind"] = json!(t.kind);
        obj["apiVersion"] = json!(t.api_version());
        let uid = self.next_uid();
        let rv = self.next_rv();
        let meta = obj_mut(&mut obj, "metadata");
        meta.entry("uid").or_insert(json!(uid));
        meta.insert("resourceVersion".into(), json!(rv));
        meta.remove("selfLink");
        meta.remove("managedFields");
        meta.entry("creationTimestamp").or_insert(json!(now()));
        meta.entry("generation").or_insert(json!(1));
        if !t.namespaced {
            meta.remove("namespace");
        }
        let ns = if t.namespaced {
            meta_str(&obj, "namespace").to_string()
        } else {
            String::new()
        };
        let name = meta_str(&obj, "name").to_string();
        self.insert(key(&t.key(), &ns, &name), obj.clone());
        obj
    }

    pub fn remove(&mut self, resource: &str, ns: &str, name: &str) -> Option<Value> {
        let gone = self.objects.remove(&key(resource, ns, name));
        if let Some(obj) = &gone {
            // A DELETED event carries the object's last state at the deletion's resourceVersion.
            let rv = self.next_rv();
            let mut last = obj.clone();
            last["metadata"]["resourceVersion"] = json!(rv);
            if !self.muted {
                self.changes.record(self.rv, resource, ns, "DELETED", last);
            }
        }
        gone
    }
}

/// Bumps `metadata.generation` when the spec changed, as every apiserver strategy does.
pub fn bump_generation(old: Option<&Value>, new: &mut Value) {
    let old_gen = old
        .and_then(|o| o["metadata"]["generation"].as_i64())
        .unwrap_or(0);
    let changed = old.is_none_or(|o| o["spec"] != new["spec"]);
    let generation = if changed { old_gen + 1 } else { old_gen.max(1) };
    obj_mut(new, "metadata").insert("generation".into(), json!(generation));
}

/// `labelSelector` matching: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`.
pub fn label_selector_matches(obj: &Value, selector: &str) -> Result<bool, String> {
    let labels = &obj["metadata"]["labels"];
    for req in split_requirements(selector) {
        let req = req.trim();
        if req.is_empty() {
            continue;
        }
        let label = |k: &str| labels[k.trim()].as_str().map(str::to_string);
        let ok = if let Some(k) = req.strip_prefix('!') {
            label(k).is_none()
        } else if let Some((k, v)) = req.split_once("!=") {
            label(k).as_deref() != Some(v.trim())
        } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
            label(k).as_deref() == Some(v.trim())
        } else if let Some((k, set)) = req.split_once(" notin ") {
            let set = parse_set(set)?;
            label(k).is_none_or(|v| !set.contains(&v))
        } else if let Some((k, set)) = req.split_once(" in ") {
            let set = parse_set(set)?;
            label(k).is_some_and(|v| set.contains(&v))
        } else if req
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./".contains(c))
        {
            label(req).is_some()
        } else {
            return Err(format!("unable to parse requirement: {req}"));
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn split_requirements(selector: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for c in selector.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

fn parse_set(set: &str) -> Result<Vec<String>, String> {
    let inner = set
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("set must be parenthesised: {set}"))?;
    Ok(inner.split(',').map(|s| s.trim().to_string()).collect())
}

/// `fieldSelector` matching for `metadata.name` / `metadata.namespace` (`=`, `==`, `!=`).
pub fn field_selector_matches(obj: &Value, selector: &str) -> Result<bool, String> {
    for req in selector.split(',').filter(|r| !r.trim().is_empty()) {
        let (field, want, negate) = if let Some((f, v)) = req.split_once("!=") {
            (f, v, true)
        } else if let Some((f, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
            (f, v, false)
        } else {
            return Err(format!("invalid field selector: {req}"));
        };
        let have = match field.trim() {
            "metadata.name" => meta_str(obj, "name"),
            "metadata.namespace" => meta_str(obj, "namespace"),
            other => return Err(format!("field label not supported: {other}")),
        };
        if (have == want.trim()) == negate {
            return Ok(false);
        }
    }
    Ok(true)
}
