//! The retag, done the way `oc tag` does it (OPENSHIFT-API.md §1.1) but pinned to the checked
//! digest and guarded by the stream's resourceVersion.
//!
//! PUT the ImageStreamTag; on 404/403/405 POST it; on 403/405 again fall back to updating the
//! one spec tag of the stream. Never a merge patch of `spec.tags` (that replaces the whole list
//! and wipes the other tags). A 409 means someone wrote the stream in between: re-read, check
//! the destination is still what the rules saw, and try again a bounded number of times.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::api::{self, code, describe, str_at};
use super::receipt::Receipt;
use super::stream::{pull_spec, short, spec_tag, tag_digest};
use crate::facts::Facts;
use crate::plan::{Action, ActionKind, ActionStatus};

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
pub fn tag_reference(facts: &Facts, existing: Option<&Value>, receipt: &Receipt) -> Value {
    let p = &facts.promotion;
    let tag = p.destination.tag.as_deref().unwrap_or_default();
    // oc wipes the spec tag's annotations on every retag; keeping the others is kinder, and
    // the receipt keys are overwritten anyway.
    let mut annotations: Map<String, Value> = existing
        .and_then(|t| t["annotations"].as_object().cloned())
        .unwrap_or_default();
    for (k, v) in receipt.annotations(&p.digest) {
        annotations.insert(k, json!(v));
    }
    // Keep a `Local` reference policy: switching it would change the pull spec pods get.
    let policy = existing
        .map(|t| str_at(t, "/referencePolicy/type"))
        .filter(|s| !s.is_empty())
        .unwrap_or("Source");
    json!({
        "name": tag,
        "annotations": annotations,
        "from": {
            "kind": "ImageStreamImage",
            "namespace": p.source.namespace,
            "name": format!("{}@{}", p.source.stream, p.digest),
        },
        "generation": null,
        "importPolicy": { "importMode": "Legacy" },
        "referencePolicy": { "type": policy },
    })
}

/// The ImageStreamTag body of the PUT/POST; `resource_version` makes the PUT conditional.
pub fn istag_body(facts: &Facts, tagref: &Value, resource_version: Option<&str>) -> Value {
    let d = &facts.promotion.destination;
    let mut metadata = json!({
        "name": format!("{}:{}", d.stream, d.tag.as_deref().unwrap_or_default()),
        "namespace": d.namespace,
        "annotations": tagref["annotations"].clone(),
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
    client: &kube::Client,
    facts: &Facts,
    receipt: &Receipt,
    mut stream: Option<Value>,
) -> Result<Retagged, RetagFailed> {
    let p = &facts.promotion;
    let d = &p.destination;
    let tag = d.tag.as_deref().unwrap_or_default();
    let digest = &p.digest;
    let stream_path = api::stream_path(&d.namespace, &d.stream);
    let fail = |detail: String, wrote: bool| RetagFailed {
        action: action(facts, ActionStatus::Failed, detail),
        wrote,
    };
    let mut conflicts = 0;
    loop {
        let now = stream.as_ref().and_then(|s| tag_digest(s, tag));
        if now.as_deref() == Some(digest.as_str()) {
            if conflicts == 0 {
                let detail = format!("already at {digest}: nothing to move");
                return Ok(Retagged {
                    action: action(facts, ActionStatus::Skipped, detail),
                    moved: false,
                    pull_spec: stream.as_ref().and_then(|s| pull_spec(s, tag)),
                });
            }
            // An earlier attempt landed although its answer was lost.
            break;
        }
        if now != facts.destination.digest {
            let detail = format!(
                "another writer moved {} to {} during the retag; nothing written",
                d.reference,
                now.as_deref().map_or("nothing", short)
            );
            return Err(fail(detail, false));
        }
        let existing = stream.as_ref().and_then(|s| spec_tag(s, tag));
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
                        format!("could not re-read after a conflict: {}", describe(&e)),
                        false,
                    )
                })?;
            }
        }
    }
    readback(client, facts, conflicts).await
}

