//! Reading ImageStream JSON: the image a tag points at and the pull spec a trigger would write.

use serde_json::Value;

use super::api::str_at;

pub fn status_tag<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    stream
        .pointer("/status/tags")?
        .as_array()?
        .iter()
        .find(|t| t["tag"] == tag)
}

pub fn spec_tag<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    stream
        .pointer("/spec/tags")?
        .as_array()?
        .iter()
        .find(|t| t["name"] == tag)
}

/// `status.tags[tag].items[0]`: what the tag resolves to now.
pub fn latest_event<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    status_tag(stream, tag)?.get("items")?.as_array()?.first()
}

/// The digest a tag points at now, if any.
pub fn tag_digest(stream: &Value, tag: &str) -> Option<String> {
    latest_event(stream, tag)
        .map(|e| str_at(e, "/image").to_string())
        .filter(|d| !d.is_empty())
}

/// Whether any history entry of any tag names `digest` (a `stream@digest` source).
pub fn has_image(stream: &Value, digest: &str) -> bool {
    stream
        .pointer("/status/tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|t| t["items"].as_array().into_iter().flatten())
        .any(|e| e["image"] == digest)
}

/// The digest-pinned pull spec of the tag's current image, as the trigger controllers resolve
/// it (ResolveLatestTaggedImage): `Local` reference policy → the stream's own repository.
pub fn pull_spec(stream: &Value, tag: &str) -> Option<String> {
    let event = latest_event(stream, tag)?;
    let image = str_at(event, "/image");
    let local = spec_tag(stream, tag).is_some_and(|t| t["referencePolicy"]["type"] == "Local");
    let repo = str_at(stream, "/status/dockerImageRepository");
    if local && !image.is_empty() && !repo.is_empty() {
        return Some(format!("{repo}@{image}"));
    }
    let pull = str_at(event, "/dockerImageReference");
    (!pull.is_empty()).then(|| pull.to_string())
}

/// First 19 characters (`sha256:` + 12 hex) — enough to tell digests apart in a line.
pub fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}
