//! Live `image.seen`, `promotion.path` and `targets[].previous_environment`: the rollouts and
//! tag histories of every environment's namespaces, read with the other reads.

use serde_json::json;

use crate::harness::live;

const DIGEST: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";
const REGISTRY: &str = "image-registry.openshift-image-registry.svc:5000";

/// Stage ran the candidate: a DeploymentConfig rollout (v1, replaced by a v2 that failed, so
/// v1 kept running) and a Deployment's ReplicaSet.
fn stage_rollouts() -> String {
    format!(
        "apiVersion: v1
kind: ReplicationController
metadata:
  name: simple-app-1
  namespace: stage
  creationTimestamp: \"2024-03-05T10:00:00Z\"
  annotations:
    openshift.io/deployment-config.name: simple-app
    openshift.io/deployment-config.latest-version: \"1\"
    openshift.io/deployment.phase: Complete
spec:
  template:
    spec:
      containers: [{{name: simple-app, image: \"{REGISTRY}/dev/simple-app@{DIGEST}\"}}]
---
apiVersion: v1
kind: ReplicationController
metadata:
  name: simple-app-2
  namespace: stage
  creationTimestamp: \"2024-03-05T14:00:00Z\"
  annotations:
    openshift.io/deployment-config.name: simple-app
    openshift.io/deployment-config.latest-version: \"2\"
    openshift.io/deployment.phase: Failed
spec:
  template:
    spec:
      containers: [{{name: simple-app, image: \"{REGISTRY}/dev/simple-app@{DIGEST}\"}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d8f7
  namespace: stage
  creationTimestamp: \"2024-03-05T11:00:00Z\"
  annotations: {{deployment.kubernetes.io/revision: \"3\"}}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}}]
spec:
  template:
    spec:
      containers: [{{name: web, image: \"{REGISTRY}/dev/simple-app@{DIGEST}\"}}]
"
    )
}

const CONFIG: &str = "environments:
  dev: {namespaces: [dev]}
  stage: {namespaces: [stage], after: dev}
  prod: {namespaces: [prod], after: stage}
";

#[test]
fn live_facts_say_where_the_image_has_run_and_the_path() {
    let l = live("c-manual-trigger");
    l.emu.seed_yaml(&stage_rollouts()).unwrap();
    let config = l.dir.path().join("tollgate.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    let facts = l.facts(&["--config", config.to_str().unwrap()]);
    assert_eq!(
        facts["promotion"]["path"],
        json!({"to": "prod", "previous": "stage"}),
        "{facts:#}"
    );
    assert_eq!(facts["targets"][0]["previous_environment"], "stage");
    let seen = &facts["image"]["seen"];
    assert_eq!(
        seen["stage"]["runs"],
        json!([
            {"kind": "DeploymentConfig", "namespace": "stage", "name": "simple-app",
             "since": "2024-03-05T14:00:00Z", "until": null, "failed": true},
            {"kind": "Deployment", "namespace": "stage", "name": "web",
             "since": "2024-03-05T11:00:00Z", "until": null, "failed": false},
            {"kind": "DeploymentConfig", "namespace": "stage", "name": "simple-app",
             "since": "2024-03-05T10:00:00Z", "until": null, "failed": false},
        ]),
        "{facts:#}"
    );
    assert_eq!(seen["stage"]["tags"], json!([]), "{facts:#}");
    assert_eq!(seen["dev"]["tags"][0]["tag"], "latest", "{facts:#}");
    assert_eq!(seen["dev"]["tags"][0]["until"], json!(null));
    assert_eq!(seen["prod"]["runs"], json!([]), "prod never ran it");
    assert_eq!(facts["warnings"], json!([]), "{facts:#}");
    // The lists went out with the second wave.
    for path in [
        "/api/v1/namespaces/stage/replicationcontrollers",
        "/apis/apps/v1/namespaces/stage/replicasets",
        "/apis/image.openshift.io/v1/namespaces/stage/imagestreams",
    ] {
        assert_eq!(l.emu.count("GET", path), 1, "{path}");
    }
}
