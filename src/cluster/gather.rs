//! Gathering the objects of one promotion from the live cluster, in waves of concurrent reads.
//!
//! Wave 1 reads what names everything else (the streams, the targets or every workload for
//! discovery); wave 2 reads what depends on the targets (RBAC, replication controllers, the
//! streams their triggers follow, access reviews, and where the image has been: streams and
//! rollouts of every environment's namespaces); a rare wave 3 reads roles that the facts
//! builder cannot judge by name. The result is the same [`ClusterObjects`] a snapshot gives.

use std::collections::BTreeSet;

use super::apply::Gathering;
use super::connect::Connection;
use super::deadline::GATHER_TIMEOUTS;
use super::paths;
use super::reviews;
use super::waves::{run_wave, Call, Want};
use super::ClusterError;
use crate::config::Settings;
use crate::duration::show;
use crate::gather::{
    is_well_known_cluster_role, select_targets, ClusterObjects, PromotionRequest, Provenance,
};
use crate::openshift::Subject;
use crate::refs::{Selector, TargetRef, WorkloadKind};

/// Reads every object the facts of `req` need. A refused read of RBAC (or of other optional
/// objects) becomes `unreadable` and a warning; anything else that fails is an error.
/// Who we are is asked alongside the first wave (it names no object), so a check costs two
/// round trips, not three; `conn.identity` holds the answer afterwards.
/// The whole read is bounded too, by [`GATHER_TIMEOUTS`] request timeouts (each wave's
/// requests run together, so that many rounds of slow answers fit).
pub async fn gather(
    conn: &mut Connection,
    req: &PromotionRequest,
    settings: &Settings,
) -> Result<ClusterObjects, ClusterError> {
    let overall = conn
        .request_timeout
        .and_then(|l| l.checked_mul(GATHER_TIMEOUTS));
    let Some(overall) = overall else {
        return gather_waves(conn, req, settings).await;
    };
    let server = conn.server.clone();
    tokio::time::timeout(overall, gather_waves(conn, req, settings))
        .await
        .unwrap_or_else(|_| {
            Err(ClusterError::GatherTimeout {
                server,
                limit: show(overall),
                times: GATHER_TIMEOUTS,
            })
        })
}

async fn gather_waves(
    conn: &mut Connection,
    req: &PromotionRequest,
    settings: &Settings,
) -> Result<ClusterObjects, ClusterError> {
    let identify = super::connect::identify_client(&conn.client);
    let (identified, first) = match &conn.memo {
        // A batch asks who it is once.
        Some(memo) => tokio::join!(memo.identity(identify), run_wave(conn, first_wave(req))),
        None => tokio::join!(identify, run_wave(conn, first_wave(req))),
    };
    (conn.identity, conn.groups) = identified?;
    let conn: &Connection = conn;
    let mut g = Gathering::new(
        conn,
        req,
        ClusterObjects {
            origin: format!("cluster {}", conn.server),
            provenance: Provenance::Cluster,
            ..ClusterObjects::default()
        },
    );
    for a in first? {
        g.apply(a)?;
    }
    if !g.refused_discovery.is_empty() {
        let namespaces: Vec<String> = discovery_namespaces(req, settings).into_iter().collect();
        for kind in g.refused_discovery.clone() {
            let plural = match kind {
                WorkloadKind::DeploymentConfig => "deploymentconfigs",
                WorkloadKind::Deployment => "deployments",
            };
            // Configured environments declare where workloads live; without them a follower
            // may be in any namespace, and the per-namespace fallback is a guess.
            if settings.environments.is_empty() && req.targets.is_empty() {
                g.objects.unsearched.push(format!(
                    "{plural} in namespaces other than {}",
                    namespaces.join(", ")
                ));
            }
            g.refused(
                &format!("list {plural}"),
                Some(""),
                &format!(
                    "targets were looked for only in {} (the promotion's namespaces and the \
                     environments'); name targets with --target, or configure their \
                     namespaces as environments",
                    namespaces.join(", ")
                ),
            );
        }
        let calls = discovery_fallback(req, settings, &g.refused_discovery);
        for a in run_wave(conn, calls).await? {
            g.apply(a)?;
        }
    }
    let targets = select_targets(&g.objects, &req.targets, &req.destination)?;
    tracing::info!(
        targets = %targets.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        "targets selected"
    );
    for a in run_wave(conn, second_wave(&g.objects, req, settings, &targets)).await? {
        g.apply(a)?;
    }
    g.finish_rollout_rights(&targets);
    let roles = third_wave(&g.objects, req, &targets);
    if !roles.is_empty() {
        for a in run_wave(conn, roles).await? {
            g.apply(a)?;
        }
    }
    tracing::info!(objects = g.objects.len(), "cluster read");
    Ok(g.objects)
}

