//! The views readers get: two `ClusterObjects` kept in step by replaying each batch of changes
//! on both (left-right), so publishing a change costs the change, never a copy of the cluster.
//!
//! Readers clone the published `Arc` and keep it for one decision. The writer applies a batch
//! to the spare copy once no reader holds it any more, swaps it in, and remembers the batch to
//! replay on the other copy before the next one. Copying a whole view (hundreds of thousands of
//! strings at issue 11's size, ~0.4 s) happens only when a reader keeps an old view for long.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use super::slim::{Key, Object};
use crate::gather::{ClusterObjects, Provenance};
use crate::openshift::{
    Deployment, DeploymentConfig, Image, ImageStream, ObjectMeta, ReplicaSet,
    ReplicationController, Role, RoleBinding,
};

/// What the cache says in `ClusterObjects::origin`.
pub const ORIGIN: &str = "admission cache";

/// One change to a view. Short-lived (one batch), so objects stay inline rather than boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Op {
    /// Insert or replace one object.
    Put(Object),
    /// Remove one object of a kind (absent: nothing to do).
    Remove(&'static str, Key),
    /// Replace every object of a kind (a completed list), sorted by key.
    Replace(&'static str, Vec<Object>),
    /// What the stores cannot vouch for: warnings, unreadable RBAC reads, unsearched places.
    Unknowns(Unknowns),
}

/// The parts of a view computed from the stores' state rather than from objects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unknowns {
    pub warnings: Vec<String>,
    pub unreadable: BTreeSet<String>,
    pub unsearched: Vec<String>,
    /// RoleBindings are not synced: every namespace of the view is unreadable for them.
    pub rolebindings_everywhere: bool,
}

pub fn empty() -> ClusterObjects {
    ClusterObjects {
        origin: ORIGIN.into(),
        provenance: Provenance::Cluster,
        // `put`, `remove` and `Replace` keep every list sorted by key.
        sorted: true,
        ..ClusterObjects::default()
    }
}

/// What readers lock: the published view.
pub type Published = Arc<Mutex<Arc<ClusterObjects>>>;

/// The published view, and the writer's spare copy with what it lacks.
#[derive(Debug)]
pub struct Views {
    published: Published,
    spare: Arc<ClusterObjects>,
    /// Applied to the published view, not yet to the spare.
    behind: Vec<Op>,
    /// The generation of the published view.
    generation: u64,
}

impl Default for Views {
    fn default() -> Self {
        Views {
            published: Arc::new(Mutex::new(Arc::new(empty()))),
            spare: Arc::new(empty()),
            behind: Vec::new(),
            generation: 0,
        }
    }
}

/// The view for one decision (an `Arc` clone under a short lock).
pub fn read(published: &Published) -> Arc<ClusterObjects> {
    published
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

impl Views {
    /// The handle readers lock.
    pub fn published(&self) -> Published {
        self.published.clone()
    }

    pub fn read(&self) -> Arc<ClusterObjects> {
        read(&self.published)
    }

    /// Publishes `batch` if the spare copy is free (no reader holds it), or at once by copying
    /// it when `force`; otherwise gives the batch back to retry later.
    pub fn publish(&mut self, batch: Vec<Op>, force: bool) -> Result<(), Vec<Op>> {
        let spare = match Arc::get_mut(&mut self.spare) {
            Some(spare) => spare,
            None if force => {
                tracing::debug!("a reader keeps an old cache view: copying it to publish");
                Arc::make_mut(&mut self.spare)
            }
            None => return Err(batch),
        };
        for op in self.behind.drain(..) {
            apply(spare, op);
        }
        for op in &batch {
            apply(spare, op.clone());
        }
        self.generation += 1;
        spare.generation = self.generation;
        let mut published = self
            .published
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::swap(&mut *published, &mut self.spare);
        drop(published);
        self.behind = batch;
        Ok(())
    }
}

/// Objects a view holds, found by `(namespace, name)`.
trait Keyed {
    fn meta(&self) -> &ObjectMeta;
    fn key(&self) -> (&str, &str) {
        let m = self.meta();
        (m.ns(), m.name.as_str())
    }
}

macro_rules! keyed {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
        }
    )*};
}
keyed!(
    ImageStream,
    Image,
    DeploymentConfig,
    Deployment,
    ReplicationController,
    ReplicaSet,
    RoleBinding,
    Role
);

/// Inserts or replaces `obj` in a vector kept sorted by key.
fn put<T: Keyed>(v: &mut Vec<T>, obj: T) {
    let at = {
        let key = obj.key();
        v.binary_search_by(|o| o.key().cmp(&key))
    };
    match at {
        Ok(i) => v[i] = obj,
        Err(i) => v.insert(i, obj),
    }
}

