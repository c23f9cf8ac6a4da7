//! A workload's triggers as facts: DeploymentConfig `spec.triggers` and the Deployment
//! `image.openshift.io/triggers` annotation, with what OpenShift will really do with them.

use crate::facts::{ObjectRef, Trigger};
use crate::gather::ClusterObjects;
use crate::openshift::{
    Container, ContainerSelector, Deployment, DeploymentConfig, ObjectReference,
};
use crate::refs::ImageRef;

/// A trigger fact plus the containers it writes when it fires.
pub struct TriggerInfo {
    pub fact: Trigger,
    /// Names of the containers the trigger writes (empty when it writes nothing).
    pub writes: Vec<String>,
    /// False when OpenShift ignores the trigger altogether.
    pub effective: bool,
}

fn config_change() -> TriggerInfo {
    TriggerInfo {
        fact: Trigger::config_change(),
        writes: vec![],
        effective: true,
    }
}

/// `from` with OpenShift's defaults filled in (kind `ImageStreamTag`, the owner's namespace).
fn from_fact(from: &ObjectReference, owner_ns: &str) -> ObjectRef {
    ObjectRef {
        kind: if from.kind.is_empty() {
            "ImageStreamTag".into()
        } else {
            from.kind.clone()
        },
        name: from.name.clone(),
        namespace: Some(from.namespace_or(owner_ns).to_string()),
    }
}

/// Every `from` an image trigger of a workload names, paused or not, with OpenShift's defaults
/// filled in, and the namespace of that workload: what `serve` guards is found as the facts'
/// triggers are. Entries OpenShift would reject still count: a fixed annotation fires. Only
/// workloads whose namespace `in_scope` accepts are read.
pub fn followed_tags(
    objects: &ClusterObjects,
    in_scope: impl Fn(&str) -> bool,
) -> Vec<(&str, ObjectRef)> {
    let mut out = Vec::new();
    for dc in objects.dcs.iter().filter(|d| in_scope(d.metadata.ns())) {
        let ns = dc.metadata.ns();
        for t in &dc.spec.triggers {
            if let ("ImageChange", Some(p)) = (t.kind.as_str(), &t.image_change_params) {
                out.push((ns, from_fact(&p.from, ns)));
            }
        }
    }
    for d in objects
        .deployments
        .iter()
        .filter(|d| in_scope(d.metadata.ns()))
    {
        let ns = d.metadata.ns();
        for e in d.image_triggers().map(|a| a.entries).unwrap_or_default() {
            if let Some(from) = &e.from {
                out.push((ns, from_fact(from, ns)));
            }
        }
    }
    out
}

/// Whether the followed tag is itself a tracking alias (`None` when its stream is unknown).
pub fn from_tracking(objects: &ClusterObjects, from: &ObjectRef) -> Option<bool> {
    if from.kind != "ImageStreamTag" {
        return None;
    }
    let (stream, tag) = from.name.split_once(':')?;
    let ns = from.namespace.as_deref()?;
    let s = objects.stream(ns, stream)?;
    Some(s.spec_tag(tag).is_some_and(|t| t.is_tracking()))
}

/// True when `from` names the destination tag.
pub fn consumes(from: &ObjectRef, dst: &ImageRef) -> bool {
    from.kind == "ImageStreamTag"
        && from.namespace.as_deref() == Some(dst.namespace.as_str())
        && from.name == dst.istag_name()
}

