//! `targets`: which workloads the promotion reaches (given or discovered) and their facts.

use super::rbac::RbacView;
use super::triggers::{consumes, dc_triggers, deployment_triggers, TriggerInfo};
use crate::config::Settings;
use crate::facts::{Container as ContainerFact, ObjectRef, Target};
use crate::gather::{ClusterObjects, GatherError};
use crate::openshift::{Deployment, DeploymentConfig, ObjectReference, PodSpec};
use crate::refs::{ImageRef, TargetRef, WorkloadKind};

/// One workload the promotion reaches.
#[derive(Clone, Copy)]
pub enum Workload<'a> {
    Dc(&'a DeploymentConfig),
    Deploy(&'a Deployment),
}

impl Workload<'_> {
    pub fn namespace(&self) -> &str {
        match self {
            Workload::Dc(d) => d.metadata.ns(),
            Workload::Deploy(d) => d.metadata.ns(),
        }
    }
}

fn names(objects: &ClusterObjects, kind: WorkloadKind) -> Vec<String> {
    match kind {
        WorkloadKind::DeploymentConfig => objects
            .dcs
            .iter()
            .map(|d| format!("{}/dc/{}", d.metadata.ns(), d.metadata.name))
            .collect(),
        WorkloadKind::Deployment => objects
            .deployments
            .iter()
            .map(|d| format!("{}/deployment/{}", d.metadata.ns(), d.metadata.name))
            .collect(),
    }
}

/// The given `--target`s, or every workload whose image trigger follows the destination tag;
/// returns them with the sentence for `Facts.discovery`.
pub fn select<'a>(
    objects: &'a ClusterObjects,
    given: &[TargetRef],
    dst: &ImageRef,
) -> Result<(Vec<Workload<'a>>, String), GatherError> {
    if !given.is_empty() {
        let mut out = Vec::new();
        for t in given {
            let found = match t.kind {
                WorkloadKind::DeploymentConfig => {
                    objects.dc(&t.namespace, &t.name).map(Workload::Dc)
                }
                WorkloadKind::Deployment => objects
                    .deployment(&t.namespace, &t.name)
                    .map(Workload::Deploy),
            };
            let Some(w) = found else {
                let plural = format!("{}s", t.kind.as_str());
                let known = names(objects, t.kind);
                return Err(GatherError::TargetNotFound {
                    target: t.to_string(),
                    place: objects.where_(),
                    known: if known.is_empty() {
                        format!("there are no {plural} there")
                    } else {
                        format!("{plural} there: {}", known.join(", "))
                    },
                });
            };
            out.push(w);
        }
        let list: Vec<String> = given.iter().map(ToString::to_string).collect();
        return Ok((out, format!("given with --target: {}", list.join(", "))));
    }
    let follows = |from: Option<&ObjectRef>| from.is_some_and(|f| consumes(f, dst));
    // Cheap test first (what `consumes` tests, before defaults are filled in): building a
    // trigger's facts looks its stream up, which for every workload of a large cluster costs
    // more than the rest of the facts together.
    let dst_name = dst.istag_name();
    let names_dst = |from: &ObjectReference, ns: &str| {
        matches!(from.kind.as_str(), "" | "ImageStreamTag")
            && from.namespace_or(ns) == dst.namespace
            && from.name == dst_name
    };
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    for dc in &objects.dcs {
        let ns = dc.metadata.ns();
        let params = dc
            .spec
            .triggers
            .iter()
            .filter_map(|t| t.image_change_params.as_ref());
        if !params.clone().any(|p| names_dst(&p.from, ns)) {
            continue;
        }
        if dc_triggers(objects, dc, dst, &mut scratch)
            .iter()
            .any(|t| follows(t.fact.from.as_ref()))
        {
            out.push(Workload::Dc(dc));
        }
    }
    for d in &objects.deployments {
        let ns = d.metadata.ns();
        let entries = d.image_triggers().map(|a| a.entries).unwrap_or_default();
        if !entries
            .iter()
            .any(|e| e.from.as_ref().is_some_and(|f| names_dst(f, ns)))
        {
            continue;
        }
        if deployment_triggers(objects, d, dst, &mut scratch)
            .iter()
            .any(|t| follows(t.fact.from.as_ref()))
        {
            out.push(Workload::Deploy(d));
        }
    }
    let total = objects.dcs.len() + objects.deployments.len();
    let sentence = format!(
        "discovered: image triggers following {dst} ({} of {total} workload{} {})",
        out.len(),
        if total == 1 { "" } else { "s" },
        objects.where_()
    );
    Ok((out, sentence))
}

