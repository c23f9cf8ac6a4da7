//! The admission webhook call: a local HTTPS webhook (tests/fixtures/tls) that allows or denies.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::serve::Listener;
use tokio_rustls::rustls;
use tollgate_emulator::Webhook;

use super::*;

const TLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/tls");
const HOOK: &str = "images.tollgate.io";

#[derive(Clone, Debug)]
enum Mode {
    Allow(Vec<&'static str>),
    Deny(&'static str),
    WrongUid,
    /// Waits for the signal, then allows (the test writes meanwhile).
    Hold(Arc<tokio::sync::Notify>),
}

struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{TLS}/{name}")).unwrap()
}

/// A webhook server answering per `mode`; returns its URL.
async fn fake_webhook(mode: Arc<Mutex<Mode>>) -> String {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<_> = CertificateDer::pem_slice_iter(read("server.pem").as_bytes())
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(read("server-key.pem").as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let app = axum::Router::new()
        .route("/validate", axum::routing::post(validate))
        .with_state(mode);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("https://127.0.0.1:{port}/validate")
}

async fn validate(State(mode): State<Arc<Mutex<Mode>>>, body: axum::body::Bytes) -> String {
    let review: Value = serde_json::from_slice(&body).unwrap();
    let uid = review["request"]["uid"].clone();
    let mode = mode.lock().unwrap().clone();
    let response = match mode {
        Mode::Hold(go) => {
            go.notified().await;
            json!({ "uid": uid, "allowed": true })
        }
        Mode::Allow(warnings) => json!({ "uid": uid, "allowed": true, "warnings": warnings }),
        Mode::Deny(message) => json!({ "uid": uid, "allowed": false,
            "status": { "code": 403, "reason": "Forbidden", "message": message } }),
        Mode::WrongUid => json!({ "uid": "not-the-request", "allowed": true }),
    };
    json!({ "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response })
        .to_string()
}

async fn with_webhook(mode: Mode) -> (Emulator, Arc<Mutex<Mode>>) {
    let emu = seeded().await;
    let mode = Arc::new(Mutex::new(mode));
    let url = fake_webhook(Arc::clone(&mode)).await;
    emu.set_webhook(Webhook {
        url,
        ca_pem: read("ca.pem"),
        name: HOOK.into(),
        timeout: Duration::from_secs(10),
    });
    (emu, mode)
}

fn prod_image(emu: &Emulator) -> Value {
    emu.deployment_config("prod", "simple-app").unwrap()["spec"]["template"]["spec"]["containers"]
        [0]["image"]
        .clone()
}

#[tokio::test]
async fn a_denied_tag_write_is_refused_with_the_servers_wording_and_nothing_changes() {
    let (emu, _) = with_webhook(Mode::Deny("tollgate: rule no-friday denied it")).await;
    let before = emu.image_stream("dev", "simple-app").unwrap();
    let image_before = prod_image(&emu);
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    let (code, status) = send(
        &emu.client(),
        "PUT",
        &format!("{ISTAG}/simple-app:promote"),
        Some(&body),
    )
    .await;
    assert_eq!(code, 403, "{status}");
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(status["code"], 403);
    assert_eq!(
        status["message"],
        format!(
            "admission webhook \"{HOOK}\" denied the request: tollgate: rule no-friday denied it"
        )
    );
    assert_eq!(emu.image_stream("dev", "simple-app").unwrap(), before);
    assert_eq!(prod_image(&emu), image_before);

    let calls = emu.webhook_calls();
    assert_eq!(calls.len(), 1);
    let r = &calls[0]["request"];
    assert_eq!(calls[0]["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(r["operation"], "UPDATE");
    assert_eq!(
        r["resource"],
        json!({ "group": "image.openshift.io", "version": "v1", "resource": "imagestreamtags" })
    );
    assert_eq!(r["kind"]["kind"], "ImageStreamTag");
    assert_eq!(r["requestResource"], r["resource"]);
    assert_eq!(r["name"], "simple-app:promote");
    assert_eq!(r["namespace"], "dev");
    assert_eq!(r["userInfo"]["username"], tollgate_emulator::DEFAULT_USER);
    assert!(r["userInfo"]["groups"]
        .as_array()
        .unwrap()
        .contains(&json!("system:authenticated")));
    assert_eq!(r["object"]["tag"]["from"], body["tag"]["from"]);
    assert_eq!(r["oldObject"]["image"]["metadata"]["name"], OLD_DIGEST);
    assert_eq!(r["dryRun"], false);
    assert!(!r["uid"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn an_allowed_write_is_stored_the_trigger_fires_and_warnings_are_relayed() {
    let (emu, _) = with_webhook(Mode::Allow(vec!["tollgate: image is 40 days old"])).await;
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    let req = http::Request::put(format!("{ISTAG}/simple-app:promote"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(kube::client::Body::from(body.to_string().into_bytes()))
        .unwrap();
    let res = emu.client().send(req).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let warning = res
        .headers()
        .get(http::header::WARNING)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(warning, "299 - \"tollgate: image is 40 days old\"");
    assert_eq!(
        prod_image(&emu),
        json!(pull_spec("dev", "simple-app", NEW_DIGEST)),
        "the trigger fired"
    );
    // The trigger's DC write and a push are the server's own writes: no further review.
    emu.push_image(
        "dev",
        "simple-app",
        "latest",
        "sha256:7777777777777777777777777777777777777777777777777777777777777777",
        json!({}),
    );
    assert_eq!(emu.webhook_calls().len(), 1);
}

#[tokio::test]
async fn a_patch_of_a_stream_arrives_as_an_update_with_the_patched_object() {
    let (emu, _) = with_webhook(Mode::Allow(vec![])).await;
    let patch = json!({ "metadata": { "labels": { "team": "a" } } });
    let (code, _) = send(
        &emu.client(),
        "PATCH",
        &format!("{IS}/simple-app"),
        Some(&patch),
    )
    .await;
    assert_eq!(code, 200);
    let r = &emu.webhook_calls()[0]["request"];
    assert_eq!(r["operation"], "UPDATE");
    assert_eq!(r["resource"]["resource"], "imagestreams");
    assert_eq!(r["object"]["metadata"]["labels"]["team"], "a");
    assert_eq!(
        r["object"]["metadata"]["labels"]["build"], "simple-app",
        "merged on the stored object"
    );
    assert!(r["oldObject"]["metadata"]["labels"]["team"].is_null());
}

#[tokio::test]
async fn a_delete_sends_the_old_object_and_a_null_object() {
    let (emu, _) = with_webhook(Mode::Allow(vec![])).await;
    let (code, answer) = send(
        &emu.client(),
        "DELETE",
        &format!("{ISTAG}/simple-app:promote"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let r = &emu.webhook_calls()[0]["request"];
    assert_eq!(r["operation"], "DELETE");
    assert!(r["object"].is_null());
    assert_eq!(r["oldObject"]["metadata"]["name"], "simple-app:promote");
    assert_eq!(r["options"]["kind"], "DeleteOptions");
}

#[tokio::test]
async fn a_failing_webhook_fails_closed_with_500_and_stores_nothing() {
    let (emu, mode) = with_webhook(Mode::WrongUid).await;
    let before = emu.image_stream("dev", "simple-app").unwrap();
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    let path = format!("{ISTAG}/simple-app:promote");
    let (code, status) = send(&emu.client(), "PUT", &path, Some(&body)).await;
    assert_eq!(code, 500, "{status}");
    assert_eq!(status["reason"], "InternalError");
    let message = status["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("failed calling webhook \"{HOOK}\": ")),
        "{message}"
    );
    assert!(message.contains("expected response.uid"), "{message}");

    // Unreachable: a port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/validate",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    emu.set_webhook(Webhook {
        url,
        ca_pem: read("ca.pem"),
        name: HOOK.into(),
        timeout: Duration::from_secs(5),
    });
    let (code, status) = send(&emu.client(), "PUT", &path, Some(&body)).await;
    assert_eq!(code, 500, "{status}");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("failed to call webhook: Post"),
        "{status}"
    );

    // A certificate the CA did not sign: the TLS handshake fails.
    *mode.lock().unwrap() = Mode::Allow(vec![]);
    let url = fake_webhook(Arc::clone(&mode)).await;
    emu.set_webhook(Webhook {
        url,
        ca_pem: read("server2.pem"),
        name: HOOK.into(),
        timeout: Duration::from_secs(5),
    });
    let (code, status) = send(&emu.client(), "PUT", &path, Some(&body)).await;
    assert_eq!(code, 500, "{status}");
    assert_eq!(
        emu.image_stream("dev", "simple-app").unwrap(),
        before,
        "nothing stored"
    );

    emu.clear_webhook();
    let (code, _) = send(&emu.client(), "PUT", &path, Some(&body)).await;
    assert_eq!(code, 200);
}

#[tokio::test]
async fn the_lock_is_not_held_during_the_call_and_a_stream_that_moved_meanwhile_conflicts() {
    let go = Arc::new(tokio::sync::Notify::new());
    let (emu, _) = with_webhook(Mode::Hold(Arc::clone(&go))).await;
    let emu = Arc::new(emu);
    let body: Value = serde_json::from_str(OC_TAG_PUT).unwrap();
    let client = emu.client();
    let put = tokio::spawn(async move {
        send(
            &client,
            "PUT",
            &format!("{ISTAG}/simple-app:promote"),
            Some(&body),
        )
        .await
    });
    assert!(wait_until(Duration::from_secs(10), || emu.webhook_calls().len() == 1).await);
    // Another writer gets through while the review is out (the world is not locked).
    emu.modify(res::IMAGESTREAMS, "dev", "simple-app", |s| {
        s["metadata"]["labels"]["moved"] = json!("yes");
    });
    go.notify_one();
    let (code, status) = put.await.unwrap();
    assert_eq!(code, 409, "{status}");
    assert_eq!(status["reason"], "Conflict");
    let stream = emu.image_stream("dev", "simple-app").unwrap();
    assert_eq!(
        stream["status"]["tags"][1]["items"][0]["image"], OLD_DIGEST,
        "not applied"
    );
}

#[tokio::test]
async fn mappings_imports_and_image_tags_are_reviewed_too() {
    let (emu, _) = with_webhook(Mode::Deny("no")).await;
    let client = emu.client();
    let base = "/apis/image.openshift.io/v1/namespaces/dev";
    let digest = "sha256:8888888888888888888888888888888888888888888888888888888888888888";
    let mapping = json!({ "metadata": { "name": "simple-app" }, "tag": "latest",
        "image": { "metadata": { "name": digest }, "dockerImageReference": pull_spec("dev", "simple-app", digest) } });
    let import = json!({ "metadata": { "name": "simple-app" }, "spec": { "import": true,
        "images": [{ "from": { "kind": "DockerImage", "name": format!("quay.io/a/b@{NEW_DIGEST}") }, "to": { "name": "x" } }] } });
    let tag = json!({ "metadata": { "name": "simple-app:new" },
        "spec": { "name": "new", "from": { "kind": "ImageStreamTag", "name": "simple-app:latest" } } });
    for (path, body, resource) in [
        (
            format!("{base}/imagestreammappings"),
            mapping,
            "imagestreammappings",
        ),
        (
            format!("{base}/imagestreamimports"),
            import,
            "imagestreamimports",
        ),
        (format!("{base}/imagetags"), tag, "imagetags"),
    ] {
        let (code, status) = send(&client, "POST", &path, Some(&body)).await;
        assert_eq!(code, 403, "{resource}: {status}");
        let calls = emu.webhook_calls();
        let r = &calls.last().unwrap()["request"];
        assert_eq!(r["resource"]["resource"], resource);
        assert_eq!(r["operation"], "CREATE");
        assert_eq!(r["object"]["metadata"]["name"], body["metadata"]["name"]);
    }
    assert!(emu.object(res::IMAGES, "", digest).is_none());
    let stream = emu.image_stream("dev", "simple-app").unwrap();
    assert_eq!(stream["spec"]["tags"].as_array().unwrap().len(), 1);
}