async fn readback(
    client: &kube::Client,
    facts: &Facts,
    conflicts: u32,
) -> Result<Retagged, RetagFailed> {
    let p = &facts.promotion;
    let d = &p.destination;
    let tag = d.tag.as_deref().unwrap_or_default();
    let after = api::get(client, &api::stream_path(&d.namespace, &d.stream)).await;
    let stream = match after {
        Ok(s) => s,
        Err(e) => {
            return Err(RetagFailed {
                action: action(
                    facts,
                    ActionStatus::Failed,
                    format!("tag written, but reading it back failed: {}", describe(&e)),
                ),
                wrote: true,
            })
        }
    };
    let now = tag_digest(&stream, tag);
    if now.as_deref() != Some(p.digest.as_str()) {
        let detail = format!(
            "tag written, but status.tags[{tag}] reads back {} instead of {}",
            now.as_deref().map_or("nothing", short),
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
        pull_spec: pull_spec(&stream, tag),
    })
}

/// One write attempt down oc's fallback chain.
async fn write(
    client: &kube::Client,
    facts: &Facts,
    stream: Option<&Value>,
    tagref: &Value,
) -> Result<(), WriteError> {
    let d = &facts.promotion.destination;
    let tag = d.tag.as_deref().unwrap_or_default();
    let rv = stream.map(|s| str_at(s, "/metadata/resourceVersion"));
    let body = istag_body(facts, tagref, rv);
    let put = api::call(
        client,
        "PUT",
        &api::istag_path(&d.namespace, &d.stream, tag),
        Some(&body),
    )
    .await;
    let e = match put {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    match code(&e) {
        Some(409) => return Err(WriteError::Conflict),
        // 403, 404, 405: what oc treats as "this server wants a create".
        Some(403..=405) => {}
        _ => {
            return Err(WriteError::Fatal(format!(
                "PUT imagestreamtag: {}",
                describe(&e)
            )))
        }
    }
    let create = istag_body(facts, tagref, None);
    let e = match api::call(
        client,
        "POST",
        &api::istags_path(&d.namespace),
        Some(&create),
    )
    .await
    {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    match code(&e) {
        Some(409) => return Err(WriteError::Conflict),
        Some(403 | 405) => {}
        _ => {
            return Err(WriteError::Fatal(format!(
                "POST imagestreamtag: {}",
                describe(&e)
            )))
        }
    }
    legacy(client, facts, stream, tagref).await
}

/// The legacy path: replace (or append) exactly one spec tag, conditional on resourceVersion.
async fn legacy(
    client: &kube::Client,
    facts: &Facts,
    stream: Option<&Value>,
    tagref: &Value,
) -> Result<(), WriteError> {
    let d = &facts.promotion.destination;
    let tag = d.tag.as_deref().unwrap_or_default();
    let result = match stream {
        Some(s) => {
            let mut s = s.clone();
            if let Some(tags) = s.pointer_mut("/spec/tags").and_then(Value::as_array_mut) {
                match tags.iter_mut().find(|t| t["name"] == tag) {
                    Some(slot) => *slot = tagref.clone(),
                    None => tags.push(tagref.clone()),
                }
            } else if let Some(spec) = s.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("tags".into(), json!([tagref]));
            } else {
                s["spec"] = json!({ "tags": [tagref] });
            }
            api::call(
                client,
                "PUT",
                &api::stream_path(&d.namespace, &d.stream),
                Some(&s),
            )
            .await
        }
        None => {
            let new = json!({
                "kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                "metadata": { "name": d.stream, "namespace": d.namespace },
                "spec": { "tags": [tagref] },
            });
            api::call(client, "POST", &api::streams_path(&d.namespace), Some(&new)).await
        }
    };
    match result {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some(409) => Err(WriteError::Conflict),
        Err(e) => Err(WriteError::Fatal(format!(
            "update imagestream: {}",
            describe(&e)
        ))),
    }
}
