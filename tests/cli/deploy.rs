//! examples/deploy holds what it promises: every object parses as its Kubernetes type and
//! loses no field doing so, the ClusterRole grants exactly what the cache watches, the rules
//! ConfigMap is the shipped pack, and the Deployment runs `tollgate serve` on the mounts, ports
//! and certificate the other objects provide. The webhook and the image have their own files.

mod image;
mod webhook;
mod workload;

use std::collections::BTreeSet;
use std::path::Path;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use tollgate::cache::WATCHED;

pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/deploy");

/// Every object of examples/deploy, with the file it is in.
pub struct Manifests {
    docs: Vec<(String, Value)>,
}

impl Manifests {
    /// The files kustomization.yaml lists, in its order.
    pub fn load() -> Manifests {
        let mut docs = vec![];
        for file in resources() {
            let text = std::fs::read_to_string(Path::new(DIR).join(&file)).unwrap();
            for doc in serde_saphyr::from_multiple::<Value>(&text)
                .unwrap_or_else(|e| panic!("{file} is not valid YAML: {e}"))
            {
                assert!(doc.is_object(), "{file}: a document that is not an object");
                docs.push((file.clone(), doc));
            }
        }
        Manifests { docs }
    }

    /// Every object of kind `T`.
    pub fn all<T: k8s_openapi::Resource + DeserializeOwned>(&self) -> Vec<T> {
        self.docs
            .iter()
            .filter(|(_, d)| d["kind"] == T::KIND)
            .map(|(file, d)| {
                serde_json::from_value(d.clone())
                    .unwrap_or_else(|e| panic!("{file}: not a valid {}: {e}", T::KIND))
            })
            .collect()
    }

    /// The one object of kind `T`.
    pub fn one<T: k8s_openapi::Resource + DeserializeOwned>(&self) -> T {
        let mut all = self.all::<T>();
        assert_eq!(all.len(), 1, "expected exactly one {}", T::KIND);
        all.remove(0)
    }

    /// The object of kind `T` named `name`.
    pub fn named<
        T: k8s_openapi::Resource + k8s_openapi::Metadata<Ty = ObjectMeta> + DeserializeOwned,
    >(
        &self,
        name: &str,
    ) -> T {
        self.all::<T>()
            .into_iter()
            .find(|o| o.metadata().name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no {} named {name} in {DIR}", T::KIND))
    }

    /// The gate's namespace: the one Namespace object.
    pub fn namespace(&self) -> String {
        self.one::<Namespace>().metadata.name.unwrap()
    }
}

/// `resources:` of kustomization.yaml.
fn resources() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(DIR).join("kustomization.yaml")).unwrap();
    let k: Value = serde_saphyr::from_str(&text).unwrap();
    k["resources"]
        .as_array()
        .expect("kustomization.yaml lists resources")
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

/// The value with every `null` dropped (what a typed round trip leaves out on purpose).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Parses `doc` as `T` and back: a field the type does not know (a typo such as
/// `readinesProbe`, which the API server would drop or refuse) is missing from the result.
fn round_trips<T: DeserializeOwned + Serialize>(file: &str, doc: &Value) {
    let typed: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{file}: not a valid {}: {e}", doc["kind"]));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        without_nulls(&back),
        without_nulls(doc),
        "{file}: {} {} has a field its type does not know (a typo?)",
        doc["kind"],
        doc["metadata"]["name"]
    );
}

