//! DeploymentConfig triggers, instantiate, rollouts, and annotation-triggered Deployments.

use super::*;

#[tokio::test]
async fn automatic_trigger_rolls_the_dc_out_after_a_retag() {
    let emu = seeded().await;
    let client = emu.client();
    assert_eq!(
        phase(&emu.replication_controller("prod", "simple-app-1").unwrap()),
        "Complete",
        "seed synthesizes the RC"
    );
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    call(
        &client,
        "PUT",
        &format!("{ISTAG}/simple-app:promote"),
        Some(&body),
    )
    .await
    .unwrap();

    // The trigger and the DC controller ran before the PUT returned.
    let dc = call(&client, "GET", &format!("{DC}/simple-app"), None)
        .await
        .unwrap();
    let new_image = pull_spec("dev", "simple-app", NEW_DIGEST);
    assert_eq!(dc["status"]["latestVersion"], 2);
    assert_eq!(dc["status"]["details"]["causes"][0]["type"], "ImageChange");
    assert_eq!(
        dc["spec"]["template"]["spec"]["containers"][0]["image"],
        new_image.as_str()
    );
    assert_eq!(
        dc["spec"]["triggers"][1]["imageChangeParams"]["lastTriggeredImage"],
        new_image.as_str()
    );
    let rc = call(&client, "GET", &format!("{RC}/simple-app-2"), None)
        .await
        .unwrap();
    assert_eq!(
        rc["metadata"]["annotations"]["openshift.io/deployment-config.latest-version"],
        "2"
    );
    assert_eq!(
        rc["metadata"]["annotations"]["openshift.io/deployment-config.name"],
        "simple-app"
    );

    // The manual DC is left alone by the retag.
    assert_eq!(
        emu.deployment_config("prod", "manual-app").unwrap()["status"]["latestVersion"],
        4
    );

    let done = wait_until(Duration::from_secs(3), || {
        emu.replication_controller("prod", "simple-app-2")
            .is_some_and(|rc| phase(&rc) == "Complete")
    })
    .await;
    assert!(done, "rollout did not complete");
    let dc = call(&client, "GET", &format!("{DC}/simple-app"), None)
        .await
        .unwrap();
    assert_eq!(progressing_reason(&dc), "NewReplicationControllerAvailable");
    assert_eq!(dc["status"]["updatedReplicas"], 1);
    assert_eq!(
        dc["status"]["observedGeneration"],
        dc["metadata"]["generation"]
    );
    let listed = call(
        &client,
        "GET",
        &format!("{RC}?labelSelector=openshift.io%2Fdeployment-config.name%3Dsimple-app"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn instantiate_rolls_out_a_manual_dc() {
    let emu = Emulator::builder().tick(None).start().await;
    emu.seed_yaml(DEV_PROD).unwrap();
    let client = emu.client();
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    call(
        &client,
        "PUT",
        &format!("{ISTAG}/simple-app:promote"),
        Some(&body),
    )
    .await
    .unwrap();

    let request = json!({ "kind": "DeploymentRequest", "apiVersion": "apps.openshift.io/v1", "name": "manual-app", "latest": true, "force": true });
    let (code, dc) = send(
        &client,
        "POST",
        &format!("{DC}/manual-app/instantiate"),
        Some(&request),
    )
    .await;
    assert_eq!(code, 201, "{dc}");
    assert_eq!(dc["status"]["latestVersion"], 5);
    assert_eq!(
        dc["status"]["details"],
        json!({ "message": "manual change", "causes": [{ "type": "Manual" }] })
    );
    assert_eq!(
        dc["spec"]["template"]["spec"]["containers"][0]["image"],
        pull_spec("dev", "simple-app", NEW_DIGEST)
    );
    assert_eq!(
        phase(&emu.replication_controller("prod", "manual-app-5").unwrap()),
        "Running"
    );
    emu.finish_rollouts();
    assert_eq!(
        phase(&emu.replication_controller("prod", "manual-app-5").unwrap()),
        "Complete"
    );

    // The same through kube's typed subresource call.
    let gvk = GroupVersionKind::gvk("apps.openshift.io", "v1", "DeploymentConfig");
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "prod",
        &ApiResource::from_gvk_with_plural(&gvk, "deploymentconfigs"),
    );
    let dc: DynamicObject = api
        .create_subresource(
            "instantiate",
            "manual-app",
            &PostParams::default(),
            &request,
        )
        .await
        .unwrap();
    assert_eq!(dc.data["status"]["latestVersion"], 6);
    let listed = api
        .list(&ListParams::default().fields("metadata.name=manual-app"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn paused_unresolved_and_failing_rollouts() {
    let emu = seeded().await;
    let client = emu.client();
    emu.modify(res::DEPLOYMENTCONFIGS, "prod", "manual-app", |dc| {
        dc["spec"]["paused"] = json!(true)
    });
    let request = json!({ "kind": "DeploymentRequest", "apiVersion": "apps.openshift.io/v1", "name": "manual-app", "latest": true, "force": true });
    let paused = api_error(
        call(
            &client,
            "POST",
            &format!("{DC}/manual-app/instantiate"),
            Some(&request),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((paused.code, paused.reason.as_str()), (422, "Invalid"));
    assert!(paused.message.contains("spec.paused"), "{}", paused.message);

    emu.modify(res::DEPLOYMENTCONFIGS, "prod", "manual-app", |dc| {
        dc["spec"]["paused"] = json!(false);
        dc["spec"]["triggers"][0]["imageChangeParams"]["from"]["name"] =
            json!("simple-app:missing");
        dc["spec"]["triggers"][0]["imageChangeParams"]["lastTriggeredImage"] = json!("");
    });
    let unresolved = api_error(
        call(
            &client,
            "POST",
            &format!("{DC}/manual-app/instantiate"),
            Some(&request),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(unresolved.code, 400);
    assert!(unresolved.message.contains("unresolved images"));

    emu.set_next_rollout("prod", "simple-app", RolloutOutcome::Fail);
    let mut req = request.clone();
    req["name"] = json!("simple-app");
    call(
        &client,
        "POST",
        &format!("{DC}/simple-app/instantiate"),
        Some(&req),
    )
    .await
    .unwrap();
    let failed = wait_until(Duration::from_secs(3), || {
        emu.deployment_config("prod", "simple-app")
            .is_some_and(|dc| progressing_reason(&dc) == "ProgressDeadlineExceeded")
    })
    .await;
    assert!(failed);
    assert_eq!(
        phase(&emu.replication_controller("prod", "simple-app-2").unwrap()),
        "Failed"
    );
}

#[tokio::test]
async fn deployment_image_trigger_annotation_and_merge_patch() {
    let emu = seeded().await;
    let client = emu.client();
    emu.seed_yaml(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"simple-app:promote","namespace":"dev"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"}]'
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: placeholder}]
"#,
    )
    .unwrap();
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    call(
        &client,
        "PUT",
        &format!("{ISTAG}/simple-app:promote"),
        Some(&body),
    )
    .await
    .unwrap();
    let path = "/apis/apps/v1/namespaces/prod/deployments/web";
    let dep = call(&client, "GET", path, None).await.unwrap();
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["image"],
        pull_spec("dev", "simple-app", NEW_DIGEST)
    );
    assert_eq!(
        dep["status"]["observedGeneration"],
        dep["metadata"]["generation"]
    );

    let patch = json!({ "metadata": { "annotations": { "image.openshift.io/triggers": null } },
        "spec": { "template": { "spec": { "containers": [{ "name": "web", "image": "quay.io/x/web@sha256:abc" }] } } } });
    let patched = call(&client, "PATCH", path, Some(&patch)).await.unwrap();
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"][0]["image"],
        "quay.io/x/web@sha256:abc"
    );
}
