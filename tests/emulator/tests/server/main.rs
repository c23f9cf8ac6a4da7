//! The API emulator driven by the real kube client: conflicts, errors, retag, rollouts, RBAC, faults.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod apps;
mod client;
mod image_writes;
mod images;
mod rbac_faults;
mod seeds;
mod watch;
mod webhook;

use std::time::{Duration, Instant};

use client::{call, send, wait_until, DEV_PROD, NEW_DIGEST, OC_TAG_PUT, OLD_DIGEST};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use serde_json::{json, Value};
use tollgate_emulator::imageutil::pull_spec;
use tollgate_emulator::{res, Emulator, Fault, FaultRule, RolloutOutcome, UserInfo};

pub(crate) const IS: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreams";
pub(crate) const ISTAG: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags";
pub(crate) const DC: &str = "/apis/apps.openshift.io/v1/namespaces/prod/deploymentconfigs";
pub(crate) const RC: &str = "/api/v1/namespaces/prod/replicationcontrollers";
pub(crate) const SAR: &str = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

pub(crate) async fn seeded() -> Emulator {
    let emu = Emulator::start().await;
    let report = emu.seed_yaml(DEV_PROD).unwrap();
    assert_eq!(report.loaded, 5, "{report:?}");
    emu
}

pub(crate) fn api_error(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub(crate) fn phase(rc: &Value) -> &str {
    rc["metadata"]["annotations"]["openshift.io/deployment.phase"]
        .as_str()
        .unwrap_or("")
}

pub(crate) fn progressing_reason(dc: &Value) -> String {
    let conds = dc["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let c = conds
        .iter()
        .find(|c| c["type"] == "Progressing")
        .cloned()
        .unwrap_or_default();
    c["reason"].as_str().unwrap_or("").to_string()
}