#[test]
fn the_kustomization_lists_every_manifest_and_each_object_is_exactly_its_type() {
    use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Service;
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;

    let listed: BTreeSet<String> = resources().into_iter().collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed, on_disk,
        "kustomization.yaml must list every manifest"
    );

    let m = Manifests::load();
    let ns = m.namespace();
    let mut kinds = BTreeSet::new();
    for (file, doc) in &m.docs {
        let kind = doc["kind"].as_str().unwrap();
        kinds.insert(kind.to_string());
        match kind {
            "Namespace" => round_trips::<Namespace>(file, doc),
            "ServiceAccount" => round_trips::<ServiceAccount>(file, doc),
            "ClusterRole" => round_trips::<ClusterRole>(file, doc),
            "ClusterRoleBinding" => round_trips::<ClusterRoleBinding>(file, doc),
            "ConfigMap" => round_trips::<ConfigMap>(file, doc),
            "Deployment" => round_trips::<Deployment>(file, doc),
            "PodDisruptionBudget" => round_trips::<PodDisruptionBudget>(file, doc),
            "Service" => round_trips::<Service>(file, doc),
            "ValidatingWebhookConfiguration" => {
                round_trips::<ValidatingWebhookConfiguration>(file, doc)
            }
            other => panic!("{file}: unexpected kind {other}"),
        }
        let cluster_scoped = [
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "ValidatingWebhookConfiguration",
        ];
        let namespace = doc["metadata"]["namespace"].as_str();
        if cluster_scoped.contains(&kind) {
            assert_eq!(namespace, None, "{file}: {kind} is cluster-scoped");
        } else {
            assert_eq!(namespace, Some(ns.as_str()), "{file}: {kind} outside {ns}");
        }
    }
    assert_eq!(kinds.len(), 9, "{kinds:?}");
}

#[test]
fn the_cluster_role_grants_list_and_watch_on_exactly_what_the_cache_watches() {
    let m = Manifests::load();
    let role = m.one::<ClusterRole>();
    let mut granted = BTreeSet::new();
    for rule in role.rules.unwrap_or_default() {
        assert!(
            rule.resource_names.is_none() && rule.non_resource_urls.is_none(),
            "{rule:?}"
        );
        for group in rule.api_groups.unwrap_or_default() {
            for resource in rule.resources.clone().unwrap_or_default() {
                for verb in &rule.verbs {
                    granted.insert((group.clone(), resource.clone(), verb.clone()));
                }
            }
        }
    }
    let wanted: BTreeSet<(String, String, String)> = WATCHED
        .iter()
        .flat_map(|w| {
            ["list", "watch"].map(|verb| {
                (
                    w.group.to_string(),
                    w.resource.to_string(),
                    verb.to_string(),
                )
            })
        })
        .collect();
    assert_eq!(
        granted, wanted,
        "the ClusterRole must grant exactly WATCHED × {{list, watch}}"
    );

    // Bound to the service account the Deployment runs as.
    let binding = m.one::<ClusterRoleBinding>();
    assert_eq!(binding.role_ref.kind, "ClusterRole");
    assert_eq!(Some(binding.role_ref.name), role.metadata.name);
    let subjects = binding.subjects.unwrap();
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    let account = m.one::<ServiceAccount>().metadata;
    assert_eq!(subjects[0].kind, "ServiceAccount");
    assert_eq!(Some(&subjects[0].name), account.name.as_ref());
    assert_eq!(subjects[0].namespace.as_ref(), account.namespace.as_ref());
    let pod = workload::pod_spec(&m);
    assert_eq!(pod.service_account_name, account.name);
}

/// The `*.rhai` files directly in `dir`, by file name, with their bytes.
fn rhai_files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn data_of(cm: &ConfigMap) -> Vec<(String, String)> {
    cm.data.clone().unwrap_or_default().into_iter().collect()
}

#[test]
fn the_rules_configmaps_hold_exactly_the_shipped_pack() {
    let m = Manifests::load();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let stale = "examples/deploy/policies-configmap.yaml differs from policies/: run examples/deploy/regenerate-policies.sh";
    let rules = m.named::<ConfigMap>("tollgate-policies");
    assert_eq!(data_of(&rules), rhai_files(&root), "{stale}");
    let lib = m.named::<ConfigMap>("tollgate-policies-lib");
    assert_eq!(data_of(&lib), rhai_files(&root.join("lib")), "{stale}");
    assert!(rules.binary_data.is_none() && lib.binary_data.is_none());
}