/// `rollout_in_progress` of a DeploymentConfig: the phase of RC `<name>-<latestVersion>` when
/// present, else the `Progressing` condition, else unknown.
fn dc_rollout(
    objects: &ClusterObjects,
    dc: &DeploymentConfig,
    latest: Option<i64>,
) -> Option<bool> {
    if let Some(v) = latest.filter(|v| *v > 0) {
        let rc = objects.rc(dc.metadata.ns(), &format!("{}-{v}", dc.metadata.name));
        if let Some(phase) = rc.and_then(|rc| rc.phase()) {
            return Some(!matches!(phase, "Complete" | "Failed"));
        }
    }
    match dc.condition("Progressing")?.reason.as_deref()? {
        "NewReplicationControllerAvailable" | "ProgressDeadlineExceeded" | "RolloutCancelled" => {
            Some(false)
        }
        "NewReplicationControllerCreated" | "ReplicationControllerUpdated" => Some(true),
        _ => None,
    }
}

/// The facts of one target.
pub fn target_facts(
    objects: &ClusterObjects,
    w: Workload,
    dst: &ImageRef,
    settings: &Settings,
    rbac: &RbacView,
    warnings: &mut Vec<String>,
) -> Target {
    let (kind, meta, paused, replicas, pod, latest, in_progress, triggers) = match w {
        Workload::Dc(dc) => {
            let latest = dc.status.as_ref().and_then(|s| s.latest_version);
            (
                "DeploymentConfig",
                &dc.metadata,
                dc.spec.paused.unwrap_or(false),
                dc.spec.replicas,
                &dc.spec.template.spec,
                latest,
                dc_rollout(objects, dc, latest),
                dc_triggers(objects, dc, dst, warnings),
            )
        }
        Workload::Deploy(d) => (
            "Deployment",
            &d.metadata,
            d.spec.paused.unwrap_or(false),
            d.spec.replicas,
            &d.spec.template.spec,
            None,
            None,
            deployment_triggers(objects, d, dst, warnings),
        ),
    };
    let ns = meta.ns().to_string();
    let sa = pod.service_account().to_string();
    let containers = container_facts(pod, &triggers);
    let will_roll_out = !paused
        && triggers
            .iter()
            .any(|t| t.effective && t.fact.automatic && t.fact.consumes_promotion);
    let mut answer = rbac.can_pull(&ns, &sa);
    let display_sa = format!("system:serviceaccount:{ns}:{sa}");
    if let Some(&reviewed) = objects.reviews.can_pull.get(&(ns.clone(), sa.clone())) {
        // The cluster's own answer covers what bindings cannot show (aggregated roles, other
        // authorizers), so it wins; a disagreement is worth a look.
        if answer.can_pull.is_some_and(|b| b != reviewed) {
            warnings.push(format!(
                "the SubjectAccessReview says {display_sa} {} pull from {}, the bindings read say the opposite; the review is used",
                if reviewed { "may" } else { "may not" },
                rbac.pull_ns
            ));
        }
        answer.can_pull = Some(reviewed);
        answer.unknown_because.clear();
    }
    let display = format!(
        "{ns}/{}/{}",
        if kind == "DeploymentConfig" {
            "dc"
        } else {
            "deployment"
        },
        meta.name
    );
    if answer.can_pull.is_none() {
        warnings.push(format!(
            "cannot tell whether {display} (service account {display_sa}) may pull from {}: {}",
            rbac.pull_ns,
            answer.unknown_because.join("; ")
        ));
    }
    let environment = settings.environment_of(&ns);
    Target {
        kind: kind.into(),
        namespace: ns.clone(),
        name: meta.name.clone(),
        previous_environment: settings
            .previous_environment(&environment)
            .map(str::to_string),
        environment,
        paused,
        replicas,
        service_account: sa,
        latest_version: latest,
        rollout_in_progress: in_progress,
        triggers: triggers.into_iter().map(|t| t.fact).collect(),
        containers,
        will_roll_out_automatically: will_roll_out,
        can_pull: answer.can_pull,
        pull_grants: answer.grants,
    }
}

fn container_facts(pod: &PodSpec, triggers: &[TriggerInfo]) -> Vec<ContainerFact> {
    pod.containers
        .iter()
        .map(|c| {
            let image = c.image.clone().unwrap_or_default();
            ContainerFact {
                pinned: image.contains("@sha256:"),
                triggered: triggers.iter().any(|t| {
                    t.effective
                        && t.fact.kind == "ImageChange"
                        && t.fact.consumes_promotion
                        && t.writes.contains(&c.name)
                }),
                name: c.name.clone(),
                image,
            }
        })
        .collect()
}
