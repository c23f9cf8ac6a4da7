//! Admission decisions on real object shapes: the seed snapshots, the AdmissionReviews
//! `oc tag`, pushes and imports send, and the parity with `check`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bodies;
mod guarded;
mod hostile;
mod parity;
mod resources;
mod review;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

use super::*;
use crate::config::Settings;
use crate::gather::snapshot;
use crate::policy::Evaluator;

pub const LATEST: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";
pub const OLD: &str = "sha256:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";
pub const NEW: &str = "sha256:9999999999999999999999999999999999999999999999999999999999999999";
pub const NOW: OffsetDateTime = datetime!(2024-03-06 12:00 UTC);
pub const SEEDS: [&str; 4] = [
    "a-no-pull-rights",
    "b-automatic-trigger",
    "c-manual-trigger",
    "d-tracking-alias",
];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped pack with this `tollgate.yaml` text.
pub fn gate_with(config: &str) -> Gate {
    let settings = Settings::parse_at(config, "tollgate.yaml", NOW.date()).unwrap();
    let evaluator = Evaluator::new();
    let rules = gate::read_pack(&evaluator, &[root().join("policies")]).unwrap();
    Gate::new(settings, evaluator, rules).unwrap()
}

pub fn gate() -> Gate {
    gate_with("")
}

pub fn seed(name: &str) -> Arc<ClusterObjects> {
    Arc::new(snapshot::load(&[root().join("examples/seed").join(name)]).unwrap())
}

/// An AdmissionReview as the API server sends it, parsed as the server will.
pub fn review(resource: &str, op: &str, name: &str, object: Value, old: Value) -> Review {
    let body = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "image.openshift.io", "version": "v1", "kind": "X"},
            "resource": {"group": "image.openshift.io", "version": "v1", "resource": resource},
            "requestKind": {"group": "image.openshift.io", "version": "v1", "kind": "X"},
            "name": name, "namespace": "dev", "operation": op,
            "userInfo": {"username": "dev-user1", "uid": "0b5b8d6e",
                         "groups": ["system:authenticated:oauth", "system:authenticated"]},
            "object": object, "oldObject": old, "dryRun": false,
            "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"}
        }
    });
    parse_review(&serde_json::to_vec(&body).unwrap()).unwrap()
}

pub fn run(gate: &Gate, objects: &Arc<ClusterObjects>, r: &Review) -> Answer {
    decide(gate, objects, r, Mode::Enforce, NOW)
}

pub fn response(a: &Answer) -> &Value {
    &a.review["response"]
}

pub fn allowed(a: &Answer) -> bool {
    response(a)["allowed"].as_bool().unwrap()
}

pub fn message(a: &Answer) -> String {
    response(a)["status"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
