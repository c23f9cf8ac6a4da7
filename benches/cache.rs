//! The admission cache at the size of issue 11 item 9 (10,000 image streams, 1,000 workloads,
//! 2,000 bindings): filling it from a list, publishing a change (and the fallback copy when a
//! reader keeps an old view), reading an unchanged view, and building one promotion's facts
//! from it. Resident memory before and after filling is written to stderr (`/proc/self/statm`).
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use kube::api::DynamicObject;
use kube::runtime::watcher::Event;
use serde_json::{json, Value};

use tollgate::cache::{Cache, Change, WATCHED};
use tollgate::config::Settings;
use tollgate::gather::{self, PromotionRequest};
use tollgate::refs::{parse_destination, parse_source};

const STREAMS: usize = 10_000;
/// Half DeploymentConfigs (three ReplicationControllers each), half Deployments.
const WORKLOADS: usize = 1_000;
/// 1,800 RoleBindings, 200 ClusterRoleBindings.
const BINDINGS: usize = 2_000;
const NAMESPACES: usize = 200;

fn digest(i: usize, j: usize) -> String {
    format!("sha256:{:064x}", i * 1000 + j)
}

/// `managedFields` as the API server writes them: dropped by the cache, but paid for in the
/// list's decoding, as in a real cluster.
fn managed() -> Value {
    json!([{"manager": "openshift-apiserver", "operation": "Update", "apiVersion": "v1",
            "time": "2024-03-05T09:01:03Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:tags": {}}, "f:status": {"f:tags": {}}}}])
}

fn meta(ns: &str, name: &str) -> Value {
    json!({"name": name, "namespace": ns, "uid": "5f0c1a2e-3b4d-4c6e-8f9a-0b1c2d3e4f50",
           "resourceVersion": "409873", "creationTimestamp": "2024-03-01T15:21:44Z",
           "labels": {"app": name}, "managedFields": managed()})
}

/// Three tags (`latest`, `promote`, `v1`), five history entries each.
fn stream(i: usize) -> Value {
    let (ns, name) = (format!("ns-{}", i % NAMESPACES), format!("app-{i}"));
    let repo = format!("image-registry.openshift-image-registry.svc:5000/{ns}/{name}");
    let tags: Vec<Value> = ["latest", "promote", "v1"]
        .iter()
        .map(|t| {
            let items: Vec<Value> = (0..5)
                .map(|j| {
                    json!({"created": "2024-03-05T09:01:03Z", "generation": 1,
                    "dockerImageReference": format!("{repo}@{}", digest(i, j)),
                    "image": digest(i, j)})
                })
                .collect();
            json!({"tag": t, "items": items})
        })
        .collect();
    json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": meta(&ns, &name),
        "spec": {"lookupPolicy": {"local": false}, "tags": [
            {"name": "promote", "annotations": null, "generation": 2,
             "from": {"kind": "ImageStreamImage", "name": format!("{name}@{}", digest(i, 0))},
             "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Source"}}]},
        "status": {"dockerImageRepository": repo, "tags": tags}})
}

/// One image per stream, with its layers and manifest (dropped) and labels (kept).
fn image(i: usize) -> Value {
    let layers: Vec<Value> = (0..8)
        .map(|j| {
            json!({"name": digest(i, 100 + j), "size": 1000 + j,
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"})
        })
        .collect();
    json!({"apiVersion": "image.openshift.io/v1", "kind": "Image",
        "metadata": {"name": digest(i, 0), "annotations": {"image.openshift.io/dockerLayersOrder": "ascending"}},
        "dockerImageReference": format!("registry/ns/app-{i}@{}", digest(i, 0)),
        "dockerImageLayers": layers, "dockerImageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
        "dockerImageMetadata": {"Created": "2024-03-05T09:00:00Z", "Architecture": "amd64", "Size": 123456,
            "Config": {"Labels": {"io.openshift.build.commit.id": "abc123", "version": "2.0"},
                       "Env": ["PATH=/usr/bin", "HOME=/"], "Cmd": ["/app"]}}})
}

fn pod(name: &str, ns: &str) -> Value {
    json!({"metadata": {"labels": {"app": name}}, "spec": {
        "serviceAccountName": "default", "volumes": [],
        "containers": [{"name": name, "image": format!("registry/{ns}/{name}@{}", digest(0, 0)),
            "env": [{"name": "A", "value": "b"}], "resources": {"limits": {"cpu": "1"}}}]}})
}

fn workload(i: usize) -> Vec<(&'static str, Value)> {
    let (ns, name) = (format!("ns-{}", i % NAMESPACES), format!("app-{i}"));
    if i % 2 == 0 {
        let dc = json!({"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig",
            "metadata": meta(&ns, &name),
            "spec": {"replicas": 2, "template": pod(&name, &ns), "triggers": [
                {"type": "ConfigChange"},
                {"type": "ImageChange", "imageChangeParams": {"automatic": true,
                    "containerNames": [name], "from": {"kind": "ImageStreamTag", "name": format!("{name}:promote")}}}]},
            "status": {"latestVersion": 3, "observedGeneration": 4}});
        let mut out = vec![("DeploymentConfig", dc)];
        for v in 1..=3 {
            let mut m = meta(&ns, &format!("{name}-{v}"));
            m["annotations"] = json!({"openshift.io/deployment.phase": "Complete",
                "openshift.io/deployment-config.latest-version": v.to_string()});
            out.push(("ReplicationController", json!({"apiVersion": "v1",
                "kind": "ReplicationController", "metadata": m, "spec": {"template": pod(&name, &ns)}})));
        }
        out
    } else {
        let mut m = meta(&ns, &name);
        m["annotations"] = json!({"image.openshift.io/triggers": format!(
            "[{{\"from\":{{\"kind\":\"ImageStreamTag\",\"name\":\"{name}:promote\"}},\"fieldPath\":\"spec.template.spec.containers[?(@.name==\\\"{name}\\\")].image\"}}]")});
        vec![(
            "Deployment",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": m,
            "spec": {"replicas": 2, "template": pod(&name, &ns)}}),
        )]
    }
}

