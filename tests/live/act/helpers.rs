//! Helpers for the act cases: the request paths and digests they assert, and queries of the
//! emulator's request log and objects. (Calls into tollgate itself are in `crate::crate_api`.)

use serde_json::Value;
use tollgate::act::ActOutcome;
use tollgate_emulator::{Emulator, LoggedRequest};

/// dev/simple-app:latest in the seed: the 2.0 build being promoted.
pub const NEW: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";
/// dev/simple-app:promote in the seed: the 1.0 build prod runs.
pub const OLD: &str = "sha256:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";

pub const ISTAG_PUT: &str =
    "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags/simple-app:promote";
pub const INSTANTIATE: &str =
    "/apis/apps.openshift.io/v1/namespaces/prod/deploymentconfigs/simple-app/instantiate";
pub const RC2: &str = "/api/v1/namespaces/prod/replicationcontrollers/simple-app-2";

/// Requests that could change something.
pub fn writes(emu: &Emulator) -> Vec<LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect()
}

/// `METHOD path` of every write, in order: the request sequence a case asserts.
pub fn write_lines(emu: &Emulator) -> Vec<String> {
    writes(emu)
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

pub fn dc_image(emu: &Emulator) -> String {
    let dc = emu.deployment_config("prod", "simple-app").unwrap();
    dc["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn latest_version(emu: &Emulator) -> i64 {
    emu.deployment_config("prod", "simple-app").unwrap()["status"]["latestVersion"]
        .as_i64()
        .unwrap()
}

pub fn statuses(outcome: &ActOutcome) -> Vec<String> {
    outcome
        .actions
        .iter()
        .map(|a| format!("{:?} {:?}", a.kind, a.status))
        .collect()
}

/// `(name, from, annotations)` of every spec tag but `promote`: what a writer sets (the server
/// may fill in `generation` on any stream write).
pub fn other_tags(emu: &Emulator) -> Vec<(Value, Value, Value)> {
    spec_tags(emu)
        .into_iter()
        .filter(|t| t["name"] != "promote")
        .map(|t| {
            (
                t["name"].clone(),
                t["from"].clone(),
                t["annotations"].clone(),
            )
        })
        .collect()
}

pub fn spec_tags(emu: &Emulator) -> Vec<Value> {
    emu.image_stream("dev", "simple-app").unwrap()["spec"]["tags"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A Deployment whose image trigger is paused: the promoted pull spec is written into the
/// triggered container with a PUT guarded by resourceVersion.
pub const PAUSED_TRIGGER_DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"simple-app:promote","namespace":"dev"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image","paused":true}]'
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "image-registry.openshift-image-registry.svc:5000/dev/simple-app@sha256:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a"}
      - {name: sidecar, image: "quay.io/example/proxy:1"}
"#;
