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
    #[serde(default, deserialize_with = "lenient::null_vec")]
    pub tags: Vec<TagReference>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A spec tag: what the tag is set to (`from`), as opposed to what it resolved to (status).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagReference {
    pub name: String,
    /// No `omitempty` upstream: often `null`.
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub from: Option<ObjectReference>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub reference: Option<bool>,
    /// No `omitempty` upstream: `null` until the server assigns one.
    #[serde(default)]
    pub generation: Option<i64>,
    #[serde(default)]
    pub reference_policy: Option<TagReferencePolicy>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TagReference {
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
    #[serde(default)]
    pub docker_image_repository: Option<String>,
    #[serde(default)]
    pub public_docker_image_repository: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_vec")]
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
