//! Preconditions, re-read right before writing: the cluster must still be what the decision saw.
//!
//! The rules judged a snapshot of the cluster; if the source moved, the destination moved, or a
//! target was paused or started a rollout since, acting would promote something nobody checked.
//! Any difference aborts with the difference named, before anything is written.

use serde_json::Value;

use super::api::{self, i64_at, str_at};
use super::stream::{has_image, short, tag_digest};
use crate::facts::{Facts, Target};
use crate::plan::RolloutMode;

/// What the re-read found, handed on to the steps that write.
#[derive(Debug, Clone)]
pub struct Live {
    /// The destination ImageStream as read now (`None` when it does not exist).
    pub dest_stream: Option<Value>,
    /// Per target (in `facts.targets` order): a DeploymentConfig's `latestVersion` now.
    pub versions: Vec<Option<i64>>,
}

fn read_err(what: &str, e: &kube::Error) -> String {
    format!("could not re-read {what}: {}", api::describe(e))
}

/// Whether RC `<dc>-<version>`'s phase says the rollout is still going.
pub fn rc_in_progress(rc: &Value) -> bool {
    let phase = str_at(rc, "/metadata/annotations/openshift.io~1deployment.phase");
    !matches!(phase, "Complete" | "Failed")
}

pub async fn check(
    client: &kube::Client,
    facts: &Facts,
    mode: RolloutMode,
) -> Result<Live, String> {
    let p = &facts.promotion;
    let digest = &p.digest;

    let src = &p.source;
    let src_stream = api::get_opt(client, &api::stream_path(&src.namespace, &src.stream))
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
            let now = tag_digest(&src_stream, tag);
            if now.as_deref() != Some(digest.as_str()) {
                return Err(format!(
                    "source {} now points at {} (the rules checked {})",
                    src.reference,
                    now.as_deref().map_or("nothing", short),
                    short(digest)
                ));
            }
        }
        None if !has_image(&src_stream, digest) => {
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
    let dest_stream = api::get_opt(client, &api::stream_path(&dst.namespace, &dst.stream))
        .await
        .map_err(|e| read_err(&dst.reference, &e))?;
    let dest_now = dest_stream.as_ref().and_then(|s| tag_digest(s, tag));
    if dest_now != facts.destination.digest {
        let show = |d: &Option<String>| {
            d.as_deref()
                .map_or("nothing".to_string(), |d| short(d).to_string())
        };
        return Err(format!(
            "destination {} changed since the facts: it points at {} now, the rules saw {}",
            dst.reference,
            show(&dest_now),
            show(&facts.destination.digest)
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

async fn check_target(
    client: &kube::Client,
    t: &Target,
    mode: RolloutMode,
) -> Result<Option<i64>, String> {
    let name = t.display_ref();
    let path = if t.kind == "DeploymentConfig" {
        api::dc_path(&t.namespace, &t.name)
    } else {
        api::deployment_path(&t.namespace, &t.name)
    };
    let obj = api::get_opt(client, &path)
        .await
        .map_err(|e| read_err(&name, &e))?
        .ok_or_else(|| format!("target {name} no longer exists"))?;
    let paused = obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
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
    let latest = i64_at(&obj, "/status/latestVersion");
    if let (Some(was), Some(now)) = (t.latest_version, latest) {
        if now != was {
            return Err(format!(
                "target {name} started rollout #{now} since the facts (they saw #{was})"
            ));
        }
    }
    if let Some(v) = latest.filter(|v| *v > 0) {
        let rc_name = format!("{}-{v}", t.name);
        let rc = api::get_opt(client, &api::rc_path(&t.namespace, &rc_name))
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
