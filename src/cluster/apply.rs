//! Landing answers in [`ClusterObjects`]: found objects are kept, refusals become warnings
//! naming the missing permission, and what the decision cannot do without becomes an error.

use std::sync::Arc;

use super::api::{decode, decode_items, Read};
use super::connect::Connection;
use super::memo::Items;
use super::reviews;
use super::waves::{Answer, Want};
use super::ClusterError;
use crate::gather::{ClusterObjects, PromotionRequest, Shared};
use crate::openshift::{
    ClusterRole, ClusterRoleBinding, Deployment, DeploymentConfig, ImageStream, ImageStreamImage,
    ImageStreamTag, ReplicaSet, ReplicationController, Role, RoleBinding,
};
use crate::refs::{Selector, TargetRef, WorkloadKind};

/// The objects gathered so far, and what the next waves need to know.
pub struct Gathering<'a> {
    pub objects: ClusterObjects,
    /// Kinds whose all-namespaces list was refused: discovery falls back to namespaces.
    pub refused_discovery: Vec<WorkloadKind>,
    rollout_rights: Vec<Option<bool>>,
    who: String,
    req: &'a PromotionRequest,
}

fn plural(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::DeploymentConfig => "deploymentconfigs",
        WorkloadKind::Deployment => "deployments",
    }
}

impl<'a> Gathering<'a> {
    pub fn new(conn: &Connection, req: &'a PromotionRequest, objects: ClusterObjects) -> Self {
        Gathering {
            objects,
            refused_discovery: Vec::new(),
            rollout_rights: Vec::new(),
            who: conn.who(),
            req,
        }
    }

    fn warn(&mut self, text: String) {
        tracing::warn!("{text}");
        self.objects.warnings.push(text);
    }

    /// A refused read that the facts can do without: say what is unknown and what to grant.
    /// `ns` is where the read was (`None`: cluster-scoped; `Some("")`: all namespaces).
    pub fn refused(&mut self, action: &str, ns: Option<&str>, consequence: &str) {
        let (place, scope) = match ns {
            None => (String::new(), " (cluster-wide)".to_string()),
            Some("") => (
                " in all namespaces".to_string(),
                " (cluster-wide)".to_string(),
            ),
            Some(n) => (format!(" in {n}"), format!(" in {n}")),
        };
        let who = self.who.clone();
        self.warn(format!(
            "cannot {action}{place} (forbidden): {consequence}; grant `{action}`{scope} to {who}"
        ));
    }

    fn forbidden(&self, what: String, path: String, permission: String, m: String) -> ClusterError {
        ClusterError::Forbidden {
            what,
            path,
            identity: self.who.clone(),
            permission,
            message: m,
        }
    }

