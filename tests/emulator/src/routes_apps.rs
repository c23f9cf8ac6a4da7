//! apps.openshift.io DeploymentConfigs (CRUD + instantiate, §2.1) and apps/v1 Deployments.

use serde_json::{json, Value};

use super::controllers::{resolve_from, set_trigger_image};
use super::errors::{ApiError, ApiResult};
use super::rollouts::{bump_latest, ANN_ENCODED};
use super::routes::{generic, Reply, Req, Target};
use super::store::Store;
use super::types::{by_key, meta_str, res, str_at, ResourceType, ISTAG};
use super::World;

fn dc_type() -> ResourceType {
    by_key(res::DEPLOYMENTCONFIGS).unwrap_or(ISTAG)
}

pub fn serve(w: &mut World, req: &Req, t: &Target) -> ApiResult<Reply> {
    let store = &mut w.store;
    if t.plural == "deployments" {
        let dt = by_key(res::DEPLOYMENTS).unwrap_or(ISTAG);
        if !t.sub.is_empty() {
            return Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
        return generic(store, req, t, &dt, &mut |_, _, _| Ok(()));
    }
    match (req.method.as_str(), t.sub.as_str()) {
        ("POST", "instantiate") => instantiate(store, req, &t.ns),
        (_, "") if req.method == "POST" => create_dc(store, req, &t.ns),
        (_, "") => {
            // DC strategy: status is the server's, except the legacy "latestVersion + 1" bump.
            let asked = req
                .body
                .as_ref()
                .and_then(|b| b["status"]["latestVersion"].as_i64());
            let mut prepare = |_: &Store, old: &Value, new: &mut Value| {
                let old_latest = old["status"]["latestVersion"].as_i64().unwrap_or(0);
                if asked == Some(old_latest + 1) {
                    new["status"]["latestVersion"] = json!(old_latest + 1);
                    if new["metadata"]["generation"] == old["metadata"]["generation"] {
                        let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
                        new["metadata"]["generation"] = json!(g + 1);
                    }
                }
                Ok(())
            };
            generic(store, req, t, &dc_type(), &mut prepare)
        }
        _ => Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    }
}

/// POST: defaults as the apps/v1 defaulter does; lastTriggeredImage is cleared on create.
fn create_dc(store: &mut Store, req: &Req, ns: &str) -> ApiResult<Reply> {
    let mut dc = req.body()?.clone();
    if dc["spec"]["triggers"].is_null() {
        dc["spec"]["triggers"] = json!([{ "type": "ConfigChange" }]);
    }
    if let Some(triggers) = dc["spec"]["triggers"].as_array_mut() {
        for t in triggers.iter_mut().filter(|t| t["type"] == "ImageChange") {
            let p = &mut t["imageChangeParams"];
            if p["from"]["kind"].is_null() {
                p["from"]["kind"] = json!("ImageStreamTag");
            }
            if p["from"]["namespace"].is_null() {
                p["from"]["namespace"] = json!(ns);
            }
            if let Some(m) = p.as_object_mut() {
                m.remove("lastTriggeredImage");
            }
        }
    }
    dc["status"] = json!({ "latestVersion": 0, "observedGeneration": 0, "replicas": 0, "updatedReplicas": 0, "availableReplicas": 0, "unavailableReplicas": 0 });
    store.create(&dc_type(), ns, dc).map(|o| (201, o))
}

fn excluded(body: &Value, kind: &str) -> bool {
    body["excludeTriggers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|k| k == kind))
}

/// POST …/deploymentconfigs/{name}/instantiate (openshift-apiserver instantiate/rest.go).
fn instantiate(store: &mut Store, req: &Req, ns: &str) -> ApiResult<Reply> {
    let body = req.body()?;
    let dt = dc_type();
    // The server loads the DC named in the body, not the one in the URL.
    let name = str_at(body, "/name");
    if name.is_empty() {
        return Err(ApiError::invalid(&dt, "", "name", "Required value"));
    }
    let old = store
        .get(res::DEPLOYMENTCONFIGS, ns, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(&dt, name))?;
    if old["spec"]["paused"] == true {
        let detail = format!("Invalid value: true: deployment config {name:?} is paused - unpause to request a new deployment");
        return Err(ApiError::invalid(&dt, name, "spec.paused", &detail));
    }
    let (latest, force) = (body["latest"] == true, body["force"] == true);
    let mut dc = old.clone();
    let triggers = dc["spec"]["triggers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if latest && !excluded(body, "ImageChange") {
        for (i, t) in triggers.iter().enumerate() {
            let p = &t["imageChangeParams"];
            if t["type"] != "ImageChange" || (!force && p["automatic"] != true) {
                continue;
            }
            if let Some(image) = resolve_from(store, ns, &p["from"]) {
                set_trigger_image(&mut dc, i, &image);
            }
        }
    }
    let unresolved = dc["spec"]["triggers"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| {
            t["type"] == "ImageChange"
                && str_at(t, "/imageChangeParams/lastTriggeredImage").is_empty()
        });
    if unresolved {
        return Err(ApiError::bad_request(format!(
            "cannot trigger a deployment for {name:?} because it contains unresolved images"
        )));
    }
    let (message, cause) = if force {
        ("manual change", json!({ "type": "Manual" }))
    } else if let Some(cause) = unforced_cause(store, &dc, &triggers, body) {
        cause
    } else {
        let status = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "message": format!("deployment config {name:?} cannot be instantiated"), "code": 204,
        });
        return Ok((201, status));
    };
    bump_latest(&mut dc, message, cause);
    let stored = store.put(&dt, dc);
    Ok((201, stored))
}

