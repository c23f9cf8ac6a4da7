//! Bindings (the bulk of a big cluster's export) read lean: moved out of their parsed value by
//! hand instead of through serde's generic decoding (which buffers every field of a `flatten`
//! struct and copies every string), then slimmed to what the facts read.
//!
//! Only the plain shape `oc` writes is taken by hand: every field of the type it expects.
//! Anything else is handed back untouched for the generic decoder, which accepts the same
//! objects and names the field of any error — so the result is always what `serde` would have
//! built. [`slim`] then keeps what the facts read of a binding (`metadata.name`, `namespace`,
//! `roleRef`, `subjects`: `gather::build::rbac::binding_fact`) and reduces the rest to a digest,
//! so that an object exported twice can still be told from two different objects.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::openshift::{ObjectMeta, RoleBinding, RoleRef, Subject};

/// The binding in `v`, or `v` back when it is not in the plain shape.
pub(super) fn binding(v: Value) -> Result<RoleBinding, Value> {
    if !plain_binding(&v) {
        return Err(v);
    }
    let Value::Object(map) = v else {
        return Err(v);
    };
    let mut out = RoleBinding::default();
    for (key, value) in map {
        match key.as_str() {
            "metadata" => out.metadata = meta(value),
            "roleRef" => out.role_ref = role_ref(value),
            "subjects" => {
                if let Value::Array(items) = value {
                    out.subjects = items.into_iter().map(subject).collect();
                }
            }
            _ => {
                out.extra.insert(key, value);
            }
        }
    }
    Ok(out)
}

/// What [`slim`] dropped from a binding, as a digest: two exports of one binding are the same
/// object exactly when their kept fields are equal and so are these.
pub(super) type Dropped = [u8; 32];

/// Keeps what the facts read of `b` and returns the digest of everything else but `apiVersion`
/// (one object read through two API groups is still one object). The cache slims the bindings
/// it watches the same way (`cache::slim`).
pub(super) fn slim(b: &mut RoleBinding) -> Dropped {
    let mut h = Sha256::new();
    let top: Map<String, Value> = std::mem::take(&mut b.extra)
        .into_iter()
        .filter(|(k, _)| k != "apiVersion")
        .collect();
    feed_map(&mut h, &top);
    let m = &mut b.metadata;
    feed_map(&mut h, &std::mem::take(&mut m.extra));
    for map in [
        std::mem::take(&mut m.labels),
        std::mem::take(&mut m.annotations),
    ] {
        feed_len(&mut h, map.len());
        for (k, v) in &map {
            feed_str(&mut h, k);
            feed_str(&mut h, v);
        }
    }
    for s in [m.creation_timestamp.take(), m.resource_version.take()] {
        feed_opt(&mut h, s.as_deref());
    }
    feed_opt(
        &mut h,
        m.generation.take().map(|g| g.to_string()).as_deref(),
    );
    h.finalize().into()
}

fn feed_len(h: &mut Sha256, n: usize) {
    h.update((n as u64).to_le_bytes());
}

fn feed_str(h: &mut Sha256, s: &str) {
    feed_len(h, s.len());
    h.update(s.as_bytes());
}

fn feed_opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0]),
        Some(s) => {
            h.update([1]);
            feed_str(h, s);
        }
    }
}

/// A map's entries in key order: JSON objects are equal whatever the order of their keys.
fn feed_map(h: &mut Sha256, m: &Map<String, Value>) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    feed_len(h, keys.len());
    for k in keys {
        feed_str(h, k);
        if let Some(v) = m.get(k) {
            feed_value(h, v);
        }
    }
}

/// A value, tagged by type and length-prefixed, so different values never feed the same bytes.
fn feed_value(h: &mut Sha256, v: &Value) {
    match v {
        Value::Null => h.update([0]),
        Value::Bool(b) => h.update([1, u8::from(*b)]),
        Value::Number(n) => {
            h.update([2]);
            feed_str(h, &n.to_string());
        }
        Value::String(s) => {
            h.update([3]);
            feed_str(h, s);
        }
        Value::Array(a) => {
            h.update([4]);
            feed_len(h, a.len());
            for x in a {
                feed_value(h, x);
            }
        }
        Value::Object(m) => {
            h.update([5]);
            feed_map(h, m);
        }
    }
}

fn opt_str(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null | Value::String(_)))
}

fn is_str(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(_)))
}

/// Whether every field `binding` moves out has the type serde would accept without a word.
fn plain_binding(v: &Value) -> bool {
    let Some(m) = v.as_object() else {
        return false;
    };
    let Some(Value::Object(meta)) = m.get("metadata") else {
        return false;
    };
    let Some(Value::Object(role)) = m.get("roleRef") else {
        return false;
    };
    let subjects_ok = match m.get("subjects") {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.iter().all(|s| {
            s.as_object().is_some_and(|s| {
                is_str(s.get("kind"))
                    && is_str(s.get("name"))
                    && opt_str(s.get("namespace"))
                    && opt_str(s.get("apiGroup"))
            })
        }),
        Some(_) => false,
    };
    let map_ok = |k: &str| matches!(meta.get(k), None | Some(Value::Null | Value::Object(_)));
    let generation_ok = match meta.get("generation") {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_i64().is_some(),
        Some(_) => false,
    };
    subjects_ok
        && matches!(meta.get("name"), None | Some(Value::String(_)))
        && opt_str(meta.get("namespace"))
        && map_ok("labels")
        && map_ok("annotations")
        && generation_ok
        && is_str(role.get("kind"))
        && is_str(role.get("name"))
        && opt_str(role.get("apiGroup"))
}

