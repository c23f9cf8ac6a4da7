//! The retag, done the way `oc tag` does it (docs/design/OPENSHIFT-API.md §1.1) but pinned to the checked
//! digest and guarded by the stream's resourceVersion.
//!
//! PUT the ImageStreamTag; on 404/403/405 POST it; on 403/405 again fall back to updating the
//! one spec tag of the stream. Never a merge patch of `spec.tags` (that replaces the whole list
//! and wipes the other tags). A 409 means someone wrote the stream in between: re-read, check
//! the destination is still what the rules saw, and try again a bounded number of times.

use std::collections::BTreeMap;
use std::time::Duration;

use kube::Client;
use serde_json::{json, Map, Value};

use super::receipt::Receipt;
use crate::cluster::{api, paths, ClusterError};
use crate::facts::Facts;
use crate::openshift::{
    ImageStream, ObjectMeta, ObjectReference, TagReference, TagReferencePolicy,
};
use crate::plan::{Action, ActionKind, ActionStatus};
use crate::refs::short_digest as short;

const MAX_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// A retag that did not fail.
#[derive(Debug, Clone)]
pub struct Retagged {
    pub action: Action,
    /// Whether this run moved the tag (false: it already pointed at the digest).
    pub moved: bool,
    /// The digest-pinned pull spec the destination tag resolves to now.
    pub pull_spec: Option<String>,
}

/// A retag that failed; `wrote` says whether the tag may have moved anyway.
#[derive(Debug, Clone)]
pub struct RetagFailed {
    pub action: Action,
    pub wrote: bool,
}

enum WriteError {
    Conflict,
    Fatal(String),
}

fn action(facts: &Facts, status: ActionStatus, detail: String) -> Action {
    Action {
        kind: ActionKind::Retag,
        target: facts.promotion.destination.reference.clone(),
        status,
        detail,
    }
}