/// The streams, the source image, the destination tag, and the targets (or every workload).
fn first_wave(req: &PromotionRequest) -> Vec<Call> {
    let (src, dst) = (&req.source, &req.destination);
    let mut calls = vec![Call::get(
        Want::SourceStream,
        paths::image_stream(&src.namespace, &src.stream),
    )];
    calls.push(match &src.selector {
        Selector::Tag(tag) => Call::get(
            Want::SourceImage,
            paths::image_stream_tag(&src.namespace, &format!("{}:{tag}", src.stream)),
        ),
        Selector::Digest(d) => Call::get(
            Want::SourceImage,
            paths::image_stream_image(&src.namespace, &format!("{}@{d}", src.stream)),
        ),
    });
    if (&dst.namespace, &dst.stream) != (&src.namespace, &src.stream) {
        calls.push(Call::get(
            Want::DestStream,
            paths::image_stream(&dst.namespace, &dst.stream),
        ));
    }
    if let Some(tag) = dst.tag() {
        calls.push(Call::get(
            Want::DestTag,
            paths::image_stream_tag(&dst.namespace, &format!("{}:{tag}", dst.stream)),
        ));
    }
    if req.targets.is_empty() {
        calls.push(Call::get(
            Want::AllWorkloads(WorkloadKind::DeploymentConfig),
            paths::ALL_DEPLOYMENT_CONFIGS.into(),
        ));
        calls.push(Call::get(
            Want::AllWorkloads(WorkloadKind::Deployment),
            paths::ALL_DEPLOYMENTS.into(),
        ));
    }
    for t in &req.targets {
        let path = match t.kind {
            WorkloadKind::DeploymentConfig => paths::deployment_config(&t.namespace, &t.name),
            WorkloadKind::Deployment => paths::deployment(&t.namespace, &t.name),
        };
        calls.push(Call::get(Want::Target(t.clone()), path));
    }
    calls
}

/// The namespaces discovery falls back to when listing everywhere is refused: the
/// promotion's, and every configured environment's (without configuration: those the
/// default environments name, `prod` and `production`).
pub fn discovery_namespaces(req: &PromotionRequest, settings: &Settings) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    out.insert(req.source.namespace.clone());
    out.insert(req.destination.namespace.clone());
    if settings.environments.is_empty() {
        // Unconfigured, production is where the defaults say it is.
        out.extend(crate::config::DEFAULT_PROD_NAMESPACES.map(String::from));
    }
    for env in settings.environments.values() {
        out.extend(env.namespaces.iter().cloned());
    }
    out
}

fn discovery_fallback(
    req: &PromotionRequest,
    settings: &Settings,
    refused: &[WorkloadKind],
) -> Vec<Call> {
    let mut calls = Vec::new();
    for ns in discovery_namespaces(req, settings) {
        for kind in refused {
            let path = match kind {
                WorkloadKind::DeploymentConfig => paths::deployment_configs_in(&ns),
                WorkloadKind::Deployment => paths::deployments_in(&ns),
            };
            calls.push(Call::get(Want::WorkloadsIn(*kind, ns.clone()), path));
        }
    }
    calls
}

