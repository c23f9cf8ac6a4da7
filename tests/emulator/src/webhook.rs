//! The validating admission webhook call the API server makes before storing a write to one of
//! the five image resources: build the AdmissionReview under the lock, call over HTTPS without
//! it, and turn the answer into the server's own allow / 403 / 500.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use tokio_rustls::rustls;

use super::errors::{ApiError, ApiResult};
use super::imageutil::new_istag;
use super::routes::{merge_patch, parse_target, path_segments, Req};
use super::routes_image::split_istag;
use super::routes_imagetag::new_imagetag;
use super::store::Store;
use super::types::{by_path, meta_str, res};
use super::World;

/// Where the API server sends AdmissionReviews (a ValidatingWebhookConfiguration with one
/// webhook, `failurePolicy: Fail`, matching the five image resources).
#[derive(Debug, Clone)]
pub struct Webhook {
    /// `https://host:port/path`.
    pub url: String,
    /// The only CA trusted for the webhook's serving certificate (the `caBundle`).
    pub ca_pem: String,
    /// The webhook's name, as errors quote it.
    pub name: String,
    pub timeout: Duration,
}

/// The resources whose writes are sent to the webhook (ADMISSION.md).
const MATCHED: &[&str] = &[
    "imagestreamtags",
    "imagetags",
    "imagestreams",
    "imagestreammappings",
    "imagestreamimports",
];

/// A review to send, and the stream state it was built from (a write applied after the call
/// must find the stream unchanged, or it conflicts).
#[derive(Debug)]
pub struct Plan {
    pub review: Value,
    uid: String,
    guard: Option<(String, String, String)>,
    conflict: ApiError,
}

static UIDS: AtomicU64 = AtomicU64::new(1);

fn fresh_uid() -> String {
    let n = UIDS.fetch_add(1, Ordering::Relaxed);
    format!("a0000000-0000-4000-8000-{n:012x}")
}

/// The stored object of a request's target as the resource shows it (None: not there).
fn current(store: &Store, plural: &str, ns: &str, name: &str) -> Option<Value> {
    match plural {
        "imagestreams" => store.get(res::IMAGESTREAMS, ns, name).cloned(),
        "imagestreamtags" | "imagetags" => {
            let (stream, tag) = split_istag(name).ok()?;
            let s = store.get(res::IMAGESTREAMS, ns, stream)?;
            if plural == "imagetags" {
                new_imagetag(store, s, tag)
            } else {
                new_istag(store, s, tag, super::imageutil::spec_tag(s, tag).is_some())
            }
        }
        _ => None,
    }
}

/// Builds the AdmissionReview for `req` if the webhook must see it (None: not matched, or the
/// request will fail anyway, e.g. an update of a missing object).
pub fn plan(w: &World, req: &Req) -> Option<Plan> {
    let segs = path_segments(req);
    let t = parse_target(&segs)?;
    if t.group != "image.openshift.io" || !t.sub.is_empty() || !MATCHED.contains(&t.plural.as_str())
    {
        return None;
    }
    let rt = by_path(&t.group, &t.version, &t.plural)?;
    let body = req.body.clone().unwrap_or(Value::Null);
    let name = match t.name.as_str() {
        "" => meta_str(&body, "name").to_string(),
        n => n.to_string(),
    };
    let old = current(&w.store, &t.plural, &t.ns, &name);
    let decoded = |mut obj: Value| {
        if obj.is_object() {
            obj["kind"] = json!(rt.kind);
            obj["apiVersion"] = json!(rt.api_version());
            obj["metadata"]["namespace"] = json!(t.ns);
            obj["metadata"]["name"] = json!(name);
        }
        obj
    };
    let (operation, object, old_object, options) = match (req.method.as_str(), &old) {
        ("POST", _) if t.name.is_empty() => ("CREATE", decoded(body), Value::Null, "CreateOptions"),
        ("PUT", None) if matches!(t.plural.as_str(), "imagestreamtags" | "imagetags") => {
            ("CREATE", decoded(body), Value::Null, "CreateOptions")
        }
        ("PUT", Some(old)) => ("UPDATE", decoded(body), old.clone(), "UpdateOptions"),
        ("PATCH", Some(old)) => {
            let mut patched = old.clone();
            merge_patch(&mut patched, &body, req.content_type.contains("strategic"));
            ("UPDATE", decoded(patched), old.clone(), "UpdateOptions")
        }
        ("DELETE", Some(old)) => ("DELETE", Value::Null, old.clone(), "DeleteOptions"),
        _ => return None,
    };
    let stream_name = name.split([':', '@']).next().unwrap_or("").to_string();
    let guard = w
        .store
        .get(res::IMAGESTREAMS, &t.ns, &stream_name)
        .map(|s| {
            (
                t.ns.clone(),
                stream_name.clone(),
                meta_str(s, "resourceVersion").to_string(),
            )
        });
    let uid = fresh_uid();
    let gvk = json!({ "group": rt.group, "version": rt.version, "kind": rt.kind });
    let gvr = json!({ "group": rt.group, "version": rt.version, "resource": rt.plural });
    let review = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
            "name": name, "namespace": t.ns, "operation": operation,
            "userInfo": { "username": req.user.username, "groups": req.user.groups },
            "object": object, "oldObject": old_object,
            "dryRun": req.query.get("dryRun").is_some_and(|d| !d.is_empty()),
            "options": { "apiVersion": "meta.k8s.io/v1", "kind": options },
        },
    });
    Some(Plan {
        review,
        uid,
        guard,
        conflict: ApiError::conflict(&rt, &name),
    })
}

