//! Image trigger controllers, run after every write: DeploymentConfig ImageChange triggers and
//! `image.openshift.io/triggers` annotations on Deployments; then the DC loop in `rollouts`.

use serde_json::{json, Value};

use super::imageutil::resolve_latest;
use super::rollouts::{dc_deployer, dc_triggers, dc_type};
use super::store::{bump_generation, Store};
use super::types::{by_key, now, obj_mut, res, str_at};
use super::World;

/// Resolves an ImageChange trigger's `from` (namespace defaults to the owner's) to a pull spec.
pub fn resolve_from(store: &Store, owner_ns: &str, from: &Value) -> Option<String> {
    let kind = str_at(from, "/kind");
    if !(kind.is_empty() || kind == "ImageStreamTag") {
        return None;
    }
    let ns = match str_at(from, "/namespace") {
        "" => owner_ns,
        n => n,
    };
    let (stream, tag) = str_at(from, "/name").split_once(':')?;
    resolve_latest(store.get(res::IMAGESTREAMS, ns, stream)?, tag)
}

/// Writes `image` into the named (init)containers and the trigger's lastTriggeredImage.
pub fn set_trigger_image(dc: &mut Value, trigger: usize, image: &str) {
    let names: Vec<String> = dc["spec"]["triggers"][trigger]["imageChangeParams"]["containerNames"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for list in ["containers", "initContainers"] {
        if let Some(cs) = dc["spec"]["template"]["spec"][list].as_array_mut() {
            for c in cs
                .iter_mut()
                .filter(|c| names.iter().any(|n| c["name"] == n.as_str()))
            {
                c["image"] = json!(image);
            }
        }
    }
    dc["spec"]["triggers"][trigger]["imageChangeParams"]["lastTriggeredImage"] = json!(image);
}

fn image_triggers(store: &mut Store) -> bool {
    let mut changed = false;
    for (ns, name) in store.keys(res::DEPLOYMENTCONFIGS) {
        let Some(old) = store.get(res::DEPLOYMENTCONFIGS, &ns, &name).cloned() else {
            continue;
        };
        let mut dc = old.clone();
        let triggers = dc["spec"]["triggers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, t) in triggers.iter().enumerate() {
            let p = &t["imageChangeParams"];
            // A non-automatic trigger never touches the template (UpdateDeploymentConfigImages).
            if t["type"] != "ImageChange" || p["automatic"] != true {
                continue;
            }
            if let Some(image) = resolve_from(store, &ns, &p["from"]) {
                if str_at(p, "/lastTriggeredImage") != image {
                    set_trigger_image(&mut dc, i, &image);
                }
            }
        }
        if dc != old {
            bump_generation(Some(&old), &mut dc);
            store.put(&dc_type(), dc);
            changed = true;
        }
    }
    changed
}

/// Parses `image.openshift.io/triggers` the way library-go does: any type error rejects all.
pub fn parse_annotation_triggers(text: &str) -> Option<Vec<Value>> {
    let list: Vec<Value> = serde_json::from_str(text).ok()?;
    let ok = list.iter().all(|t| {
        t["from"]["kind"].is_string()
            && t["from"]["name"].is_string()
            && t["fieldPath"].is_string()
            && (t["paused"].is_null() || t["paused"].is_boolean())
    });
    ok.then_some(list)
}

/// `spec.template.spec.containers[?(@.name=="x")].image` / `containers[0]` / initContainers.
fn container_at<'a>(obj: &'a mut Value, field_path: &str) -> Option<&'a mut Value> {
    let rest = field_path
        .strip_prefix("spec.template.spec.")?
        .strip_suffix(".image")?;
    let (list, sel) = rest.split_once('[')?;
    let sel = sel.strip_suffix(']')?;
    let items = obj["spec"]["template"]["spec"][list].as_array_mut()?;
    if let Some(name) = sel
        .strip_prefix("?(@.name==\"")
        .and_then(|s| s.strip_suffix("\")"))
    {
        items.iter_mut().find(|c| c["name"] == name)
    } else {
        items.get_mut(sel.parse::<usize>().ok()?)
    }
}

fn deployment_triggers(store: &mut Store) -> bool {
    let Some(t) = by_key(res::DEPLOYMENTS) else {
        return false;
    };
    let mut changed = false;
    for (ns, name) in store.keys(res::DEPLOYMENTS) {
        let Some(old) = store.get(res::DEPLOYMENTS, &ns, &name).cloned() else {
            continue;
        };
        let mut dep = old.clone();
        let text = str_at(&old, "/metadata/annotations/image.openshift.io~1triggers");
        for trig in parse_annotation_triggers(text).unwrap_or_default() {
            if trig["paused"] == true {
                continue;
            }
            let Some(image) = resolve_from(store, &ns, &trig["from"]) else {
                continue;
            };
            if let Some(c) = container_at(&mut dep, str_at(&trig, "/fieldPath")) {
                c["image"] = json!(image);
            }
        }
        bump_generation(Some(&old), &mut dep);
        settle_deployment(&mut dep);
        if dep != old {
            store.put(&t, dep);
            changed = true;
        }
    }
    changed
}

/// The Deployment controller, instantly: a non-paused Deployment is rolled out at once.
pub fn settle_deployment(dep: &mut Value) {
    if dep["spec"]["paused"] == true {
        return;
    }
    let generation = dep["metadata"]["generation"].clone();
    let replicas = dep["spec"]["replicas"].as_i64().unwrap_or(1);
    let status = obj_mut(dep, "status");
    if status.get("observedGeneration") == Some(&generation) {
        return;
    }
    let t = now();
    status.insert("observedGeneration".into(), generation);
    for k in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        status.insert(k.into(), json!(replicas));
    }
    status.insert(
        "conditions".into(),
        json!([
            { "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastUpdateTime": t, "lastTransitionTime": t },
            { "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastUpdateTime": t, "lastTransitionTime": t },
        ]),
    );
}

/// Runs every controller until nothing changes (bounded, so a bug cannot spin forever).
pub fn reconcile(w: &mut World) {
    for _ in 0..8 {
        let a = image_triggers(&mut w.store);
        let b = deployment_triggers(&mut w.store);
        let c = dc_triggers(&mut w.store);
        let d = dc_deployer(w);
        if !(a || b || c || d) {
            break;
        }
    }
}
