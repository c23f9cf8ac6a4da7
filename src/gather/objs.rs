//! [`Objs`]: one kind's objects in [`super::ClusterObjects`], whose parts may be lists shared,
//! uncopied, with other promotions' objects (a release train's namespace lists).
//!
//! A batch of 1,000 promotions that each read the same 1,000 streams must not copy them 1,000
//! times: a list answer is landed as a shared part (an `Arc`), with the few of its entries that
//! an earlier read already holds hidden rather than removed. Reading goes through
//! [`Objs::iter`] (or `for o in &objs`), which walks the parts in order. Everything else a `Vec`
//! offers still works through `Deref`/`DerefMut`: on a list without shared parts (a snapshot,
//! the admission cache) that is the `Vec` itself; with shared parts, reading a slice makes a
//! flattened copy once and mutating folds the parts into a `Vec` of its own first — correct,
//! only slower, so the gatherer and the facts builder iterate instead.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use crate::openshift::{
    Deployment, DeploymentConfig, ImageStream, ObjectMeta, ReplicaSet, ReplicationController,
    RoleBinding,
};

/// Objects named by their metadata (namespace, name): what deduplication compares.
pub trait Named {
    fn meta(&self) -> &ObjectMeta;
}

macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
        }
    )*};
}
named!(
    ImageStream,
    DeploymentConfig,
    Deployment,
    ReplicationController,
    ReplicaSet,
    // ClusterRoleBinding is the same type.
    RoleBinding
);

/// Objects that name image digests: where `image.seen` looks for the candidate.
pub trait Digests {
    /// Every digest the object names as the builder compares them (duplicates allowed): a
    /// stream's tag history entries, a rollout's container images after their `@`.
    fn digests(&self) -> Vec<&str>;
}

impl Digests for ImageStream {
    fn digests(&self) -> Vec<&str> {
        let tags = self.status.tags.iter();
        tags.flat_map(|t| t.items.iter().map(|i| i.image.as_str()))
            .collect()
    }
}

/// The digest a pull spec names (`…@sha256:…`), or the spec itself. `image.seen`'s walk over
/// unshared lists compares the same way, so index and walk cannot disagree.
pub(crate) fn digest_of(image: &str) -> &str {
    image.rsplit_once('@').map_or(image, |(_, d)| d)
}

impl Digests for ReplicationController {
    fn digests(&self) -> Vec<&str> {
        self.container_images().into_iter().map(digest_of).collect()
    }
}

impl Digests for ReplicaSet {
    fn digests(&self) -> Vec<&str> {
        self.container_images().into_iter().map(digest_of).collect()
    }
}

/// namespace → name → the first position of that object in a list.
type Index = HashMap<String, HashMap<String, usize>>;

/// A list answer, decoded once and shared by every promotion that reads it.
#[derive(Debug)]
pub struct Shared<T> {
    items: Vec<T>,
    /// Built on first use (only lists that are deduplicated need it).
    index: OnceLock<(Index, Vec<usize>)>,
    /// digest → positions (ascending) of the objects naming it; built on first use, once for
    /// every promotion of a batch instead of a walk over the list per promotion.
    by_digest: OnceLock<HashMap<String, Vec<usize>>>,
}

impl<T> Shared<T> {
    pub fn new(items: Vec<T>) -> Arc<Shared<T>> {
        Arc::new(Shared {
            items,
            index: OnceLock::new(),
            by_digest: OnceLock::new(),
        })
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }
}

impl<T: Named> Shared<T> {
    /// The index by (namespace, name), and the positions that repeat an earlier entry.
    fn index(&self) -> &(Index, Vec<usize>) {
        self.index.get_or_init(|| {
            let mut index: Index = HashMap::new();
            let mut repeats = Vec::new();
            for (i, o) in self.items.iter().enumerate() {
                let m = o.meta();
                let names = index.entry(m.ns().to_string()).or_default();
                if names.contains_key(&m.name) {
                    repeats.push(i);
                } else {
                    names.insert(m.name.clone(), i);
                }
            }
            (index, repeats)
        })
    }

    fn position(&self, ns: &str, name: &str) -> Option<usize> {
        self.index().0.get(ns)?.get(name).copied()
    }
}

impl<T: Digests> Shared<T> {
    /// Positions of the objects naming `digest`, ascending.
    fn naming(&self, digest: &str) -> &[usize] {
        let index = self.by_digest.get_or_init(|| {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, o) in self.items.iter().enumerate() {
                for d in o.digests() {
                    let at = index.entry(d.to_string()).or_default();
                    if at.last() != Some(&i) {
                        at.push(i);
                    }
                }
            }
            index
        });
        index.get(digest).map_or(&[], Vec::as_slice)
    }
}

/// A part after the list's head: a shared list (minus hidden positions, sorted) or objects of
/// its own pushed after it.
#[derive(Debug, Clone)]
enum Part<T> {
    Shared {
        list: Arc<Shared<T>>,
        hidden: Vec<usize>,
    },
    Own(Vec<T>),
}

/// One kind's objects: `head`, then each part of `tail`, in order. See the module docs.
#[derive(Debug)]
pub struct Objs<T> {
    head: Vec<T>,
    tail: Vec<Part<T>>,
    /// A flattened copy for slice access while `tail` is not empty; reset by every change.
    flat: OnceLock<Vec<T>>,
}

impl<T> Default for Objs<T> {
    fn default() -> Self {
        Objs {
            head: Vec::new(),
            tail: Vec::new(),
            flat: OnceLock::new(),
        }
    }
}

impl<T: Clone> Clone for Objs<T> {
    fn clone(&self) -> Self {
        Objs {
            head: self.head.clone(),
            tail: self.tail.clone(),
            flat: OnceLock::new(),
        }
    }
}

