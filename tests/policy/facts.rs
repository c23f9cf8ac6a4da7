//! Facts built from the seed snapshots (`examples/seed/`): the SCENARIO.md story, state by state.

use std::path::PathBuf;

use time::macros::datetime;
use tollgate::config::Settings;
use tollgate::facts::Facts;
use tollgate::gather::{build_facts, load, PromotionRequest};
use tollgate::refs::{parse_destination, parse_source, parse_target};

const NEW: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";
const OLD: &str = "sha256:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";

fn seed(state: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/seed")
        .join(state)
}

fn request(targets: &[&str]) -> PromotionRequest {
    PromotionRequest {
        source: parse_source("dev/simple-app:latest", None).unwrap(),
        destination: parse_destination("dev/simple-app:promote", None).unwrap(),
        targets: targets
            .iter()
            .map(|t| parse_target(t, None).unwrap())
            .collect(),
        reason: None,
        requested_by: None,
        requested_by_groups: None,
        via: tollgate::facts::VIA_CLI,
        alias: false,
        time: datetime!(2024-03-05 12:00:00 UTC),
    }
}

fn facts(state: &str) -> Facts {
    let objects = load(&[seed(state)]).unwrap();
    build_facts(&objects, &request(&[]), &Settings::default()).unwrap()
}

#[test]
fn manual_trigger_state_is_complete_and_allowed() {
    let f = facts("c-manual-trigger");
    assert_eq!(f.promotion.digest, NEW);
    assert!(!f.promotion.noop);
    assert_eq!(f.promotion.time, "2024-03-05T12:00:00Z");
    assert_eq!(f.promotion.source.reference, "dev/simple-app:latest");
    assert_eq!(f.promotion.requested_by, None);

    let i = &f.image;
    assert_eq!(i.created.as_deref(), Some("2024-03-05T09:00:12Z"));
    let age = i.age_hours.unwrap();
    assert!(
        (age - (2.0 + 59.0 / 60.0 + 48.0 / 3600.0)).abs() < 1e-9,
        "{age}"
    );
    let b = i.build.as_ref().unwrap();
    assert_eq!(
        b.commit.as_deref(),
        Some("9f8e7d6c5b4a39281706f5e4d3c2b1a098765432")
    );
    assert_eq!(b.name.as_deref(), Some("simple-app-2"));
    assert_eq!(b.reference.as_deref(), Some("main"));
    assert_eq!(i.architecture.as_deref(), Some("amd64"));
    assert_eq!(
        i.os, None,
        "docker10 metadata has no OS: unknown, not guessed"
    );
    assert_eq!(i.signatures.as_deref(), Some(&[][..]));
    assert_eq!(i.source_history.len(), 2);
    assert_eq!(i.source_history[1].digest, OLD);

    let d = &f.destination;
    assert_eq!(d.exists, Some(true));
    assert_eq!(d.digest.as_deref(), Some(OLD));
    assert_eq!(d.image_created.as_deref(), Some("2024-03-01T15:29:01Z"));
    assert_eq!(d.tracking, Some(false));
    assert_eq!(d.from.as_ref().unwrap().kind, "ImageStreamImage");
    assert_eq!(d.reference_policy.as_deref(), Some("Source"));

    assert_eq!(f.targets.len(), 1);
    let t = &f.targets[0];
    assert_eq!(t.display_ref(), "prod/dc/simple-app");
    assert_eq!(t.environment, "prod");
    assert_eq!(t.service_account, "default");
    assert_eq!(t.latest_version, Some(1));
    assert_eq!(t.rollout_in_progress, Some(false));
    let ic = &t.triggers[1];
    assert_eq!(ic.kind, "ImageChange");
    assert!(!ic.automatic, "automatic absent == false");
    assert!(ic.consumes_promotion);
    assert_eq!(ic.from_tracking, Some(false));
    assert!(t.containers[0].pinned && t.containers[0].triggered);
    assert!(!t.will_roll_out_automatically);
    assert_eq!(t.can_pull, Some(true));
    assert_eq!(t.pull_grants[0].binding, "system:image-puller");

    assert!(f.rbac.unreadable.is_empty(), "{:?}", f.rbac.unreadable);
    assert!(f
        .rbac
        .pullers
        .iter()
        .any(|p| p.name == "system:serviceaccounts:prod" && p.via == "dev/system:image-puller"));
    assert!(f
        .rbac
        .pullers
        .iter()
        .any(|p| p.name == "prod-user1" && p.via == "dev/view"));
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    assert!(
        f.discovery.starts_with(
            "discovered: image triggers following dev/simple-app:promote (1 of 1 workload"
        ),
        "{}",
        f.discovery
    );
    assert_eq!(f.environments["prod"].namespaces, ["prod"]);
}

