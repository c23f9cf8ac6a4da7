//! ImageStreamMappings (pushes), ImageStreamImports (`oc import-image`) and ImageTags.

use super::*;

const ISM: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreammappings";
const ISI: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreamimports";
const ITAGS: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagetags";
const PUSHED: &str = "sha256:5555555555555555555555555555555555555555555555555555555555555555";

fn history(stream: &Value, tag: &str) -> Vec<Value> {
    stream["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == tag)
        .map(|t| t["items"].as_array().unwrap().clone())
        .unwrap_or_default()
}

fn prod_image(emu: &Emulator) -> Value {
    emu.deployment_config("prod", "simple-app").unwrap()["spec"]["template"]["spec"]["containers"]
        [0]["image"]
        .clone()
}

fn mapping(tag: &str, digest: &str) -> Value {
    json!({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": { "name": "simple-app", "namespace": "dev" },
        "tag": tag,
        "image": {
            "metadata": { "name": digest, "annotations": { "openshift.io/image.managed": "true" } },
            "dockerImageReference": pull_spec("dev", "simple-app", digest),
            "dockerImageMetadata": { "kind": "DockerImage", "apiVersion": "image.openshift.io/1.0" },
            "dockerImageMetadataVersion": "1.0",
        },
    })
}

#[tokio::test]
async fn a_mapping_adds_history_and_moves_aliases_without_touching_spec() {
    let emu = seeded().await;
    let client = emu.client();
    // `promote` becomes an alias of `latest` (oc tag --alias), so a push into latest moves it.
    emu.modify(res::IMAGESTREAMS, "dev", "simple-app", |s| {
        s["spec"]["tags"][0]["from"] =
            json!({ "kind": "ImageStreamTag", "name": "simple-app:latest" });
    });
    let before = emu.image_stream("dev", "simple-app").unwrap();
    let (code, answer) = send(&client, "POST", ISM, Some(&mapping("latest", PUSHED))).await;
    assert_eq!(code, 201, "{answer}");
    assert_eq!(answer["kind"], "Status");
    assert_eq!(answer["status"], "Success");

    let after = emu.image_stream("dev", "simple-app").unwrap();
    assert_eq!(after["spec"], before["spec"], "spec tags are not touched");
    assert_eq!(history(&after, "latest")[0]["image"], PUSHED);
    assert_eq!(history(&after, "latest").len(), 3);
    assert_eq!(
        history(&after, "promote")[0]["image"],
        PUSHED,
        "the alias follows"
    );
    let image = emu.object(res::IMAGES, "", PUSHED).unwrap();
    assert_eq!(image["kind"], "Image");
    // The trigger on dev/simple-app:promote fired.
    assert_eq!(
        prod_image(&emu),
        json!(pull_spec("dev", "simple-app", PUSHED))
    );
}

#[tokio::test]
async fn a_mapping_needs_its_stream_and_a_tag() {
    let emu = seeded().await;
    let client = emu.client();
    let mut body = mapping("latest", PUSHED);
    body["metadata"]["name"] = json!("missing");
    let (code, answer) = send(&client, "POST", ISM, Some(&body)).await;
    assert_eq!(code, 404, "{answer}");
    let (code, answer) = send(&client, "POST", ISM, Some(&mapping("", PUSHED))).await;
    assert_eq!(code, 422, "{answer}");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("tag: Required value"));
    assert!(
        emu.object(res::IMAGES, "", PUSHED).is_none(),
        "nothing stored"
    );
}

fn import(images: Value, do_import: bool) -> Value {
    json!({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
        "metadata": { "name": "simple-app", "namespace": "dev" },
        "spec": { "import": do_import, "images": images },
    })
}

fn one(from: &str, to: &str) -> Value {
    json!([{ "from": { "kind": "DockerImage", "name": from }, "to": { "name": to } }])
}

