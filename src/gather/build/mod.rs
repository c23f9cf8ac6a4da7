//! Builds the facts document (docs/design/POLICY-API.md) from [`ClusterObjects`]: pure, no I/O.
//!
//! Every key is always present; what the objects do not say is `None` plus a warning that says
//! how to supply it, never a guess.

mod image;
mod rbac;
mod seen;
mod targets;
mod time;
mod triggers;

use std::collections::{BTreeMap, BTreeSet};

use ::time::OffsetDateTime;

use crate::config::Settings;
use crate::facts::{
    Environment, Facts, Promotion, PromotionPath, Rbac, TagRef, Target, FACTS_SCHEMA,
};
use crate::gather::{ClusterObjects, GatherError};
use crate::refs::{ImageRef, TargetRef, WorkloadKind};

pub use image::Candidate;
pub use rbac::is_well_known_cluster_role;
pub use triggers::followed_tags;

/// What was asked: the promotion, the targets given (empty: discover them), and context.
#[derive(Debug, Clone, PartialEq)]
pub struct PromotionRequest {
    pub source: ImageRef,
    pub destination: ImageRef,
    pub targets: Vec<TargetRef>,
    pub reason: Option<String>,
    /// The identity running the gate as the cluster sees it; `None` for snapshots.
    pub requested_by: Option<String>,
    /// Its groups, when the cluster said (SelfSubjectReview, or the admission request).
    pub requested_by_groups: Option<Vec<String>>,
    /// `promotion.via`: [`crate::facts::VIA_CLI`] or [`crate::facts::VIA_ADMISSION`].
    pub via: &'static str,
    /// `promotion.alias`: the write makes the destination track another tag.
    pub alias: bool,
    /// When the facts are gathered (`--time` pins it in tests).
    pub time: OffsetDateTime,
}

fn tag_ref(r: &ImageRef) -> TagRef {
    TagRef {
        namespace: r.namespace.clone(),
        stream: r.stream.clone(),
        tag: r.tag().map(str::to_string),
        reference: r.to_string(),
    }
}

/// Builds the facts of one promotion from the gathered objects.
pub fn build_facts(
    objects: &ClusterObjects,
    req: &PromotionRequest,
    settings: &Settings,
) -> Result<Facts, GatherError> {
    build_facts_with(objects, req, settings, None)
}

