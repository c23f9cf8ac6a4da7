//! A local HTTPS admission webhook for the webhook cases (certificates in tests/fixtures/tls).

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::serve::Listener;
use serde_json::{json, Value};
use tokio_rustls::rustls;

pub const TLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/tls");

#[derive(Clone, Debug)]
pub enum Mode {
    Allow(Vec<&'static str>),
    Deny(&'static str),
    WrongUid,
    /// `allowed: false` and no status at all.
    DenyBare,
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

pub fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{TLS}/{name}")).unwrap()
}

/// A webhook server answering per `mode`; returns its URL.
pub async fn fake_webhook(mode: Arc<Mutex<Mode>>) -> String {
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
        Mode::DenyBare => json!({ "uid": uid, "allowed": false }),
        Mode::WrongUid => json!({ "uid": "not-the-request", "allowed": true }),
    };
    json!({ "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response })
        .to_string()
}
