//! The DeploymentConfig controller and deployer: trigger decisions, RC `<dc>-<N>` creation, and
//! rollouts that a ticker moves from Running to Complete or Failed.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controllers::reconcile;
use super::store::Store;
use super::types::{by_key, meta_str, now, obj_mut, res, str_at};
use super::World;

/// How the next rollout of a DeploymentConfig ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RolloutOutcome {
    #[default]
    Complete,
    /// Phase Failed, DC condition Progressing=False reason ProgressDeadlineExceeded.
    Fail,
    /// Stays Running until `Emulator::finish_rollouts` (to test "already in progress").
    Hang,
}

#[derive(Debug, Clone)]
struct Active {
    ns: String,
    dc: String,
    rc: String,
    outcome: RolloutOutcome,
    ticks: u32,
}

/// Rollout state: planned outcomes per (ns, dc) and RCs still Running.
#[derive(Debug, Default, Clone)]
pub struct Rollouts {
    pub next: BTreeMap<(String, String), RolloutOutcome>,
    active: Vec<Active>,
}

pub const ANN_PHASE: &str = "openshift.io/deployment.phase";
pub const ANN_VERSION: &str = "openshift.io/deployment-config.latest-version";
pub const ANN_DC: &str = "openshift.io/deployment-config.name";
pub const ANN_ENCODED: &str = "openshift.io/encoded-deployment-config";

pub fn rc_type() -> super::types::ResourceType {
    by_key(res::REPLICATIONCONTROLLERS).unwrap_or(super::types::ISTAG)
}

pub fn dc_type() -> super::types::ResourceType {
    by_key(res::DEPLOYMENTCONFIGS).unwrap_or(super::types::ISTAG)
}

fn images(template: &Value) -> Vec<String> {
    let spec = &template["spec"];
    let all = spec["containers"]
        .as_array()
        .into_iter()
        .chain(spec["initContainers"].as_array())
        .flatten();
    all.map(|c| str_at(c, "/image").to_string()).collect()
}

