//! The candidate image and the destination tag: `promotion.digest`, `image`, `destination`.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::time::{hours_between, normalize};
use crate::facts::{Build, Destination, HistoryEntry, Image as ImageFacts, ObjectRef, Signature};
use crate::gather::{ClusterObjects, GatherError};
use crate::openshift::{Image, ImageStream, NamedTagEventList, TagEvent};
use crate::refs::{validate_digest, ImageRef, Selector};

/// What the source resolved to.
pub struct Resolved<'a> {
    pub digest: String,
    /// The pull spec of the image (`image.reference`), when known.
    pub reference: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// The image's own metadata when the request carried it (a push), else looked up.
    pub image: Option<&'a Image>,
}

/// The candidate image of a write that names it itself rather than through a stream's history
/// (admission: a push brings its image before any stream holds it; an import names an
/// external pull spec). The source stays `req.source` for everything else.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// `sha256:…`, validated by whoever built the candidate.
    pub digest: String,
    /// `image.reference`: the pull spec.
    pub reference: Option<String>,
    /// The image object the request carried (an ImageStreamMapping's `image`), used for the
    /// image facts when the objects do not hold it yet.
    pub image: Option<Image>,
    /// `promotion.source.ref` when it is not `req.source` (the external pull spec of an
    /// import or a `DockerImage` reference).
    pub source_ref: Option<String>,
}

impl Candidate {
    pub(super) fn resolved(&self) -> Resolved<'_> {
        Resolved {
            digest: self.digest.clone(),
            reference: self.reference.clone().filter(|r| !r.is_empty()),
            history: vec![],
            image: self
                .image
                .as_ref()
                .filter(|i| i.docker_image_metadata.is_some()),
        }
    }
}

fn reference_of(event: &TagEvent) -> Option<String> {
    Some(event.docker_image_reference.clone()).filter(|r| !r.is_empty())
}

fn listing(names: Vec<String>, what: &str) -> String {
    if names.is_empty() {
        format!("there are no {what} there")
    } else {
        format!("{what} there: {}", names.join(", "))
    }
}