fn binding(i: usize) -> (&'static str, Value) {
    let subjects = json!([{"kind": "ServiceAccount", "name": "default", "namespace": format!("ns-{}", (i + 1) % NAMESPACES)},
                          {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"}]);
    if i < BINDINGS * 9 / 10 {
        (
            "RoleBinding",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": meta(&format!("ns-{}", i % NAMESPACES), &format!("rb-{i}")),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:image-puller"},
            "subjects": subjects}),
        )
    } else {
        (
            "ClusterRoleBinding",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("crb-{i}"), "managedFields": managed()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": subjects}),
        )
    }
}

fn roles() -> Vec<(&'static str, Value)> {
    let rules = json!([{"apiGroups": ["", "image.openshift.io"], "resources": ["imagestreams/layers"], "verbs": ["get"]}]);
    let mut out: Vec<(&'static str, Value)> = (0..100)
        .map(|i| ("ClusterRole", json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": if i == 0 { "system:image-puller".to_string() } else { format!("cr-{i}") }},
            "rules": rules})))
        .collect();
    out.extend((0..NAMESPACES).map(|i| {
        (
            "Role",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role", "metadata": meta(&format!("ns-{i}"), "puller"), "rules": rules}),
        )
    }));
    out
}

/// Every object of the cluster, by kind.
fn cluster() -> Vec<(&'static str, Value)> {
    let mut out: Vec<(&'static str, Value)> = Vec::new();
    out.extend((0..STREAMS).map(|i| ("ImageStream", stream(i))));
    out.extend((0..STREAMS).map(|i| ("Image", image(i))));
    out.extend((0..WORKLOADS).flat_map(workload));
    out.extend((0..BINDINGS).map(binding));
    out.extend(roles());
    out
}

fn index(kind: &str) -> usize {
    WATCHED.iter().position(|w| w.kind == kind).unwrap()
}

fn fill(cache: &Cache, objects: &[(&'static str, DynamicObject)]) {
    for w in WATCHED {
        cache.apply(index(w.kind), Change::Init);
    }
    for (kind, o) in objects {
        let i = index(kind);
        cache.apply(i, Change::decode(&WATCHED[i], Event::InitApply(o.clone())));
    }
    for w in WATCHED {
        cache.apply(index(w.kind), Change::InitDone);
    }
}

/// Resident memory in MiB (Linux; 0 elsewhere).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn bench_cache(c: &mut Criterion) {
    let objects: Vec<(&'static str, DynamicObject)> = cluster()
        .into_iter()
        .map(|(k, v)| (k, serde_json::from_value(v).unwrap()))
        .collect();
    let before = rss_mib();
    let cache = Cache::detached();
    fill(&cache, &objects);
    let filled = rss_mib();
    // A fresh copy is allocated in one sweep, with little slack: about what one copy costs.
    let copy = (*cache.objects()).clone();
    let copied = rss_mib();
    eprintln!(
        "cache: {} objects; resident memory {before:.0} MiB before filling, {filled:.0} MiB \
         filled (+{:.0}: both copies of the view, and the allocator's slack); one more copy \
         +{:.0} MiB",
        cache.counts().iter().map(|(_, n)| n).sum::<usize>(),
        filled - before,
        copied - filled,
    );
    drop(copy);

    let mut group = c.benchmark_group("cache at 10k streams, 1k workloads, 2k bindings");
    group.sample_size(10);
    group.bench_function("fill from a list (decode + slim)", |b| {
        b.iter(|| {
            let cache = Cache::detached();
            fill(&cache, black_box(&objects));
            cache
        })
    });
    let changed = serde_json::from_value::<DynamicObject>(stream(7)).unwrap();
    let i = index("ImageStream");
    group.bench_function("publish one change", |b| {
        b.iter(|| {
            cache.apply(
                i,
                Change::decode(&WATCHED[i], Event::Apply(changed.clone())),
            );
            black_box(cache.objects())
        })
    });
    group.bench_function(
        "publish one change while a reader keeps the old view",
        |b| {
            b.iter(|| {
                let held = (cache.objects(), cache.objects());
                cache.apply(
                    i,
                    Change::decode(&WATCHED[i], Event::Apply(changed.clone())),
                );
                cache.apply(
                    i,
                    Change::decode(&WATCHED[i], Event::Apply(changed.clone())),
                );
                black_box(held)
            })
        },
    );
    group.bench_function("read an unchanged view", |b| {
        b.iter(|| black_box(cache.objects()))
    });
    let view = cache.objects();
    let request = PromotionRequest {
        source: parse_source("ns-7/app-7:latest", None).unwrap(),
        destination: parse_destination("ns-7/app-7:promote", None).unwrap(),
        targets: vec![],
        reason: None,
        requested_by: Some("alice".into()),
        requested_by_groups: Some(vec!["devs".into()]),
        via: tollgate::facts::VIA_ADMISSION,
        alias: false,
        time: time::macros::datetime!(2024-03-06 12:00 UTC),
    };
    let settings = Settings::default();
    group.bench_function("build one promotion's facts from the view", |b| {
        b.iter(|| black_box(gather::build_facts(&view, &request, &settings).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench_cache);
criterion_main!(benches);
