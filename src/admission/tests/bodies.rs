//! The objects the API server puts into AdmissionReviews, built from the seed's own objects.

use serde_json::{json, Value};

use super::*;

/// The ImageStreamTag `dev/simple-app:<tag>` as the seed holds it (what `oldObject` carries).
pub fn istag(objects: &ClusterObjects, tag: &str) -> Value {
    let name = format!("simple-app:{tag}");
    let t = objects
        .istags
        .iter()
        .find(|t| t.metadata.name == name)
        .unwrap();
    serde_json::to_value(t).unwrap()
}

/// What `oc tag` PUTs: the tag's ImageStreamTag with a new `tag.from`; and the old one.
pub fn istag_set(objects: &ClusterObjects, tag: &str, from: Value) -> (Value, Value) {
    let old = istag(objects, tag);
    let mut new = old.clone();
    new["tag"] = json!({"name": tag, "annotations": null, "from": from, "generation": null,
                        "importPolicy": {"importMode": "Legacy"},
                        "referencePolicy": {"type": "Source"}});
    (new, old)
}

pub fn isimage(digest: &str) -> Value {
    json!({"kind": "ImageStreamImage", "name": format!("simple-app@{digest}"), "namespace": "dev"})
}

pub fn istag_ref(tag: &str) -> Value {
    json!({"kind": "ImageStreamTag", "name": format!("simple-app:{tag}"), "namespace": "dev"})
}

pub fn stream(objects: &ClusterObjects) -> Value {
    serde_json::to_value(objects.stream("dev", "simple-app").unwrap()).unwrap()
}

/// What a build's push POSTs: the image with its metadata, into `tag`.
pub fn mapping(tag: &str, digest: &str) -> Value {
    json!({
        "kind": "ImageStreamMapping", "apiVersion": "image.openshift.io/v1",
        "metadata": {"name": "simple-app", "namespace": "dev"},
        "image": {
            "metadata": {"name": digest, "annotations": {"openshift.io/image.managed": "true"}},
            "dockerImageReference": format!("image-registry.openshift-image-registry.svc:5000/dev/simple-app@{digest}"),
            "dockerImageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "dockerImageMetadata": {
                "kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
                "Created": "2024-03-06T10:00:00Z", "Architecture": "amd64", "Size": 1234,
                "Config": {"Labels": {"io.openshift.build.commit.id": "abc123",
                                      "io.openshift.build.name": "simple-app-3"}}
            }
        },
        "tag": tag
    })
}

/// What `oc import-image` POSTs.
pub fn import(images: Value) -> Value {
    json!({
        "kind": "ImageStreamImport", "apiVersion": "image.openshift.io/v1",
        "metadata": {"name": "simple-app", "namespace": "dev"},
        "spec": {"import": true, "images": images},
        "status": {}
    })
}