/// [`build_facts`] with the candidate image given by the request instead of resolved from
/// the source stream (admission: a push, an import by digest).
pub fn build_facts_with(
    objects: &ClusterObjects,
    req: &PromotionRequest,
    settings: &Settings,
    candidate: Option<&Candidate>,
) -> Result<Facts, GatherError> {
    let mut warnings = objects.warnings.clone();
    let now = time::format_utc(req.time).map_err(|e| GatherError::Time(e.to_string()))?;
    image::check_tag_digests(objects, &req.source)?;
    image::check_tag_digests(objects, &req.destination)?;
    let resolved = match candidate {
        Some(c) => c.resolved(),
        None => image::resolve_source(objects, &req.source)?,
    };
    let mut image = image::image_facts(objects, &req.source, &resolved, req.time, &mut warnings);
    let destination = image::destination_facts(objects, &req.destination, &mut warnings);
    let (workloads, mut discovery) = targets::select(objects, &req.targets, &req.destination)?;
    let discovery_complete = !req.targets.is_empty() || objects.unsearched.is_empty();
    if !discovery_complete {
        discovery.push_str(&format!(
            "; could not list {}",
            objects.unsearched.join(", ")
        ));
    }

    let mut involved: BTreeSet<String> = BTreeSet::new();
    involved.insert(req.source.namespace.clone());
    involved.insert(req.destination.namespace.clone());
    involved.extend(workloads.iter().map(|w| w.namespace().to_string()));
    let unreadable = objects.rbac_unreadable(&involved);
    let view = rbac::RbacView {
        objects,
        pull_ns: req.destination.namespace.clone(),
        stream: req.destination.stream.clone(),
        unreadable: unreadable.clone(),
    };
    let targets: Vec<Target> = workloads
        .into_iter()
        .map(|w| {
            targets::target_facts(objects, w, &req.destination, settings, &view, &mut warnings)
        })
        .collect();
    let environments = environments(settings, &involved);
    let names: BTreeSet<String> = environments.keys().cloned().collect();
    image.seen = seen::seen_facts(objects, &resolved.digest, settings, &names);
    seen::mark_unexported(objects, settings, &targets, &mut image.seen, &mut warnings);

    let mut bindings: Vec<_> = objects
        .rolebindings
        .iter()
        .filter(|b| involved.contains(b.metadata.ns()))
        .map(rbac::binding_fact)
        .collect();
    bindings.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    bindings.extend(objects.clusterrolebindings.iter().map(rbac::binding_fact));

    Ok(Facts {
        schema: FACTS_SCHEMA.into(),
        promotion: Promotion {
            source: match candidate.and_then(|c| c.source_ref.clone()) {
                Some(reference) => TagRef {
                    reference,
                    ..tag_ref(&req.source)
                },
                None => tag_ref(&req.source),
            },
            destination: tag_ref(&req.destination),
            noop: destination.digest.as_deref() == Some(resolved.digest.as_str()),
            digest: resolved.digest,
            requested_by: req.requested_by.clone(),
            requested_by_groups: req.requested_by_groups.clone(),
            via: req.via.into(),
            alias: req.alias,
            path: path(&targets, settings),
            reason: req.reason.clone(),
            time: now,
        },
        image,
        destination,
        targets,
        rbac: Rbac {
            bindings,
            unreadable,
            pullers: view.pullers(),
            promoter_can_tag: objects.reviews.promoter_can_tag,
            promoter_can_roll_out: objects.reviews.promoter_can_roll_out,
        },
        environments,
        warnings,
        discovery,
        discovery_complete,
    })
}

/// The workloads the promotion reaches, as [`build_facts`] will select them: the given
/// targets, or those whose image triggers follow the destination tag. A live gatherer uses it
/// to know which objects to read next.
pub fn select_targets(
    objects: &ClusterObjects,
    given: &[TargetRef],
    destination: &ImageRef,
) -> Result<Vec<TargetRef>, GatherError> {
    let (workloads, _) = targets::select(objects, given, destination)?;
    Ok(workloads
        .into_iter()
        .map(|w| match w {
            targets::Workload::Dc(d) => TargetRef {
                namespace: d.metadata.ns().to_string(),
                kind: WorkloadKind::DeploymentConfig,
                name: d.metadata.name.clone(),
            },
            targets::Workload::Deploy(d) => TargetRef {
                namespace: d.metadata.ns().to_string(),
                kind: WorkloadKind::Deployment,
                name: d.metadata.name.clone(),
            },
        })
        .collect())
}

/// `promotion.path`: the one environment of every target and the one configured before it;
/// `None` without targets or when they are in several environments.
fn path(targets: &[Target], settings: &Settings) -> Option<PromotionPath> {
    let to = &targets.first()?.environment;
    if targets.iter().any(|t| &t.environment != to) {
        return None;
    }
    Some(PromotionPath {
        to: to.clone(),
        previous: settings.previous_environment(to).map(str::to_string),
    })
}

/// Configured environments, plus one entry for each involved namespace's default environment
/// (so `environments[t.environment]` always exists for a target).
fn environments(settings: &Settings, involved: &BTreeSet<String>) -> BTreeMap<String, Environment> {
    let mut out: BTreeMap<String, Environment> = settings
        .environments
        .iter()
        .map(|(name, e)| {
            (
                name.clone(),
                Environment {
                    namespaces: e.namespaces.clone(),
                    params: e.params.clone(),
                },
            )
        })
        .collect();
    for ns in involved {
        let env = settings.environment_of(ns);
        if settings.environments.contains_key(&env) {
            continue;
        }
        let entry = out.entry(env).or_insert_with(|| Environment {
            namespaces: vec![],
            params: serde_json::Map::new(),
        });
        if !entry.namespaces.contains(ns) {
            entry.namespaces.push(ns.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests;
