//! One exported object (a JSON value) into its slim typed form, or the reason it is skipped or
//! cannot be read — the step every object takes, whether its file was streamed or read whole.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::SnapshotError;
use crate::openshift::{
    ClusterRole, ClusterRoleBinding, Deployment, DeploymentConfig, Image, ImageStream,
    ImageStreamImage, ImageStreamTag, ReplicaSet, ReplicationController, Role, RoleBinding,
};

/// Kinds the gate reads, and whether they live in a namespace; an object's kind is kept as its
/// index here.
pub(super) const KINDS: &[(&str, bool)] = &[
    ("ImageStream", true),
    ("ImageStreamTag", true),
    ("ImageStreamImage", true),
    ("Image", false),
    ("DeploymentConfig", true),
    ("Deployment", true),
    ("ReplicationController", true),
    ("ReplicaSet", true),
    ("RoleBinding", true),
    ("ClusterRoleBinding", false),
    ("ClusterRole", false),
    ("Role", true),
];

/// Where an object is in its file: which YAML document (when the file has several) and which
/// List item. Formatted only for messages, so a 100,000-item List allocates no position text.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pos {
    /// 1-based; `None` when the file holds one document.
    pub doc: Option<usize>,
    /// 1-based; `None` when the object is the document itself.
    pub item: Option<usize>,
}

impl Pos {
    pub fn is_empty(&self) -> bool {
        self.doc.is_none() && self.item.is_none()
    }

    /// `what` placed at this position: `ClusterRoleBinding `x` (List item 3)`.
    pub fn describe(&self, what: &str) -> String {
        if self.is_empty() {
            what.to_string()
        } else {
            format!("{what} ({self})")
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.doc, self.item) {
            (None, None) => Ok(()),
            (Some(d), None) => write!(f, "document {d}"),
            (None, Some(i)) => write!(f, "List item {i}"),
            (Some(d), Some(i)) => write!(f, "document {d}, List item {i}"),
        }
    }
}

/// A decoded object of one of the [`KINDS`].
// Unboxed variants: the whole `Decoded` is boxed in `Read`, then moved into its kind's list.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Object {
    Stream(ImageStream),
    IsTag(ImageStreamTag),
    IsImage(ImageStreamImage),
    Image(Image),
    Dc(DeploymentConfig),
    Deployment(Deployment),
    Rc(ReplicationController),
    ReplicaSet(ReplicaSet),
    RoleBinding(RoleBinding),
    ClusterRoleBinding(ClusterRoleBinding),
    ClusterRole(ClusterRole),
    Role(Role),
}

/// An object with the identity it is kept under. Keyed by kind, not API group: the gate reads a
/// kind the same from either group (e.g. `v1` and `apps.openshift.io/v1` DeploymentConfigs),
/// so two of them would be ambiguous.
#[derive(Debug)]
pub(super) struct Decoded {
    /// Index into [`KINDS`].
    pub kind: usize,
    pub namespace: String,
    pub name: String,
    pub object: Object,
    /// For a binding, the digest of what was dropped from it (`fast_rbac::slim`).
    pub dropped: Option<super::fast_rbac::Dropped>,
}

/// What one exported object is to the gate.
#[derive(Debug)]
pub(super) enum Read {
    /// A kind the gate does not read (named, or `objects without kind`).
    Skipped(String),
    /// Boxed: a List's items wait in a vector until their file is added, and the largest
    /// object type would make every slot of it that large.
    Object(Box<Decoded>),
}

/// Checks and decodes one object found at `pos` of `file`.
pub(super) fn decode_object(v: Value, file: &str, pos: Pos) -> Result<Read, SnapshotError> {
    let kind_str = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let Some(kind) = KINDS.iter().position(|(k, _)| *k == kind_str) else {
        tracing::debug!(file, kind = %kind_str, "skipping an object of a kind the gate does not read");
        return Ok(Read::Skipped(if kind_str.is_empty() {
            "objects without kind".into()
        } else {
            kind_str.to_string()
        }));
    };
    let (kind_str, namespaced) = KINDS[kind];
    let meta_str = |key: &str| {
        v.get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let name = meta_str("name");
    let invalid = |field: String, message: String| SnapshotError::Invalid {
        file: file.into(),
        object: match &name {
            Some(n) => pos.describe(&format!("{kind_str} `{n}`")),
            None if pos.is_empty() => kind_str.to_string(),
            None => format!("{kind_str} at {pos}"),
        },
        field,
        message,
    };
    let Some(name_s) = name.clone() else {
        return Err(invalid("metadata.name".into(), "is missing".into()));
    };
    let namespace = meta_str("namespace");
    if namespaced && namespace.is_none() {
        return Err(invalid(
            "metadata.namespace".into(),
            "is missing (export with `oc get … -o yaml`, which writes it)".into(),
        ));
    }
    let mut dropped = None;
    let object = match kind {
        0 => Object::Stream(decode(v, &invalid)?),
        1 => Object::IsTag(decode(v, &invalid)?),
        2 => Object::IsImage(decode(v, &invalid)?),
        3 => Object::Image(decode(v, &invalid)?),
        4 => Object::Dc(decode(v, &invalid)?),
        5 => Object::Deployment(decode(v, &invalid)?),
        6 => Object::Rc(decode(v, &invalid)?),
        7 => Object::ReplicaSet(decode(v, &invalid)?),
        8 | 9 => {
            // Bindings are most of a big export: moved out by hand when plainly shaped.
            let mut b = match super::fast_rbac::binding(v) {
                Ok(b) => b,
                Err(v) => decode(v, &invalid)?,
            };
            dropped = Some(super::fast_rbac::slim(&mut b));
            if kind == 8 {
                Object::RoleBinding(b)
            } else {
                Object::ClusterRoleBinding(b)
            }
        }
        10 => Object::ClusterRole(decode(v, &invalid)?),
        _ => Object::Role(decode(v, &invalid)?),
    };
    Ok(Read::Object(Box::new(Decoded {
        kind,
        namespace: namespace.unwrap_or_default(),
        name: name_s,
        object,
        dropped,
    })))
}

/// Decodes with the failing field's path, e.g. `spec.triggers[1].imageChangeParams.from.name`.
fn decode<T: DeserializeOwned>(
    v: Value,
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
