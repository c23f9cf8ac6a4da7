//! Following rollouts to their end (`--wait`), then confirming the target runs the digest.
//!
//! Polls rather than watches: the emulator serves no watches, and a poll survives a dropped
//! connection by simply asking again (a few times) instead of having to resume a stream.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::api::{self, describe, i64_at, str_at};
use super::rollout::{progressing_reason, template_runs, triggered_containers, Follow};
use super::stream::short;
use crate::facts::{Facts, Target};
use crate::plan::{Action, ActionKind, ActionStatus};

/// Consecutive failed polls tolerated before giving up on a target.
const MAX_POLL_ERRORS: u32 = 5;

/// One look at a rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    Pending(String),
    Done(String),
    Failed(String),
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
}

fn images(obj: &Value, names: &[String]) -> String {
    let spec = obj.pointer("/spec/template/spec");
    let found: Vec<&str> = ["containers", "initContainers"]
        .iter()
        .filter_map(|l| spec.and_then(|s| s[*l].as_array()))
        .flatten()
        .filter(|c| names.iter().any(|n| c["name"] == n.as_str()))
        .map(|c| str_at(c, "/image"))
        .collect();
    found.join(", ")
}

/// A DeploymentConfig rollout newer than `after` (`oc rollout status` semantics, §2.2), with the
/// phase of its RC `<name>-<latestVersion>` as the more precise signal when it exists.
pub fn dc_poll(dc: &Value, rc: Option<&Value>, after: i64, names: &[String], digest: &str) -> Poll {
    let latest = i64_at(dc, "/status/latestVersion").unwrap_or(0);
    if latest <= after {
        return Poll::Pending("waiting for a new rollout to start".into());
    }
    let generation = i64_at(dc, "/metadata/generation").unwrap_or(0);
    if i64_at(dc, "/status/observedGeneration").unwrap_or(-1) < generation {
        return Poll::Pending(format!("rollout #{latest}: waiting for the controller"));
    }
    let rc_name = format!("{}-{latest}", str_at(dc, "/metadata/name"));
    let progressing = condition(dc, "Progressing");
    let reason = progressing.map_or("", |c| str_at(c, "/reason"));
    let message = progressing.map_or("", |c| str_at(c, "/message"));
    let phase = rc.map_or("", |rc| {
        str_at(rc, "/metadata/annotations/openshift.io~1deployment.phase")
    });
    if matches!(reason, "ProgressDeadlineExceeded" | "RolloutCancelled") || phase == "Failed" {
        let why = if !matches!(reason, "ProgressDeadlineExceeded" | "RolloutCancelled") {
            format!("{rc_name} phase Failed")
        } else {
            format!("{reason}: {message}")
        };
        return Poll::Failed(format!("rollout #{latest} failed: {why}"));
    }
    // The condition alone could still describe the previous rollout: it counts only when its
    // message names this rollout's RC.
    let by_condition = reason == "NewReplicationControllerAvailable"
        && message.contains(&format!("\"{rc_name}\""));
    if phase == "Complete" || by_condition {
        if !names.is_empty() && !template_runs(dc, names, digest) {
            return Poll::Failed(format!(
                "rollout #{latest} completed, but it runs {} instead of {}",
                images(dc, names),
                short(digest)
            ));
        }
        return Poll::Done(format!("rollout #{latest} complete; runs {digest}"));
    }
    let phase = if phase.is_empty() { "starting" } else { phase };
    Poll::Pending(format!("rollout #{latest} {phase}"))
}

