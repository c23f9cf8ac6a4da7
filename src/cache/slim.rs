//! Turns one watched object into the slim `openshift` type the facts read, with everything the
//! facts never read (managedFields, layers, manifests, pod specs, unknown fields) dropped.
//!
//! The slim types keep unknown fields in `extra` maps so that a PUT never drops them; the
//! cache never writes, so it clears them: in a large cluster most of an object's bytes are
//! there (an Image's manifest and layers, a workload's pod template, managedFields).

use kube::api::DynamicObject;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::Watched;
use crate::openshift::{
    Container, Deployment, DeploymentConfig, Image, ImageStream, ObjectMeta, ObjectReference,
    PodSpec, ReplicaSet, ReplicationController, Role, RoleBinding, TagReference,
};

/// A copy of the whole object, written by `kubectl apply`: on a workload or a binding it can be
/// the largest annotation, and the facts never read it there. Images keep it: their
/// annotations are facts (`image.annotations`).
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One decoded object of a watched kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Stream(ImageStream),
    Image(Box<Image>),
    Dc(Box<DeploymentConfig>),
    Deployment(Box<Deployment>),
    Rc(ReplicationController),
    Rs(ReplicaSet),
    RoleBinding(RoleBinding),
    ClusterRoleBinding(RoleBinding),
    Role(Role),
    ClusterRole(Role),
}

/// `(namespace, name)`; the namespace is `""` for cluster-scoped kinds.
pub type Key = (String, String);

/// The key of a watched object, from its metadata.
pub fn key_of(obj: &DynamicObject) -> Key {
    (
        obj.metadata.namespace.clone().unwrap_or_default(),
        obj.metadata.name.clone().unwrap_or_default(),
    )
}

/// Decodes one object of kind `w` into its slim type; `Err` says which field is wrong.
pub fn decode(w: &Watched, obj: DynamicObject) -> Result<Object, String> {
    let DynamicObject {
        mut metadata, data, ..
    } = obj;
    if metadata.name.as_deref().unwrap_or("").is_empty() {
        return Err("metadata.name is missing".into());
    }
    // Dropped before anything is copied: it is often the largest part of an object.
    metadata.managed_fields = None;
    let mut map = match data {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => return Err(format!("the object is {other}, not a map")),
    };
    let meta = serde_json::to_value(&metadata).map_err(|e| format!("metadata: {e}"))?;
    map.insert("metadata".into(), meta);
    let v = Value::Object(map);
    Ok(match w.kind {
        "ImageStream" => Object::Stream(slim(v, trim_stream)?),
        "Image" => Object::Image(Box::new(slim(v, trim_image)?)),
        "DeploymentConfig" => Object::Dc(Box::new(slim(v, trim_dc)?)),
        "Deployment" => Object::Deployment(Box::new(slim(v, trim_deployment)?)),
        "ReplicationController" => Object::Rc(slim(v, |r: &mut ReplicationController| {
            // `image.seen` reads which images a rollout ran: keep the pod template's images.
            let images = only_images(r.container_images());
            r.extra = images;
            trim_meta(&mut r.metadata);
        })?),
        "ReplicaSet" => Object::Rs(slim(v, |r: &mut ReplicaSet| {
            let images = only_images(r.container_images());
            r.extra = images;
            // The owning Deployment is named by an owner reference: keep kind and name only.
            let owners = r.metadata.extra.remove("ownerReferences");
            trim_meta(&mut r.metadata);
            if let Some(Value::Array(owners)) = owners {
                let slim: Vec<Value> = owners
                    .iter()
                    .map(|o| serde_json::json!({"kind": o.get("kind"), "name": o.get("name")}))
                    .collect();
                r.metadata
                    .extra
                    .insert("ownerReferences".into(), Value::Array(slim));
            }
        })?),
        "RoleBinding" => Object::RoleBinding(slim(v, trim_binding)?),
        "ClusterRoleBinding" => Object::ClusterRoleBinding(slim(v, trim_binding)?),
        "Role" => Object::Role(slim(v, trim_role)?),
        "ClusterRole" => Object::ClusterRole(slim(v, trim_role)?),
        other => return Err(format!("the cache has no slim type for kind {other}")),
    })
}

