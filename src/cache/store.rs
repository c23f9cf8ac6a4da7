//! The writer's side of the cache: per watched kind, a re-list filled on the side and swapped
//! in whole at its end, readiness, the last error, and the objects that could not be decoded;
//! changes become [`Op`]s published to the views in batches.

use std::collections::BTreeMap;
use std::sync::Arc;

use kube::api::DynamicObject;
use kube::runtime::watcher::Event;

use super::slim::{decode, key_of, Key, Object};
use super::view::{count, Op, Published, Unknowns, Views};
use super::{Watched, WATCHED};
use crate::gather::ClusterObjects;

/// One watched object as it arrived: decoded, or why it could not be.
type Entry = Result<Object, String>;

/// One kind's state.
#[derive(Debug, Default)]
struct KindStore {
    /// A list in progress (after `Init`, until `InitDone`): never read.
    relist: Option<BTreeMap<Key, Entry>>,
    /// Objects of the live state that could not be decoded, and why.
    invalid: BTreeMap<Key, String>,
    /// A list has completed once; never goes back.
    synced: bool,
    last_error: Option<String>,
}

/// What [`Stores::status`] says about one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindStatus {
    pub kind: &'static str,
    /// Plural resource name, as RBAC and messages name it (`imagestreams`).
    pub resource: &'static str,
    /// A complete list has been received at least once.
    pub synced: bool,
    /// Objects held (those that could not be decoded included).
    pub objects: usize,
    /// Objects held that could not be decoded.
    pub invalid: usize,
    /// The last failure of the watch (a refused list, a broken stream), until it recovers.
    pub last_error: Option<String>,
}

/// Every kind's status, in [`WATCHED`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status(pub Vec<KindStatus>);

impl Status {
    /// Every kind has completed its first list.
    pub fn ready(&self) -> bool {
        self.0.iter().all(|k| k.synced)
    }

    /// `None` when ready; otherwise `the cache has not synced: imagestreams (last error…), …`.
    pub fn not_ready_message(&self) -> Option<String> {
        let pending: Vec<String> = self
            .0
            .iter()
            .filter(|k| !k.synced)
            .map(|k| match &k.last_error {
                Some(e) => format!("{} ({e})", k.resource),
                None => k.resource.to_string(),
            })
            .collect();
        (!pending.is_empty()).then(|| format!("the cache has not synced: {}", pending.join(", ")))
    }
}

/// A watch event decoded outside any lock, ready to apply.
pub enum Change {
    Init,
    InitApply(Key, Entry),
    InitDone,
    Apply(Key, Entry),
    Delete(Key),
}

impl Change {
    /// Decodes the object of an event of kind `w` (cost paid before taking the writer's lock).
    pub fn decode(w: &Watched, event: Event<DynamicObject>) -> Change {
        let keyed = |obj: DynamicObject| (key_of(&obj), decode(w, obj));
        match event {
            Event::Init => Change::Init,
            Event::InitApply(obj) => {
                let (k, e) = keyed(obj);
                Change::InitApply(k, e)
            }
            Event::InitDone => Change::InitDone,
            Event::Apply(obj) => {
                let (k, e) = keyed(obj);
                Change::Apply(k, e)
            }
            Event::Delete(obj) => Change::Delete(key_of(&obj)),
        }
    }
}

/// Every kind's state, the views, and the changes not yet published.
#[derive(Debug)]
pub struct Stores {
    kinds: Vec<KindStore>,
    views: Views,
    pending: Vec<Op>,
    /// The unknowns as last queued, to queue them again only when they change.
    unknowns: Option<Unknowns>,
}

impl Default for Stores {
    /// Nothing synced, and the first view says so.
    fn default() -> Self {
        let mut s = Stores {
            kinds: WATCHED.iter().map(|_| KindStore::default()).collect(),
            views: Views::default(),
            pending: Vec::new(),
            unknowns: None,
        };
        let unknowns = s.unknowns();
        s.unknowns = Some(unknowns.clone());
        s.pending.push(Op::Unknowns(unknowns));
        s.publish(true);
        s
    }
}

impl Stores {
    /// The handle readers lock (never the writer's lock).
    pub fn published(&self) -> Published {
        self.views.published()
    }

