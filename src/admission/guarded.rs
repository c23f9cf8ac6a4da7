//! Which tags `serve` guards: those an image trigger in a guarded environment follows or that
//! configuration names, and, transitively, every tag a guarded tag tracks.

use std::collections::BTreeSet;
use std::fmt;

use crate::config::Settings;
use crate::gather::{followed_tags, ClusterObjects};
use crate::openshift::ObjectReference;

/// How many aliases a tracking chain may pass through before it is cut (OpenShift refuses
/// cycles; a hostile cache entry must not loop).
const MAX_CHAIN: usize = 32;

/// `namespace/stream:tag`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagKey {
    pub namespace: String,
    pub stream: String,
    pub tag: String,
}

impl fmt::Display for TagKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.namespace, self.stream, self.tag)
    }
}

impl TagKey {
    pub fn new(namespace: &str, stream: &str, tag: &str) -> TagKey {
        TagKey {
            namespace: namespace.to_string(),
            stream: stream.to_string(),
            tag: tag.to_string(),
        }
    }

    /// The tag an `ImageStreamTag` reference names (`stream:tag`, its namespace defaulting to
    /// `owner_ns`); `None` for another kind or a name without a tag.
    pub fn of_istag_ref(from: &ObjectReference, owner_ns: &str) -> Option<TagKey> {
        if !(from.kind.is_empty() || from.kind == "ImageStreamTag") {
            return None;
        }
        let (stream, tag) = from.name.split_once(':')?;
        Some(TagKey::new(from.namespace_or(owner_ns), stream, tag))
    }
}

/// The guarded tags of one state of the cluster.
#[derive(Debug, Clone, Default)]
pub struct Guarded {
    /// Followed by a trigger in a guarded environment, or named by configuration.
    direct: BTreeSet<TagKey>,
    /// Every spec tag that tracks another tag: (alias, the tag it tracks).
    tracks: Vec<(TagKey, TagKey)>,
}

impl Guarded {
    /// Reads the workloads' triggers and the streams' spec tags once.
    pub fn new(objects: &ClusterObjects, settings: &Settings) -> Guarded {
        let guards = |ns: &str| {
            settings
                .admission
                .guards_environment(&settings.environment_of(ns))
        };
        let mut direct: BTreeSet<TagKey> = followed_tags(objects, guards)
            .into_iter()
            .filter_map(|(_, from)| {
                let ns = from.namespace.as_deref()?;
                let (stream, tag) = from.name.split_once(':')?;
                (from.kind == "ImageStreamTag").then(|| TagKey::new(ns, stream, tag))
            })
            .collect();
        for r in &settings.admission.guarded_tags {
            if let Some(tag) = r.tag() {
                direct.insert(TagKey::new(&r.namespace, &r.stream, tag));
            }
        }
        let mut tracks = Vec::new();
        for s in &objects.streams {
            for t in &s.spec.tags {
                let Some(from) = &t.from else { continue };
                if from.kind != "ImageStreamTag" {
                    continue;
                }
                let ns = s.metadata.ns();
                let target = match from.name.split_once(':') {
                    Some(_) => TagKey::of_istag_ref(from, ns),
                    // A bare tag name: read as a tag of the same stream (guards more, not less).
                    None => Some(TagKey::new(
                        from.namespace_or(ns),
                        &s.metadata.name,
                        &from.name,
                    )),
                };
                if let Some(target) = target {
                    tracks.push((TagKey::new(ns, &s.metadata.name, &t.name), target));
                }
            }
        }
        Guarded { direct, tracks }
    }

    /// The guarded tags whose image changes when `written` changes: `written` itself when it
    /// is guarded, and every guarded tag that tracks it, directly or through other aliases.
    /// Empty: the write moves no guarded tag.
    pub fn moved_by(&self, written: &TagKey) -> Vec<TagKey> {
        self.direct
            .iter()
            .filter(|g| self.chain(g).any(|t| t == written))
            .cloned()
            .collect()
    }

    /// Whether any guarded tag, or a tag a guarded tag tracks, lives in this stream.
    pub fn touches_stream(&self, namespace: &str, stream: &str) -> bool {
        self.direct
            .iter()
            .flat_map(|g| self.chain(g))
            .any(|t| t.namespace == namespace && t.stream == stream)
    }

    /// `g`, the tag it tracks, the tag that one tracks, …
    fn chain<'a>(&'a self, g: &'a TagKey) -> impl Iterator<Item = &'a TagKey> + 'a {
        std::iter::successors(Some(g), move |cur| {
            self.tracks.iter().find(|(a, _)| a == *cur).map(|(_, t)| t)
        })
        .take(MAX_CHAIN)
    }
}