#[test]
fn no_pull_rights_is_a_known_false() {
    let f = facts("a-no-pull-rights");
    let t = &f.targets[0];
    assert_eq!(t.can_pull, Some(false));
    assert!(t.pull_grants.is_empty());
    assert_eq!(
        t.rollout_in_progress,
        Some(false),
        "RC simple-app-1 is Failed"
    );
    assert!(f.rbac.unreadable.is_empty());
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
}

#[test]
fn automatic_trigger_rolls_out_by_itself() {
    let f = facts("b-automatic-trigger");
    let t = &f.targets[0];
    assert!(t.triggers[1].automatic && !t.triggers[1].paused);
    assert!(t.will_roll_out_automatically);
    assert_eq!(t.can_pull, Some(true));
}

#[test]
fn tracking_alias_is_visible_on_destination_and_trigger() {
    let f = facts("d-tracking-alias");
    assert_eq!(f.destination.tracking, Some(true));
    let from = f.destination.from.as_ref().unwrap();
    assert_eq!(
        (from.kind.as_str(), from.namespace.as_deref()),
        ("ImageStreamTag", Some("dev"))
    );
    assert_eq!(f.targets[0].triggers[1].from_tracking, Some(true));
    assert!(
        f.promotion.noop,
        "the alias already followed latest to the new digest"
    );
}

#[test]
fn given_targets_and_unknown_targets() {
    let objects = load(&[seed("c-manual-trigger")]).unwrap();
    let f = build_facts(
        &objects,
        &request(&["prod/dc/simple-app"]),
        &Settings::default(),
    )
    .unwrap();
    assert_eq!(f.discovery, "given with --target: prod/dc/simple-app");
    let e = build_facts(&objects, &request(&["prod/dc/other"]), &Settings::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("prod/dc/other") && e.contains("DeploymentConfigs there: prod/dc/simple-app"),
        "{e}"
    );
    let e = build_facts(
        &objects,
        &request(&["prod/deployment/simple-app"]),
        &Settings::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("there are no Deployments there"), "{e}");
}

#[test]
fn missing_namespaces_and_metadata_are_unknown_not_guessed() {
    // only the stream and the DC: no tags' metadata, no bindings at all
    let dir = seed("c-manual-trigger");
    let objects = load(&[
        dir.join("dev/imagestream.yaml"),
        dir.join("prod/deploymentconfig.yaml"),
    ])
    .unwrap();
    let f = build_facts(&objects, &request(&[]), &Settings::default()).unwrap();
    assert_eq!(f.image.created, None);
    assert_eq!(f.image.labels, None);
    assert_eq!(f.image.build, None);
    assert_eq!(f.image.age_hours, None);
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("oc get istag simple-app:latest -n dev -o yaml")),
        "{:?}",
        f.warnings
    );
    assert_eq!(
        f.rbac.unreadable,
        [
            "clusterrolebindings",
            "rolebindings in dev",
            "rolebindings in prod"
        ]
    );
    assert_eq!(f.targets[0].can_pull, None);
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("cannot tell whether prod/dc/simple-app")),
        "{:?}",
        f.warnings
    );
}

#[test]
fn facts_serialise_every_key() {
    let v = serde_json::to_value(facts("c-manual-trigger")).unwrap();
    for key in [
        "promotion",
        "image",
        "destination",
        "targets",
        "rbac",
        "environments",
        "warnings",
        "discovery",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert!(v["image"]["os"].is_null());
    assert!(v["rbac"]["promoter_can_tag"].is_null());
}
