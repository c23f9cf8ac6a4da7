//! `image.openshift.io/v1` objects: ImageStream, ImageStreamTag, ImageStreamImage, Image.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use super::meta::{ObjectMeta, ObjectReference};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageStream {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ImageStreamSpec,
    #[serde(default)]
    pub status: ImageStreamStatus,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamSpec {
    #[serde(
        default,
        deserialize_with = "lenient::null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<TagReference>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A spec tag: what the tag is set to (`from`), as opposed to what it resolved to (status).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagReference {
    pub name: String,
    /// No `omitempty` upstream: often `null`, which is kept as `None` so a write sends it back.
    #[serde(default, deserialize_with = "lenient::opt_string_map")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ObjectReference>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub reference: Option<bool>,
    /// No `omitempty` upstream: `null` until the server assigns one.
    #[serde(default)]
    pub generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_policy: Option<TagReferencePolicy>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TagReference {
    /// The annotations, `null` read as none.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        self.annotations.as_ref().unwrap_or(&EMPTY)
    }

    /// Whether the reference policy is `Local` (pods pull through the integrated registry).
    pub fn is_local(&self) -> bool {
        self.reference_policy
            .as_ref()
            .is_some_and(|p| p.kind == "Local")
    }

    /// True when the tag follows another tag (`--alias`) instead of naming one image.
    pub fn is_tracking(&self) -> bool {
        self.from
            .as_ref()
            .is_some_and(|f| f.kind == "ImageStreamTag")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagReferencePolicy {
    #[serde(rename = "type", default)]
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image_repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_docker_image_repository: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::null_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<NamedTagEventList>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A status tag: its history of images, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedTagEventList {
    pub tag: String,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub items: Vec<TagEvent>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagEvent {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created: Option<String>,
    #[serde(default)]
    pub docker_image_reference: String,
    /// The image name, `sha256:…`.
    pub image: String,
    #[serde(default)]
    pub generation: Option<i64>,
}

impl ImageStream {
    pub fn spec_tag(&self, tag: &str) -> Option<&TagReference> {
        self.spec.tags.iter().find(|t| t.name == tag)
    }

    pub fn status_tag(&self, tag: &str) -> Option<&NamedTagEventList> {
        self.status.tags.iter().find(|t| t.tag == tag)
    }

    /// The image a tag points at now (`items[0]`, what `oc tag` resolves), if any.
    pub fn latest_event(&self, tag: &str) -> Option<&TagEvent> {
        self.status_tag(tag).and_then(|t| t.items.first())
    }

    /// Any history entry of any tag naming this image digest.
    pub fn find_event(&self, digest: &str) -> Option<&TagEvent> {
        self.status
            .tags
            .iter()
            .flat_map(|t| t.items.iter())
            .find(|e| e.image == digest)
    }

    /// The digest a tag points at now, if any.
    pub fn tag_digest(&self, tag: &str) -> Option<&str> {
        self.latest_event(tag)
            .map(|e| e.image.as_str())
            .filter(|d| !d.is_empty())
    }

    /// The digest-pinned pull spec of the tag's current image, as the trigger controllers
    /// resolve it (ResolveLatestTaggedImage): a `Local` reference policy gives the stream's own
    /// repository, otherwise the event's `dockerImageReference`.
    pub fn pull_spec(&self, tag: &str) -> Option<String> {
        let event = self.latest_event(tag)?;
        let local = self.spec_tag(tag).is_some_and(TagReference::is_local);
        let repo = self.status.docker_image_repository.as_deref().unwrap_or("");
        if local && !event.image.is_empty() && !repo.is_empty() {
            return Some(format!("{repo}@{}", event.image));
        }
        let pull = &event.docker_image_reference;
        (!pull.is_empty()).then(|| pull.clone())
    }

    /// Replaces the spec tag of that name, or appends it: the one-tag change of a retag.
    pub fn set_spec_tag(&mut self, tag: TagReference) {
        match self.spec.tags.iter_mut().find(|t| t.name == tag.name) {
            Some(slot) => *slot = tag,
            None => self.spec.tags.push(tag),
        }
    }
}

/// `stream:tag`, carrying the resolved image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamTag {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub tag: Option<TagReference>,
    #[serde(default)]
    pub generation: Option<i64>,
    #[serde(default)]
    pub image: Image,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `stream@sha256:…`: one image of a stream (get-only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageStreamImage {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub image: Image,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The cluster-scoped Image (also embedded in ImageStreamTag / ImageStreamImage).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// `metadata.name` is the digest.
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub docker_image_reference: Option<String>,
    #[serde(default)]
    pub docker_image_metadata: Option<DockerImageMetadata>,
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub signatures: Vec<ImageSignature>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `docker10.DockerImage`: Docker-style capitalised keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DockerImageMetadata {
    #[serde(rename = "Created", default, deserialize_with = "lenient::opt_string")]
    pub created: Option<String>,
    #[serde(rename = "Config", default)]
    pub config: Option<DockerConfig>,
    #[serde(rename = "Architecture", default)]
    pub architecture: Option<String>,
    /// Not part of `docker10.DockerImage`, but written by some exporters; read when present.
    #[serde(rename = "Os", alias = "OS", default)]
    pub os: Option<String>,
    #[serde(rename = "Size", default)]
    pub size: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DockerConfig {
    #[serde(rename = "Labels", default, deserialize_with = "lenient::string_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSignature {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub issued_by: Option<SignatureParty>,
    #[serde(default)]
    pub issued_to: Option<SignatureParty>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `SignatureIssuer` / `SignatureSubject`: who signed, and whose key it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureParty {
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub common_name: Option<String>,
    #[serde(rename = "publicKeyID", default)]
    pub public_key_id: Option<String>,
}

impl SignatureParty {
    /// The most specific name given: common name, else organisation, else key id.
    pub fn display(&self) -> Option<String> {
        [&self.common_name, &self.organization, &self.public_key_id]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .cloned()
    }
}