/// A string field checked by [`plain_binding`]: `null` or absent is `None`.
fn take_str(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// As `lenient::string_map`: scalars rendered as the API would store them.
fn string_map(v: Value) -> BTreeMap<String, String> {
    match v {
        Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s,
                    other => crate::openshift::scalar_to_string(&other),
                };
                (k, s)
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// As `lenient::opt_string`.
fn opt_string(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(crate::openshift::scalar_to_string(&other)),
    }
}

fn meta(v: Value) -> ObjectMeta {
    let mut out = ObjectMeta::default();
    let Value::Object(m) = v else {
        return out;
    };
    let mut extra = Map::new();
    for (key, value) in m {
        match key.as_str() {
            "name" => out.name = take_str(value).unwrap_or_default(),
            "namespace" => out.namespace = take_str(value),
            "labels" => out.labels = string_map(value),
            "annotations" => out.annotations = string_map(value),
            "creationTimestamp" => out.creation_timestamp = opt_string(value),
            "resourceVersion" => out.resource_version = opt_string(value),
            "generation" => out.generation = value.as_i64(),
            _ => {
                extra.insert(key, value);
            }
        }
    }
    out.extra = extra;
    out
}

fn role_ref(v: Value) -> RoleRef {
    let mut out = RoleRef::default();
    if let Value::Object(m) = v {
        for (key, value) in m {
            match key.as_str() {
                "apiGroup" => out.api_group = take_str(value),
                "kind" => out.kind = take_str(value).unwrap_or_default(),
                "name" => out.name = take_str(value).unwrap_or_default(),
                // RoleRef keeps no other field (serde ignores them too).
                _ => {}
            }
        }
    }
    out
}

fn subject(v: Value) -> Subject {
    let mut out = Subject::default();
    if let Value::Object(m) = v {
        for (key, value) in m {
            match key.as_str() {
                "kind" => out.kind = take_str(value).unwrap_or_default(),
                "name" => out.name = take_str(value).unwrap_or_default(),
                "namespace" => out.namespace = take_str(value),
                "apiGroup" => out.api_group = take_str(value),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    /// What serde's generic decoding makes of `v`.
    fn generic(v: &Value) -> Result<RoleBinding, String> {
        serde_json::from_value(v.clone()).map_err(|e| e.to_string())
    }

    #[test]
    fn plain_bindings_decode_exactly_as_serde_does() {
        let cases = [
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"creationTimestamp": "2024-02-01T10:00:00Z", "name": "a",
                    "resourceVersion": "7", "uid": "u-1", "generation": 3,
                    "labels": {"n": 1, "b": true, "s": "x", "z": null},
                    "annotations": {"o": {"k": [1]}}, "managedFields": [{"x": 1}]},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "view", "extra": 1},
                "subjects": [{"kind": "User", "name": "u", "apiGroup": null, "other": 2},
                    {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}],
                "zzz": {"kept": true}}),
            json!({"metadata": {"name": "b", "namespace": "dev", "labels": null,
                    "creationTimestamp": 20240201, "resourceVersion": null, "generation": null},
                "roleRef": {"kind": "Role", "name": "r"}, "subjects": null}),
            json!({"metadata": {}, "roleRef": {"kind": "Role", "name": "r"}}),
        ];
        for v in cases {
            let fast = binding(v.clone()).unwrap();
            let slow = generic(&v).unwrap();
            assert_eq!(fast, slow, "{v}");
            // The kept fields serialise in the same order as serde's.
            assert_eq!(
                serde_json::to_string(&fast).unwrap(),
                serde_json::to_string(&slow).unwrap()
            );
        }
    }

    #[test]
    fn other_shapes_are_handed_back_for_serde_to_judge() {
        let base = json!({"metadata": {"name": "a"}, "roleRef": {"kind": "ClusterRole", "name": "v"},
            "subjects": [{"kind": "User", "name": "u"}]});
        assert!(binding(base.clone()).is_ok());
        let odd = [
            ("/metadata", json!("x")),
            ("/metadata/name", json!(1)),
            ("/metadata/namespace", json!(["a"])),
            ("/metadata/labels", json!("x")),
            ("/metadata/generation", json!(1.5)),
            ("/metadata/generation", json!(u64::MAX)),
            ("/roleRef/kind", json!(null)),
            ("/roleRef/apiGroup", json!(3)),
            ("/subjects", json!({"kind": "User"})),
            ("/subjects/0", json!("u")),
            ("/subjects/0/name", json!(null)),
            ("/subjects/0/namespace", json!(false)),
        ];
        for (at, value) in odd {
            let mut v = base.clone();
            let (parent, last) = at.rsplit_once('/').unwrap();
            match v.pointer_mut(parent).unwrap() {
                Value::Object(m) => {
                    m.insert(last.into(), value);
                }
                Value::Array(a) => a[last.parse::<usize>().unwrap()] = value,
                _ => unreachable!(),
            }
            let back = binding(v.clone()).unwrap_err();
            assert_eq!(back, v, "{at}");
        }
        let mut v = base.clone();
        v.as_object_mut().unwrap().remove("roleRef");
        assert!(binding(v.clone()).is_err() && generic(&v).is_err());
    }
}
