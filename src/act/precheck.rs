//! Preconditions, re-read right before writing: the cluster must still be what the decision saw.
//!
//! The rules judged a snapshot of the cluster; if the source moved, the destination moved, or a
//! target was paused or started a rollout since, acting would promote something nobody checked.
//! Any difference aborts with the difference named, before anything is written.

use kube::Client;

use crate::cluster::{api, paths, ClusterError};
use crate::facts::{Facts, Target};
use crate::openshift::{Deployment, DeploymentConfig, ImageStream, ReplicationController};
use crate::plan::RolloutMode;
use crate::refs::short_digest as short;

/// What the re-read found, handed on to the steps that write.
#[derive(Debug, Clone)]
pub struct Live {
    /// The destination ImageStream as read now (`None` when it does not exist).
    pub dest_stream: Option<ImageStream>,
    /// Per target (in `facts.targets` order): a DeploymentConfig's `latestVersion` now.
    pub versions: Vec<Option<i64>>,
}

fn read_err(what: &str, e: &ClusterError) -> String {
    format!("could not re-read {what}: {}", e.brief())
}

/// Whether the RC's deployment phase says the rollout is still going.
pub fn rc_in_progress(rc: &ReplicationController) -> bool {
    !matches!(rc.phase(), Some("Complete" | "Failed"))
}

pub async fn check(client: &Client, facts: &Facts, mode: RolloutMode) -> Result<Live, String> {
    let p = &facts.promotion;
    let digest = &p.digest;

    let src = &p.source;
    let src_stream: ImageStream =
        api::get_opt(client, &paths::image_stream(&src.namespace, &src.stream))
            .await
            .map_err(|e| read_err(&src.reference, &e))?
            .ok_or_else(|| {
                format!(
                    "source stream {}/{} no longer exists",
                    src.namespace, src.stream
                )
            })?;
    match &src.tag {
        Some(tag) => {
            let now = src_stream.tag_digest(tag);
            if now != Some(digest.as_str()) {
                return Err(format!(
                    "source {} now points at {} (the rules checked {})",
                    src.reference,
                    now.map_or("nothing", short),
                    short(digest)
                ));
            }
        }
        None if src_stream.find_event(digest).is_none() => {
            return Err(format!(
                "image {} is no longer in stream {}/{}",
                short(digest),
                src.namespace,
                src.stream
            ));
        }
        None => {}
    }

    let dst = &p.destination;
    let tag = dst.tag.as_deref().unwrap_or_default();
    let dest_stream: Option<ImageStream> =
        api::get_opt(client, &paths::image_stream(&dst.namespace, &dst.stream))
            .await
            .map_err(|e| read_err(&dst.reference, &e))?;
    let dest_now = dest_stream.as_ref().and_then(|s| s.tag_digest(tag));
    if dest_now != facts.destination.digest.as_deref() {
        let show = |d: Option<&str>| d.map_or("nothing".to_string(), |d| short(d).to_string());
        return Err(format!(
            "destination {} changed since the facts: it points at {} now, the rules saw {}",
            dst.reference,
            show(dest_now),
            show(facts.destination.digest.as_deref())
        ));
    }

    let mut versions = Vec::with_capacity(facts.targets.len());
    for t in &facts.targets {
        versions.push(check_target(client, t, mode).await?);
    }
    Ok(Live {
        dest_stream,
        versions,
    })
}

/// A target as read now: whether it is paused, and a DeploymentConfig's latest version.
async fn read_target(client: &Client, t: &Target) -> Result<(bool, Option<i64>), String> {
    let name = t.display_ref();
    let gone = || format!("target {name} no longer exists");
    if t.kind == "DeploymentConfig" {
        let dc: DeploymentConfig =
            api::get_opt(client, &paths::deployment_config(&t.namespace, &t.name))
                .await
                .map_err(|e| read_err(&name, &e))?
                .ok_or_else(gone)?;
        let latest = dc.status.as_ref().and_then(|s| s.latest_version);
        Ok((dc.spec.paused == Some(true), latest))
    } else {
        let dep: Deployment = api::get_opt(client, &paths::deployment(&t.namespace, &t.name))
            .await
            .map_err(|e| read_err(&name, &e))?
            .ok_or_else(gone)?;
        Ok((dep.spec.paused == Some(true), None))
    }
}

async fn check_target(
    client: &Client,
    t: &Target,
    mode: RolloutMode,
) -> Result<Option<i64>, String> {
    let name = t.display_ref();
    let (paused, latest) = read_target(client, t).await?;
    if paused && !t.paused {
        return Err(format!(
            "target {name} was paused since the facts were gathered"
        ));
    }
    // A paused target cannot be rolled out; finding out after the retag would leave a half-done
    // promotion, so refuse now unless nothing is to be rolled out.
    if paused && mode != RolloutMode::Never {
        return Err(format!(
            "target {name} is paused: unpause it, or promote with --rollout never"
        ));
    }
    if t.kind != "DeploymentConfig" {
        return Ok(None);
    }
    if let (Some(was), Some(now)) = (t.latest_version, latest) {
        if now != was {
            return Err(format!(
                "target {name} started rollout #{now} since the facts (they saw #{was})"
            ));
        }
    }
    if let Some(v) = latest.filter(|v| *v > 0) {
        let rc_name = format!("{}-{v}", t.name);
        let rc: Option<ReplicationController> = api::get_opt(
            client,
            &paths::replication_controller(&t.namespace, &rc_name),
        )
        .await
        .map_err(|e| read_err(&format!("{}/{rc_name}", t.namespace), &e))?;
        let affected = mode != RolloutMode::Never || t.will_roll_out_automatically;
        if affected && rc.as_ref().is_some_and(rc_in_progress) {
            return Err(format!(
                "target {name}: rollout #{v} is in progress; wait for it to end, then run again"
            ));
        }
    }
    Ok(latest)
}
