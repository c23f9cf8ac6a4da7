//! The Deployment, its PodDisruptionBudget and Service: `tollgate serve` with the flags it has,
//! on the mounts, port and certificate the other objects provide, hardened and highly available.

use std::collections::BTreeMap;

use clap::Parser;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    Container, HTTPGetAction, PodSpec, ProjectedVolumeSource, Service, Volume,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Manifests;

/// `serve --flag=value …` or `serve --flag value …` → flag → value. The arguments must parse
/// as tollgate's own command line (clap: unknown flags, missing values and a bad `--mode` are
/// refused as the binary would refuse them); the map is for the checks on paths.
pub fn serve_flags(args: &[String]) -> BTreeMap<String, String> {
    assert_eq!(args.first().map(String::as_str), Some("serve"), "{args:?}");
    let parsed = tollgate::cli::Cli::try_parse_from(
        std::iter::once("tollgate".to_string()).chain(args.iter().cloned()),
    )
    .unwrap_or_else(|e| panic!("the arguments are not a tollgate command line: {e}\n{args:?}"));
    let tollgate::cli::Command::Serve(serve) = parsed.command else {
        panic!("not `tollgate serve`: {args:?}");
    };
    // The decision must be answered before the webhook's timeoutSeconds (10).
    assert!(
        serve.decision_timeout < std::time::Duration::from_secs(10),
        "{args:?}"
    );
    let mut out = BTreeMap::new();
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        let (flag, value) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), v.to_string()),
            None => (arg.clone(), rest.next().cloned().unwrap_or_default()),
        };
        assert!(
            out.insert(flag.clone(), value).is_none(),
            "`{flag}` twice: {args:?}"
        );
    }
    out
}

pub fn deployment(m: &Manifests) -> Deployment {
    m.one::<Deployment>()
}

pub fn pod_spec(m: &Manifests) -> PodSpec {
    deployment(m).spec.unwrap().template.spec.unwrap()
}

fn container(m: &Manifests) -> Container {
    let mut containers = pod_spec(m).containers;
    assert_eq!(containers.len(), 1, "one container: tollgate");
    containers.remove(0)
}

/// The container's arguments as flags.
pub fn flags(m: &Manifests) -> BTreeMap<String, String> {
    serve_flags(&container(m).args.unwrap_or_default())
}

fn volume(m: &Manifests, name: &str) -> Volume {
    pod_spec(m)
        .volumes
        .unwrap_or_default()
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no volume {name}"))
}

/// The mount path of the volume `name`, read-only.
fn mount_path(m: &Manifests, name: &str) -> String {
    let mounts = container(m).volume_mounts.unwrap_or_default();
    let mount = mounts
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("{name} not mounted"));
    assert_eq!(mount.read_only, Some(true), "{name} is mounted read-only");
    assert_eq!(
        mount.sub_path, None,
        "a subPath mount never sees ConfigMap updates"
    );
    mount.mount_path.clone()
}

/// The volume mounted exactly at `path`.
fn volume_at(m: &Manifests, path: &str) -> Volume {
    let mounts = container(m).volume_mounts.unwrap_or_default();
    let mount = mounts
        .iter()
        .find(|v| v.mount_path == path)
        .unwrap_or_else(|| panic!("nothing mounted at {path}"));
    mount_path(m, &mount.name);
    volume(m, &mount.name)
}

/// The projected volume mounted at `--policies`.
pub fn policies_projection(m: &Manifests) -> ProjectedVolumeSource {
    let dir = flags(m)["--policies"].clone();
    volume_at(m, &dir)
        .projected
        .expect("--policies is a projected volume")
}

/// (ConfigMap, key) of the file at `--config`.
pub fn config_source(m: &Manifests) -> (String, String) {
    let path = flags(m)["--config"].clone();
    let (dir, file) = path.rsplit_once('/').unwrap();
    let cm = volume_at(m, dir)
        .config_map
        .expect("--config's directory is a ConfigMap");
    assert_eq!(
        cm.items, None,
        "the whole ConfigMap, so that its updates arrive"
    );
    (cm.name, file.to_string())
}

/// The container port `--listen` names.
pub fn listen_port(m: &Manifests) -> i32 {
    let listen = flags(m)
        .get("--listen")
        .cloned()
        .unwrap_or("0.0.0.0:8443".into());
    listen.rsplit_once(':').unwrap().1.parse().unwrap()
}