/// Triggers of a DeploymentConfig.
pub fn dc_triggers(
    objects: &ClusterObjects,
    dc: &DeploymentConfig,
    dst: &ImageRef,
    warnings: &mut Vec<String>,
) -> Vec<TriggerInfo> {
    let ns = dc.metadata.ns();
    let names: Vec<&str> = containers(&dc.spec.template.spec.containers);
    let init: Vec<&str> = containers(&dc.spec.template.spec.init_containers);
    let mut out = Vec::new();
    for t in &dc.spec.triggers {
        match (t.kind.as_str(), &t.image_change_params) {
            ("ConfigChange", _) => out.push(config_change()),
            ("ImageChange", Some(p)) => {
                let from = from_fact(&p.from, ns);
                let mut problems = Vec::new();
                let mut effective = true;
                if from.kind != "ImageStreamTag" {
                    effective = false;
                    problems.push(format!(
                        "from.kind is {}: the image trigger controller only follows ImageStreamTags, so this trigger never fires",
                        from.kind
                    ));
                }
                for c in &p.container_names {
                    if !names.contains(&c.as_str()) && !init.contains(&c.as_str()) {
                        problems.push(format!("containerNames lists `{c}`, which is not a container of this DeploymentConfig"));
                    }
                }
                let automatic = p.is_automatic() && effective;
                out.push(TriggerInfo {
                    fact: Trigger {
                        kind: "ImageChange".into(),
                        automatic,
                        paused: !automatic,
                        containers: p.container_names.clone(),
                        from_tracking: from_tracking(objects, &from),
                        last_triggered_image: p
                            .last_triggered_image
                            .clone()
                            .filter(|s| !s.is_empty()),
                        consumes_promotion: consumes(&from, dst),
                        from: Some(from),
                        problem: (!problems.is_empty()).then(|| problems.join("; ")),
                    },
                    writes: p.container_names.clone(),
                    effective,
                });
            }
            (other, _) => warnings.push(format!(
                "DeploymentConfig {ns}/{}: ignoring trigger of type `{other}`{}",
                dc.metadata.name,
                if other == "ImageChange" {
                    " without imageChangeParams"
                } else {
                    ""
                }
            )),
        }
    }
    out
}

fn containers(list: &[Container]) -> Vec<&str> {
    list.iter().map(|c| c.name.as_str()).collect()
}

/// Triggers of a Deployment, from its annotation (none when it has no annotation).
pub fn deployment_triggers(
    objects: &ClusterObjects,
    d: &Deployment,
    dst: &ImageRef,
    warnings: &mut Vec<String>,
) -> Vec<TriggerInfo> {
    let Some(ann) = d.image_triggers() else {
        return vec![];
    };
    let ns = d.metadata.ns();
    let who = format!("Deployment {ns}/{}", d.metadata.name);
    if let Some(why) = &ann.rejected {
        warnings.push(format!("{who}: image.openshift.io/triggers: {why}"));
    }
    let pod = &d.spec.template.spec;
    let mut out = Vec::new();
    for e in &ann.entries {
        let mut problems = e.problems.clone();
        let mut effective = e.effective;
        let writes: Vec<String> = match &e.container {
            Some((init, ContainerSelector::Name(n))) => {
                let list = if *init {
                    &pod.init_containers
                } else {
                    &pod.containers
                };
                if !list.iter().any(|c| &c.name == n) {
                    problems.push(format!(
                        "fieldPath names container `{n}`, which this Deployment does not have"
                    ));
                    effective = false;
                }
                vec![n.clone()]
            }
            Some((init, ContainerSelector::Index(i))) => {
                let list = if *init {
                    &pod.init_containers
                } else {
                    &pod.containers
                };
                match list.get(*i) {
                    Some(c) => vec![c.name.clone()],
                    None => {
                        problems.push(format!("fieldPath names container index {i}, which this Deployment does not have"));
                        effective = false;
                        vec![]
                    }
                }
            }
            None => vec![],
        };
        if ann.rejected.is_some() {
            problems.insert(0, ann.rejected.clone().unwrap_or_default());
        } else {
            for p in &e.problems {
                warnings.push(format!("{who}: image.openshift.io/triggers: {p}"));
            }
        }
        let from = e.from.as_ref().map(|f| from_fact(f, ns));
        let automatic = effective && !e.paused_requested;
        out.push(TriggerInfo {
            fact: Trigger {
                kind: "ImageChange".into(),
                automatic,
                paused: !automatic,
                containers: writes.clone(),
                from_tracking: from.as_ref().and_then(|f| from_tracking(objects, f)),
                last_triggered_image: None,
                consumes_promotion: from.as_ref().is_some_and(|f| consumes(f, dst)),
                from,
                problem: (!problems.is_empty()).then(|| problems.join("; ")),
            },
            writes,
            effective,
        });
    }
    out
}