fn remove<T: Keyed>(v: &mut Vec<T>, (ns, name): &Key) {
    if let Ok(i) = v.binary_search_by(|o| o.key().cmp(&(ns.as_str(), name.as_str()))) {
        v.remove(i);
    }
}

fn apply(o: &mut ClusterObjects, op: Op) {
    match op {
        Op::Put(obj) => match obj {
            Object::Stream(s) => put(&mut o.streams, s),
            Object::Image(i) => put(&mut o.images, *i),
            Object::Dc(d) => put(&mut o.dcs, *d),
            Object::Deployment(d) => put(&mut o.deployments, *d),
            Object::Rc(r) => put(&mut o.rcs, r),
            Object::Rs(r) => put(&mut o.replicasets, r),
            Object::RoleBinding(b) => put(&mut o.rolebindings, b),
            Object::ClusterRoleBinding(b) => put(&mut o.clusterrolebindings, b),
            Object::Role(r) => put(&mut o.roles, r),
            Object::ClusterRole(r) => put(&mut o.clusterroles, r),
        },
        Op::Remove(kind, key) => match kind {
            "ImageStream" => remove(&mut o.streams, &key),
            "Image" => remove(&mut o.images, &key),
            "DeploymentConfig" => remove(&mut o.dcs, &key),
            "Deployment" => remove(&mut o.deployments, &key),
            "ReplicationController" => remove(&mut o.rcs, &key),
            "ReplicaSet" => remove(&mut o.replicasets, &key),
            "RoleBinding" => remove(&mut o.rolebindings, &key),
            "ClusterRoleBinding" => remove(&mut o.clusterrolebindings, &key),
            "Role" => remove(&mut o.roles, &key),
            "ClusterRole" => remove(&mut o.clusterroles, &key),
            _ => {}
        },
        Op::Replace(kind, objects) => {
            clear(o, kind);
            // Sorted by key already (they come from a BTreeMap): pushing keeps the order.
            for obj in objects {
                push(o, obj);
            }
        }
        Op::Unknowns(u) => {
            o.warnings = u.warnings;
            o.unreadable = u.unreadable;
            o.unsearched = u.unsearched;
            if u.rolebindings_everywhere {
                let namespaces: BTreeSet<String> = o
                    .streams
                    .iter()
                    .map(|s| s.metadata.ns())
                    .chain(o.dcs.iter().map(|d| d.metadata.ns()))
                    .chain(o.deployments.iter().map(|d| d.metadata.ns()))
                    .map(|ns| format!("rolebindings in {ns}"))
                    .collect();
                o.unreadable.extend(namespaces);
            }
        }
    }
}

fn clear(o: &mut ClusterObjects, kind: &str) {
    match kind {
        "ImageStream" => o.streams.clear(),
        "Image" => o.images.clear(),
        "DeploymentConfig" => o.dcs.clear(),
        "Deployment" => o.deployments.clear(),
        "ReplicationController" => o.rcs.clear(),
        "ReplicaSet" => o.replicasets.clear(),
        "RoleBinding" => o.rolebindings.clear(),
        "ClusterRoleBinding" => o.clusterrolebindings.clear(),
        "Role" => o.roles.clear(),
        "ClusterRole" => o.clusterroles.clear(),
        _ => {}
    }
}

fn push(o: &mut ClusterObjects, obj: Object) {
    match obj {
        Object::Stream(s) => o.streams.push(s),
        Object::Image(i) => o.images.push(*i),
        Object::Dc(d) => o.dcs.push(*d),
        Object::Deployment(d) => o.deployments.push(*d),
        Object::Rc(r) => o.rcs.push(r),
        Object::Rs(r) => o.replicasets.push(r),
        Object::RoleBinding(b) => o.rolebindings.push(b),
        Object::ClusterRoleBinding(b) => o.clusterrolebindings.push(b),
        Object::Role(r) => o.roles.push(r),
        Object::ClusterRole(r) => o.clusterroles.push(r),
    }
}

/// Objects of a kind in a view (`tollgate_cache_objects`).
pub fn count(o: &ClusterObjects, kind: &str) -> usize {
    match kind {
        "ImageStream" => o.streams.len(),
        "Image" => o.images.len(),
        "DeploymentConfig" => o.dcs.len(),
        "Deployment" => o.deployments.len(),
        "ReplicationController" => o.rcs.len(),
        "ReplicaSet" => o.replicasets.len(),
        "RoleBinding" => o.rolebindings.len(),
        "ClusterRoleBinding" => o.clusterrolebindings.len(),
        "Role" => o.roles.len(),
        "ClusterRole" => o.clusterroles.len(),
        _ => 0,
    }
}
