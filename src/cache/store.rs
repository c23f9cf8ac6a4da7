//! The stores behind the cache: per watched kind, the last good list kept up to date by watch
//! events, a re-list filled on the side and swapped in whole, and readiness.

use std::collections::BTreeMap;

use kube::api::DynamicObject;
use kube::runtime::watcher::Event;

use super::slim::{decode, key_of, Key, Object};
use super::{Watched, WATCHED};
use crate::gather::{ClusterObjects, Provenance};

/// What the cache says in `ClusterObjects::origin`.
pub const ORIGIN: &str = "admission cache";

/// One watched object as the store keeps it: decoded, or why it could not be.
type Entry = Result<Object, String>;

/// One kind's store.
#[derive(Debug, Default)]
struct KindStore {
    /// The last good state: the last completed list plus the events since.
    live: BTreeMap<Key, Entry>,
    /// A list in progress (after `Init`, until `InitDone`): never read.
    relist: Option<BTreeMap<Key, Entry>>,
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

/// All kinds' stores and a generation counter bumped by every change readers could see.
#[derive(Debug)]
pub struct Stores {
    kinds: Vec<KindStore>,
    generation: u64,
}

impl Default for Stores {
    fn default() -> Self {
        Stores {
            kinds: WATCHED.iter().map(|_| KindStore::default()).collect(),
            generation: 0,
        }
    }
}

/// A watch event decoded outside the lock, ready to apply.
pub enum Change {
    Init,
    InitApply(Key, Entry),
    InitDone,
    Apply(Key, Entry),
    Delete(Key),
}

impl Change {
    /// Decodes the object of an event of kind `w` (cost paid before taking the stores' lock).
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

impl Stores {
    /// The number of changes readers could have seen so far.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Applies one event to the store of `WATCHED[kind]` (out of range: ignored).
    pub fn apply(&mut self, kind: usize, change: Change) {
        let Some(store) = self.kinds.get_mut(kind) else {
            return;
        };
        let w = &WATCHED[kind];
        match change {
            // A re-list starts: the old store keeps answering until it completes.
            Change::Init => store.relist = Some(BTreeMap::new()),
            Change::InitApply(key, entry) => {
                warn_invalid(w, &key, &entry);
                store.relist.get_or_insert_default().insert(key, entry);
            }
            Change::InitDone => {
                store.live = store.relist.take().unwrap_or_default();
                store.synced = true;
                store.last_error = None;
                self.generation += 1;
            }
            Change::Apply(key, entry) => {
                warn_invalid(w, &key, &entry);
                store.live.insert(key, entry);
                store.last_error = None;
                self.generation += 1;
            }
            Change::Delete(key) => {
                store.live.remove(&key);
                store.last_error = None;
                self.generation += 1;
            }
        }
    }

    /// Records a failure of `WATCHED[kind]`'s watch; the store keeps what it had.
    pub fn failed(&mut self, kind: usize, error: String) {
        if let Some(store) = self.kinds.get_mut(kind) {
            store.last_error = Some(error);
        }
    }

    pub fn status(&self) -> Status {
        Status(
            WATCHED
                .iter()
                .zip(&self.kinds)
                .map(|(w, s)| KindStatus {
                    kind: w.kind,
                    resource: w.resource,
                    synced: s.synced,
                    objects: s.live.len(),
                    invalid: s.live.values().filter(|e| e.is_err()).count(),
                    last_error: s.last_error.clone(),
                })
                .collect(),
        )
    }

    /// Objects held per kind.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        WATCHED
            .iter()
            .zip(&self.kinds)
            .map(|(w, s)| (w.kind, s.live.len()))
            .collect()
    }

    /// A copy of every live store as the facts builder reads objects, each kind sorted by
    /// namespace and name. What is not known is said, so the facts fail closed: a kind not
    /// synced yet, or an object that could not be decoded, is a warning, an unreadable RBAC
    /// read or an unsearched place, never silently absent.
    pub fn build(&self) -> ClusterObjects {
        let mut o = ClusterObjects {
            origin: ORIGIN.into(),
            provenance: Provenance::Cluster,
            ..ClusterObjects::default()
        };
        for (w, store) in WATCHED.iter().zip(&self.kinds) {
            if !store.synced {
                o.warnings
                    .push(format!("the cache has not synced {} yet", w.resource));
                unknown(&mut o, w, None);
            }
            for ((ns, name), entry) in &store.live {
                match entry {
                    Ok(obj) => push(&mut o, obj.clone()),
                    Err(e) => {
                        let who = if ns.is_empty() {
                            name.clone()
                        } else {
                            format!("{ns}/{name}")
                        };
                        o.warnings
                            .push(format!("the cache could not read {} {who}: {e}", w.kind));
                        unknown(&mut o, w, Some((ns, name)));
                    }
                }
            }
        }
        if !self.synced("RoleBinding") {
            // RoleBindings may be missing from any namespace the facts could involve.
            let mut namespaces: Vec<String> = o
                .streams
                .iter()
                .map(|s| s.metadata.ns().to_string())
                .chain(o.dcs.iter().map(|d| d.metadata.ns().to_string()))
                .chain(o.deployments.iter().map(|d| d.metadata.ns().to_string()))
                .collect();
            namespaces.sort();
            namespaces.dedup();
            o.unreadable
                .extend(namespaces.iter().map(|ns| format!("rolebindings in {ns}")));
        }
        o
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
fn unknown(o: &mut ClusterObjects, w: &Watched, at: Option<(&String, &String)>) {
    match (w.kind, at) {
        ("RoleBinding", Some((ns, _))) => {
            o.unreadable.insert(format!("rolebindings in {ns}"));
        }
        ("ClusterRoleBinding", _) => {
            o.unreadable.insert("clusterrolebindings".into());
        }
        ("DeploymentConfig" | "Deployment", Some((ns, name))) => o
            .unsearched
            .push(format!("{} {ns}/{name} (unreadable)", w.resource)),
        ("DeploymentConfig" | "Deployment", None) => o
            .unsearched
            .push(format!("{} (the cache has not synced)", w.resource)),
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
        Object::RoleBinding(b) => o.rolebindings.push(b),
        Object::ClusterRoleBinding(b) => o.clusterrolebindings.push(b),
        Object::Role(r) => o.roles.push(r),
        Object::ClusterRole(r) => o.clusterroles.push(r),
    }
}