    pub fn apply(&mut self, a: Answer) -> Result<(), ClusterError> {
        let shared = a.items;
        let (src, dst) = (&self.req.source, &self.req.destination);
        let path = a.path.clone();
        match (a.want, a.read) {
            (Want::SourceStream, Read::Found(v)) | (Want::DestStream, Read::Found(v)) => {
                self.objects.streams.push(decode::<ImageStream>(&path, v)?)
            }
            (Want::SourceStream, Read::NotFound) => {
                return Err(ClusterError::NotFound {
                    what: format!("the source image stream {}/{}", src.namespace, src.stream),
                    path,
                    hint: format!(
                        "; check SOURCE (`oc get imagestreams -n {}`)",
                        src.namespace
                    ),
                })
            }
            (Want::SourceStream, Read::Forbidden(m)) => {
                let e = self.forbidden(
                    format!("the source image stream {}/{}", src.namespace, src.stream),
                    path,
                    format!("get imagestreams` in `{}", src.namespace),
                    m,
                );
                return Err(e);
            }
            (Want::DestStream, Read::Forbidden(m)) => {
                let e = self.forbidden(
                    format!(
                        "the destination image stream {}/{}",
                        dst.namespace, dst.stream
                    ),
                    path,
                    format!("get imagestreams` in `{}", dst.namespace),
                    m,
                );
                return Err(e);
            }
            (Want::SourceImage, Read::Found(v)) => match src.selector {
                Selector::Tag(_) => self
                    .objects
                    .istags
                    .push(decode::<ImageStreamTag>(&path, v)?),
                Selector::Digest(_) => self
                    .objects
                    .isimages
                    .push(decode::<ImageStreamImage>(&path, v)?),
            },
            (Want::DestTag, Read::Found(v)) => self
                .objects
                .istags
                .push(decode::<ImageStreamTag>(&path, v)?),
            (Want::SourceImage, Read::Forbidden(_)) => {
                let (action, ns) = match src.selector {
                    Selector::Tag(_) => ("get imagestreamtags", src.namespace.clone()),
                    Selector::Digest(_) => ("get imagestreamimages", src.namespace.clone()),
                };
                self.refused(
                    action,
                    Some(&ns),
                    "the candidate image's labels, creation time and signatures are unknown",
                );
            }
            (Want::DestTag, Read::Forbidden(_)) => {
                let ns = dst.namespace.clone();
                self.refused(
                    "get imagestreamtags",
                    Some(&ns),
                    "the creation time of the image the destination holds now is unknown",
                );
            }
            (Want::Target(t), Read::Found(v)) => self.push_workload(t.kind, &path, v)?,
            (Want::Target(t), Read::NotFound) => {
                return Err(ClusterError::NotFound {
                    what: format!(
                        "target {t} ({} {} in {})",
                        t.kind.as_str(),
                        t.name,
                        t.namespace
                    ),
                    path,
                    hint: format!(
                        "; list them with `oc get {} -n {}`",
                        plural(t.kind),
                        t.namespace
                    ),
                })
            }
            (Want::Target(t), Read::Forbidden(m)) => {
                let e = self.forbidden(
                    format!("target {t}"),
                    path,
                    format!("get {}` in `{}", plural(t.kind), t.namespace),
                    m,
                );
                return Err(e);
            }
            (Want::AllWorkloads(kind), Read::Found(v))
            | (Want::WorkloadsIn(kind, _), Read::Found(v)) => match kind {
                WorkloadKind::DeploymentConfig => {
                    self.objects.dcs.push_shared(items::<DeploymentConfig>(
                        &path,
                        v,
                        shared.as_ref(),
                    )?)
                }
                WorkloadKind::Deployment => {
                    self.objects.deployments.push_shared(items::<Deployment>(
                        &path,
                        v,
                        shared.as_ref(),
                    )?)
                }
            },
            (Want::AllWorkloads(kind), Read::Forbidden(_)) => {
                tracing::info!(
                    kind = plural(kind),
                    "listing in all namespaces refused; listing per namespace"
                );
                self.refused_discovery.push(kind);
            }
            (Want::WorkloadsIn(kind, ns), Read::Forbidden(_)) => {
                self.objects
                    .unsearched
                    .push(format!("{} in {ns}", plural(kind)));
                self.refused(
                    &format!("list {}", plural(kind)),
                    Some(&ns),
                    "targets there are not discovered (name them with --target)",
                )
            }
            (Want::Rc, Read::Found(v)) => {
                let rc = decode::<ReplicationController>(&path, v)?;
                self.objects.rcs.push_new(rc);
            }
            (Want::TriggerStream, Read::Found(v)) => {
                let s = decode::<ImageStream>(&path, v)?;
                self.objects.streams.push_new(s);
            }
            (Want::StreamsIn(_), Read::Found(v)) => {
                // A namespace list repeats the streams read by name: those are kept.
                let streams = items::<ImageStream>(&path, v, shared.as_ref())?;
                self.objects.streams.push_shared_new(streams);
            }
            (Want::RcsIn(_), Read::Found(v)) => {
                // A namespace list repeats a target's latest, read by name: that one is kept.
                let rcs = items::<ReplicationController>(&path, v, shared.as_ref())?;
                self.objects.rcs.push_shared_new(rcs);
            }
            (Want::ReplicaSetsIn(_), Read::Found(v)) => self
                .objects
                .replicasets
                .push_shared(items::<ReplicaSet>(&path, v, shared.as_ref())?),
            (Want::StreamsIn(ns), Read::Forbidden(_)) => {
                self.objects.history_unread.streams.insert(ns.clone());
                self.refused(
                    "list imagestreams",
                    Some(&ns),
                    "which tags there held the image is unknown (image.seen)",
                );
            }
            (want @ (Want::RcsIn(_) | Want::ReplicaSetsIn(_)), Read::Forbidden(_)) => {
                let (ns, resource) = match want {
                    Want::RcsIn(ns) => (ns, "replicationcontrollers"),
                    Want::ReplicaSetsIn(ns) => (ns, "replicasets"),
                    _ => return Ok(()),
                };
                self.objects.history_unread.rollouts.insert(ns.clone());
                self.refused(
                    &format!("list {resource}"),
                    Some(&ns),
                    "which workloads there ran the image is unknown (image.seen)",
                );
            }
            (Want::RoleBindings(_), Read::Found(v)) => self
                .objects
                .rolebindings
                .push_shared(items::<RoleBinding>(&path, v, shared.as_ref())?),
            (Want::RoleBindings(ns), Read::Forbidden(_)) => {
                self.objects
                    .unreadable
                    .insert(format!("rolebindings in {ns}"));
                self.refused(
                    "list rolebindings",
                    Some(&ns),
                    "who is bound to which role there is unknown",
                );
            }
            (Want::ClusterRoleBindings, Read::Found(v)) => self
                .objects
                .clusterrolebindings
                .push_shared(items::<ClusterRoleBinding>(&path, v, shared.as_ref())?),
            (Want::ClusterRoleBindings, Read::Forbidden(_)) => {
                self.objects.unreadable.insert("clusterrolebindings".into());
                self.refused(
                    "list clusterrolebindings",
                    None,
                    "cluster-wide bindings are unknown",
                );
            }
            (Want::Role, Read::Found(v)) => self.objects.roles.push(decode::<Role>(&path, v)?),
            (Want::ClusterRole, Read::Found(v)) => {
                self.objects
                    .clusterroles
                    .push(decode::<ClusterRole>(&path, v)?)
            }
            (Want::PullReview { ns, sa }, read) => self.pull_review(ns, sa, read, &a.refusals),
            (Want::CanTag, read) => {
                self.objects.reviews.promoter_can_tag =
                    read.found().and_then(|v| reviews::allowed(&v))
            }
            (Want::CanRollOut(_), read) => self
                .rollout_rights
                .push(read.found().and_then(|v| reviews::allowed(&v))),
            // Absent optional objects: the builder says what their absence means.
            (_, Read::NotFound) | (_, Read::Forbidden(_)) => {}
        }
        Ok(())
    }

