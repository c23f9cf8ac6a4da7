//! The whole admission path: the emulator calls `tollgate serve` before it stores an image
//! write, as the API server does; serve decides from its watch-fed cache. By-hand tag moves
//! through each of the five resources are refused with the rule's message, allowed once the
//! trigger is manual (the cache follows the watch), and refused again when the image-puller
//! binding is removed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tollgate::admission::Mode;
use tollgate::cache::{watch_options, Cache};
use tollgate::cluster::{connect, ConnectOptions};
use tollgate_emulator::{Emulator, Webhook};

use crate::cache::{set_automatic, trigger_automatic};
use crate::harness::seed_dir;
use crate::https::{tls_fixture, Client};
use crate::serve::{eventually, Files};

const HOOK: &str = "promotions.tollgate.io";
const NEW: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";
const OLD: &str = "sha256:1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";
const REGISTRY: &str = "image-registry.openshift-image-registry.svc:5000";
const BASE: &str = "/apis/image.openshift.io/v1/namespaces/dev";

async fn send(client: &kube::Client, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap();
    let res = client
        .send(req.map(kube::client::Body::from))
        .await
        .unwrap();
    let code = res.status().as_u16();
    let bytes = res.into_body().collect_bytes().await.unwrap();
    (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Where `dev/simple-app:promote` points now.
fn promote(emu: &Emulator) -> String {
    let s = emu.image_stream("dev", "simple-app").unwrap();
    s["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "promote")
        .unwrap()["items"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The five ways to move `dev/simple-app:promote` to `digest` by hand.
fn writes(emu: &Emulator, digest: &str) -> Vec<(&'static str, &'static str, String, Value)> {
    let from = json!({"kind": "ImageStreamImage", "namespace": "dev", "name": format!("simple-app@{digest}")});
    let mut stream = emu.image_stream("dev", "simple-app").unwrap();
    for t in stream["spec"]["tags"].as_array_mut().unwrap() {
        if t["name"] == "promote" {
            t["from"] = from.clone();
        }
    }
    let pull = format!("{REGISTRY}/dev/simple-app@{digest}");
    vec![
        (
            "imagestreamtags",
            "PUT",
            format!("{BASE}/imagestreamtags/simple-app:promote"),
            json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
                   "metadata": {"name": "simple-app:promote", "namespace": "dev"},
                   "tag": {"name": "promote", "from": from, "referencePolicy": {"type": "Source"}}}),
        ),
        (
            "imagetags",
            "PUT",
            format!("{BASE}/imagetags/simple-app:promote"),
            json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageTag",
                   "metadata": {"name": "simple-app:promote", "namespace": "dev"},
                   "spec": {"name": "promote", "from": from, "referencePolicy": {"type": "Source"}}}),
        ),
        (
            "imagestreams",
            "PUT",
            format!("{BASE}/imagestreams/simple-app"),
            stream,
        ),
        (
            "imagestreammappings",
            "POST",
            format!("{BASE}/imagestreammappings"),
            json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
                   "metadata": {"name": "simple-app", "namespace": "dev"}, "tag": "promote",
                   "image": {"metadata": {"name": digest}, "dockerImageReference": pull}}),
        ),
        (
            "imagestreamimports",
            "POST",
            format!("{BASE}/imagestreamimports"),
            json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
                   "metadata": {"name": "simple-app", "namespace": "dev"},
                   "spec": {"import": true, "images": [{"from": {"kind": "DockerImage", "name": pull},
                            "to": {"name": "promote"}}]}}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_hand_tag_moves_are_refused_through_each_resource_until_the_rules_pass() {
    let emu = Emulator::start().await;
    emu.seed_dir(seed_dir("b-automatic-trigger")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = watch_options(&ConnectOptions {
        kubeconfig: Some(emu.kubeconfig(dir.path())),
        ..ConnectOptions::default()
    });
    let cache = Cache::start(connect(&opts).await.unwrap().client);
    let files = Files::new("");
    let server = files.start(Mode::Enforce, Arc::new(cache.clone())).await;
    let mut probe = Client::connect(server.addr).await;
    eventually("serve is ready", async || {
        probe.get("/readyz").await.status == 200
    })
    .await;
    emu.set_webhook(Webhook {
        url: format!("https://localhost:{}/validate", server.addr.port()),
        ca_pem: std::fs::read_to_string(tls_fixture("ca.pem")).unwrap(),
        name: HOOK.into(),
        timeout: Duration::from_secs(10),
    });
    let client = emu.client();

    // State b: prod follows promote with an automatic trigger. Every way of moving it is
    // refused with the rule's message, and nothing moves.
    for (resource, method, path, body) in writes(&emu, NEW) {
        let (code, status) = send(&client, method, &path, &body).await;
        assert_eq!(code, 403, "{resource}: {status}");
        let message = status["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "admission webhook \"{HOOK}\" denied the request: tollgate: prod-manual-trigger: prod/dc/simple-app redeploys automatically"
            )),
            "{resource}: {message}"
        );
        assert_eq!(promote(&emu), OLD, "{resource}: refused, so not moved");
    }
    let calls = emu.webhook_calls();
    let resources: Vec<&str> = calls
        .iter()
        .map(|c| c["request"]["resource"]["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        resources,
        [
            "imagestreamtags",
            "imagetags",
            "imagestreams",
            "imagestreammappings",
            "imagestreamimports"
        ]
    );

    // The trigger is made manual by another client; the cache follows the watch, and the
    // same by-hand move is allowed.
    set_automatic(&emu, false);
    eventually("the cache sees the manual trigger", async || {
        trigger_automatic(&cache) == Some(false)
    })
    .await;
    let (resource, method, path, body) = writes(&emu, NEW).swap_remove(0);
    let (code, answer) = send(&client, method, &path, &body).await;
    assert_eq!(code, 200, "{resource}: {answer}");
    assert_eq!(promote(&emu), NEW);

    // prod's service accounts lose the right to pull from dev: moving promote (back to the
    // 1.0 build, say) is refused by target-can-pull.
    let (code, answer) = send(
        &client,
        "DELETE",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings/system:image-puller",
        &Value::Null,
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    eventually("the cache sees the binding gone", async || {
        !cache
            .objects()
            .rolebindings
            .iter()
            .any(|b| b.metadata.name == "system:image-puller" && b.metadata.ns() == "dev")
    })
    .await;
    let (resource, method, path, body) = writes(&emu, OLD).swap_remove(0);
    let (code, status) = send(&client, method, &path, &body).await;
    assert_eq!(code, 403, "{resource}: {status}");
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains("tollgate: target-can-pull: prod/dc/simple-app (service account prod/default) may not pull images from dev"),
        "{message}"
    );
    assert_eq!(promote(&emu), NEW);

    let metrics = probe.get("/metrics").await.body;
    for want in [
        r#"tollgate_admission_requests_total{resource="imagestreammappings",operation="CREATE",decision="deny"} 1"#,
        r#"tollgate_admission_requests_total{resource="imagestreamtags",operation="UPDATE",decision="allow"} 1"#,
        "tollgate_cache_ready 1",
    ] {
        assert!(metrics.contains(want), "{want} in\n{metrics}");
    }
    emu.clear_webhook();
    server.stop().await;
}
