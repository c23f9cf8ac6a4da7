//! Admission latency and throughput over TLS on loopback (issue 11): `tollgate serve`'s HTTP
//! stack and decision code with the objects of a large cluster in memory — 10,000 image
//! streams, 1,000 workloads, 2,000 bindings — for an evaluated request (`oc tag` into a tag a
//! prod DeploymentConfig follows) and an unguarded one, sequential and at 16 concurrent
//! keep-alive clients. Prints p50/p99 and requests per second; figures in BENCHMARKS.md.
//!
//! Run: `cargo bench --bench admission` (release profile; about a minute).
// A bench binary reports on stdout, as criterion does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use tollgate::admission::Mode;
use tollgate::gather::snapshot::{load_with, LoadLimits};
use tollgate::gather::{ClusterObjects, Provenance};
use tollgate::serve::{self, Limits, ObjectsView, Pack, ServeOptions};

const STREAMS: usize = 10_000;
const WORKLOADS: usize = 1_000;
const BINDINGS: usize = 2_000;
const NAMESPACES: usize = 100;
/// The seed's two builds of dev/simple-app (latest and promote).
const NEW_HEX: &str = "7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";
const OLD_HEX: &str = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Fixed(Arc<ClusterObjects>);

impl ObjectsView for Fixed {
    fn ready(&self) -> bool {
        true
    }
    fn not_ready_reason(&self) -> String {
        String::new()
    }
    fn objects(&self) -> Arc<ClusterObjects> {
        self.0.clone()
    }
    fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![("ImageStream", self.0.streams.len())]
    }
}

