//! Emulator basics through kube: conflicts, Status errors, identities, kubeconfig, seeding.

use super::*;

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
        .contains(tollgate_emulator::DEFAULT_TOKEN));
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
    assert_eq!(
        me["status"]["userInfo"]["username"],
        tollgate_emulator::DEFAULT_USER
    );
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