/// `spec.template.spec.containers[].image` alone: what a rollout ran, without the pod spec.
fn only_images(images: Vec<&str>) -> Map<String, Value> {
    let containers: Vec<Value> = images
        .into_iter()
        .map(|i| serde_json::json!({ "image": i }))
        .collect();
    let mut m = Map::new();
    if !containers.is_empty() {
        m.insert(
            "spec".into(),
            serde_json::json!({"template": {"spec": {"containers": containers}}}),
        );
    }
    m
}

/// Decodes with the failing field's path, then drops what the facts never read.
fn slim<T: DeserializeOwned>(v: Value, trim: impl FnOnce(&mut T)) -> Result<T, String> {
    let mut t: T = serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        format!("at `{path}`: {}", e.into_inner())
    })?;
    trim(&mut t);
    Ok(t)
}

fn trim_meta(m: &mut ObjectMeta) {
    m.extra.clear();
    m.annotations.remove(LAST_APPLIED);
}

fn trim_ref(r: &mut ObjectReference) {
    r.extra.clear();
}

fn trim_stream(s: &mut ImageStream) {
    trim_meta(&mut s.metadata);
    s.extra.clear();
    s.spec.extra.clear();
    s.spec.tags.iter_mut().for_each(trim_tag);
    s.status.extra.clear();
    for t in &mut s.status.tags {
        // `conditions` (import errors) live here; the facts read only the history.
        t.extra.clear();
    }
}

fn trim_tag(t: &mut TagReference) {
    t.extra.clear();
    if let Some(from) = &mut t.from {
        trim_ref(from);
    }
}

fn trim_image(i: &mut Image) {
    // Not `trim_meta`: an image's annotations are facts, all of them.
    i.metadata.extra.clear();
    // `dockerImageManifest`, `dockerImageLayers`, `dockerImageManifests`…: the bulk of an Image.
    i.extra.clear();
    if let Some(md) = &mut i.docker_image_metadata {
        md.extra.clear();
        if let Some(config) = &mut md.config {
            config.extra.clear();
        }
    }
    for s in &mut i.signatures {
        // `content` (the signature blob) and `conditions`.
        s.extra.clear();
        s.metadata.extra.clear();
    }
}

fn trim_pod(p: &mut PodSpec) {
    p.extra.clear();
    p.containers.iter_mut().for_each(trim_container);
    p.init_containers.iter_mut().for_each(trim_container);
}

fn trim_container(c: &mut Container) {
    c.extra.clear();
}

fn trim_dc(d: &mut DeploymentConfig) {
    trim_meta(&mut d.metadata);
    d.extra.clear();
    d.spec.extra.clear();
    d.spec.template.extra.clear();
    trim_pod(&mut d.spec.template.spec);
    for t in &mut d.spec.triggers {
        t.extra.clear();
        if let Some(p) = &mut t.image_change_params {
            p.extra.clear();
            trim_ref(&mut p.from);
        }
    }
    if let Some(s) = &mut d.status {
        s.extra.clear();
        s.conditions.iter_mut().for_each(|c| c.extra.clear());
    }
}

fn trim_deployment(d: &mut Deployment) {
    trim_meta(&mut d.metadata);
    d.extra.clear();
    d.spec.extra.clear();
    d.spec.template.extra.clear();
    trim_pod(&mut d.spec.template.spec);
    if let Some(s) = &mut d.status {
        s.extra.clear();
        s.conditions.iter_mut().for_each(|c| c.extra.clear());
    }
}

fn trim_binding(b: &mut RoleBinding) {
    trim_meta(&mut b.metadata);
    b.extra.clear();
}

fn trim_role(r: &mut Role) {
    trim_meta(&mut r.metadata);
    r.extra.clear();
}
