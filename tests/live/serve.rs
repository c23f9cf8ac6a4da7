//! `tollgate serve` over TLS with fixed objects (a seed snapshot): endpoints, bad bodies,
//! readiness, metrics, and the rules and certificate re-read while serving.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tollgate::admission::Mode;
use tollgate::gather::snapshot::{load_with, LoadLimits};
use tollgate::gather::ClusterObjects;
use tollgate::serve::{self, Limits, ObjectsView, Pack, Running, ServeOptions};

use crate::harness::seed_dir;
use crate::https::{tls_fixture, Client};

/// A seed state's objects, ready or not as the test says.
pub struct Fixed {
    pub objects: Arc<ClusterObjects>,
    pub ready: AtomicBool,
}

impl ObjectsView for Fixed {
    fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
    fn not_ready_reason(&self) -> String {
        "imagestreams: never listed".into()
    }
    fn objects(&self) -> Arc<ClusterObjects> {
        self.objects.clone()
    }
    fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![("ImageStream", self.objects.streams.len())]
    }
}

pub fn fixed(state: &str, ready: bool) -> Arc<Fixed> {
    let mut objects = load_with(&[seed_dir(state)], &LoadLimits::default()).unwrap();
    objects.provenance = tollgate::gather::Provenance::Cluster;
    Arc::new(Fixed {
        objects: Arc::new(objects),
        ready: AtomicBool::new(ready),
    })
}

/// A server's files: its own copy of the pack, a tollgate.yaml and a certificate pair, so a
/// test can change them under it.
pub struct Files {
    pub dir: tempfile::TempDir,
}

impl Files {
    pub fn new(config: &str) -> Files {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"),
            &dir.path().join("policies"),
        );
        std::fs::write(dir.path().join("tollgate.yaml"), config).unwrap();
        std::fs::copy(tls_fixture("server.pem"), dir.path().join("tls.crt")).unwrap();
        std::fs::copy(tls_fixture("server-key.pem"), dir.path().join("tls.key")).unwrap();
        Files { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn options(&self, mode: Mode) -> ServeOptions {
        ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls_cert: self.path("tls.crt"),
            tls_key: self.path("tls.key"),
            mode,
            policies: vec![self.path("policies")],
            config: Some(self.path("tollgate.yaml")),
            connect: Default::default(),
            limits: Limits {
                max_body: 64 * 1024,
                ..Limits::default()
            },
            reload_interval: Duration::from_millis(50),
        }
    }

    pub async fn start(&self, mode: Mode, view: Arc<dyn ObjectsView>) -> Running {
        let opts = self.options(mode);
        let pack = Arc::new(Pack::load(&opts.policies, opts.config.as_deref()).unwrap());
        serve::start(&opts, pack, view).await.unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        if p.is_dir() {
            if name != "tests" {
                copy_dir(&p, &to.join(name));
            }
        } else if p.extension().is_some_and(|e| e == "rhai") {
            std::fs::copy(&p, to.join(name)).unwrap();
        }
    }
}

/// Polls `f` until it is true; a bound, not a timing assertion: the test fails only if the
/// change never shows.
pub async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn endpoints_answer_and_bad_bodies_get_400_while_the_server_keeps_serving() {
    let files = Files::new("");
    let server = files
        .start(Mode::Enforce, fixed("c-manual-trigger", true))
        .await;
    let mut c = Client::connect(server.addr).await;

    let live = c.get("/livez").await;
    assert_eq!((live.status, live.body.as_str()), (200, "ok\n"));
    let ready = c.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(ready.body.contains("rules sha256:"), "{}", ready.body);

    for (body, why) in [
        (b"not json".to_vec(), "not JSON"),
        (b"{}".to_vec(), "no kind"),
        (json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {}}).to_string().into_bytes(), "v1beta1"),
        (json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).to_string().into_bytes(), "no request"),
        (json!({"apiVersion": "v1", "kind": "Pod"}).to_string().into_bytes(), "another kind"),
    ] {
        let a = c.request("POST", "/validate", body).await;
        assert_eq!(a.status, 400, "{why}: {}", a.body);
        assert!(!a.body.is_empty(), "{why}: a 400 says why");
    }
    // Larger than --max-request-bytes: refused before it is parsed.
    let big = c.request("POST", "/validate", vec![b' '; 65 * 1024]).await;
    assert_eq!(big.status, 413, "{}", big.body);
    // Unknown paths and methods.
    assert_eq!(c.get("/nope").await.status, 404);
    assert_eq!(c.get("/validate").await.status, 405);

    // Still serving, on a fresh connection too.
    let mut fresh = Client::connect(server.addr).await;
    assert_eq!(fresh.get("/livez").await.status, 200);
    let metrics = fresh.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains("tollgate_cache_ready 1"),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains("tollgate_cache_objects{kind=\"ImageStream\"}"),
        "{}",
        metrics.body
    );
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_certificate_is_served_to_new_connections() {
    let files = Files::new("");
    let server = files
        .start(Mode::Enforce, fixed("c-manual-trigger", true))
        .await;
    let first = crate::https::peer_certificate(server.addr).await;
    std::fs::copy(tls_fixture("server2.pem"), files.path("tls.crt")).unwrap();
    std::fs::copy(tls_fixture("server2-key.pem"), files.path("tls.key")).unwrap();
    let rotated = std::fs::read(tls_fixture("server2.pem")).unwrap();
    let want = rustls_pki_types::CertificateDer::pem_slice_iter(&rotated)
        .next()
        .unwrap()
        .unwrap();
    use rustls_pki_types::pem::PemObject;
    eventually("the rotated certificate is served", async || {
        crate::https::peer_certificate(server.addr).await == want.as_ref()
    })
    .await;
    assert_ne!(first, want.as_ref());
    server.stop().await;
}

