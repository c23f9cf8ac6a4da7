//! Following rollouts to their end (`--wait`), then confirming the target runs the digest.
//!
//! Polls rather than watches: the emulator serves no watches, and a poll survives a dropped
//! connection by simply asking again (a few times) instead of having to resume a stream.

use std::time::Duration;

use kube::Client;
use tokio::time::Instant;

use super::rollout::{triggered_containers, Follow};
use crate::cluster::{api, paths, ClusterError};
use crate::facts::{Facts, Target};
use crate::openshift::{Deployment, DeploymentConfig, ReplicationController};
use crate::plan::{Action, ActionKind, ActionStatus};
use crate::refs::short_digest as short;

/// Consecutive failed polls tolerated before giving up on a target.
const MAX_POLL_ERRORS: u32 = 5;

/// One look at a rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    Pending(String),
    Done(String),
    Failed(String),
}

/// A DeploymentConfig rollout newer than `after` (`oc rollout status` semantics, §2.2), with the
/// phase of its RC `<name>-<latestVersion>` as the more precise signal when it exists.
pub fn dc_poll(
    dc: &DeploymentConfig,
    rc: Option<&ReplicationController>,
    after: i64,
    names: &[String],
    digest: &str,
) -> Poll {
    let status = dc.status.clone().unwrap_or_default();
    let latest = status.latest_version.unwrap_or(0);
    if latest <= after {
        return Poll::Pending("waiting for a new rollout to start".into());
    }
    let generation = dc.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(-1) < generation {
        return Poll::Pending(format!("rollout #{latest}: waiting for the controller"));
    }
    let rc_name = format!("{}-{latest}", dc.metadata.name);
    let progressing = dc.condition("Progressing");
    let reason = progressing.and_then(|c| c.reason.as_deref()).unwrap_or("");
    let message = progressing.and_then(|c| c.message.as_deref()).unwrap_or("");
    let phase = rc.and_then(ReplicationController::phase).unwrap_or("");
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
        let pod = &dc.spec.template.spec;
        if !names.is_empty() && !pod.runs(names, digest) {
            return Poll::Failed(format!(
                "rollout #{latest} completed, but it runs {} instead of {}",
                pod.images_of(names),
                short(digest)
            ));
        }
        return Poll::Done(format!("rollout #{latest} complete; runs {digest}"));
    }
    let phase = if phase.is_empty() { "starting" } else { phase };
    Poll::Pending(format!("rollout #{latest} {phase}"))
}

/// A Deployment: the template runs the digest and the controller has rolled it out.
pub fn deployment_poll(dep: &Deployment, names: &[String], digest: &str) -> Poll {
    if !dep.spec.template.spec.runs(names, digest) {
        return Poll::Pending("waiting for the image trigger to set the new image".into());
    }
    let status = dep.status.clone().unwrap_or_default();
    let generation = dep.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(-1) < generation {
        return Poll::Pending("waiting for the controller".into());
    }
    if dep.progressing_reason() == "ProgressDeadlineExceeded" {
        let message = dep
            .condition("Progressing")
            .and_then(|c| c.message.as_deref())
            .unwrap_or("");
        return Poll::Failed(format!(
            "rollout failed: ProgressDeadlineExceeded: {message}"
        ));
    }
    let want = dep.spec.replicas.unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if dep.progressing_reason() == "NewReplicaSetAvailable"
        || (updated >= want && available >= want)
    {
        return Poll::Done(format!("rolled out; runs {digest}"));
    }
    Poll::Pending(format!("{updated} of {want} replicas updated"))
}

async fn poll_once(
    client: &Client,
    t: &Target,
    follow: Follow,
    names: &[String],
    digest: &str,
) -> Result<Poll, ClusterError> {
    match follow {
        Follow::Dc { after } => {
            let path = paths::deployment_config(&t.namespace, &t.name);
            let dc: DeploymentConfig = api::get(client, &path).await?;
            let latest = dc
                .status
                .as_ref()
                .and_then(|s| s.latest_version)
                .unwrap_or(0);
            let rc: Option<ReplicationController> = if latest > after {
                let rc_name = format!("{}-{latest}", t.name);
                api::get_opt(
                    client,
                    &paths::replication_controller(&t.namespace, &rc_name),
                )
                .await?
            } else {
                None
            };
            if rc.as_ref().and_then(ReplicationController::phase) == Some("Failed") {
                // The deployer marks the RC first and the DC condition (which says why) after:
                // read the DC again so the reason is not the stale "progressing".
                let dc: DeploymentConfig = api::get(client, &path).await?;
                return Ok(dc_poll(&dc, rc.as_ref(), after, names, digest));
            }
            Ok(dc_poll(&dc, rc.as_ref(), after, names, digest))
        }
        Follow::Deployment => {
            let path = paths::deployment(&t.namespace, &t.name);
            let dep: Deployment = api::get(client, &path).await?;
            Ok(deployment_poll(&dep, names, digest))
        }
    }
}

/// Follows one target until done, failed, or `deadline`; `progress` gets a line per change.
pub async fn wait_for(
    client: &Client,
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
                tracing::warn!(target = %target, errors, "act: poll failed: {}", e.brief());
                if errors >= MAX_POLL_ERRORS {
                    let detail = format!("lost contact after {errors} failed polls: {}", e.brief());
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