    fn push_workload(
        &mut self,
        kind: WorkloadKind,
        path: &str,
        v: serde_json::Value,
    ) -> Result<(), ClusterError> {
        match kind {
            WorkloadKind::DeploymentConfig => self.objects.dcs.push(decode(path, v)?),
            WorkloadKind::Deployment => self.objects.deployments.push(decode(path, v)?),
        }
        Ok(())
    }

    fn pull_review(
        &mut self,
        ns: String,
        sa: String,
        read: Read<serde_json::Value>,
        refusals: &[String],
    ) {
        let allowed = match read {
            Read::Found(v) => reviews::allowed(&v),
            _ => None,
        };
        match allowed {
            Some(a) => {
                tracing::info!(service_account = %format!("{ns}:{sa}"), allowed = a, "pull review");
                self.objects.reviews.can_pull.insert((ns, sa), a);
            }
            None => {
                let pull_ns = self.req.destination.namespace.clone();
                let why = if refusals.is_empty() {
                    "the cluster does not serve access reviews".to_string()
                } else {
                    format!("subjectaccessreviews and localsubjectaccessreviews in {pull_ns} are forbidden")
                };
                let who = self.who.clone();
                self.warn(format!(
                    "cannot ask the cluster whether system:serviceaccount:{ns}:{sa} may pull from {pull_ns} ({why}): \
                     can_pull comes from reading the bindings; grant `create localsubjectaccessreviews` in {pull_ns} to {who}"
                ));
            }
        }
    }

    /// `promoter_can_roll_out`: every target's answer (unknown when there are no targets).
    pub fn finish_rollout_rights(&mut self, _targets: &[TargetRef]) {
        self.objects.reviews.promoter_can_roll_out = reviews::all_of(&self.rollout_rights);
    }
}

/// The objects of a list answer: decoded here, or the batch's memo's, which decoded the list
/// once for every promotion (shared, not copied).
fn items<T: serde::de::DeserializeOwned + Send + Sync + 'static>(
    path: &str,
    v: serde_json::Value,
    shared: Option<&Items>,
) -> Result<Arc<Shared<T>>, ClusterError> {
    match shared {
        Some(items) => items.get::<T>().ok_or_else(|| {
            ClusterError::Internal(format!(
                "GET {path}: the batch's shared answer is not a list of the expected kind"
            ))
        }),
        None => Ok(Shared::new(decode_items(path, v)?)),
    }
}
