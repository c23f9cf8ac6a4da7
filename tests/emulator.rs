//! The API emulator driven by the real kube client: conflicts, errors, retag, rollouts, RBAC, faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use serde_json::{json, Value};
use support::client::{
    call, pull_spec, send, wait_until, DEV_PROD, NEW_DIGEST, OC_TAG_PUT, OLD_DIGEST,
};
use support::{res, Emulator, Fault, FaultRule, RolloutOutcome, UserInfo};

const IS: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreams";
const ISTAG: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags";
const DC: &str = "/apis/apps.openshift.io/v1/namespaces/prod/deploymentconfigs";
const RC: &str = "/api/v1/namespaces/prod/replicationcontrollers";
const SAR: &str = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

async fn seeded() -> Emulator {
    let emu = Emulator::start().await;
    let report = emu.seed_yaml(DEV_PROD).unwrap();
    assert_eq!(report.loaded, 5, "{report:?}");
    emu
}

fn api_error(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn phase(rc: &Value) -> &str {
    rc["metadata"]["annotations"]["openshift.io/deployment.phase"]
        .as_str()
        .unwrap_or("")
}

fn progressing_reason(dc: &Value) -> String {
    let conds = dc["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let c = conds
        .iter()
        .find(|c| c["type"] == "Progressing")
        .cloned()
        .unwrap_or_default();
    c["reason"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn stale_resource_version_is_a_conflict_for_the_dynamic_api() {
    let emu = seeded().await;
    let gvk = GroupVersionKind::gvk("image.openshift.io", "v1", "ImageStream");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "imagestreams");
    let api: Api<DynamicObject> = Api::namespaced_with(emu.client(), "dev", &ar);
    let stale = api.get("simple-app").await.unwrap();
    let mut fresh = stale.clone();
    fresh
        .metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert("tier".into(), "gold".into());
    let updated = api
        .replace("simple-app", &PostParams::default(), &fresh)
        .await
        .unwrap();
    assert_ne!(
        updated.metadata.resource_version,
        stale.metadata.resource_version
    );
    let err = api
        .replace("simple-app", &PostParams::default(), &stale)
        .await
        .unwrap_err();
    let status = api_error(err);
    assert!(status.is_conflict(), "{status:?}");
    assert_eq!(status.code, 409);
    // Listing reports the global resourceVersion and omits per-item kinds, like the apiserver.
    let list = call(&emu.client(), "GET", IS, None).await.unwrap();
    assert_eq!(list["kind"], "ImageStreamList");
    assert!(list["items"][0].get("kind").is_none());
}

#[tokio::test]
async fn not_found_forbidden_and_unauthorized_are_status_errors() {
    let emu = seeded().await;
    let client = emu.client();
    let missing = api_error(
        call(&client, "GET", &format!("{DC}/nope"), None)
            .await
            .unwrap_err(),
    );
    assert!(missing.is_not_found());
    assert_eq!(
        missing.message,
        "deploymentconfigs.apps.openshift.io \"nope\" not found"
    );

    emu.set_enforce_rbac(true);
    let path = "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings";
    let denied = api_error(call(&client, "GET", path, None).await.unwrap_err());
    assert!(denied.is_forbidden(), "{denied:?}");
    assert!(
        denied.message.contains(
            "User \"system:serviceaccount:ci:tollgate\" cannot list resource \"rolebindings\""
        ),
        "{}",
        denied.message
    );
    let unknown = api_error(
        call(&emu.client_as("wrong"), "GET", IS, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(unknown.code, 401);

    // Granting admin in dev lets the same call through.
    emu.seed_yaml(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ci-admin, namespace: dev}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\n\
         subjects: [{kind: ServiceAccount, name: tollgate, namespace: ci}]\n",
    )
    .unwrap();
    let list = call(&client, "GET", path, None).await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn oc_tag_put_moves_the_tag_and_status_synchronously() {
    let emu = seeded().await;
    let client = emu.client();
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    let (code, istag) = send(
        &client,
        "PUT",
        &format!("{ISTAG}/simple-app:promote"),
        Some(&body),
    )
    .await;
    assert_eq!(code, 200, "{istag}");
    assert_eq!(istag["image"]["metadata"]["name"], NEW_DIGEST);
    assert_eq!(
        istag["image"]["dockerImageMetadata"]["Config"]["Labels"]["io.openshift.build.name"],
        "simple-app-2"
    );

    let stream = emu.image_stream("dev", "simple-app").unwrap();
    assert_eq!(stream["metadata"]["generation"], 3);
    let promote = stream["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "promote")
        .unwrap()
        .clone();
    assert_eq!(promote["items"][0]["image"], NEW_DIGEST);
    assert_eq!(
        promote["items"][1]["image"], OLD_DIGEST,
        "history keeps the previous image"
    );
    assert_eq!(stream["spec"]["tags"][0]["generation"], 3);

    // Same body again: no new history entry; a new tag name is a 201; POST on it then conflicts.
    send(
        &client,
        "PUT",
        &format!("{ISTAG}/simple-app:promote"),
        Some(&body),
    )
    .await;
    let again = emu.image_stream("dev", "simple-app").unwrap();
    assert_eq!(
        again["status"]["tags"][1]["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let mut release = body.clone();
    release["metadata"]["name"] = json!("simple-app:release");
    let (code, _) = send(
        &client,
        "PUT",
        &format!("{ISTAG}/simple-app:release"),
        Some(&release),
    )
    .await;
    assert_eq!(code, 201);
    let dup = api_error(
        call(&client, "POST", ISTAG, Some(&release))
            .await
            .unwrap_err(),
    );
    assert_eq!((dup.code, dup.reason.as_str()), (409, "AlreadyExists"));

    // GET the tag back, and the image by digest.
    let got = call(&client, "GET", &format!("{ISTAG}/simple-app:release"), None)
        .await
        .unwrap();
    assert_eq!(
        got["image"]["dockerImageReference"],
        pull_spec("dev", "simple-app", NEW_DIGEST)
    );
    let isimage = format!(
        "/apis/image.openshift.io/v1/namespaces/dev/imagestreamimages/simple-app@{OLD_DIGEST}"
    );
    assert_eq!(
        call(&client, "GET", &isimage, None).await.unwrap()["image"]["metadata"]["name"],
        OLD_DIGEST
    );
    let empty = api_error(
        call(&client, "GET", &format!("{ISTAG}/simple-app:nothing"), None)
            .await
            .unwrap_err(),
    );
    assert!(empty.is_not_found());
}

#[tokio::test]
async fn cross_namespace_tag_creates_the_stream_and_rewrites_the_pull_spec() {
    let emu = seeded().await;
    let mut body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    body["metadata"] = json!({ "name": "simple-app:prod", "namespace": "prod" });
    let path = "/apis/image.openshift.io/v1/namespaces/prod/imagestreamtags/simple-app:prod";
    let (code, istag) = send(&emu.client(), "PUT", path, Some(&body)).await;
    assert_eq!(code, 201, "{istag}");
    assert_eq!(
        istag["image"]["dockerImageReference"],
        pull_spec("prod", "simple-app", NEW_DIGEST)
    );
    assert!(emu.image_stream("prod", "simple-app").is_some());

    // With RBAC on, tagging from dev needs `get imagestreams/layers` there (TagVerifier).
    emu.set_enforce_rbac(true);
    emu.seed_yaml(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ci-edit, namespace: prod}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n\
         subjects: [{kind: ServiceAccount, name: tollgate, namespace: ci}]\n",
    )
    .unwrap();
    body["metadata"]["name"] = json!("simple-app:second");
    let second = path.replace(":prod", ":second");
    let err = api_error(
        call(&emu.client(), "PUT", &second, Some(&body))
            .await
            .unwrap_err(),
    );
    assert!(
        err.is_invalid() && err.message.contains("spec.tags[second].from"),
        "{err:?}"
    );
}

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

fn sar(user: &str, groups: &[&str]) -> Value {
    json!({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": { "user": user, "groups": groups, "resourceAttributes": {
            "namespace": "dev", "verb": "get", "group": "image.openshift.io",
            "resource": "imagestreams", "subresource": "layers", "name": "simple-app" } },
    })
}

#[tokio::test]
async fn subject_access_reviews_follow_role_bindings() {
    let emu = seeded().await;
    let client = emu.client();
    let groups = [
        "system:serviceaccounts",
        "system:serviceaccounts:prod",
        "system:authenticated",
    ];
    let review = sar("system:serviceaccount:prod:default", &groups);
    let before = call(&client, "POST", SAR, Some(&review)).await.unwrap();
    assert_eq!(before["status"]["allowed"], false);

    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": { "name": "system:image-puller", "namespace": "dev" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:image-puller" },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts:prod" }],
    });
    call(
        &client,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
        Some(&binding),
    )
    .await
    .unwrap();
    let after = call(&client, "POST", SAR, Some(&review)).await.unwrap();
    assert_eq!(after["status"]["allowed"], true, "{after}");
    assert!(after["status"]["reason"]
        .as_str()
        .unwrap()
        .contains("system:image-puller"));
    // Groups are not expanded: without the group the binding does not apply.
    let bare = call(
        &client,
        "POST",
        SAR,
        Some(&sar("system:serviceaccount:prod:default", &[])),
    )
    .await
    .unwrap();
    assert_eq!(bare["status"]["allowed"], false);
    // view aggregates registry-viewer (4.2+), so prod-user1 may pull; the local form agrees.
    let local = "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews";
    let viewer = call(&client, "POST", local, Some(&sar("prod-user1", &[])))
        .await
        .unwrap();
    assert_eq!(viewer["status"]["allowed"], true, "{viewer}");
    let mut push = sar("prod-user1", &[]);
    push["spec"]["resourceAttributes"]["verb"] = json!("update");
    assert_eq!(
        call(&client, "POST", local, Some(&push)).await.unwrap()["status"]["allowed"],
        false
    );
}

#[tokio::test]
async fn kubeconfig_and_self_reviews_carry_the_token_identity() {
    let emu = Emulator::builder()
        .identity(
            "other-token",
            UserInfo::new("prod-user1", &["system:authenticated"]),
        )
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = emu.kubeconfig(dir.path());
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains(support::DEFAULT_TOKEN));
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let body = json!({ "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview" });
    let me = call(
        &client,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Some(&body),
    )
    .await
    .unwrap();
    assert_eq!(me["status"]["userInfo"]["username"], support::DEFAULT_USER);
    let other = call(
        &emu.client_as("other-token"),
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Some(&body),
    )
    .await
    .unwrap();
    assert_eq!(other["status"]["userInfo"]["username"], "prod-user1");
    let ssar = json!({ "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": { "resourceAttributes": { "namespace": "dev", "verb": "list", "group": "rbac.authorization.k8s.io", "resource": "rolebindings" } } });
    let can = call(
        &client,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        Some(&ssar),
    )
    .await
    .unwrap();
    assert_eq!(can["status"]["allowed"], false);
    assert_eq!(client.apiserver_version().await.unwrap().major, "1");
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

#[tokio::test]
async fn seed_dir_reads_lists_multi_docs_and_istags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), DEV_PROD).unwrap();
    let istag = r#"{"kind":"ImageStreamTag","apiVersion":"image.openshift.io/v1",
        "metadata":{"name":"other:v1","namespace":"dev","creationTimestamp":"2024-01-01T00:00:00Z"},
        "tag":null,"generation":1,"lookupPolicy":{"local":false},
        "image":{"metadata":{"name":"sha256:abcd"},"dockerImageReference":"quay.io/x/other@sha256:abcd"}}"#;
    std::fs::write(dir.path().join("b.json"), istag).unwrap();
    std::fs::write(dir.path().join("c.yaml"), "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s, namespace: dev}}\n").unwrap();
    let emu = Emulator::start().await;
    let report = emu.seed_dir(dir.path()).unwrap();
    assert_eq!(
        (report.loaded, report.skipped.clone()),
        (6, vec!["Secret s".to_string()])
    );
    let got = call(&emu.client(), "GET", &format!("{ISTAG}/other:v1"), None)
        .await
        .unwrap();
    assert_eq!(
        got["image"]["dockerImageReference"],
        "quay.io/x/other@sha256:abcd"
    );
    assert_eq!(emu.objects(res::DEPLOYMENTCONFIGS, Some("prod")).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_latency_errors_drops_and_accounting() {
    let emu = seeded().await;
    let client = emu.client();
    let stream = format!("{IS}/simple-app");

    emu.inject(
        FaultRule::new(
            "GET",
            "/apis/image.openshift.io/v1/namespaces/*/imagestreams/*",
            Fault::Status(500),
        )
        .times(1),
    );
    let err = api_error(call(&client, "GET", &stream, None).await.unwrap_err());
    assert_eq!(err.code, 500);
    call(&client, "GET", &stream, None).await.unwrap();

    emu.inject(FaultRule::new("*", "/apis/**", Fault::Drop).times(1));
    let dropped = call(&client, "GET", &stream, None).await.unwrap_err();
    assert!(
        !matches!(dropped, kube::Error::Api(_)),
        "a dropped connection is not an API error: {dropped:?}"
    );
    call(&client, "GET", &stream, None).await.unwrap();

    emu.inject(FaultRule::new("PUT", "**/imagestreamtags/*", Fault::Status(409)).times(1));
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    let conflict = api_error(
        call(
            &client,
            "PUT",
            &format!("{ISTAG}/simple-app:promote"),
            Some(&body),
        )
        .await
        .unwrap_err(),
    );
    assert!(conflict.is_conflict());
    assert_eq!(
        emu.image_stream("dev", "simple-app").unwrap()["status"]["tags"][1]["items"][0]["image"],
        OLD_DIGEST,
        "a faulted write changes nothing"
    );

    let log = emu.requests();
    let statuses: Vec<Option<u16>> = log.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![Some(500), Some(200), None, Some(200), Some(409)]
    );
    assert_eq!(emu.count("GET", &stream), 4);
    assert_eq!(emu.count_matching("PUT", "**/imagestreamtags/*"), 1);
    assert_eq!(
        log[4].body.as_ref().unwrap()["tag"]["from"]["kind"],
        "ImageStreamImage"
    );
    assert_eq!(log[0].user, support::DEFAULT_USER);

    emu.reset_accounting();
    emu.inject(FaultRule::new(
        "GET",
        "/apis/apps.openshift.io/**",
        Fault::Latency(Duration::from_millis(300)),
    ));
    let started = Instant::now();
    let calls = (0..4).map(|_| {
        let client = client.clone();
        async move { call(&client, "GET", &format!("{DC}/simple-app"), None).await }
    });
    let results = futures_join(calls).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(results.iter().all(Result::is_ok));
    assert!(
        emu.max_in_flight() >= 2,
        "requests were not concurrent: {}",
        emu.max_in_flight()
    );
    assert_eq!(emu.count_matching("GET", "/apis/apps.openshift.io/**"), 4);
}

/// Runs futures concurrently on spawned tasks (no `futures` crate needed).
async fn futures_join<F, T>(futs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