/// After the call: the stream the review was built from must not have moved (409 otherwise).
pub fn still_current(w: &World, plan: &Plan) -> ApiResult<()> {
    match &plan.guard {
        Some((ns, stream, rv)) => {
            let now = w.store.get(res::IMAGESTREAMS, ns, stream);
            if now.is_some_and(|s| meta_str(s, "resourceVersion") == rv) {
                Ok(())
            } else {
                Err(plan.conflict.clone())
            }
        }
        None => Ok(()),
    }
}

/// Calls the webhook: Ok(warnings) when allowed; the API server's 403 or 500 otherwise.
pub async fn call(hook: &Webhook, plan: &Plan) -> ApiResult<Vec<String>> {
    let failed = |cause: String| {
        ApiError::new(
            500,
            "InternalError",
            format!("failed calling webhook \"{}\": {cause}", hook.name),
        )
    };
    let answer = match tokio::time::timeout(hook.timeout, post(hook, &plan.review)).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            return Err(failed(format!(
                "failed to call webhook: Post \"{}\": {e}",
                hook.url
            )))
        }
        Err(_) => {
            return Err(failed(format!(
                "failed to call webhook: Post \"{}\": context deadline exceeded",
                hook.url
            )))
        }
    };
    let (code, bytes) = answer;
    if code != 200 {
        return Err(failed(format!(
            "failed to call webhook: the server responded with the status code {code}"
        )));
    }
    let review: Value = serde_json::from_slice(&bytes)
        .map_err(|e| failed(format!("received invalid webhook response: {e}")))?;
    let response = &review["response"];
    if review["kind"] != "AdmissionReview" || !response.is_object() {
        return Err(failed(
            "received invalid webhook response: expected an AdmissionReview with a response".into(),
        ));
    }
    if response["uid"] != plan.uid.as_str() {
        return Err(failed(format!(
            "received invalid webhook response: expected response.uid=\"{}\", got {}",
            plan.uid, response["uid"]
        )));
    }
    let warnings = response["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();
    match response["allowed"].as_bool() {
        Some(true) => Ok(warnings),
        Some(false) => {
            let message = match response["status"]["message"].as_str() {
                Some(m) if !m.is_empty() => format!("denied the request: {m}"),
                _ => "denied the request without explanation".to_string(),
            };
            Err(ApiError::new(
                403,
                "Forbidden",
                format!("admission webhook \"{}\" {message}", hook.name),
            ))
        }
        None => Err(failed(
            "received invalid webhook response: response.allowed is required".into(),
        )),
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One HTTPS POST, trusting only the hook's CA: (status, body).
async fn post(hook: &Webhook, review: &Value) -> Result<(u16, bytes::Bytes), BoxError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName};

    let uri: http::Uri = hook.url.parse()?;
    if uri.scheme_str() != Some("https") {
        return Err(format!("unsupported scheme in {:?} (https only)", hook.url).into());
    }
    let host = uri.host().ok_or("no host in the webhook URL")?.to_string();
    let port = uri.port_u16().unwrap_or(443);
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(hook.ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
    let server_name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())?;
    let tls = connector.connect(server_name, tcp).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await?;
    tokio::spawn(conn);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = http::Request::post(path)
        .header(
            http::header::HOST,
            uri.authority().map_or("", |a| a.as_str()),
        )
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(Full::new(bytes::Bytes::from(review.to_string())))?;
    let response = sender.send_request(request).await?;
    let code = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((code, body))
}
