//! `image.seen`: where the candidate digest has been, per environment — the tags whose history
//! holds it (image streams) and the rollouts that ran it (ReplicationControllers of
//! DeploymentConfigs, ReplicaSets of Deployments).

use std::collections::{BTreeMap, BTreeSet};

use super::time::{format_utc, parse};
use crate::config::Settings;
use crate::facts::{Seen, SeenRun, SeenTag, Target};
use crate::gather::{ClusterObjects, Provenance};

/// One rollout of a workload, before it is known whether it ran the digest.
struct Rollout<'a> {
    kind: &'static str,
    namespace: &'a str,
    workload: &'a str,
    version: Option<i64>,
    created: Option<&'a str>,
    failed: bool,
    ran: bool,
}

/// A time as the facts write it (RFC 3339 UTC), or `None` when it is not a time: an unknown
/// start never counts as time run (the rules fail closed on it), a garbage string would break them.
fn utc(s: &str) -> Option<String> {
    parse(s).and_then(|t| format_utc(t).ok())
}

/// Whether a pull spec names this digest (`…@sha256:…`, or the bare digest).
fn names_digest(image: &str, digest: &str) -> bool {
    crate::gather::objs::digest_of(image) == digest
}

/// `image.seen`: an entry for every environment in `environments` (seen nowhere: empty lists)
/// and for every other environment where the digest was found. A list is `None` for an
/// environment with a namespace whose streams or rollouts could not be listed.
pub fn seen_facts(
    objects: &ClusterObjects,
    digest: &str,
    settings: &Settings,
    environments: &BTreeSet<String>,
) -> BTreeMap<String, Seen> {
    // Seen nowhere (known): the start of every environment's entry.
    let empty = || Seen {
        tags: Some(vec![]),
        runs: Some(vec![]),
    };
    let mut out: BTreeMap<String, Seen> =
        environments.iter().map(|e| (e.clone(), empty())).collect();
    for (env, tag) in tags(objects, digest, settings) {
        let seen = out.entry(env).or_insert_with(empty);
        seen.tags.get_or_insert_with(Vec::new).push(tag);
    }
    for (env, run) in runs(objects, digest, settings) {
        let seen = out.entry(env).or_insert_with(empty);
        seen.runs.get_or_insert_with(Vec::new).push(run);
    }
    for seen in out.values_mut() {
        // Newest first; RFC 3339 UTC times sort as text, unknown times last.
        if let Some(t) = seen.tags.as_mut() {
            t.sort_by(|a, b| b.since.cmp(&a.since));
        }
        if let Some(r) = seen.runs.as_mut() {
            r.sort_by(|a, b| b.since.cmp(&a.since));
        }
    }
    let unread = &objects.history_unread;
    for ns in &unread.streams {
        out.entry(settings.environment_of(ns))
            .or_insert_with(empty)
            .tags = None;
    }
    for ns in &unread.rollouts {
        out.entry(settings.environment_of(ns))
            .or_insert_with(empty)
            .runs = None;
    }
    out
}

