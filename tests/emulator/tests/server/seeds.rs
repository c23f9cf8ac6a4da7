//! The example snapshots (`examples/seed/*/`) load into the emulator and behave like the story.

use super::*;

/// Seeds one example state of the repository (a missing one fails the case: a skipped seed
/// would let these cases pass without running).
async fn state(name: &str) -> Emulator {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/seed")
        .join(name);
    assert!(dir.is_dir(), "no seed state at {}", dir.display());
    let emu = Emulator::start().await;
    let report = emu.seed_dir(&dir).unwrap();
    assert!(report.skipped.is_empty(), "{name}: {report:?}");
    emu
}

/// `oc tag dev/simple-app:latest dev/simple-app:promote`, done the way oc does it.
async fn oc_tag(emu: &Emulator) -> String {
    let client = emu.client();
    let stream = call(&client, "GET", &format!("{IS}/simple-app"), None)
        .await
        .unwrap();
    let latest = stream["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "latest")
        .unwrap();
    let digest = latest["items"][0]["image"].as_str().unwrap().to_string();
    let mut body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    body["tag"]["from"]["name"] = json!(format!("simple-app@{digest}"));
    call(
        &client,
        "PUT",
        &format!("{ISTAG}/simple-app:promote"),
        Some(&body),
    )
    .await
    .unwrap();
    digest
}

fn latest_version(emu: &Emulator) -> i64 {
    emu.deployment_config("prod", "simple-app").unwrap()["status"]["latestVersion"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn automatic_state_redeploys_prod_on_retag() {
    let emu = state("b-automatic-trigger").await;
    let before = latest_version(&emu);
    let digest = oc_tag(&emu).await;
    assert_eq!(latest_version(&emu), before + 1);
    let dc = emu.deployment_config("prod", "simple-app").unwrap();
    let image = dc["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap();
    assert!(image.ends_with(&digest), "{image}");
}

#[tokio::test]
async fn manual_state_needs_instantiate() {
    let emu = state("c-manual-trigger").await;
    let before = latest_version(&emu);
    oc_tag(&emu).await;
    assert_eq!(
        latest_version(&emu),
        before,
        "a manual trigger ignores the retag"
    );
    let request = json!({ "kind": "DeploymentRequest", "apiVersion": "apps.openshift.io/v1", "name": "simple-app", "latest": true, "force": true });
    call(
        &emu.client(),
        "POST",
        &format!("{DC}/simple-app/instantiate"),
        Some(&request),
    )
    .await
    .unwrap();
    assert_eq!(latest_version(&emu), before + 1);
}

#[tokio::test]
async fn pull_rights_differ_between_states() {
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": { "user": "system:serviceaccount:prod:default",
            "groups": ["system:serviceaccounts", "system:serviceaccounts:prod", "system:authenticated"],
            "resourceAttributes": { "namespace": "dev", "verb": "get", "group": "image.openshift.io",
                "resource": "imagestreams", "subresource": "layers", "name": "simple-app" } },
    });
    for (name, allowed) in [("a-no-pull-rights", false), ("b-automatic-trigger", true)] {
        let emu = state(name).await;
        let answer = call(&emu.client(), "POST", SAR, Some(&review))
            .await
            .unwrap();
        assert_eq!(answer["status"]["allowed"], allowed, "{name}: {answer}");
    }
}

#[tokio::test]
async fn tracking_alias_follows_a_new_build() {
    let emu = state("d-tracking-alias").await;
    let digest = format!("sha256:{}", "3".repeat(64));
    emu.push_image(
        "dev",
        "simple-app",
        "latest",
        &digest,
        json!({ "io.openshift.build.name": "simple-app-3" }),
    );
    let promote = call(
        &emu.client(),
        "GET",
        &format!("{ISTAG}/simple-app:promote"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(promote["image"]["metadata"]["name"], digest.as_str());
    assert_eq!(
        promote["image"]["dockerImageMetadata"]["Config"]["Labels"]["io.openshift.build.name"],
        "simple-app-3"
    );
}
