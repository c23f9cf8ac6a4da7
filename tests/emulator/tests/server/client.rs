//! Small helpers for cases that talk to the emulator through a real `kube::Client`, and the
//! fixtures they seed.

use std::time::{Duration, Instant};

use serde_json::Value;

/// The SCENARIO.md cast (dev stream with latest=2.0/promote=1.0, prod DCs, dev/view binding).
pub const DEV_PROD: &str = include_str!("../../data/seed/dev-prod.yaml");
/// `oc tag dev/simple-app:latest dev/simple-app:promote`'s PUT body (shared fixture, verbatim).
pub const OC_TAG_PUT: &str =
    include_str!("../../data/seed/synth.oc-tag.PUT-imagestreamtag.request.json");
/// dev/simple-app:latest in DEV_PROD (the 2.0 build, and the digest OC_TAG_PUT pins).
pub const NEW_DIGEST: &str =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// dev/simple-app:promote in DEV_PROD (the 1.0 build prod runs).
pub const OLD_DIGEST: &str =
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn request(method: &str, path: &str, body: Option<&Value>) -> http::Request<Vec<u8>> {
    let content_type = if method == "PATCH" {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(body.map(|b| b.to_string().into_bytes()).unwrap_or_default())
        .expect("valid request")
}

/// One JSON call through kube's error handling: non-2xx answers become `kube::Error::Api`.
pub async fn call(
    client: &kube::Client,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, kube::Error> {
    client.request::<Value>(request(method, path, body)).await
}

/// One raw call: (HTTP status, JSON body), for asserting 200 vs 201.
pub async fn send(
    client: &kube::Client,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let req = request(method, path, body).map(kube::client::Body::from);
    let res = client.send(req).await.expect("response");
    let code = res.status().as_u16();
    let bytes = res.into_body().collect_bytes().await.expect("body");
    (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Polls `check` every 10 ms until it holds or `timeout` passes; returns whether it held.
pub async fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