/// Everything that depends on the targets.
fn second_wave(
    objects: &ClusterObjects,
    req: &PromotionRequest,
    settings: &Settings,
    targets: &[TargetRef],
) -> Vec<Call> {
    let mut calls = Vec::new();
    let mut namespaces: BTreeSet<&str> = BTreeSet::new();
    namespaces.insert(&req.source.namespace);
    namespaces.insert(&req.destination.namespace);
    let mut streams: BTreeSet<(String, String)> = BTreeSet::new();
    let mut accounts: BTreeSet<(String, String)> = BTreeSet::new();
    for t in targets {
        namespaces.insert(&t.namespace);
        let (pod, froms) = match t.kind {
            WorkloadKind::DeploymentConfig => {
                let Some(dc) = objects.dc(&t.namespace, &t.name) else {
                    continue;
                };
                let latest = dc.status.as_ref().and_then(|s| s.latest_version);
                if let Some(v) = latest.filter(|v| *v > 0) {
                    let rc = format!("{}-{v}", t.name);
                    calls.push(Call::get(
                        Want::Rc,
                        paths::replication_controller(&t.namespace, &rc),
                    ));
                }
                let froms: Vec<(String, String)> = dc
                    .spec
                    .triggers
                    .iter()
                    .filter_map(|tr| tr.image_change_params.as_ref())
                    .filter(|p| p.from_kind() == "ImageStreamTag")
                    .filter_map(|p| {
                        let (stream, _) = p.from.name.split_once(':')?;
                        Some((
                            p.from.namespace_or(&t.namespace).to_string(),
                            stream.to_string(),
                        ))
                    })
                    .collect();
                (&dc.spec.template.spec, froms)
            }
            WorkloadKind::Deployment => {
                let Some(d) = objects.deployment(&t.namespace, &t.name) else {
                    continue;
                };
                let froms = d
                    .metadata
                    .annotations
                    .get(crate::openshift::TRIGGERS_ANNOTATION)
                    .map(|raw| crate::openshift::parse_trigger_annotation(raw).entries)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|e| e.from)
                    .filter(|f| f.kind == "ImageStreamTag")
                    .filter_map(|f| {
                        let (stream, _) = f.name.split_once(':')?;
                        Some((f.namespace_or(&t.namespace).to_string(), stream.to_string()))
                    })
                    .collect();
                (&d.spec.template.spec, froms)
            }
        };
        streams.extend(froms);
        accounts.insert((t.namespace.clone(), pod.service_account().to_string()));
        calls.push(reviews::can_roll_out(t));
    }
    for (ns, stream) in streams {
        if objects.stream(&ns, &stream).is_none() {
            calls.push(Call::get(
                Want::TriggerStream,
                paths::image_stream(&ns, &stream),
            ));
        }
    }
    // Where the image has been (`image.seen`): every environment's namespaces and the
    // promotion's own. Read with the rest of this wave, so it costs no extra round trip.
    let mut history: BTreeSet<&str> = namespaces.clone();
    history.extend(settings.configured_namespaces());
    for ns in history {
        calls.push(Call::get(
            Want::StreamsIn(ns.to_string()),
            paths::image_streams_in(ns),
        ));
        calls.push(Call::get(
            Want::RcsIn(ns.to_string()),
            paths::replication_controllers_in(ns),
        ));
        calls.push(Call::get(
            Want::ReplicaSetsIn(ns.to_string()),
            paths::replica_sets_in(ns),
        ));
    }
    for ns in namespaces {
        calls.push(Call::get(
            Want::RoleBindings(ns.to_string()),
            paths::role_bindings_in(ns),
        ));
    }
    calls.push(Call::get(
        Want::ClusterRoleBindings,
        paths::CLUSTER_ROLE_BINDINGS.into(),
    ));
    for (ns, sa) in accounts {
        calls.push(reviews::pull_review(&ns, &sa, &req.destination));
    }
    calls.push(reviews::can_tag(&req.destination));
    calls
}

/// Could this subject be a service account of one of the target namespaces?
fn may_cover_service_accounts(s: &Subject, target_ns: &BTreeSet<&str>) -> bool {
    match s.kind.as_str() {
        "ServiceAccount" => s
            .namespace
            .as_deref()
            .is_some_and(|ns| target_ns.contains(ns)),
        "User" => s
            .name
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(ns, _)| target_ns.contains(ns)),
        "Group" => {
            s.name == "system:serviceaccounts"
                || s.name == "system:authenticated"
                || s.name
                    .strip_prefix("system:serviceaccounts:")
                    .is_some_and(|ns| target_ns.contains(ns))
        }
        _ => false,
    }
}

/// Roles the builder cannot judge by name, bound where pulls are decided: in the destination
/// namespace, or cluster-wide to subjects that may be a target's service account.
fn third_wave(
    objects: &ClusterObjects,
    req: &PromotionRequest,
    targets: &[TargetRef],
) -> Vec<Call> {
    let target_ns: BTreeSet<&str> = targets.iter().map(|t| t.namespace.as_str()).collect();
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    let local = objects.rolebindings_in(&req.destination.namespace);
    let cluster = objects.clusterrolebindings.iter().filter(|b| {
        b.subjects
            .iter()
            .any(|s| may_cover_service_accounts(s, &target_ns))
    });
    for b in local.chain(cluster) {
        let r = &b.role_ref;
        if r.kind == "Role" {
            wanted.insert((b.metadata.ns().to_string(), r.name.clone()));
        } else if !is_well_known_cluster_role(&r.name) {
            wanted.insert((String::new(), r.name.clone()));
        }
    }
    wanted
        .into_iter()
        .filter(|(ns, name)| {
            if ns.is_empty() {
                objects.cluster_role(name).is_none()
            } else {
                objects.role(ns, name).is_none()
            }
        })
        .map(|(ns, name)| {
            if ns.is_empty() {
                Call::get(Want::ClusterRole, paths::cluster_role(&name))
            } else {
                Call::get(Want::Role, paths::role(&ns, &name))
            }
        })
        .collect()
}