/// The policies volume as the kubelet lays it out: `..<stamp>/` holding the projected paths,
/// `..data` → it, and one link per top-level entry (`lib` → `..data/lib`).
fn mount_projection(dir: &Path, files: &[(String, String)]) {
    use std::os::unix::fs::symlink;
    let stamp = dir.join("..2026_12_01_12_00_00.000000001");
    let mut top = BTreeSet::new();
    for (path, text) in files {
        let at = stamp.join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
        top.insert(path.split('/').next().unwrap().to_string());
    }
    symlink(stamp.file_name().unwrap(), dir.join("..data")).unwrap();
    for entry in top {
        symlink(Path::new("..data").join(&entry), dir.join(&entry)).unwrap();
    }
}

#[test]
fn the_policies_volume_mounts_a_pack_that_lints() {
    let m = Manifests::load();
    let projected = workload::policies_projection(&m);
    let mut files = vec![];
    for source in projected.sources.unwrap() {
        let source = source.config_map.expect("only ConfigMaps are projected");
        let cm = m.named::<ConfigMap>(&source.name);
        let data = cm.data.unwrap_or_default();
        match source.items {
            // Every key at the top, as file name.
            None => files.extend(data),
            Some(items) => {
                let keys: BTreeSet<&String> = items.iter().map(|i| &i.key).collect();
                assert_eq!(
                    keys,
                    data.keys().collect(),
                    "deployment.yaml must project every key of ConfigMap {} (a new library module needs an `items` entry)",
                    source.name
                );
                for item in items {
                    files.push((item.path.clone(), data[&item.key].clone()));
                }
            }
        }
    }
    let paths: BTreeSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut shipped: BTreeSet<String> = rhai_files(&root).into_iter().map(|(n, _)| n).collect();
    shipped.extend(
        rhai_files(&root.join("lib"))
            .into_iter()
            .map(|(n, _)| format!("lib/{n}")),
    );
    assert_eq!(paths, shipped.iter().map(String::as_str).collect());

    let dir = tempfile::tempdir().unwrap();
    mount_projection(dir.path(), &files);
    // The server reads what the pack reader finds there: every rule and library module (no rule
    // of the shipped pack imports the library yet, so lint alone would not notice it missing).
    let read = tollgate::policy_files::read_policy_dirs(&[dir.path().to_path_buf()]).unwrap();
    let mut found: Vec<(String, String)> = read
        .into_iter()
        .map(|s| {
            let relative = s.path.strip_prefix(&format!("{}/", dir.path().display()));
            (relative.unwrap().to_string(), s.text)
        })
        .collect();
    found.sort();
    files.sort();
    let names = |v: &[(String, String)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&found),
        names(&files),
        "the pack as the server reads it from the mount"
    );
    assert!(
        found == files,
        "the mounted files' contents differ from the ConfigMaps'"
    );
    let out = crate::common::tollgate()
        .arg("lint")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the pack as mounted does not lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_configuration_configmap_is_a_valid_tollgate_yaml_that_guards_prod() {
    let m = Manifests::load();
    let (name, key) = workload::config_source(&m);
    let cm = m.named::<ConfigMap>(&name);
    let text = &cm.data.unwrap()[&key];
    let settings = tollgate::config::Settings::parse(text, "examples/deploy tollgate.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.admission.guards_environment("prod"));
    assert_eq!(settings.environment_of("production"), "prod");
    assert!(!settings.admission.allow_delete);
}

#[test]
fn the_readmes_admission_settings_are_a_valid_tollgate_yaml() {
    let blocks = crate::readme::blocks(&crate::readme::readme(), "yaml");
    let admission: Vec<&String> = blocks
        .iter()
        .filter(|b| b.starts_with("admission:"))
        .collect();
    assert_eq!(admission.len(), 1, "the README's admission example");
    let settings = tollgate::config::Settings::parse(admission[0], "README.md")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.admission.names_tag("shop", "frontend", "live"));
}
