//! Ready-made facts for tests and benchmarks: the seed story's allowed state, to be tweaked.

use std::collections::BTreeMap;

use super::*;

const DIGEST: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";
const OLD_DIGEST: &str = "sha256:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";
const REGISTRY: &str = "image-registry.openshift-image-registry.svc:5000";

fn tag_ref(ns: &str, stream: &str, tag: &str) -> TagRef {
    TagRef {
        namespace: ns.into(),
        stream: stream.into(),
        tag: Some(tag.into()),
        reference: format!("{ns}/{stream}:{tag}"),
    }
}

fn binding(ns: &str, name: &str, role: &str, subject: Subject) -> Binding {
    Binding {
        namespace: Some(ns.into()),
        name: name.into(),
        role: RoleRefFact {
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: vec![subject],
    }
}

fn group(name: &str) -> Subject {
    Subject {
        kind: "Group".into(),
        name: name.into(),
        namespace: None,
    }
}

/// Facts for `dev/simple-app:latest → dev/simple-app:promote` with one manual prod
/// DeploymentConfig that can pull: every shipped rule passes on it.
pub fn sample_facts() -> Facts {
    let labels: BTreeMap<String, String> = [
        (
            "io.openshift.build.commit.id",
            "4f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
        ),
        ("io.openshift.build.commit.ref", "main"),
        (
            "io.openshift.build.source-location",
            "https://github.com/example/simple-app.git",
        ),
        ("io.openshift.build.name", "simple-app-3"),
        ("io.openshift.build.namespace", "dev"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let pull_spec = format!("{REGISTRY}/dev/simple-app@{DIGEST}");
    Facts {
        schema: FACTS_SCHEMA.into(),
        promotion: Promotion {
            source: tag_ref("dev", "simple-app", "latest"),
            destination: tag_ref("dev", "simple-app", "promote"),
            digest: DIGEST.into(),
            noop: false,
            requested_by: None,
            requested_by_groups: None,
            via: crate::facts::VIA_CLI.into(),
            alias: false,
            path: Some(PromotionPath {
                to: "prod".into(),
                previous: None,
            }),
            reason: None,
            time: "2024-03-05T12:00:00Z".into(),
        },
        image: Image {
            digest: DIGEST.into(),
            reference: Some(pull_spec.clone()),
            created: Some("2024-03-05T09:00:00Z".into()),
            age_hours: Some(3.0),
            labels: Some(labels),
            annotations: Some(BTreeMap::new()),
            build: Some(Build {
                commit: Some("4f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6".into()),
                reference: Some("main".into()),
                source: Some("https://github.com/example/simple-app.git".into()),
                author: None,
                name: Some("simple-app-3".into()),
                namespace: Some("dev".into()),
            }),
            architecture: Some("amd64".into()),
            os: Some("linux".into()),
            size_bytes: Some(73_400_320),
            signatures: Some(vec![]),
            source_history: vec![
                HistoryEntry {
                    digest: DIGEST.into(),
                    created: Some("2024-03-05T09:01:00Z".into()),
                },
                HistoryEntry {
                    digest: OLD_DIGEST.into(),
                    created: Some("2024-03-01T15:30:00Z".into()),
                },
            ],
            seen: BTreeMap::from([
                (
                    "dev".to_string(),
                    Seen {
                        tags: Some(vec![SeenTag {
                            namespace: "dev".into(),
                            stream: "simple-app".into(),
                            tag: "latest".into(),
                            since: Some("2024-03-05T09:01:00Z".into()),
                            until: None,
                        }]),
                        runs: Some(vec![]),
                    },
                ),
                (
                    "prod".to_string(),
                    Seen {
                        tags: Some(vec![]),
                        runs: Some(vec![]),
                    },
                ),
            ]),
        },
        destination: Destination {
            exists: Some(true),
            digest: Some(OLD_DIGEST.into()),
            image_created: Some("2024-03-01T15:29:00Z".into()),
            from: Some(ObjectRef {
                kind: "ImageStreamImage".into(),
                name: format!("simple-app@{OLD_DIGEST}"),
                namespace: Some("dev".into()),
            }),
            tracking: Some(false),
            reference_policy: Some("Source".into()),
            history: vec![HistoryEntry {
                digest: OLD_DIGEST.into(),
                created: Some("2024-03-01T16:00:00Z".into()),
            }],
        },
        targets: vec![Target {
            kind: "DeploymentConfig".into(),
            namespace: "prod".into(),
            name: "simple-app".into(),
            environment: "prod".into(),
            paused: false,
            replicas: Some(1),
            service_account: "default".into(),
            latest_version: Some(2),
            rollout_in_progress: Some(false),
            triggers: vec![
                Trigger::config_change(),
                Trigger {
                    kind: "ImageChange".into(),
                    automatic: false,
                    paused: false,
                    containers: vec!["simple-app".into()],
                    from: Some(ObjectRef {
                        kind: "ImageStreamTag".into(),
                        name: "simple-app:promote".into(),
                        namespace: Some("dev".into()),
                    }),
                    from_tracking: Some(false),
                    last_triggered_image: Some(format!("{REGISTRY}/dev/simple-app@{OLD_DIGEST}")),
                    consumes_promotion: true,
                    problem: None,
                },
            ],
            containers: vec![Container {
                name: "simple-app".into(),
                image: format!("{REGISTRY}/dev/simple-app@{OLD_DIGEST}"),
                pinned: true,
                triggered: true,
            }],
            will_roll_out_automatically: false,
            previous_environment: None,
            can_pull: Some(true),
            pull_grants: vec![Grant {
                namespace: Some("dev".into()),
                binding: "system:image-puller".into(),
                role: "system:image-puller".into(),
            }],
        }],
        rbac: Rbac {
            bindings: vec![
                binding(
                    "dev",
                    "system:image-puller",
                    "system:image-puller",
                    group("system:serviceaccounts:prod"),
                ),
                binding(
                    "dev",
                    "system:image-pullers",
                    "system:image-puller",
                    group("system:serviceaccounts:dev"),
                ),
                binding(
                    "dev",
                    "view",
                    "view",
                    Subject {
                        kind: "User".into(),
                        name: "prod-user1".into(),
                        namespace: None,
                    },
                ),
                binding(
                    "prod",
                    "system:image-pullers",
                    "system:image-puller",
                    group("system:serviceaccounts:prod"),
                ),
            ],
            unreadable: vec!["clusterrolebindings".into()],
            pullers: vec![
                Puller {
                    kind: "Group".into(),
                    name: "system:serviceaccounts:prod".into(),
                    namespace: None,
                    via: "dev/system:image-puller".into(),
                },
                Puller {
                    kind: "Group".into(),
                    name: "system:serviceaccounts:dev".into(),
                    namespace: None,
                    via: "dev/system:image-pullers".into(),
                },
                Puller {
                    kind: "User".into(),
                    name: "prod-user1".into(),
                    namespace: None,
                    via: "dev/view".into(),
                },
            ],
            promoter_can_tag: None,
            promoter_can_roll_out: None,
        },
        environments: BTreeMap::from([(
            "prod".to_string(),
            Environment {
                namespaces: vec!["prod".into()],
                params: serde_json::Map::new(),
            },
        )]),
        warnings: vec![],
        discovery: "discovered: image triggers that follow dev/simple-app:promote".into(),
        discovery_complete: true,
    }
}