fn port_named(m: &Manifests, name: &str) -> i32 {
    let ports = container(m).ports.unwrap_or_default();
    ports
        .iter()
        .find(|p| p.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no container port {name}"))
        .container_port
}

fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    assert!(selector.match_expressions.is_none());
    let wanted = selector.match_labels.clone().unwrap_or_default();
    !wanted.is_empty() && wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn pod_labels(m: &Manifests) -> BTreeMap<String, String> {
    let d = deployment(m).spec.unwrap();
    let labels = d.template.metadata.unwrap().labels.unwrap();
    assert!(selects(&d.selector, &labels));
    labels
}

#[test]
fn the_deployment_runs_serve_on_its_mounts_and_port() {
    let m = Manifests::load();
    let c = container(&m);
    // No command: the image's ENTRYPOINT (/usr/local/bin/tollgate) runs these arguments.
    assert_eq!(c.command, None);
    assert_eq!(c.image.as_deref(), Some(super::image::IMAGE_NAME));
    let f = flags(&m);
    for required in ["--policies", "--config", "--tls-cert", "--tls-key"] {
        assert!(f.contains_key(required), "{required} missing: {f:?}");
    }
    assert_eq!(port_named(&m, "https"), listen_port(&m));
    let env = c.env.unwrap_or_default();
    assert!(
        env.iter()
            .any(|e| e.name == "RUST_LOG" && e.value.is_some()),
        "{env:?}"
    );
}

fn https_get(probe: Option<k8s_openapi::api::core::v1::Probe>) -> HTTPGetAction {
    probe.expect("probe").http_get.expect("an HTTP probe")
}

#[test]
fn the_probes_ask_readyz_and_livez_over_https_on_the_serving_port() {
    let m = Manifests::load();
    let c = container(&m);
    for (probe, path) in [(c.readiness_probe, "/readyz"), (c.liveness_probe, "/livez")] {
        let get = https_get(probe);
        assert_eq!(get.path.as_deref(), Some(path));
        assert_eq!(get.scheme.as_deref(), Some("HTTPS"), "{path}");
        let port = match get.port {
            IntOrString::Int(p) => p,
            IntOrString::String(name) => port_named(&m, &name),
        };
        assert_eq!(port, listen_port(&m), "{path}");
    }
}

#[test]
fn two_replicas_on_two_nodes_and_a_budget_that_keeps_one() {
    let m = Manifests::load();
    let d = deployment(&m).spec.unwrap();
    assert_eq!(d.replicas, Some(2));
    let labels = pod_labels(&m);
    let anti = pod_spec(&m).affinity.unwrap().pod_anti_affinity.unwrap();
    let terms = anti
        .required_during_scheduling_ignored_during_execution
        .unwrap();
    assert!(
        terms
            .iter()
            .any(|t| t.topology_key == "kubernetes.io/hostname"
                && t.label_selector
                    .as_ref()
                    .is_some_and(|s| selects(s, &labels))),
        "{terms:?}"
    );
    let pdb = m.one::<PodDisruptionBudget>().spec.unwrap();
    assert_eq!(pdb.min_available, Some(IntOrString::Int(1)));
    assert!(selects(&pdb.selector.unwrap(), &labels));
}

#[test]
fn the_pod_runs_non_root_read_only_without_privileges_and_with_bounded_resources() {
    let m = Manifests::load();
    let pod = pod_spec(&m).security_context.unwrap();
    assert_eq!(pod.run_as_non_root, Some(true));
    assert_eq!(pod.seccomp_profile.unwrap().type_, "RuntimeDefault");
    // No fixed UID: OpenShift's restricted SCC picks one from the namespace's range.
    assert_eq!(pod.run_as_user, None);
    let c = container(&m);
    let sc = c.security_context.unwrap();
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(sc.privileged, None);
    assert_eq!(sc.capabilities.unwrap().drop, Some(vec!["ALL".to_string()]));
    assert_eq!(sc.seccomp_profile.unwrap().type_, "RuntimeDefault");
    let r = c.resources.unwrap();
    for (what, map) in [("requests", r.requests), ("limits", r.limits)] {
        let map = map.unwrap_or_default();
        assert!(
            map.contains_key("cpu") && map.contains_key("memory"),
            "{what}: {map:?}"
        );
    }
}

#[test]
fn the_service_reaches_the_pods_and_its_certificate_is_the_one_they_serve() {
    let m = Manifests::load();
    let service = m.one::<Service>();
    let secret = service.metadata.annotations.unwrap()
        ["service.beta.openshift.io/serving-cert-secret-name"]
        .clone();
    let spec = service.spec.unwrap();
    assert!(spec
        .selector
        .unwrap()
        .iter()
        .all(|(k, v)| pod_labels(&m).get(k) == Some(v)));
    let ports = spec.ports.unwrap();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].port, 443);
    let target = match ports[0].target_port.clone().unwrap() {
        IntOrString::Int(p) => p,
        IntOrString::String(name) => port_named(&m, &name),
    };
    assert_eq!(target, listen_port(&m));

    // The service CA writes tls.crt and tls.key into that Secret; the pod serves them.
    let f = flags(&m);
    let (dir, cert) = f["--tls-cert"].rsplit_once('/').unwrap();
    assert_eq!(cert, "tls.crt");
    assert_eq!(f["--tls-key"], format!("{dir}/tls.key"));
    let tls = volume_at(&m, dir)
        .secret
        .expect("the TLS directory is a Secret");
    assert_eq!(tls.secret_name, Some(secret));
    assert_eq!(
        tls.items, None,
        "the whole Secret, so that rotations arrive"
    );
}
