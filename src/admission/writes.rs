//! What one admission request writes, per resource (ADMISSION.md's table): which tags it sets
//! to what, pushes into or deletes — before knowing whether any of them is guarded.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::guarded::TagKey;
use super::review::Review;
use crate::act::ANN_REASON;
use crate::openshift::{
    Image, ImageStream, ImageStreamTag, ObjectMeta, ObjectReference, TagReference,
};

/// One change the write makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// The tag will resolve to what `from` names (a spec tag, an import's source).
    Set {
        tag: TagKey,
        from: ObjectReference,
        reason: Option<String>,
    },
    /// An image is pushed into the tag (a build or registry push).
    Push {
        tag: TagKey,
        image: Box<Image>,
        reason: Option<String>,
    },
    /// The tag (or its spec) is removed.
    Delete { tag: TagKey },
    /// The whole stream is deleted.
    DeleteStream { namespace: String, stream: String },
    /// A repository import: which tags move is only known once the remote is read.
    ImportRepository {
        namespace: String,
        stream: String,
        from: String,
    },
}

/// What a request writes: `Ok(None)` when the resource or operation is not one that moves a
/// tag, `Err` (naming the field) when the object cannot be read.
pub fn writes_of(review: &Review) -> Result<Option<Vec<Write>>, String> {
    if !matches!(review.group.as_str(), "image.openshift.io" | "")
        || !review.sub_resource.is_empty()
    {
        return Ok(None);
    }
    let op = review.operation.as_str();
    let w = match (review.resource.as_str(), op) {
        ("imagestreamtags", "CREATE" | "UPDATE") => {
            tag_write(review, |o: ImageStreamTag| (o.metadata, o.tag))?
        }
        ("imagetags", "CREATE" | "UPDATE") => {
            tag_write(review, |o: ImageTag| (o.metadata, o.spec))?
        }
        ("imagestreamtags" | "imagetags", "DELETE") => {
            let name = if review.name.is_empty() {
                review
                    .old_object
                    .as_ref()
                    .and_then(|o| o.pointer("/metadata/name"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            } else {
                &review.name
            };
            vec![Write::Delete {
                tag: tag_key(&namespace(review, None), name, "request.name")?,
            }]
        }
        ("imagestreams", "CREATE" | "UPDATE") => stream_writes(review)?,
        ("imagestreams", "DELETE") => vec![Write::DeleteStream {
            namespace: namespace(review, None),
            stream: review.name.clone(),
        }],
        ("imagestreammappings", "CREATE") => {
            let m: Mapping = object(review, "object")?;
            let ns = namespace(review, Some(&m.metadata));
            vec![Write::Push {
                tag: TagKey::new(&ns, &m.metadata.name, &m.tag),
                reason: reason(None, &m.metadata),
                image: Box::new(m.image),
            }]
        }
        ("imagestreamimports", "CREATE") => import_writes(review)?,
        _ => return Ok(None),
    };
    Ok(Some(w))
}

/// `ImageTag` (`imagetags`): the shape of an ImageStreamTag with `spec` for `tag`.
#[derive(Deserialize)]
struct ImageTag {
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(default)]
    spec: Option<TagReference>,
}

#[derive(Deserialize)]
struct Mapping {
    #[serde(default)]
    metadata: ObjectMeta,
    image: Image,
    tag: String,
}

#[derive(Deserialize)]
struct Import {
    #[serde(default)]
    metadata: ObjectMeta,
    spec: ImportSpec,
}

#[derive(Deserialize)]
struct ImportSpec {
    #[serde(default)]
    import: bool,
    #[serde(default)]
    images: Option<Vec<ImportImage>>,
    #[serde(default)]
    repository: Option<ImportRepository>,
}

#[derive(Deserialize)]
struct ImportImage {
    from: ObjectReference,
    #[serde(default)]
    to: Option<LocalRef>,
}

#[derive(Deserialize)]
struct ImportRepository {
    from: ObjectReference,
}

#[derive(Deserialize)]
struct LocalRef {
    #[serde(default)]
    name: String,
}

fn object<T: DeserializeOwned>(review: &Review, which: &str) -> Result<T, String> {
    let v = match which {
        "object" => review.object.as_ref(),
        _ => review.old_object.as_ref(),
    }
    .ok_or_else(|| format!("request.{which} is missing"))?;
    serde_path_to_error::deserialize(v)
        .map_err(|e| format!("request.{which} at `{}`: {}", e.path(), e.inner()))
}

fn old<T: DeserializeOwned>(review: &Review) -> Result<Option<T>, String> {
    match review.old_object {
        None => Ok(None),
        Some(_) => object(review, "oldObject").map(Some),
    }
}

/// The request's namespace, else the object's.
fn namespace(review: &Review, meta: Option<&ObjectMeta>) -> String {
    if review.namespace.is_empty() {
        meta.map(|m| m.ns().to_string()).unwrap_or_default()
    } else {
        review.namespace.clone()
    }
}

fn tag_key(ns: &str, name: &str, field: &str) -> Result<TagKey, String> {
    match name.split_once(':') {
        Some((stream, tag)) if !stream.is_empty() && !tag.is_empty() => {
            Ok(TagKey::new(ns, stream, tag))
        }
        _ => Err(format!(
            "{field} {:?} is not `stream:tag`",
            name.chars().take(100).collect::<String>()
        )),
    }
}

fn reason(tag: Option<&TagReference>, meta: &ObjectMeta) -> Option<String> {
    tag.and_then(|t| t.annotations().get(ANN_REASON))
        .or_else(|| meta.annotations.get(ANN_REASON))
        .filter(|r| !r.is_empty())
        .cloned()
}

/// `from` as OpenShift reads it (kind and namespace defaulted), for "did it change".
fn same_from(a: &ObjectReference, b: &ObjectReference, ns: &str) -> bool {
    let kind = |r: &ObjectReference| {
        if r.kind.is_empty() {
            "ImageStreamTag".to_string()
        } else {
            r.kind.clone()
        }
    };
    (kind(a), &a.name, a.namespace_or(ns)) == (kind(b), &b.name, b.namespace_or(ns))
}

/// One tag's change between the old and the new spec: a new `from`, a removed spec, or
/// nothing that moves the tag (the same `from`, annotations only, no `from` at all).
fn tag_change(
    tag: TagKey,
    old: Option<&TagReference>,
    new: Option<&TagReference>,
    meta: &ObjectMeta,
) -> Option<Write> {
    let old_from = old.and_then(|t| t.from.as_ref());
    match (new, new.and_then(|t| t.from.as_ref())) {
        (_, Some(from)) => {
            if old_from.is_some_and(|o| same_from(o, from, &tag.namespace)) {
                return None;
            }
            Some(Write::Set {
                reason: reason(new, meta),
                from: from.clone(),
                tag,
            })
        }
        (None, None) if old.is_some() => Some(Write::Delete { tag }),
        _ => None,
    }
}

/// `imagestreamtags` / `imagetags` CREATE or UPDATE.
fn tag_write<T: DeserializeOwned>(
    review: &Review,
    parts: impl Fn(T) -> (ObjectMeta, Option<TagReference>),
) -> Result<Vec<Write>, String> {
    let (meta, new) = parts(object(review, "object")?);
    let old = old(review)?.map(&parts).and_then(|(_, t)| t);
    let name = if meta.name.is_empty() {
        &review.name
    } else {
        &meta.name
    };
    let tag = tag_key(&namespace(review, Some(&meta)), name, "metadata.name")?;
    Ok(tag_change(tag, old.as_ref(), new.as_ref(), &meta)
        .into_iter()
        .collect())
}

/// `imagestreams` CREATE or UPDATE: every spec tag whose `from` changed, and every spec tag
/// removed.
fn stream_writes(review: &Review) -> Result<Vec<Write>, String> {
    let new: ImageStream = object(review, "object")?;
    let old: Option<ImageStream> = old(review)?;
    let ns = namespace(review, Some(&new.metadata));
    let name = &new.metadata.name;
    let before: BTreeMap<&str, &TagReference> = old
        .iter()
        .flat_map(|o| o.spec.tags.iter())
        .map(|t| (t.name.as_str(), t))
        .collect();
    let mut out = Vec::new();
    for t in &new.spec.tags {
        let key = TagKey::new(&ns, name, &t.name);
        out.extend(tag_change(
            key,
            before.get(t.name.as_str()).copied(),
            Some(t),
            &new.metadata,
        ));
    }
    for (tag, t) in &before {
        if new.spec_tag(tag).is_none() {
            out.extend(tag_change(
                TagKey::new(&ns, name, tag),
                Some(t),
                None,
                &new.metadata,
            ));
        }
    }
    Ok(out)
}

/// `imagestreamimports` CREATE: only `spec.import: true` stores anything.
fn import_writes(review: &Review) -> Result<Vec<Write>, String> {
    let i: Import = object(review, "object")?;
    if !i.spec.import {
        return Ok(vec![]);
    }
    let ns = namespace(review, Some(&i.metadata));
    let name = &i.metadata.name;
    let mut out = Vec::new();
    if let Some(r) = i.spec.repository {
        out.push(Write::ImportRepository {
            namespace: ns.clone(),
            stream: name.clone(),
            from: r.from.name,
        });
    }
    for img in i.spec.images.unwrap_or_default() {
        let Some(to) = img.to.filter(|t| !t.name.is_empty()) else {
            continue; // imported into the stream's image list only: no tag moves
        };
        out.push(Write::Set {
            tag: TagKey::new(&ns, name, &to.name),
            from: img.from,
            reason: reason(None, &i.metadata),
        });
    }
    Ok(out)
}