#[tokio::test]
async fn an_import_by_digest_sets_the_spec_tag_and_history() {
    let emu = seeded().await;
    let client = emu.client();
    let external = format!("quay.io/acme/simple-app@{NEW_DIGEST}");
    let (code, answer) = send(
        &client,
        "POST",
        ISI,
        Some(&import(one(&external, "promote"), true)),
    )
    .await;
    assert_eq!(code, 201, "{answer}");
    assert_eq!(answer["kind"], "ImageStreamImport");
    let status = &answer["status"]["images"][0];
    assert_eq!(status["status"]["status"], "Success", "{answer}");
    assert_eq!(status["image"]["metadata"]["name"], NEW_DIGEST);
    assert_eq!(answer["status"]["import"]["metadata"]["name"], "simple-app");

    let stream = emu.image_stream("dev", "simple-app").unwrap();
    let promote = stream["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "promote")
        .unwrap()
        .clone();
    assert_eq!(
        promote["from"],
        json!({ "kind": "DockerImage", "name": external })
    );
    let items = history(&stream, "promote");
    assert_eq!(items[0]["image"], NEW_DIGEST);
    assert_eq!(items[0]["dockerImageReference"], external.as_str());
    assert_eq!(prod_image(&emu), json!(external), "the trigger fired");
}

#[tokio::test]
async fn an_unknown_image_fails_per_image_and_stores_nothing() {
    let emu = seeded().await;
    let client = emu.client();
    let before = emu.image_stream("dev", "simple-app").unwrap();
    let unknown = format!("quay.io/acme/simple-app@{PUSHED}");
    let (code, answer) = send(
        &client,
        "POST",
        ISI,
        Some(&import(one(&unknown, "promote"), true)),
    )
    .await;
    assert_eq!(code, 201, "{answer}");
    let status = &answer["status"]["images"][0]["status"];
    assert_eq!(status["status"], "Failure", "{answer}");
    assert!(status["message"]
        .as_str()
        .unwrap()
        .contains("manifest unknown"));
    let after = emu.image_stream("dev", "simple-app").unwrap();
    assert_eq!(after["spec"], before["spec"]);
    assert_eq!(after["status"], before["status"]);
}

#[tokio::test]
async fn an_import_by_tag_resolves_through_the_registry_and_a_dry_run_stores_nothing() {
    let emu = seeded().await;
    let client = emu.client();
    emu.registry_set("quay.io/acme/tool:1.2", PUSHED);
    let before = emu.image_stream("dev", "simple-app").unwrap();
    let (code, answer) = send(
        &client,
        "POST",
        ISI,
        Some(&import(one("quay.io/acme/tool:1.2", ""), false)),
    )
    .await;
    assert_eq!(code, 201, "{answer}");
    let status = &answer["status"]["images"][0];
    assert_eq!(status["status"]["status"], "Success", "{answer}");
    assert_eq!(
        status["tag"], "1.2",
        "to.name defaults to the pull spec's tag"
    );
    assert!(answer["status"]["import"].is_null());
    let after = emu.image_stream("dev", "simple-app").unwrap();
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert!(emu.object(res::IMAGES, "", PUSHED).is_none());

    let (_, answer) = send(
        &client,
        "POST",
        ISI,
        Some(&import(one("quay.io/acme/tool:1.2", "tool"), true)),
    )
    .await;
    assert_eq!(
        answer["status"]["images"][0]["status"]["status"], "Success",
        "{answer}"
    );
    let stream = emu.image_stream("dev", "simple-app").unwrap();
    let items = history(&stream, "tool");
    assert_eq!(items[0]["image"], PUSHED);
    assert_eq!(
        items[0]["dockerImageReference"],
        format!("quay.io/acme/tool@{PUSHED}")
    );
    assert!(
        emu.object(res::IMAGES, "", PUSHED).is_some(),
        "the import stored the Image"
    );

    let (code, answer) = send(
        &client,
        "POST",
        ISI,
        Some(&import(one("quay.io/acme/tool:9.9", "x"), true)),
    )
    .await;
    assert_eq!(code, 201);
    assert_eq!(answer["status"]["images"][0]["status"]["status"], "Failure");
}

#[tokio::test]
async fn a_repository_import_is_refused_clearly() {
    let emu = seeded().await;
    let mut body = import(json!([]), true);
    body["spec"]["repository"] =
        json!({ "from": { "kind": "DockerImage", "name": "quay.io/acme/tool" } });
    let (code, answer) = send(&emu.client(), "POST", ISI, Some(&body)).await;
    assert_eq!(code, 422, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("spec.repository"),
        "{answer}"
    );
}

#[tokio::test]
async fn image_tags_read_write_and_delete_like_image_stream_tags() {
    let emu = seeded().await;
    let client = emu.client();
    let it = call(&client, "GET", &format!("{ITAGS}/simple-app:promote"), None)
        .await
        .unwrap();
    assert_eq!(it["kind"], "ImageTag");
    assert_eq!(it["spec"]["from"]["kind"], "ImageStreamImage");
    assert_eq!(it["status"]["items"][0]["image"], OLD_DIGEST);
    assert_eq!(it["image"]["metadata"]["name"], OLD_DIGEST);
    // `latest` has history but no spec tag.
    let latest = call(&client, "GET", &format!("{ITAGS}/simple-app:latest"), None)
        .await
        .unwrap();
    assert!(latest["spec"].is_null());
    let list = call(&client, "GET", ITAGS, None).await.unwrap();
    let names: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("simple-app:latest"), json!("simple-app:promote")]
    );

    let mut put = it.clone();
    put["spec"]["from"] = json!({ "kind": "ImageStreamImage", "namespace": "dev", "name": format!("simple-app@{NEW_DIGEST}") });
    let (code, answer) = send(
        &client,
        "PUT",
        &format!("{ITAGS}/simple-app:promote"),
        Some(&put),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["status"]["items"][0]["image"], NEW_DIGEST);
    assert_eq!(
        prod_image(&emu),
        json!(pull_spec("dev", "simple-app", NEW_DIGEST)),
        "the trigger fired"
    );
    // A stale resourceVersion conflicts.
    let (code, _) = send(
        &client,
        "PUT",
        &format!("{ITAGS}/simple-app:promote"),
        Some(&put),
    )
    .await;
    assert_eq!(code, 409);

    let mut new =
        json!({ "metadata": { "name": "simple-app:release" }, "spec": put["spec"].clone() });
    new["spec"]["name"] = json!("release");
    let (code, answer) = send(&client, "POST", ITAGS, Some(&new)).await;
    assert_eq!(code, 201, "{answer}");
    assert_eq!(answer["status"]["items"][0]["image"], NEW_DIGEST);
    let (code, _) = send(&client, "POST", ITAGS, Some(&new)).await;
    assert_eq!(code, 409, "the tag exists");

    // spec: null drops the spec tag and keeps the history.
    let current = call(&client, "GET", &format!("{ITAGS}/simple-app:release"), None)
        .await
        .unwrap();
    let mut clear = current.clone();
    clear["spec"] = Value::Null;
    let answer = call(
        &client,
        "PUT",
        &format!("{ITAGS}/simple-app:release"),
        Some(&clear),
    )
    .await
    .unwrap();
    assert!(answer["spec"].is_null(), "{answer}");
    assert_eq!(answer["status"]["items"][0]["image"], NEW_DIGEST);

    let (code, answer) = send(
        &client,
        "DELETE",
        &format!("{ITAGS}/simple-app:release"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["status"], "Success");
    let e = call(&client, "GET", &format!("{ITAGS}/simple-app:release"), None)
        .await
        .unwrap_err();
    assert_eq!(api_error(e).code, 404);
}
