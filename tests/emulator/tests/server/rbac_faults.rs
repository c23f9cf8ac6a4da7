//! SubjectAccessReviews over RoleBindings, and fault injection with request accounting.

use super::*;

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
    assert_eq!(log[0].user, tollgate_emulator::DEFAULT_USER);

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

#[tokio::test]
async fn set_latency_delays_every_request_until_turned_off() {
    let emu = seeded().await;
    let client = emu.client();
    let latency = Duration::from_millis(300);
    emu.set_latency(latency);
    // Two requests at once: both wait, side by side (a lower bound only, never an upper one).
    let stream = format!("{IS}/simple-app");
    let started = Instant::now();
    let (a, b) = tokio::join!(
        call(&client, "GET", &stream, None),
        call(&client, "GET", DC, None),
    );
    a.unwrap();
    b.unwrap();
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    assert_eq!(emu.count("GET", &stream), 1);

    emu.set_latency(Duration::ZERO);
    call(&client, "GET", DC, None).await.unwrap();
}
