//! The candidate of one write into a guarded tag: pinned to a digest, named as the CLI would
//! name it, or refused at once when it cannot be pinned.

use super::guarded::TagKey;
use super::writes::Write;
use crate::gather::{Candidate, ClusterObjects};
use crate::openshift::{Image, ObjectReference};
use crate::refs::{is_digest, parse_source, ImageRef, Selector};

/// The gate's own refusal of a candidate that cannot be pinned to a digest.
pub const UNPINNED: &str = "tollgate/unpinned-candidate";
/// The gate's own refusal of a write it cannot read (a malformed reference or object).
pub const UNREADABLE: &str = "tollgate/unreadable-write";

/// What the promotion's source is: a reference the facts builder resolves (`alias` when the
/// destination would track it), or an image the request names itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Pinned {
    pub source: ImageRef,
    pub alias: bool,
    pub candidate: Option<Candidate>,
}

/// Why a candidate is refused before any rule: (built-in rule id, message).
pub type Refusal = (&'static str, String);

fn shown(s: &str) -> String {
    let short: String = s.chars().take(200).collect();
    if short.len() < s.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// Pins the candidate of `write` (a `Set` or a `Push`) for the promotion into `dest`.
pub fn pin(objects: &ClusterObjects, write: &Write, dest: &TagKey) -> Result<Pinned, Refusal> {
    match write {
        Write::Set { tag, from, .. } => pin_from(objects, tag, from, dest),
        Write::Push { tag, image, .. } => pin_push(tag, image),
        other => Err((UNREADABLE, format!("internal: {other:?} has no candidate"))),
    }
}

fn in_stream(tag: &TagKey, digest: &str) -> ImageRef {
    ImageRef {
        namespace: tag.namespace.clone(),
        stream: tag.stream.clone(),
        selector: Selector::Digest(digest.to_string()),
    }
}

fn pin_push(tag: &TagKey, image: &Image) -> Result<Pinned, Refusal> {
    let digest = &image.metadata.name;
    if !is_digest(digest) {
        return Err((
            UNREADABLE,
            format!(
                "the image pushed into {tag} is named {:?}, which is not an image digest",
                shown(digest)
            ),
        ));
    }
    Ok(Pinned {
        source: in_stream(tag, digest),
        alias: false,
        candidate: Some(Candidate {
            digest: digest.clone(),
            reference: image.docker_image_reference.clone(),
            image: Some(image.clone()),
            source_ref: None,
        }),
    })
}

fn pin_from(
    objects: &ClusterObjects,
    tag: &TagKey,
    from: &ObjectReference,
    dest: &TagKey,
) -> Result<Pinned, Refusal> {
    let ns = from.namespace_or(&tag.namespace);
    let name = &from.name;
    match from.kind.as_str() {
        "ImageStreamImage" => {
            let Some((stream, digest)) = name.split_once('@') else {
                return Err((
                    UNREADABLE,
                    format!(
                        "{tag}: ImageStreamImage {:?} is not `stream@sha256:…`",
                        shown(name)
                    ),
                ));
            };
            if !is_digest(digest) {
                return Err((
                    UNREADABLE,
                    format!(
                        "{tag}: ImageStreamImage {:?} does not name an image digest",
                        shown(name)
                    ),
                ));
            }
            Ok(Pinned {
                source: name_source(objects, ns, stream, digest, &[tag, dest]),
                alias: false,
                candidate: None,
            })
        }
        "ImageStreamTag" | "" => {
            let source = parse_source(&format!("{ns}/{name}"), None)
                .ok()
                .filter(|r| r.tag().is_some())
                .ok_or_else(|| {
                    (
                        UNREADABLE,
                        format!(
                            "{tag}: ImageStreamTag {:?} is not `stream:tag`",
                            shown(name)
                        ),
                    )
                })?;
            Ok(Pinned {
                source,
                alias: true,
                candidate: None,
            })
        }
        "DockerImage" => {
            let digest = name
                .rsplit_once('@')
                .map(|(_, d)| d)
                .filter(|d| is_digest(d));
            let Some(digest) = digest else {
                return Err((
                    UNPINNED,
                    format!(
                        "{tag} would be set to {} by tag, which cannot be pinned to the image the rules would check: import or tag it by digest (`oc import-image {tag} --from=REPOSITORY@sha256:…` or `oc tag --source=docker REPOSITORY@sha256:… {tag}`)",
                        shown(name)
                    ),
                ));
            };
            Ok(Pinned {
                source: in_stream(tag, digest),
                alias: false,
                candidate: Some(Candidate {
                    digest: digest.to_string(),
                    reference: Some(name.clone()),
                    image: None,
                    source_ref: Some(name.clone()),
                }),
            })
        }
        other => Err((
            UNREADABLE,
            format!(
                "{tag}: `from.kind` {:?} is not ImageStreamImage, ImageStreamTag or DockerImage",
                shown(other)
            ),
        )),
    }
}

/// `ns/stream:tag` when another tag of that stream points at `digest` now (what `oc tag`
/// resolved the user's source from), else `ns/stream@digest`. The tags being written are
/// never named: they are the destination, not the source.
fn name_source(
    objects: &ClusterObjects,
    ns: &str,
    stream: &str,
    digest: &str,
    written: &[&TagKey],
) -> ImageRef {
    let skip = |t: &str| {
        written
            .iter()
            .any(|w| w.namespace == ns && w.stream == stream && w.tag == t)
    };
    let tag = objects.stream(ns, stream).and_then(|s| {
        s.status
            .tags
            .iter()
            .find(|t| !skip(&t.tag) && t.items.first().is_some_and(|e| e.image == digest))
    });
    ImageRef {
        namespace: ns.to_string(),
        stream: stream.to_string(),
        selector: match tag {
            Some(t) => Selector::Tag(t.tag.clone()),
            None => Selector::Digest(digest.to_string()),
        },
    }
}
