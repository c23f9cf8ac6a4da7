//! Rolling each target out after the retag, honouring `--rollout` and never rolling twice.
//!
//! DeploymentConfig: `oc rollout latest` (docs/design/OPENSHIFT-API.md §2.1) — refuse paused or in-progress,
//! POST `instantiate` `{latest: true, force: true}`, fall back to PUT `latestVersion + 1` on 404/403.
//! Deployment with a paused image trigger: set the triggered containers' image to the promoted
//! pull spec with a PUT guarded by resourceVersion (§6). A target already running the digest is
//! skipped, which is what makes a re-run after a partial failure converge.

use kube::Client;
use serde_json::{json, Value};

use super::precheck::rc_in_progress;
use crate::cluster::{api, paths};
use crate::facts::{Facts, Target};
use crate::openshift::{Deployment, DeploymentConfig, ReplicationController};
use crate::plan::{Action, ActionKind, ActionStatus, RolloutMode};
use crate::refs::short_digest as short;

const DEPLOYMENT_WRITE_ATTEMPTS: u32 = 3;

/// What the wait has to follow for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// A DeploymentConfig rollout newer than version `after`.
    Dc { after: i64 },
    /// A Deployment whose template runs the digest.
    Deployment,
}

#[derive(Debug, Clone)]
pub struct Rolled {
    pub action: Action,
    pub follow: Option<Follow>,
}

/// The step's inputs that come from the steps before it.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub mode: RolloutMode,
    /// Whether this run moved the destination tag (automatic triggers fire only then).
    pub moved: bool,
    /// The digest-pinned pull spec of the destination tag now.
    pub pull_spec: Option<&'a str>,
}

fn rolled(t: &Target, status: ActionStatus, detail: String, follow: Option<Follow>) -> Rolled {
    Rolled {
        action: Action {
            kind: ActionKind::Rollout,
            target: t.display_ref(),
            status,
            detail,
        },
        follow,
    }
}