/// Renames an object by rewriting its JSON: every typed object round-trips through serde.
fn renamed<T: serde::Serialize + serde::de::DeserializeOwned>(o: &T, edits: &[(&str, &str)]) -> T {
    let mut text = serde_json::to_string(o).unwrap();
    for (from, to) in edits {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

/// The seed's state c plus a large cluster around it.
fn objects() -> ClusterObjects {
    let mut o = load_with(
        &[root().join("examples/seed/c-manual-trigger")],
        &LoadLimits::default(),
    )
    .unwrap();
    o.provenance = Provenance::Cluster;
    let stream = o.stream("dev", "simple-app").unwrap().clone();
    let dc = o.dc("prod", "simple-app").unwrap().clone();
    let binding = o.rolebindings[0].clone();
    for i in 0..STREAMS {
        let ns = format!("team-{}", i % NAMESPACES);
        let name = format!("app-{i}");
        // Each stream has images of its own: one digest held by 10,000 streams would make
        // `image.seen` list them all, which no real cluster does.
        let (new, old) = (format!("{:064x}", 2 * i + 1), format!("{:064x}", 2 * i + 2));
        o.streams.push(renamed(
            &stream,
            &[
                ("\"dev\"", &format!("\"{ns}\"")),
                ("simple-app", &name),
                (NEW_HEX, &new),
                (OLD_HEX, &old),
            ],
        ));
    }
    for i in 0..WORKLOADS {
        let ns = format!("team-{}", i % NAMESPACES);
        let name = format!("app-{i}");
        o.dcs.push(renamed(
            &dc,
            &[
                ("\"prod\"", &format!("\"{ns}\"")),
                ("\"dev\"", &format!("\"{ns}\"")),
                ("simple-app", &name),
            ],
        ));
    }
    for i in 0..BINDINGS {
        let ns = format!("team-{}", i % NAMESPACES);
        let name = format!("binding-{i}");
        let old = binding.metadata.name.clone();
        let old_ns = binding.metadata.namespace.clone().unwrap_or_default();
        o.rolebindings.push(renamed(
            &binding,
            &[
                (&format!("\"{old}\""), &format!("\"{name}\"")),
                (&format!("\"{old_ns}\""), &format!("\"{ns}\"")),
            ],
        ));
    }
    // As the admission cache keeps them: every list sorted by (namespace, name), so lookups
    // binary-search.
    let key = |m: &tollgate::openshift::ObjectMeta| (m.ns().to_string(), m.name.clone());
    o.streams.sort_by_key(|s| key(&s.metadata));
    o.dcs.sort_by_key(|d| key(&d.metadata));
    o.rolebindings.sort_by_key(|b| key(&b.metadata));
    o.deployments.sort_by_key(|d| key(&d.metadata));
    o.rcs.sort_by_key(|r| key(&r.metadata));
    o.replicasets.sort_by_key(|r| key(&r.metadata));
    o.roles.sort_by_key(|r| key(&r.metadata));
    o.clusterroles.sort_by_key(|r| key(&r.metadata));
    o.images.sort_by_key(|i| key(&i.metadata));
    o.sorted = true;
    o
}

fn digest_of(o: &ClusterObjects, ns: &str, stream: &str, tag: &str) -> String {
    let s = o.stream(ns, stream).unwrap();
    let v = serde_json::to_value(s).unwrap();
    v["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == tag)
        .unwrap()["items"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `oc tag NS/STREAM:latest NS/STREAM:TAG` as the API server sends it to the webhook.
fn oc_tag(ns: &str, stream: &str, tag: &str, digest: &str) -> Vec<u8> {
    let istag = json!({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
        "metadata": {"name": format!("{stream}:{tag}"), "namespace": ns},
        "tag": {"name": tag, "from": {"kind": "ImageStreamImage", "namespace": ns,
                "name": format!("{stream}@{digest}")},
                "referencePolicy": {"type": "Source"}, "importPolicy": {}},
        "lookupPolicy": {"local": false}, "generation": 0,
        "image": {"metadata": {"name": digest}}
    });
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "6a1d1a4e-0000-4000-8000-000000000001",
        "kind": {"group": "image.openshift.io", "version": "v1", "kind": "ImageStreamTag"},
        "resource": {"group": "image.openshift.io", "version": "v1", "resource": "imagestreamtags"},
        "requestKind": {"group": "image.openshift.io", "version": "v1", "kind": "ImageStreamTag"},
        "requestResource": {"group": "image.openshift.io", "version": "v1", "resource": "imagestreamtags"},
        "name": format!("{stream}:{tag}"), "namespace": ns, "operation": "UPDATE",
        "userInfo": {"username": "alice", "groups": ["developers", "system:authenticated"]},
        "object": istag, "oldObject": null, "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "UpdateOptions"}
    }})
    .to_string()
    .into_bytes()
}

fn client_config() -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(root().join("tests/fixtures/tls/ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

async fn connect(addr: SocketAddr, tls: Arc<ClientConfig>) -> SendRequest<Full<Bytes>> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let stream = TlsConnector::from(tls)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    send
}

async fn post(send: &mut SendRequest<Full<Bytes>>, body: &Bytes) -> Value {
    let req = hyper::Request::post("/validate")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(body.clone()))
        .unwrap();
    send.ready().await.unwrap();
    let res = send.send_request(req).await.unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `clients` keep-alive connections sending `per_client` requests each; latencies and wall time.
async fn run(
    addr: SocketAddr,
    body: Bytes,
    clients: usize,
    per_client: usize,
) -> (Vec<Duration>, Duration) {
    let tls = client_config();
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..clients {
        let (tls, body) = (tls.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut send = connect(addr, tls).await;
            let mut lat = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let t = Instant::now();
                std::hint::black_box(post(&mut send, &body).await);
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    (all, wall)
}

fn report(what: &str, lat: &[Duration], wall: Duration) {
    println!(
        "{what:44} n={:5}  p50 {:7.3} ms  p99 {:7.3} ms  max {:7.3} ms  {:7.0} req/s",
        lat.len(),
        percentile(lat, 0.50).as_secs_f64() * 1e3,
        percentile(lat, 0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3,
        lat.len() as f64 / wall.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing and
    // only checks that the bench builds and answers once.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let built = Instant::now();
        let objects = Arc::new(objects());
        println!(
            "objects: {} streams, {} DeploymentConfigs, {} RoleBindings (built in {:?})",
            objects.streams.len(),
            objects.dcs.len(),
            objects.rolebindings.len(),
            built.elapsed()
        );
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("tollgate.yaml");
        std::fs::write(&config, "").unwrap();
        let tls = |n: &str| root().join("tests/fixtures/tls").join(n);
        let opts = ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls_cert: tls("server.pem"),
            tls_key: tls("server-key.pem"),
            mode: Mode::Enforce,
            policies: vec![root().join("policies")],
            config: Some(config.clone()),
            connect: Default::default(),
            limits: Limits::default(),
            reload_interval: Duration::from_secs(3600),
        };
        let pack = Arc::new(Pack::load(&opts.policies, Some(Path::new(&config))).unwrap());
        let server = serve::start(&opts, pack, Arc::new(Fixed(objects.clone())))
            .await
            .unwrap();

        let digest = digest_of(&objects, "dev", "simple-app", "latest");
        let evaluated = Bytes::from(oc_tag("dev", "simple-app", "promote", &digest));
        let unguarded_digest = digest_of(&objects, "team-7", "app-7", "latest");
        let unguarded = Bytes::from(oc_tag("team-7", "app-7", "scratch", &unguarded_digest));

        // Check what is measured: the evaluated one is decided by the rules, the other is not.
        let tls = client_config();
        let mut send = connect(server.addr, tls).await;
        let a = post(&mut send, &evaluated).await;
        println!("evaluated answer: {}", a["response"]);
        let b = post(&mut send, &unguarded).await;
        println!("unguarded answer: {}", b["response"]);
        if quick {
            server.stop().await;
            return;
        }
        for (what, body) in [("evaluated", &evaluated), ("unguarded", &unguarded)] {
            let _ = run(server.addr, body.clone(), 1, 200).await; // warm-up
            let (lat, wall) = run(server.addr, body.clone(), 1, 2_000).await;
            report(&format!("{what}, sequential (1 client)"), &lat, wall);
            let (lat, wall) = run(server.addr, body.clone(), 16, 250).await;
            report(
                &format!("{what}, 16 concurrent keep-alive clients"),
                &lat,
                wall,
            );
        }
        server.stop().await;
    });
}
