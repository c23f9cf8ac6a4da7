//! Which tags are guarded: followed ones, configured ones, and what they track, transitively
//! and across streams, without looping on a cycle.

use serde_json::json;

use super::*;
use crate::admission::guarded::{Guarded, TagKey};

fn stream(ns: &str, name: &str, tags: Value) -> crate::openshift::ImageStream {
    serde_json::from_value(
        json!({"metadata": {"name": name, "namespace": ns}, "spec": {"tags": tags}}),
    )
    .unwrap()
}

fn alias(tag: &str, from: &str, ns: Option<&str>) -> Value {
    json!({"name": tag, "from": {"kind": "ImageStreamTag", "name": from, "namespace": ns}})
}

fn key(s: &str) -> TagKey {
    let (ns, rest) = s.split_once('/').unwrap();
    let (stream, tag) = rest.split_once(':').unwrap();
    TagKey::new(ns, stream, tag)
}

fn moved(g: &Guarded, tag: &str) -> Vec<String> {
    g.moved_by(&key(tag))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn aliases_of_guarded_tags_are_guarded_transitively_across_streams() {
    let gate = gate_with("admission:\n  guarded_tags: [prod/app:live]\n");
    let mut objects = (*seed("c-manual-trigger")).clone();
    objects.streams.push(stream(
        "prod",
        "app",
        json!([alias("live", "app:rc", Some("stage"))]),
    ));
    objects.streams.push(stream(
        "stage",
        "app",
        json!([alias("rc", "app:latest", Some("dev"))]),
    ));
    // A cycle (OpenShift refuses one, a hostile cache entry must not hang the gate).
    objects.streams.push(stream(
        "loop",
        "x",
        json!([alias("a", "x:b", None), alias("b", "x:a", None)]),
    ));
    let g = Guarded::new(&objects, gate.settings());

    assert_eq!(moved(&g, "prod/app:live"), ["prod/app:live"]);
    assert_eq!(moved(&g, "stage/app:rc"), ["prod/app:live"]);
    assert_eq!(moved(&g, "dev/app:latest"), ["prod/app:live"]);
    assert_eq!(
        moved(&g, "dev/simple-app:promote"),
        ["dev/simple-app:promote"],
        "the DC follows it"
    );
    assert!(
        moved(&g, "dev/simple-app:latest").is_empty(),
        "promote is pinned in this state"
    );
    assert!(moved(&g, "dev/app:other").is_empty());
    assert!(g.touches_stream("stage", "app") && !g.touches_stream("stage", "other"));

    let gate = gate_with("admission:\n  guarded_tags: [loop/x:a]\n");
    let g = Guarded::new(&objects, gate.settings());
    assert_eq!(moved(&g, "loop/x:b"), ["loop/x:a"]);
    assert!(moved(&g, "loop/x:c").is_empty());
}

#[test]
fn configuration_decides_which_environments_are_guarded() {
    let objects = seed("c-manual-trigger");
    let g = Guarded::new(&objects, gate().settings());
    assert_eq!(
        moved(&g, "dev/simple-app:promote"),
        ["dev/simple-app:promote"]
    );
    let gate = gate_with("admission:\n  guarded_environments: [staging]\n");
    let g = Guarded::new(&objects, gate.settings());
    assert!(
        moved(&g, "dev/simple-app:promote").is_empty(),
        "prod is no longer guarded"
    );
}