/// Names of the containers that an ImageChange trigger consuming the promotion writes.
pub fn triggered_containers(t: &Target) -> Vec<String> {
    let mut names: Vec<String> = t
        .triggers
        .iter()
        .filter(|x| x.consumes_promotion)
        .flat_map(|x| x.containers.iter().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn follow_for(t: &Target, pre_version: Option<i64>) -> Follow {
    if t.kind == "DeploymentConfig" {
        Follow::Dc {
            after: pre_version.unwrap_or(0),
        }
    } else {
        Follow::Deployment
    }
}

pub async fn rollout(
    client: &Client,
    facts: &Facts,
    t: &Target,
    pre_version: Option<i64>,
    cx: Context<'_>,
) -> Rolled {
    let auto_fires = cx.moved && t.will_roll_out_automatically;
    if cx.mode == RolloutMode::Never {
        let follow = auto_fires.then(|| follow_for(t, pre_version));
        let why = if auto_fires {
            "--rollout never; its automatic image trigger rolls it out anyway"
        } else {
            "--rollout never: the tag moves, the target is left alone"
        };
        return rolled(t, ActionStatus::Skipped, why.into(), follow);
    }
    if t.kind == "DeploymentConfig" {
        dc(client, facts, t, pre_version.unwrap_or(0), cx).await
    } else {
        deployment(client, facts, t, cx).await
    }
}

async fn dc(client: &Client, facts: &Facts, t: &Target, pre: i64, cx: Context<'_>) -> Rolled {
    let digest = &facts.promotion.digest;
    let path = paths::deployment_config(&t.namespace, &t.name);
    let fail = |detail: String| rolled(t, ActionStatus::Failed, detail, None);
    let obj: DeploymentConfig = match api::get(client, &path).await {
        Ok(o) => o,
        Err(e) => return fail(format!("could not read it: {}", e.brief())),
    };
    let latest = obj
        .status
        .as_ref()
        .and_then(|s| s.latest_version)
        .unwrap_or(0);
    if cx.moved && t.will_roll_out_automatically && (cx.mode == RolloutMode::Auto || latest > pre) {
        // Instantiating as well would start a second rollout of the same image.
        let detail = if latest > pre {
            format!("rolls out by itself: its automatic image trigger started rollout #{latest}")
        } else {
            "rolls out by itself: its image trigger is automatic".to_string()
        };
        return rolled(
            t,
            ActionStatus::Skipped,
            detail,
            Some(Follow::Dc { after: pre }),
        );
    }
    let rc = if latest > 0 {
        let rc_name = format!("{}-{latest}", t.name);
        let rc_path = paths::replication_controller(&t.namespace, &rc_name);
        match api::get_opt::<ReplicationController>(client, &rc_path).await {
            Ok(rc) => rc,
            Err(e) => return fail(format!("could not read {rc_name}: {}", e.brief())),
        }
    } else {
        None
    };
    let complete = rc.as_ref().is_some_and(|rc| rc.phase() == Some("Complete"));
    if complete
        && obj
            .spec
            .template
            .spec
            .runs(&triggered_containers(t), digest)
    {
        return rolled(
            t,
            ActionStatus::Skipped,
            format!("already runs {digest}"),
            None,
        );
    }
    if obj.spec.paused == Some(true) {
        return fail("is paused: unpause it to request a new deployment".into());
    }
    if rc.as_ref().is_some_and(rc_in_progress) {
        return fail(format!("#{latest} is already in progress"));
    }
    let request = json!({
        "kind": "DeploymentRequest", "apiVersion": "apps.openshift.io/v1",
        "name": t.name, "latest": true, "force": true,
    });
    let instantiate = paths::deployment_config_instantiate(&t.namespace, &t.name);
    let answer = match api::post(client, &instantiate, &request).await {
        Ok(v) => Ok(v),
        // Servers without the instantiate subresource: oc's fallback, latestVersion + 1.
        Err(e) if matches!(e.code(), Some(404 | 403)) => {
            tracing::info!(target = %t.display_ref(), "act: instantiate refused ({}); bumping latestVersion", e.brief());
            let mut bumped = obj.clone();
            bumped
                .status
                .get_or_insert_with(Default::default)
                .latest_version = Some(latest + 1);
            api::put(client, &path, &bumped).await
        }
        Err(e) => Err(e),
    };
    match answer {
        Ok(v) if v["kind"] == "Status" => fail(format!(
            "not instantiated: {}",
            v["message"].as_str().unwrap_or("")
        )),
        Ok(v) => {
            let now = v
                .pointer("/status/latestVersion")
                .and_then(Value::as_i64)
                .unwrap_or(latest + 1);
            let note = if triggered_containers(t).is_empty() {
                "; note: no trigger follows the destination tag, so the image does not change"
            } else {
                ""
            };
            let detail = format!("instantiated rollout #{now} (latest: true, force: true){note}");
            rolled(
                t,
                ActionStatus::Done,
                detail,
                Some(Follow::Dc { after: now - 1 }),
            )
        }
        Err(e) => fail(format!("instantiate failed: {}", e.brief())),
    }
}

async fn deployment(client: &Client, facts: &Facts, t: &Target, cx: Context<'_>) -> Rolled {
    let digest = &facts.promotion.digest;
    let names = triggered_containers(t);
    if names.is_empty() {
        let why = "no trigger follows the destination tag: nothing to update".to_string();
        return rolled(t, ActionStatus::Skipped, why, None);
    }
    if cx.moved && t.will_roll_out_automatically && cx.mode == RolloutMode::Auto {
        let why = "rolls out by itself: its image trigger is automatic".to_string();
        return rolled(t, ActionStatus::Skipped, why, Some(Follow::Deployment));
    }
    let fail = |detail: String| rolled(t, ActionStatus::Failed, detail, None);
    let Some(pull) = cx.pull_spec else {
        return fail("the destination tag has no pull spec to set".into());
    };
    let path = paths::deployment(&t.namespace, &t.name);
    for attempt in 1..=DEPLOYMENT_WRITE_ATTEMPTS {
        let mut obj: Deployment = match api::get(client, &path).await {
            Ok(o) => o,
            Err(e) => return fail(format!("could not read it: {}", e.brief())),
        };
        if obj.spec.template.spec.runs(&names, digest) && obj.settled() {
            return rolled(
                t,
                ActionStatus::Skipped,
                format!("already runs {digest}"),
                None,
            );
        }
        if obj.spec.paused == Some(true) {
            return fail("is paused (spec.paused): resume it to roll out".into());
        }
        obj.spec.template.spec.set_images(&names, pull);
        // The object as read carries its resourceVersion: the PUT fails rather than overwrite
        // a concurrent change.
        match api::put(client, &path, &obj).await {
            Ok(_) => {
                let detail = format!("set image of container {} to {}", names.join(", "), pull);
                return rolled(t, ActionStatus::Done, detail, Some(Follow::Deployment));
            }
            Err(e) if e.code() == Some(409) && attempt < DEPLOYMENT_WRITE_ATTEMPTS => {
                tracing::info!(target = %t.display_ref(), attempt, "act: deployment changed under us; re-reading");
            }
            Err(e) => return fail(format!("updating the image failed: {}", e.brief())),
        }
    }
    fail(format!(
        "gave up after {DEPLOYMENT_WRITE_ATTEMPTS} conflicting writes (runs {} still?)",
        short(digest)
    ))
}