/// Without force: an image differing from the latest RC's, or a template change with a
/// ConfigChange trigger, is a reason to deploy; anything else is not.
fn unforced_cause(
    store: &Store,
    dc: &Value,
    triggers: &[Value],
    body: &Value,
) -> Option<(&'static str, Value)> {
    let latest = dc["status"]["latestVersion"].as_i64().unwrap_or(0);
    let rc_name = format!("{}-{latest}", meta_str(dc, "name"));
    let rc = store.get(
        res::REPLICATIONCONTROLLERS,
        meta_str(dc, "namespace"),
        &rc_name,
    );
    let deployed: Value = rc
        .and_then(|rc| {
            serde_json::from_str(str_at(
                rc,
                &format!("/metadata/annotations/{}", ANN_ENCODED.replace('/', "~1")),
            ))
            .ok()
        })
        .unwrap_or(Value::Null);
    for t in triggers
        .iter()
        .filter(|t| t["type"] == "ImageChange" && t["imageChangeParams"]["automatic"] == true)
    {
        let from = &t["imageChangeParams"]["from"];
        let now_image = dc["spec"]["triggers"]
            .as_array()
            .and_then(|ts| ts.iter().find(|x| x["imageChangeParams"]["from"] == *from))
            .map(|x| str_at(x, "/imageChangeParams/lastTriggeredImage").to_string())
            .unwrap_or_default();
        let was = deployed["spec"]["triggers"]
            .as_array()
            .and_then(|ts| ts.iter().find(|x| x["imageChangeParams"]["from"] == *from))
            .map(|x| str_at(x, "/imageChangeParams/lastTriggeredImage").to_string());
        if rc.is_none() || was.as_deref() != Some(now_image.as_str()) {
            let cause = json!({ "type": "ImageChange", "imageTrigger": { "from": from.clone() } });
            return Some(("image change", cause));
        }
    }
    let config =
        triggers.iter().any(|t| t["type"] == "ConfigChange") && !excluded(body, "ConfigChange");
    (config && deployed["spec"]["template"] != dc["spec"]["template"])
        .then(|| ("config change", json!({ "type": "ConfigChange" })))
}