/// A Deployment: the template runs the digest and the controller has rolled it out.
pub fn deployment_poll(dep: &Value, names: &[String], digest: &str) -> Poll {
    if !template_runs(dep, names, digest) {
        return Poll::Pending("waiting for the image trigger to set the new image".into());
    }
    let generation = i64_at(dep, "/metadata/generation").unwrap_or(0);
    if i64_at(dep, "/status/observedGeneration").unwrap_or(-1) < generation {
        return Poll::Pending("waiting for the controller".into());
    }
    if progressing_reason(dep) == "ProgressDeadlineExceeded" {
        let message = condition(dep, "Progressing").map_or("", |c| str_at(c, "/message"));
        return Poll::Failed(format!(
            "rollout failed: ProgressDeadlineExceeded: {message}"
        ));
    }
    let want = i64_at(dep, "/spec/replicas").unwrap_or(1);
    let updated = i64_at(dep, "/status/updatedReplicas").unwrap_or(0);
    let available = i64_at(dep, "/status/availableReplicas").unwrap_or(0);
    if progressing_reason(dep) == "NewReplicaSetAvailable" || (updated >= want && available >= want)
    {
        return Poll::Done(format!("rolled out; runs {digest}"));
    }
    Poll::Pending(format!("{updated} of {want} replicas updated"))
}

async fn poll_once(
    client: &kube::Client,
    t: &Target,
    follow: Follow,
    names: &[String],
    digest: &str,
) -> Result<Poll, kube::Error> {
    match follow {
        Follow::Dc { after } => {
            let dc = api::get(client, &api::dc_path(&t.namespace, &t.name)).await?;
            let latest = i64_at(&dc, "/status/latestVersion").unwrap_or(0);
            let rc = if latest > after {
                let rc_name = format!("{}-{latest}", t.name);
                api::get_opt(client, &api::rc_path(&t.namespace, &rc_name)).await?
            } else {
                None
            };
            let failed = rc.as_ref().is_some_and(|rc| {
                str_at(rc, "/metadata/annotations/openshift.io~1deployment.phase") == "Failed"
            });
            if failed {
                // The deployer marks the RC first and the DC condition (which says why) after:
                // read the DC again so the reason is not the stale "progressing".
                let dc = api::get(client, &api::dc_path(&t.namespace, &t.name)).await?;
                return Ok(dc_poll(&dc, rc.as_ref(), after, names, digest));
            }
            Ok(dc_poll(&dc, rc.as_ref(), after, names, digest))
        }
        Follow::Deployment => {
            let dep = api::get(client, &api::deployment_path(&t.namespace, &t.name)).await?;
            Ok(deployment_poll(&dep, names, digest))
        }
    }
}

/// Follows one target until done, failed, or `deadline`; `progress` gets a line per change.
pub async fn wait_for(
    client: &kube::Client,
    facts: &Facts,
    t: &Target,
    follow: Follow,
    deadline: Instant,
    every: Duration,
    progress: &mut dyn FnMut(&str),
) -> Action {
    let target = t.display_ref();
    let digest = &facts.promotion.digest;
    let names = triggered_containers(t);
    let finish = |status: ActionStatus, detail: String| Action {
        kind: ActionKind::Wait,
        target: target.clone(),
        status,
        detail,
    };
    let mut last = String::new();
    let mut errors = 0;
    loop {
        match poll_once(client, t, follow, &names, digest).await {
            Ok(Poll::Done(line)) => {
                progress(&format!("{target}: {line}"));
                return finish(ActionStatus::Done, line);
            }
            Ok(Poll::Failed(line)) => {
                progress(&format!("{target}: {line}"));
                return finish(ActionStatus::Failed, line);
            }
            Ok(Poll::Pending(line)) => {
                errors = 0;
                if line != last {
                    progress(&format!("{target}: {line}"));
                    last = line;
                }
            }
            Err(e) => {
                errors += 1;
                tracing::warn!(target = %target, errors, "act: poll failed: {}", describe(&e));
                if errors >= MAX_POLL_ERRORS {
                    let detail =
                        format!("lost contact after {errors} failed polls: {}", describe(&e));
                    return finish(ActionStatus::Failed, detail);
                }
            }
        }
        if Instant::now() >= deadline {
            let at = if last.is_empty() {
                "no answer"
            } else {
                last.as_str()
            };
            return finish(ActionStatus::Failed, format!("timed out; last seen: {at}"));
        }
        tokio::time::sleep(every).await;
    }
}