    /// Applies one event of `WATCHED[kind]` (out of range: ignored); published by [`Self::publish`].
    pub fn apply(&mut self, kind: usize, change: Change) {
        let (Some(store), Some(w)) = (self.kinds.get_mut(kind), WATCHED.get(kind)) else {
            return;
        };
        match change {
            // A re-list starts: the views keep the last good state until it completes.
            Change::Init => store.relist = Some(BTreeMap::new()),
            Change::InitApply(key, entry) => {
                warn_invalid(w, &key, &entry);
                store.relist.get_or_insert_default().insert(key, entry);
            }
            Change::InitDone => {
                // The end of a list that never started says nothing: keep what is there
                // (an empty store would read as "no bindings", "no followers").
                let Some(relist) = store.relist.take() else {
                    tracing::warn!(kind = w.kind, "a list ended that never started; ignored");
                    return;
                };
                let mut objects = Vec::new();
                store.invalid.clear();
                for (key, entry) in relist {
                    match entry {
                        Ok(obj) => objects.push(obj),
                        Err(e) => {
                            store.invalid.insert(key, e);
                        }
                    }
                }
                store.synced = true;
                store.last_error = None;
                self.pending.push(Op::Replace(w.kind, objects));
            }
            Change::Apply(key, entry) => {
                warn_invalid(w, &key, &entry);
                store.last_error = None;
                match entry {
                    Ok(obj) => {
                        store.invalid.remove(&key);
                        self.pending.push(Op::Put(obj));
                    }
                    Err(e) => {
                        store.invalid.insert(key.clone(), e);
                        self.pending.push(Op::Remove(w.kind, key));
                    }
                }
            }
            Change::Delete(key) => {
                store.last_error = None;
                store.invalid.remove(&key);
                self.pending.push(Op::Remove(w.kind, key));
            }
        }
    }

    /// Records a failure of `WATCHED[kind]`'s watch; the views keep what they had.
    pub fn failed(&mut self, kind: usize, error: String) {
        if let Some(store) = self.kinds.get_mut(kind) {
            store.last_error = Some(error);
        }
    }

    /// Every kind has completed a list.
    pub fn all_synced(&self) -> bool {
        self.kinds.iter().all(|k| k.synced)
    }

    /// Whether changes wait to be published.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Publishes what is pending, in one batch. Without `force`, only if no reader holds the
    /// spare view (returns false to be retried); with it, by copying that view if need be.
    pub fn publish(&mut self, force: bool) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let unknowns = self.unknowns();
        if self.unknowns.as_ref() != Some(&unknowns) || unknowns.rolebindings_everywhere {
            self.unknowns = Some(unknowns.clone());
            self.pending.push(Op::Unknowns(unknowns));
        }
        let batch = std::mem::take(&mut self.pending);
        match self.views.publish(batch, force) {
            Ok(()) => true,
            Err(batch) => {
                self.pending = batch;
                false
            }
        }
    }

    pub fn read(&self) -> Arc<ClusterObjects> {
        self.views.read()
    }

    pub fn status(&self) -> Status {
        let view = self.read();
        Status(
            WATCHED
                .iter()
                .zip(&self.kinds)
                .map(|(w, s)| KindStatus {
                    kind: w.kind,
                    resource: w.resource,
                    synced: s.synced,
                    objects: count(&view, w.kind) + s.invalid.len(),
                    invalid: s.invalid.len(),
                    last_error: s.last_error.clone(),
                })
                .collect(),
        )
    }

    /// What the facts must treat as unknown, so they fail closed: a kind not synced yet, or
    /// an object that could not be decoded, is a warning, an unreadable RBAC read or an
    /// unsearched place, never silently absent.
    fn unknowns(&self) -> Unknowns {
        let mut u = Unknowns::default();
        for (w, store) in WATCHED.iter().zip(&self.kinds) {
            if !store.synced {
                u.warnings
                    .push(format!("the cache has not synced {} yet", w.resource));
                unknown(&mut u, w, None);
            }
            for ((ns, name), e) in &store.invalid {
                let who = if ns.is_empty() {
                    name.clone()
                } else {
                    format!("{ns}/{name}")
                };
                u.warnings
                    .push(format!("the cache could not read {} {who}: {e}", w.kind));
                unknown(&mut u, w, Some((ns, name)));
            }
        }
        // RoleBindings may be missing from any namespace the facts could involve: the view
        // names them as it applies this (it knows the namespaces).
        u.rolebindings_everywhere = !self.synced("RoleBinding");
        u
    }

    fn synced(&self, kind: &str) -> bool {
        WATCHED
            .iter()
            .zip(&self.kinds)
            .any(|(w, s)| w.kind == kind && s.synced)
    }
}

fn warn_invalid(w: &Watched, key: &Key, entry: &Entry) {
    if let Err(e) = entry {
        tracing::warn!(kind = w.kind, namespace = %key.0, name = %key.1, error = %e,
            "the cache could not decode an object: the facts will say it is unknown");
    }
}

/// What an object (or a whole kind, `at: None`) that the cache cannot read means for the
/// facts: RBAC reads become unreadable, workload lists unsearched (the follower may be there).
fn unknown(u: &mut Unknowns, w: &Watched, at: Option<(&String, &String)>) {
    match (w.kind, at) {
        ("RoleBinding", Some((ns, _))) => {
            u.unreadable.insert(format!("rolebindings in {ns}"));
        }
        ("ClusterRoleBinding", _) => {
            u.unreadable.insert("clusterrolebindings".into());
        }
        ("DeploymentConfig" | "Deployment", Some((ns, name))) => u
            .unsearched
            .push(format!("{} {ns}/{name} (unreadable)", w.resource)),
        ("DeploymentConfig" | "Deployment", None) => u
            .unsearched
            .push(format!("{} (the cache has not synced)", w.resource)),
        _ => {}
    }
}