/// Why the DC controller would start a new version now (triggerActivated), if it would.
fn trigger_cause(store: &Store, dc: &Value) -> Option<(String, Value)> {
    if dc["spec"]["paused"] == true || images(&dc["spec"]["template"]).iter().any(String::is_empty)
    {
        return None;
    }
    let triggers = dc["spec"]["triggers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ict: Vec<&Value> = triggers
        .iter()
        .filter(|t| t["type"] == "ImageChange")
        .collect();
    let config = triggers.iter().any(|t| t["type"] == "ConfigChange");
    let latest = dc["status"]["latestVersion"].as_i64().unwrap_or(0);
    let image_cause = |image: &str| json!({ "type": "ImageChange", "imageTrigger": { "from": { "kind": "DockerImage", "name": image } } });
    if latest == 0 {
        if !ict.is_empty() {
            let resolved = ict
                .iter()
                .all(|t| !str_at(t, "/imageChangeParams/lastTriggeredImage").is_empty());
            let first = str_at(ict[0], "/imageChangeParams/lastTriggeredImage");
            return resolved.then(|| ("image change".to_string(), image_cause(first)));
        }
        return config.then(|| {
            (
                "config change".to_string(),
                json!({ "type": "ConfigChange" }),
            )
        });
    }
    let rc = store.get(
        res::REPLICATIONCONTROLLERS,
        meta_str(dc, "namespace"),
        &format!("{}-{latest}", meta_str(dc, "name")),
    )?;
    // Abbreviated snapshot RCs (no template / no encoded spec) give no reason to redeploy.
    let deployed = images(&rc["spec"]["template"]);
    let changed = images(&dc["spec"]["template"])
        .into_iter()
        .find(|i| !deployed.contains(i));
    if let Some(new) = changed.filter(|_| !deployed.is_empty()) {
        return Some(("image change".to_string(), image_cause(&new)));
    }
    let encoded: Value = serde_json::from_str(str_at(
        rc,
        &format!("/metadata/annotations/{}", ANN_ENCODED.replace('/', "~1")),
    ))
    .ok()?;
    let differs = encoded["spec"]["template"].is_object()
        && encoded["spec"]["template"] != dc["spec"]["template"];
    (config && differs).then(|| {
        (
            "config change".to_string(),
            json!({ "type": "ConfigChange" }),
        )
    })
}

/// Starts version latestVersion+1 with the given details (also used by instantiate).
pub fn bump_latest(dc: &mut Value, message: &str, cause: Value) {
    let latest = dc["status"]["latestVersion"].as_i64().unwrap_or(0);
    let generation = dc["metadata"]["generation"].as_i64().unwrap_or(1);
    dc["metadata"]["generation"] = json!(generation + 1);
    let status = obj_mut(dc, "status");
    status.insert("latestVersion".into(), json!(latest + 1));
    status.insert(
        "details".into(),
        json!({ "message": message, "causes": [cause] }),
    );
}

pub fn dc_triggers(store: &mut Store) -> bool {
    let mut changed = false;
    for (ns, name) in store.keys(res::DEPLOYMENTCONFIGS) {
        let Some(mut dc) = store.get(res::DEPLOYMENTCONFIGS, &ns, &name).cloned() else {
            continue;
        };
        let latest = dc["status"]["latestVersion"].as_i64().unwrap_or(0);
        // An RC still to be created for the current version comes first.
        if latest > 0
            && store
                .get(
                    res::REPLICATIONCONTROLLERS,
                    &ns,
                    &format!("{name}-{latest}"),
                )
                .is_none()
        {
            continue;
        }
        if let Some((message, cause)) = trigger_cause(store, &dc) {
            bump_latest(&mut dc, &message, cause);
            store.put(&dc_type(), dc);
            changed = true;
        }
    }
    changed
}

/// RC `<dc>-<version>` as the deployer creates it (phase `Running`, or `Complete` for seeds).
pub fn new_rc(dc: &Value, version: i64, phase: &str) -> Value {
    let (ns, name) = (meta_str(dc, "namespace"), meta_str(dc, "name"));
    let rc_name = format!("{name}-{version}");
    let replicas = dc["spec"]["replicas"].as_i64().unwrap_or(1);
    let mut template = dc["spec"]["template"].clone();
    let labels = obj_mut(obj_mut_v(&mut template, "metadata"), "labels");
    labels.insert("deployment".into(), json!(rc_name));
    labels.insert("deploymentconfig".into(), json!(name));
    let mut selector = dc["spec"]["selector"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    selector.insert("deployment".into(), json!(rc_name));
    selector.insert("deploymentconfig".into(), json!(name));
    let done = phase == "Complete";
    let n = if done { replicas } else { 0 };
    json!({
        "metadata": {
            "name": rc_name, "namespace": ns,
            "labels": { ANN_DC: name, "openshift.io/deployment-config.name": name },
            "annotations": {
                ANN_PHASE: phase, ANN_VERSION: version.to_string(), ANN_DC: name,
                ANN_ENCODED: dc.to_string(), "openshift.io/deployer-pod.name": format!("{rc_name}-deploy"),
            },
            "ownerReferences": [{ "apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig", "name": name, "uid": meta_str(dc, "uid"), "controller": true, "blockOwnerDeletion": true }],
        },
        "spec": { "replicas": n, "selector": selector, "template": template },
        "status": { "replicas": n, "readyReplicas": n, "availableReplicas": n, "fullyLabeledReplicas": n, "observedGeneration": 1 },
    })
}

fn obj_mut_v<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    obj_mut(v, key);
    &mut v[key]
}

fn set_condition(dc: &mut Value, ctype: &str, status: &str, reason: &str, message: &str) {
    let t = now();
    let conds = super::types::arr_mut(obj_mut_v(dc, "status"), "conditions");
    let cond = json!({ "type": ctype, "status": status, "lastUpdateTime": t, "lastTransitionTime": t, "reason": reason, "message": message });
    match conds.iter_mut().find(|c| c["type"] == ctype) {
        Some(c) => *c = cond,
        None => conds.push(cond),
    }
}

pub fn dc_deployer(w: &mut World) -> bool {
    let mut changed = false;
    for (ns, name) in w.store.keys(res::DEPLOYMENTCONFIGS) {
        let Some(mut dc) = w.store.get(res::DEPLOYMENTCONFIGS, &ns, &name).cloned() else {
            continue;
        };
        let latest = dc["status"]["latestVersion"].as_i64().unwrap_or(0);
        let rc_name = format!("{name}-{latest}");
        if latest == 0
            || w.store
                .get(res::REPLICATIONCONTROLLERS, &ns, &rc_name)
                .is_some()
        {
            continue;
        }
        // A newer deployment cancels one still running.
        let stale: Vec<Active> = w
            .rollouts
            .active
            .iter()
            .filter(|a| a.ns == ns && a.dc == name)
            .cloned()
            .collect();
        w.rollouts.active.retain(|a| !(a.ns == ns && a.dc == name));
        for a in stale {
            finish(w, &a, RolloutOutcome::Fail);
        }
        w.store.put(&rc_type(), new_rc(&dc, latest, "Running"));
        let outcome = w
            .rollouts
            .next
            .remove(&(ns.clone(), name.clone()))
            .unwrap_or_default();
        w.rollouts.active.push(Active {
            ns: ns.clone(),
            dc: name.clone(),
            rc: rc_name.clone(),
            outcome,
            ticks: 0,
        });
        dc["status"]["observedGeneration"] = dc["metadata"]["generation"].clone();
        dc["status"]["updatedReplicas"] = json!(0);
        let msg = format!("replication controller {rc_name:?} is progressing");
        set_condition(
            &mut dc,
            "Progressing",
            "True",
            "NewReplicationControllerCreated",
            &msg,
        );
        w.store.put(&dc_type(), dc);
        changed = true;
    }
    changed
}

/// One ticker step: rollouts seen Running by a previous tick finish with their planned outcome.
pub fn tick(w: &mut World) {
    let mut done = Vec::new();
    for a in w.rollouts.active.iter_mut() {
        a.ticks += 1;
        if a.ticks >= 2 && a.outcome != RolloutOutcome::Hang {
            done.push(a.clone());
        }
    }
    w.rollouts
        .active
        .retain(|a| !done.iter().any(|d| d.rc == a.rc && d.ns == a.ns));
    for a in &done {
        finish(w, a, a.outcome);
    }
    if !done.is_empty() {
        reconcile(w);
    }
}

/// Ends every running rollout now (Hang ones complete).
pub fn finish_all(w: &mut World) {
    let all = std::mem::take(&mut w.rollouts.active);
    for a in &all {
        let outcome = if a.outcome == RolloutOutcome::Fail {
            RolloutOutcome::Fail
        } else {
            RolloutOutcome::Complete
        };
        finish(w, a, outcome);
    }
    reconcile(w);
}

fn finish(w: &mut World, a: &Active, outcome: RolloutOutcome) {
    let Some(mut rc) = w
        .store
        .get(res::REPLICATIONCONTROLLERS, &a.ns, &a.rc)
        .cloned()
    else {
        return;
    };
    let Some(mut dc) = w.store.get(res::DEPLOYMENTCONFIGS, &a.ns, &a.dc).cloned() else {
        return;
    };
    let replicas = dc["spec"]["replicas"].as_i64().unwrap_or(1);
    let ok = outcome == RolloutOutcome::Complete;
    let phase = if ok { "Complete" } else { "Failed" };
    rc["metadata"]["annotations"][ANN_PHASE] = json!(phase);
    let n = if ok { replicas } else { 0 };
    rc["spec"]["replicas"] = json!(n);
    for k in [
        "replicas",
        "readyReplicas",
        "availableReplicas",
        "fullyLabeledReplicas",
    ] {
        rc["status"][k] = json!(n);
    }
    w.store.put(&rc_type(), rc);
    let is_latest = dc["status"]["latestVersion"]
        .as_i64()
        .map(|v| format!("{}-{v}", a.dc))
        == Some(a.rc.clone());
    if !is_latest {
        return;
    }
    if ok {
        for (ns, other) in w.store.keys(res::REPLICATIONCONTROLLERS) {
            if ns != a.ns || other == a.rc || !other.starts_with(&format!("{}-", a.dc)) {
                continue;
            }
            if let Some(mut old) = w
                .store
                .get(res::REPLICATIONCONTROLLERS, &ns, &other)
                .cloned()
            {
                if old["spec"]["replicas"] != 0 {
                    old["spec"]["replicas"] = json!(0);
                    old["status"]["replicas"] = json!(0);
                    w.store.put(&rc_type(), old);
                }
            }
        }
        for k in [
            "replicas",
            "updatedReplicas",
            "availableReplicas",
            "readyReplicas",
        ] {
            dc["status"][k] = json!(replicas);
        }
        dc["status"]["unavailableReplicas"] = json!(0);
        let msg = format!("replication controller {:?} successfully rolled out", a.rc);
        set_condition(
            &mut dc,
            "Progressing",
            "True",
            "NewReplicationControllerAvailable",
            &msg,
        );
        set_condition(
            &mut dc,
            "Available",
            "True",
            "",
            "Deployment config has minimum availability.",
        );
    } else {
        let msg = format!("replication controller {:?} has failed progressing", a.rc);
        set_condition(
            &mut dc,
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            &msg,
        );
    }
    dc["status"]["observedGeneration"] = dc["metadata"]["generation"].clone();
    w.store.put(&dc_type(), dc);
}