pub fn history(list: Option<&NamedTagEventList>) -> Vec<HistoryEntry> {
    list.map(|l| {
        l.items
            .iter()
            .map(|e| HistoryEntry {
                digest: e.image.clone(),
                created: e.created.as_deref().map(normalize),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Checks every digest in the history of a tag the promotion reads (the source tag, whose
/// newest entry is the promoted image, and the destination tag): a malformed digest could never
/// name the image that was checked, so it is an error naming the stream and the field.
pub fn check_tag_digests(objects: &ClusterObjects, r: &ImageRef) -> Result<(), GatherError> {
    let (Some(tag), Some(stream)) = (r.tag(), objects.stream(&r.namespace, &r.stream)) else {
        return Ok(());
    };
    for (i, list) in stream.status.tags.iter().enumerate() {
        if list.tag != tag {
            continue;
        }
        for (j, event) in list.items.iter().enumerate() {
            validate_digest(&event.image).map_err(|message| GatherError::BadDigest {
                stream: format!("{}/{}", r.namespace, r.stream),
                place: objects.where_(),
                field: format!("status.tags[{i}].items[{j}].image"),
                message,
            })?;
        }
    }
    Ok(())
}

/// Resolves the source like `oc tag` does: a tag's newest event, or a digest from the history.
pub fn resolve_source<'a>(
    objects: &'a ClusterObjects,
    src: &ImageRef,
) -> Result<Resolved<'a>, GatherError> {
    let stream = objects.stream(&src.namespace, &src.stream).ok_or_else(|| {
        GatherError::SourceStreamNotFound {
            stream: format!("{}/{}", src.namespace, src.stream),
            name: src.stream.clone(),
            ns: src.namespace.clone(),
            place: objects.where_(),
            known: listing(
                objects
                    .streams
                    .iter()
                    .map(|s| format!("{}/{}", s.metadata.ns(), s.metadata.name))
                    .collect(),
                "image streams",
            ),
        }
    })?;
    match &src.selector {
        Selector::Tag(tag) => {
            let event = stream
                .latest_event(tag)
                .ok_or_else(|| GatherError::SourceTagEmpty {
                    source_ref: src.to_string(),
                    hint: match (stream.status_tag(tag), stream.spec_tag(tag)) {
                        (None, None) => format!(
                            " (the stream has no tag `{tag}`; its tags: {})",
                            tag_names(stream)
                        ),
                        _ => " (the tag exists but has no image yet: has a build or import pushed to it?)"
                            .into(),
                    },
                })?;
            Ok(Resolved {
                digest: event.image.clone(),
                reference: reference_of(event),
                history: history(stream.status_tag(tag)),
                image: None,
            })
        }
        Selector::Digest(digest) => {
            let event =
                stream
                    .find_event(digest)
                    .ok_or_else(|| GatherError::DigestNotInStream {
                        digest: digest.clone(),
                        stream: format!("{}/{}", src.namespace, src.stream),
                        name: src.stream.clone(),
                        ns: src.namespace.clone(),
                        place: objects.where_(),
                    })?;
            Ok(Resolved {
                digest: digest.clone(),
                reference: reference_of(event),
                history: vec![],
                image: None,
            })
        }
    }
}

fn tag_names(s: &ImageStream) -> String {
    let mut names: Vec<&str> = s.status.tags.iter().map(|t| t.tag.as_str()).collect();
    names.extend(s.spec.tags.iter().map(|t| t.name.as_str()));
    names.sort();
    names.dedup();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The metadata of one image, from whichever object the snapshot or cluster holds for it.
pub fn find_image<'a>(objects: &'a ClusterObjects, digest: &str) -> Option<&'a Image> {
    objects
        .istags
        .iter()
        .map(|t| &t.image)
        .chain(objects.isimages.iter().map(|i| &i.image))
        .chain(objects.images.iter())
        .find(|i| i.metadata.name == digest && i.docker_image_metadata.is_some())
}

fn build_of(labels: &BTreeMap<String, String>, annotations: &BTreeMap<String, String>) -> Build {
    let get = |k: &str| {
        let key = format!("io.openshift.build.{k}");
        labels
            .get(&key)
            .or_else(|| annotations.get(&key))
            .filter(|v| !v.is_empty())
            .cloned()
    };
    Build {
        commit: get("commit.id"),
        reference: get("commit.ref"),
        source: get("source-location"),
        author: get("commit.author"),
        name: get("name"),
        namespace: get("namespace"),
    }
}

/// `image`: reference and history from the stream; metadata only from an object that has it.
pub fn image_facts(
    objects: &ClusterObjects,
    src: &ImageRef,
    resolved: &Resolved,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> ImageFacts {
    let mut facts = ImageFacts {
        digest: resolved.digest.clone(),
        reference: resolved.reference.clone(),
        created: None,
        age_hours: None,
        labels: None,
        annotations: None,
        build: None,
        architecture: None,
        os: None,
        size_bytes: None,
        signatures: None,
        source_history: resolved.history.clone(),
        // Filled by the builder, which knows the environments.
        seen: BTreeMap::new(),
    };
    let Some(image) = resolved
        .image
        .or_else(|| find_image(objects, &resolved.digest))
    else {
        let how = match &src.selector {
            Selector::Tag(_) => format!(
                "oc get istag {} -n {} -o yaml",
                src.istag_name(),
                src.namespace
            ),
            Selector::Digest(d) => format!(
                "oc get isimage {}@{d} -n {} -o yaml",
                src.stream, src.namespace
            ),
        };
        warnings.push(format!(
            "no metadata for image {} {}: its creation time, labels, build, architecture, size and signatures are unknown; add it with `{how}`",
            resolved.digest,
            objects.where_()
        ));
        return facts;
    };
    let md = image.docker_image_metadata.clone().unwrap_or_default();
    let labels = md.config.map(|c| c.labels).unwrap_or_default();
    let annotations = image.metadata.annotations.clone();
    facts.created = md.created.as_deref().map(normalize);
    facts.age_hours = md.created.as_deref().and_then(|c| hours_between(c, now));
    facts.build = Some(build_of(&labels, &annotations));
    facts.labels = Some(labels);
    facts.annotations = Some(annotations);
    facts.architecture = md.architecture.filter(|a| !a.is_empty());
    facts.os = md.os.filter(|o| !o.is_empty());
    facts.size_bytes = md.size;
    facts.signatures = Some(
        image
            .signatures
            .iter()
            .map(|s| Signature {
                kind: s.kind.clone(),
                issued_by: s.issued_by.as_ref().and_then(|p| p.display()),
                issued_to: s.issued_to.as_ref().and_then(|p| p.display()),
                created: s.created.as_deref().map(normalize),
            })
            .collect(),
    );
    facts
}

/// `destination`: the tag as it is now. Unknown (not guessed) when its stream is missing.
pub fn destination_facts(
    objects: &ClusterObjects,
    dst: &ImageRef,
    warnings: &mut Vec<String>,
) -> Destination {
    let tag = dst.tag().unwrap_or_default();
    let Some(stream) = objects.stream(&dst.namespace, &dst.stream) else {
        warnings.push(format!(
            "image stream {}/{} is not {}: whether {dst} exists and what it points at are unknown; add it with `oc get is {} -n {} -o yaml`",
            dst.namespace, dst.stream, objects.where_(), dst.stream, dst.namespace
        ));
        return Destination {
            exists: None,
            digest: None,
            image_created: None,
            from: None,
            tracking: None,
            reference_policy: None,
            history: vec![],
        };
    };
    let spec = stream.spec_tag(tag);
    let status = stream.status_tag(tag);
    let digest = stream.latest_event(tag).map(|e| e.image.clone());
    let image_created = digest
        .as_deref()
        .and_then(|d| find_image(objects, d))
        .and_then(|i| i.docker_image_metadata.as_ref())
        .and_then(|m| m.created.as_deref())
        .map(normalize);
    Destination {
        exists: Some(spec.is_some() || status.is_some()),
        digest,
        image_created,
        from: spec.and_then(|s| s.from.as_ref()).map(|f| ObjectRef {
            kind: f.kind.clone(),
            name: f.name.clone(),
            namespace: Some(f.namespace_or(&dst.namespace).to_string()),
        }),
        tracking: Some(spec.is_some_and(|s| s.is_tracking())),
        reference_policy: Some(
            spec.and_then(|s| s.reference_policy.as_ref())
                .map(|p| p.kind.clone())
                .filter(|k| !k.is_empty())
                .unwrap_or_else(|| "Source".into()),
        ),
        history: history(status),
    }
}