#[tokio::test]
async fn rules_are_reloaded_and_a_broken_pack_is_refused_and_counted() {
    let files = Files::new("");
    let server = files
        .start(Mode::Enforce, fixed("c-manual-trigger", true))
        .await;
    let mut c = Client::connect(server.addr).await;
    let digest = |body: &str| body.trim().trim_start_matches("ready: rules ").to_string();
    let first = digest(&c.get("/readyz").await.body);

    std::fs::write(
        files.path("tollgate.yaml"),
        "rules:\n  image-age:\n    level: warn\n",
    )
    .unwrap();
    let mut second = String::new();
    eventually("the new configuration is in force", async || {
        second = digest(&c.get("/readyz").await.body);
        second != first
    })
    .await;

    // A rule that does not lint: refused, counted, and the previous rules stay.
    let rule = files.path("policies/image-age.rhai");
    let text = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(&rule, format!("{text}\nno_such_function();\n")).unwrap();
    eventually("the refused reload is counted", async || {
        c.get("/metrics")
            .await
            .body
            .contains("tollgate_policy_reloads_total{result=\"refused\"}")
    })
    .await;
    assert_eq!(digest(&c.get("/readyz").await.body), second);
    let m = c.get("/metrics").await.body;
    assert!(
        m.contains("tollgate_policy_reloads_total{result=\"ok\"} 1"),
        "{m}"
    );
    server.stop().await;
}

/// The AdmissionReview the API server sends for `oc tag dev/simple-app:latest
/// dev/simple-app:promote` (oc resolves the source to its digest first).
pub fn oc_tag(view: &Fixed, uid: &str) -> Value {
    let digest = &view
        .objects
        .stream("dev", "simple-app")
        .unwrap()
        .status
        .tags
        .iter()
        .find(|t| t.tag == "latest")
        .unwrap()
        .items[0]
        .image;
    let gvk = |kind: &str| json!({"group": "image.openshift.io", "version": "v1", "kind": kind});
    let gvr =
        json!({"group": "image.openshift.io", "version": "v1", "resource": "imagestreamtags"});
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid,
        "kind": gvk("ImageStreamTag"), "resource": gvr,
        "requestKind": gvk("ImageStreamTag"), "requestResource": gvr,
        "name": "simple-app:promote", "namespace": "dev", "operation": "UPDATE",
        "userInfo": {"username": "alice", "groups": ["developers", "system:authenticated"]},
        "object": {
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "metadata": {"name": "simple-app:promote", "namespace": "dev"},
            "tag": {"name": "promote", "from": {"kind": "ImageStreamImage", "namespace": "dev",
                    "name": format!("simple-app@{digest}")}, "referencePolicy": {"type": "Source"}},
            "lookupPolicy": {"local": false},
            "image": {"metadata": {"name": digest}}
        },
        "oldObject": null, "dryRun": false
    }})
}

