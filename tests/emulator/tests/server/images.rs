//! ImageStreamTag writes as `oc tag` makes them, and what the server does with them (§1.2).

use super::*;

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