/// The spec tag `oc tag` would write for `<src stream>@<digest>`, plus the receipt.
pub fn tag_reference(
    facts: &Facts,
    existing: Option<&TagReference>,
    receipt: &Receipt,
) -> TagReference {
    let p = &facts.promotion;
    let tag = p.destination.tag.as_deref().unwrap_or_default();
    // oc wipes the spec tag's annotations on every retag; keeping the others is kinder, and
    // the receipt keys are overwritten anyway.
    let mut annotations: BTreeMap<String, String> = existing
        .map(|t| t.annotations().clone())
        .unwrap_or_default();
    annotations.extend(receipt.annotations(&p.digest));
    // Keep a `Local` reference policy: switching it would change the pull spec pods get.
    let policy = existing
        .and_then(|t| t.reference_policy.as_ref())
        .map(|r| r.kind.as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("Source");
    let mut extra = Map::new();
    extra.insert("importPolicy".into(), json!({ "importMode": "Legacy" }));
    TagReference {
        name: tag.to_string(),
        annotations: Some(annotations),
        from: Some(ObjectReference {
            kind: "ImageStreamImage".into(),
            name: format!("{}@{}", p.source.stream, p.digest),
            namespace: Some(p.source.namespace.clone()),
            extra: Map::new(),
        }),
        reference: None,
        generation: None,
        reference_policy: Some(TagReferencePolicy {
            kind: policy.to_string(),
        }),
        extra,
    }
}

/// The ImageStreamTag body of the PUT/POST; `resource_version` makes the PUT conditional.
pub fn istag_body(facts: &Facts, tagref: &TagReference, resource_version: Option<&str>) -> Value {
    let d = &facts.promotion.destination;
    let mut metadata = json!({
        "name": format!("{}:{}", d.stream, d.tag.as_deref().unwrap_or_default()),
        "namespace": d.namespace,
        "annotations": tagref.annotations(),
    });
    if let Some(rv) = resource_version.filter(|rv| !rv.is_empty()) {
        metadata["resourceVersion"] = json!(rv);
    }
    json!({
        "kind": "ImageStreamTag",
        "apiVersion": "image.openshift.io/v1",
        "metadata": metadata,
        "tag": tagref,
    })
}

pub async fn retag(
    client: &Client,
    facts: &Facts,
    receipt: &Receipt,
    mut stream: Option<ImageStream>,
) -> Result<Retagged, RetagFailed> {
    let p = &facts.promotion;
    let d = &p.destination;
    let tag = d.tag.as_deref().unwrap_or_default();
    let digest = &p.digest;
    let stream_path = paths::image_stream(&d.namespace, &d.stream);
    let fail = |detail: String, wrote: bool| RetagFailed {
        action: action(facts, ActionStatus::Failed, detail),
        wrote,
    };
    let mut conflicts = 0;
    loop {
        let now = stream.as_ref().and_then(|s| s.tag_digest(tag));
        if now == Some(digest.as_str()) {
            if conflicts == 0 {
                let detail = format!("already at {digest}: nothing to move");
                return Ok(Retagged {
                    action: action(facts, ActionStatus::Skipped, detail),
                    moved: false,
                    pull_spec: stream.as_ref().and_then(|s| s.pull_spec(tag)),
                });
            }
            // An earlier attempt landed although its answer was lost.
            break;
        }
        if now != facts.destination.digest.as_deref() {
            let detail = format!(
                "another writer moved {} to {} during the retag; nothing written",
                d.reference,
                now.map_or("nothing", short)
            );
            return Err(fail(detail, false));
        }
        let existing = stream.as_ref().and_then(|s| s.spec_tag(tag));
        let tagref = tag_reference(facts, existing, receipt);
        match write(client, facts, stream.as_ref(), &tagref).await {
            Ok(()) => break,
            Err(WriteError::Fatal(why)) => {
                return Err(fail(format!("retag refused: {why}"), false))
            }
            Err(WriteError::Conflict) => {
                conflicts += 1;
                if conflicts >= MAX_ATTEMPTS {
                    let detail = format!(
                        "gave up after {conflicts} conflicting writes to {}/{}",
                        d.namespace, d.stream
                    );
                    return Err(fail(detail, false));
                }
                tracing::info!(conflicts, "act: stream changed under the retag; re-reading");
                tokio::time::sleep(FIRST_BACKOFF * 2u32.pow(conflicts - 1)).await;
                stream = api::get_opt(client, &stream_path).await.map_err(|e| {
                    fail(
                        format!("could not re-read after a conflict: {}", e.brief()),
                        false,
                    )
                })?;
            }
        }
    }
    readback(client, facts, conflicts).await
}

async fn readback(client: &Client, facts: &Facts, conflicts: u32) -> Result<Retagged, RetagFailed> {
    let p = &facts.promotion;
    let d = &p.destination;
    let tag = d.tag.as_deref().unwrap_or_default();
    let after = api::get(client, &paths::image_stream(&d.namespace, &d.stream)).await;
    let stream: ImageStream = match after {
        Ok(s) => s,
        Err(e) => {
            return Err(RetagFailed {
                action: action(
                    facts,
                    ActionStatus::Failed,
                    format!("tag written, but reading it back failed: {}", e.brief()),
                ),
                wrote: true,
            })
        }
    };
    let now = stream.tag_digest(tag);
    if now != Some(p.digest.as_str()) {
        let detail = format!(
            "tag written, but status.tags[{tag}] reads back {} instead of {}",
            now.map_or("nothing", short),
            short(&p.digest)
        );
        return Err(RetagFailed {
            action: action(facts, ActionStatus::Failed, detail),
            wrote: true,
        });
    }
    let was = match &facts.destination.digest {
        Some(old) => format!("was {}", short(old)),
        None => "new tag".to_string(),
    };
    let retried = match conflicts {
        0 => String::new(),
        n => format!(", after {n} conflict{}", if n == 1 { "" } else { "s" }),
    };
    Ok(Retagged {
        action: action(
            facts,
            ActionStatus::Done,
            format!(
                "{} → {} ({was}{retried}); receipt annotations written",
                d.reference, p.digest
            ),
        ),
        moved: true,
        pull_spec: stream.pull_spec(tag),
    })
}

/// How a refused write reads: a conflict to retry, or the end of the road.
fn refused(what: &str, e: &ClusterError) -> WriteError {
    match e.code() {
        Some(409) => WriteError::Conflict,
        _ => WriteError::Fatal(format!("{what}: {}", e.brief())),
    }
}

/// One write attempt down oc's fallback chain.
async fn write(
    client: &Client,
    facts: &Facts,
    stream: Option<&ImageStream>,
    tagref: &TagReference,
) -> Result<(), WriteError> {
    let d = &facts.promotion.destination;
    let tag = d.tag.as_deref().unwrap_or_default();
    let rv = stream.and_then(|s| s.metadata.resource_version.as_deref());
    let body = istag_body(facts, tagref, rv);
    let path = paths::image_stream_tag(&d.namespace, &format!("{}:{tag}", d.stream));
    let e = match api::put(client, &path, &body).await {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    // 403, 404, 405: what oc treats as "this server wants a create".
    if !matches!(e.code(), Some(403..=405)) {
        return Err(refused("PUT imagestreamtag", &e));
    }
    let create = istag_body(facts, tagref, None);
    let e = match api::post(client, &paths::image_stream_tags_in(&d.namespace), &create).await {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    if !matches!(e.code(), Some(403 | 405)) {
        return Err(refused("POST imagestreamtag", &e));
    }
    legacy(client, facts, stream, tagref).await
}

/// The legacy path: replace (or append) exactly one spec tag of the stream as read, conditional
/// on its resourceVersion. The typed stream keeps every field it does not model, so the other
/// tags and the stream's settings go back exactly as they came.
async fn legacy(
    client: &Client,
    facts: &Facts,
    stream: Option<&ImageStream>,
    tagref: &TagReference,
) -> Result<(), WriteError> {
    let d = &facts.promotion.destination;
    let result = match stream {
        Some(s) => {
            let mut s = s.clone();
            s.set_spec_tag(tagref.clone());
            api::put(client, &paths::image_stream(&d.namespace, &d.stream), &s).await
        }
        None => {
            let mut new = ImageStream {
                metadata: ObjectMeta {
                    name: d.stream.clone(),
                    namespace: Some(d.namespace.clone()),
                    ..ObjectMeta::default()
                },
                ..ImageStream::default()
            };
            new.extra
                .insert("kind".into(), Value::String("ImageStream".into()));
            new.extra.insert(
                "apiVersion".into(),
                Value::String("image.openshift.io/v1".into()),
            );
            new.spec.tags.push(tagref.clone());
            api::post(client, &paths::image_streams_in(&d.namespace), &new).await
        }
    };
    result
        .map(|_| ())
        .map_err(|e| refused("update imagestream", &e))
}