#[tokio::test]
async fn oc_tag_is_decided_as_check_decides_it_in_each_mode() {
    let files = Files::new("");
    // State b: prod follows the tag with an automatic trigger (denied); c: manual (allowed,
    // with image-age's warning).
    let b = fixed("b-automatic-trigger", true);
    let server = files.start(Mode::Enforce, b.clone()).await;
    let mut c = Client::connect(server.addr).await;
    let a = c.post("/validate", &oc_tag(&b, "uid-b")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "application/json");
    let r = &a.json()["response"];
    assert_eq!(r["uid"], "uid-b");
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["status"]["code"], 403);
    assert_eq!(r["status"]["reason"], "Forbidden");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("tollgate: prod-manual-trigger: "),
        "{message}"
    );
    assert_eq!(r["auditAnnotations"]["decision"], "deny");
    assert_eq!(r["auditAnnotations"]["denied"], "prod-manual-trigger");
    assert!(r["auditAnnotations"]["rules-digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let m = c.get("/metrics").await.body;
    assert!(
        m.contains(r#"tollgate_admission_requests_total{resource="imagestreamtags",operation="UPDATE",decision="deny"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"tollgate_rule_outcomes_total{rule="prod-manual-trigger",outcome="deny"} 1"#),
        "{m}"
    );
    server.stop().await;

    let cs = fixed("c-manual-trigger", true);
    let server = files.start(Mode::Enforce, cs.clone()).await;
    let mut c = Client::connect(server.addr).await;
    let r = c.post("/validate", &oc_tag(&cs, "uid-c")).await.json()["response"].clone();
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(r["auditAnnotations"]["decision"], "allow");
    let warnings = r["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("image-age")),
        "{r}"
    );
    server.stop().await;

    // Audit lets the denied write through and records the decision; warn says it too.
    for (mode, warns) in [(Mode::Audit, false), (Mode::Warn, true)] {
        let server = files.start(mode, b.clone()).await;
        let mut c = Client::connect(server.addr).await;
        let r = c.post("/validate", &oc_tag(&b, "uid-m")).await.json()["response"].clone();
        assert_eq!(r["allowed"], true, "{mode}: {r}");
        assert_eq!(r["auditAnnotations"]["decision"], "deny", "{mode}: {r}");
        let said = r["warnings"].as_array().is_some_and(|w| {
            w.iter()
                .any(|w| w.as_str().unwrap().contains("prod-manual-trigger"))
        });
        assert_eq!(said, warns, "{mode}: {r}");
        server.stop().await;
    }
}

#[tokio::test]
async fn until_the_cache_has_synced_every_write_is_denied_and_not_ready_is_said() {
    let files = Files::new("");
    let view = fixed("c-manual-trigger", false);
    let server = files.start(Mode::Enforce, view.clone()).await;
    let mut c = Client::connect(server.addr).await;
    let ready = c.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(
        ready.body.contains("imagestreams: never listed"),
        "{}",
        ready.body
    );
    let r = c.post("/validate", &oc_tag(&view, "uid-1")).await.json()["response"].clone();
    assert_eq!(r["uid"], "uid-1");
    assert_eq!(r["allowed"], false, "{r}");
    let message = r["status"]["message"].as_str().unwrap();
    assert!(message.contains("has not synced"), "{message}");
    assert!(c
        .get("/metrics")
        .await
        .body
        .contains("tollgate_cache_ready 0"));

    view.ready.store(true, Ordering::SeqCst);
    assert_eq!(c.get("/readyz").await.status, 200);
    let r = c.post("/validate", &oc_tag(&view, "uid-2")).await.json()["response"].clone();
    assert_eq!(r["allowed"], true, "{r}");
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_blocks_no_one_else() {
    use tokio::io::AsyncWriteExt;
    let files = Files::new("");
    let view = fixed("c-manual-trigger", true);
    let server = files.start(Mode::Enforce, view.clone()).await;
    // Headers announce a body that never comes.
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut stuck = tokio_rustls::TlsConnector::from(crate::https::tls_client_config())
        .connect(
            rustls_pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    stuck
        .write_all(b"POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-length: 100000\r\n\r\n{")
        .await
        .unwrap();
    stuck.flush().await.unwrap();
    let mut c = Client::connect(server.addr).await;
    let r = c
        .post("/validate", &oc_tag(&view, "uid-other"))
        .await
        .json()["response"]
        .clone();
    assert_eq!(r["uid"], "uid-other");
    assert_eq!(r["allowed"], true, "{r}");
    drop(stuck);
    server.stop().await;
}