impl<T> From<Vec<T>> for Objs<T> {
    fn from(head: Vec<T>) -> Self {
        Objs {
            head,
            ..Objs::default()
        }
    }
}

impl<T> FromIterator<T> for Objs<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Objs::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<T> Objs<T> {
    /// Every object, in order (hidden entries of shared lists left out).
    pub fn iter(&self) -> Iter<'_, T> {
        Iter::new(&self.head, &self.tail)
    }

    pub fn len(&self) -> usize {
        self.head.len()
            + self
                .tail
                .iter()
                .map(|p| match p {
                    Part::Shared { list, hidden } => list.items.len() - hidden.len(),
                    Part::Own(v) => v.len(),
                })
                .sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends an object of its own.
    pub fn push(&mut self, o: T) {
        self.flat = OnceLock::new();
        match self.tail.last_mut() {
            None => self.head.push(o),
            Some(Part::Own(v)) => v.push(o),
            Some(Part::Shared { .. }) => self.tail.push(Part::Own(vec![o])),
        }
    }

    /// Appends objects of its own.
    pub fn extend(&mut self, objects: impl IntoIterator<Item = T>) {
        for o in objects {
            self.push(o);
        }
    }

    /// Appends every object of a shared list, uncopied.
    pub fn push_shared(&mut self, list: Arc<Shared<T>>) {
        self.flat = OnceLock::new();
        if !list.items.is_empty() {
            self.tail.push(Part::Shared {
                list,
                hidden: Vec::new(),
            });
        }
    }
}

impl<T: Named> Objs<T> {
    /// Appends the objects of a shared list that are not here yet (by namespace and name, the
    /// first one wins, as within the list), uncopied. Costs the objects held so far, not the
    /// list's length, unless an earlier shared list has objects of the same namespaces.
    pub fn push_shared_new(&mut self, list: Arc<Shared<T>>) {
        if list.items.is_empty() {
            return;
        }
        let (index, repeats) = list.index();
        let mut hidden: Vec<usize> = repeats.clone();
        let mut hide = |m: &ObjectMeta| {
            if let Some(i) = list.position(m.ns(), &m.name) {
                hidden.push(i);
            }
        };
        for part in &self.tail {
            match part {
                Part::Own(v) => v.iter().for_each(|o| hide(o.meta())),
                Part::Shared { list: earlier, .. } => {
                    // Lists of different namespaces (the usual case) share nothing.
                    let (earlier_index, _) = earlier.index();
                    if index.keys().any(|ns| earlier_index.contains_key(ns)) {
                        Objs::visible(earlier, part).for_each(|o| hide(o.meta()));
                    }
                }
            }
        }
        self.head.iter().for_each(|o| hide(o.meta()));
        hidden.sort_unstable();
        hidden.dedup();
        self.flat = OnceLock::new();
        if hidden.len() < list.items.len() {
            self.tail.push(Part::Shared { list, hidden });
        }
    }

    /// Appends an object of its own unless one of the same namespace and name is here.
    pub fn push_new(&mut self, o: T) {
        if !self.contains(o.meta().ns(), &o.meta().name) {
            self.push(o);
        }
    }

    /// Whether an object of this namespace and name is here.
    pub fn contains(&self, ns: &str, name: &str) -> bool {
        let is = |o: &T| o.meta().ns() == ns && o.meta().name == name;
        self.head.iter().any(is)
            || self.tail.iter().any(|p| match p {
                Part::Own(v) => v.iter().any(is),
                Part::Shared { list, hidden } => list
                    .position(ns, name)
                    .is_some_and(|i| hidden.binary_search(&i).is_err()),
            })
    }

    fn visible<'a>(list: &'a Shared<T>, part: &'a Part<T>) -> impl Iterator<Item = &'a T> {
        let hidden: &[usize] = match part {
            Part::Shared { hidden, .. } => hidden,
            Part::Own(_) => &[],
        };
        list.items
            .iter()
            .enumerate()
            .filter(move |(i, _)| hidden.binary_search(i).is_err())
            .map(|(_, o)| o)
    }
}

impl<T: Digests> Objs<T> {
    /// The objects naming `digest`, in order: what `iter()` filtered by [`Digests`] gives,
    /// but a shared list is looked up in its index rather than walked.
    pub fn naming<'a>(&'a self, digest: &'a str) -> impl Iterator<Item = &'a T> + 'a {
        let names = move |o: &&T| o.digests().contains(&digest);
        let head = self.head.iter().filter(names);
        let tail = self
            .tail
            .iter()
            .flat_map(move |p| -> Box<dyn Iterator<Item = &'a T> + 'a> {
                match p {
                    Part::Own(v) => Box::new(v.iter().filter(names)),
                    Part::Shared { list, hidden } => Box::new(
                        list.naming(digest)
                            .iter()
                            .filter(|i| hidden.binary_search(i).is_err())
                            .filter_map(|i| list.items.get(*i)),
                    ),
                }
            });
        head.chain(tail)
    }
}

impl<T: Clone> Objs<T> {
    /// Folds the shared parts into objects of its own (a copy of each).
    fn own_everything(&mut self) {
        if self.tail.is_empty() {
            return;
        }
        let all: Vec<T> = self.iter().cloned().collect();
        self.head = all;
        self.tail.clear();
        self.flat = OnceLock::new();
    }
}

impl<T: Clone> Deref for Objs<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        if self.tail.is_empty() {
            return &self.head;
        }
        self.flat.get_or_init(|| self.iter().cloned().collect())
    }
}

impl<T: Clone> DerefMut for Objs<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        self.own_everything();
        self.flat = OnceLock::new();
        &mut self.head
    }
}

mod iter;
pub use iter::Iter;

#[cfg(test)]
mod tests;