/// A snapshot holds what was exported: a configured environment none of whose namespaces has a
/// single ReplicationController or ReplicaSet (or image stream) in the files was not exported,
/// so its `runs` (or `tags`) are unknown, not empty. When a target's previous environment is
/// one of them, a warning says how to add the objects (rules that need them deny on `()`).
pub fn mark_unexported(
    objects: &ClusterObjects,
    settings: &Settings,
    targets: &[Target],
    seen: &mut BTreeMap<String, Seen>,
    warnings: &mut Vec<String>,
) {
    if objects.provenance != Provenance::Snapshot {
        return;
    }
    let wanted: BTreeSet<&str> = targets
        .iter()
        .filter_map(|t| t.previous_environment.as_deref())
        .collect();
    for (env, config) in &settings.environments {
        let namespaces = &config.namespaces;
        if namespaces.is_empty() {
            continue;
        }
        let holds = |ns: &str| namespaces.iter().any(|n| n == ns);
        let rollouts = objects.rcs.iter().any(|r| holds(r.metadata.ns()))
            || objects.replicasets.iter().any(|r| holds(r.metadata.ns()));
        let streams = objects.streams.iter().any(|s| holds(s.metadata.ns()));
        let Some(entry) = seen.get_mut(env) else {
            continue;
        };
        let mut missing = Vec::new();
        if !rollouts {
            entry.runs = None;
            missing.push((
                "ReplicationControllers or ReplicaSets",
                "which workloads ran the image",
                "rc,rs",
            ));
        }
        if !streams {
            entry.tags = None;
            missing.push(("image streams", "which tags held it", "is"));
        }
        if !wanted.contains(env.as_str()) {
            continue;
        }
        for (what, unknown, short) in missing {
            warnings.push(format!(
                "{} has no {what} in environment {env} ({}): {unknown} there is unknown; add them with {}",
                objects.origin_or_snapshot(),
                namespaces.join(", "),
                namespaces
                    .iter()
                    .map(|ns| format!("`oc get {short} -n {ns} -o yaml`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

/// Every stretch of a tag's history that pointed at the digest, with its environment.
fn tags(objects: &ClusterObjects, digest: &str, settings: &Settings) -> Vec<(String, SeenTag)> {
    let mut out = Vec::new();
    // Only the streams whose history names the digest (a batch's lists are indexed once).
    for stream in objects.streams.naming(digest) {
        let ns = stream.metadata.ns();
        for list in &stream.status.tags {
            for (j, item) in list.items.iter().enumerate() {
                if item.image != digest {
                    continue;
                }
                // History is newest first: the entry before this one is when the tag moved on
                // (an end with no time counts as the stretch's own start: zero length).
                let until = j
                    .checked_sub(1)
                    .and_then(|k| list.items.get(k))
                    .and_then(|next| {
                        next.created
                            .as_deref()
                            .and_then(utc)
                            .or_else(|| item.created.as_deref().and_then(utc))
                    });
                out.push((
                    settings.environment_of(ns),
                    SeenTag {
                        namespace: ns.to_string(),
                        stream: stream.metadata.name.clone(),
                        tag: list.tag.clone(),
                        since: item.created.as_deref().and_then(utc),
                        until,
                    },
                ));
            }
        }
    }
    out
}

/// Every rollout that ran the digest, with its environment. A rollout ends when a later one of
/// the same workload that did not fail starts (a failed rollout leaves the earlier one running).
fn runs(objects: &ClusterObjects, digest: &str, settings: &Settings) -> Vec<(String, SeenRun)> {
    // Only the workloads with a rollout that ran the digest are grouped and ordered: a batch
    // lands every promotion's lists of thousands of rollouts, nearly all of other images.
    // (workload, namespace, kind): the name first, it tells workloads apart soonest.
    let mut ran: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    // `naming` yields exactly the rollouts whose images name the digest (`Digests`).
    for rc in objects.rcs.naming(digest) {
        if let Some(w) = rc.deployment_config() {
            ran.insert((w, rc.metadata.ns(), "DeploymentConfig"));
        }
    }
    for rs in objects.replicasets.naming(digest) {
        if let Some(w) = rs.deployment() {
            ran.insert((w, rs.metadata.ns(), "Deployment"));
        }
    }
    if ran.is_empty() {
        return Vec::new();
    }
    let wanted = |kind: &str, ns: &str, workload: &str| ran.contains(&(workload, ns, kind));
    let rcs = objects.rcs.iter().filter_map(|rc| {
        let workload = rc.deployment_config()?;
        if !wanted("DeploymentConfig", rc.metadata.ns(), workload) {
            return None;
        }
        Some(Rollout {
            kind: "DeploymentConfig",
            namespace: rc.metadata.ns(),
            workload,
            version: rc.version(),
            created: rc.metadata.creation_timestamp.as_deref(),
            failed: rc.phase() == Some("Failed"),
            ran: rc
                .container_images()
                .iter()
                .any(|i| names_digest(i, digest)),
        })
    });
    let sets = objects.replicasets.iter().filter_map(|rs| {
        let workload = rs.deployment()?;
        if !wanted("Deployment", rs.metadata.ns(), workload) {
            return None;
        }
        Some(Rollout {
            kind: "Deployment",
            namespace: rs.metadata.ns(),
            workload,
            version: rs.revision(),
            created: rs.metadata.creation_timestamp.as_deref(),
            // A ReplicaSet records no outcome of its own.
            failed: false,
            ran: rs
                .container_images()
                .iter()
                .any(|i| names_digest(i, digest)),
        })
    });
    let mut by_workload: BTreeMap<(&str, &str, &str), Vec<Rollout>> = BTreeMap::new();
    for r in rcs.chain(sets) {
        by_workload
            .entry((r.kind, r.namespace, r.workload))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for ((kind, ns, workload), mut rollouts) in by_workload {
        rollouts.sort_by_key(|r| r.version);
        for (i, r) in rollouts.iter().enumerate() {
            if !r.ran {
                continue;
            }
            let until = rollouts
                .iter()
                .skip(i + 1)
                .find(|later| !later.failed && later.version > r.version)
                .and_then(|later| {
                    later
                        .created
                        .and_then(utc)
                        .or_else(|| r.created.and_then(utc))
                });
            out.push((
                settings.environment_of(ns),
                SeenRun {
                    kind: kind.to_string(),
                    namespace: ns.to_string(),
                    name: workload.to_string(),
                    since: r.created.and_then(utc),
                    until,
                    failed: r.failed,
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
