//! The HTTP side: a listener whose connections a fault can kill, and the request pipeline
//! (accounting → faults → authentication → routing).

use std::collections::BTreeMap;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use http::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::errors::{json_response, ApiError};
use super::faults::Fault;
use super::rbac::UserInfo;
use super::routes::{dispatch, is_watch, watch, Req};
use super::{lock, Shared};

/// Per-connection switch: once set, every read/write fails, so hyper drops the connection
/// without writing the response it was about to send.
#[derive(Clone, Debug, Default)]
pub struct Conn(Arc<AtomicBool>);

pub struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

fn killed_err() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "connection dropped by fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_err()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(killed_err()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub struct KillableListener(pub TcpListener);

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = Conn;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((stream, _)) = self.0.accept().await {
                let _ = stream.set_nodelay(true);
                let conn = Conn::default();
                return (
                    KillableStream {
                        inner: stream,
                        killed: Arc::clone(&conn.0),
                    },
                    conn,
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(Conn::default())
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A body that sends a space every `every`, forever (until the client goes away).
struct Trickle {
    every: std::time::Duration,
    next: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for Trickle {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        if self.next.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let every = self.every;
        self.next.set(tokio::time::sleep(every));
        Poll::Ready(Some(Ok(http_body::Frame::data(bytes::Bytes::from_static(
            b" ",
        )))))
    }
}

pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let app = axum::Router::new().fallback(handle).with_state(shared);
    let _ = axum::serve(
        KillableListener(listener),
        app.into_make_service_with_connect_info::<Conn>(),
    )
    .await;
}

fn bearer(req: &Request) -> Option<String> {
    let value = req
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    req: Request,
) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query_text = req.uri().query().unwrap_or("").to_string();
    let query: BTreeMap<String, String> = Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let token = bearer(&req);
    let authorization = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    let parsed: Option<Result<Value, _>> =
        (!bytes.is_empty()).then(|| serde_json::from_slice::<Value>(&bytes));
    let body = parsed.as_ref().and_then(|r| r.as_ref().ok().cloned());

    let admission = shared.acct.begin(&method, &path, &query_text, body.clone());
    if !admission.delay.is_zero() {
        tokio::time::sleep(admission.delay).await;
    }
    let latency = shared.latency_us.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_micros(latency)).await;
    }
    let user = {
        let w = lock(&shared.world);
        match token.as_deref().and_then(|t| w.identities.get(t)) {
            Some(u) => Ok(u.clone()),
            None if w.enforce_rbac => Err(ApiError::new(401, "Unauthorized", "Unauthorized")),
            None => Ok(UserInfo::new(
                "system:anonymous",
                &["system:unauthenticated"],
            )),
        }
    };
    let username = user
        .as_ref()
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let (code, response) = match (admission.terminal, user) {
        (Some(Fault::Drop), _) => {
            conn.0.store(true, Ordering::SeqCst);
            shared.acct.finish(admission.seq, &username, None);
            return Body::empty().into_response();
        }
        (Some(Fault::Status(code)), _) => (code, ApiError::injected(code).into_response()),
        (Some(Fault::EchoAuthorization(code)), _) => {
            let mut e = ApiError::injected(code);
            e.message = format!("rejected request: Authorization: {authorization}");
            (code, e.into_response())
        }
        (Some(Fault::Trickle(every)), _) => {
            shared.acct.finish(admission.seq, &username, Some(200));
            let body = Body::new(Trickle {
                every,
                next: Box::pin(tokio::time::sleep(every)),
            });
            return Response::builder()
                .status(200)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body)
                .unwrap_or_default();
        }
        (_, Err(e)) => (e.code, e.into_response()),
        (_, Ok(user)) => match parsed {
            Some(Err(e)) => (
                400,
                ApiError::bad_request(format!("request body is not JSON: {e}")).into_response(),
            ),
            _ => {
                let req = Req {
                    method,
                    path,
                    query,
                    body,
                    content_type,
                    user,
                };
                if is_watch(&req) {
                    let started = watch(&lock(&shared.world), &req);
                    match started {
                        Ok(ws) => {
                            // The stream outlives the request: it is not counted as in flight.
                            shared.acct.finish(admission.seq, &username, Some(200));
                            return crate::watch::response(ws, shared.watch_breaker.subscribe());
                        }
                        Err(e) => {
                            shared.acct.finish(admission.seq, &username, Some(e.code));
                            return e.into_response();
                        }
                    }
                }
                let (result, warnings) = admit_and_dispatch(&shared, &req).await;
                let (code, mut response) = match result {
                    Ok((code, v)) => (
                        code,
                        json_response(StatusCode::from_u16(code).unwrap_or(StatusCode::OK), &v),
                    ),
                    Err(e) => (e.code, e.into_response()),
                };
                for text in warnings {
                    // The API server relays webhook warnings as RFC 7234 warning headers.
                    let value = format!("299 - \"{}\"", text.replace('"', "'"));
                    if let Ok(v) = http::HeaderValue::from_str(&value) {
                        response.headers_mut().append(http::header::WARNING, v);
                    }
                }
                (code, response)
            }
        },
    };
    shared.acct.finish(admission.seq, &username, Some(code));
    drop(admission.guard);
    response
}

/// Runs the admission webhook (when one is set and the request is matched) without the world
/// lock, then serves the request under it: a denial or a failed call stores nothing.
async fn admit_and_dispatch(
    shared: &Shared,
    req: &Req,
) -> (super::errors::ApiResult<super::routes::Reply>, Vec<String>) {
    let hook = lock(&shared.world).webhook.clone();
    let planned = match &hook {
        Some(_) => crate::webhook::plan(&lock(&shared.world), req),
        None => None,
    };
    let mut warnings = Vec::new();
    if let (Some(hook), Some(plan)) = (&hook, &planned) {
        lock(&shared.webhook_calls).push(plan.review.clone());
        match crate::webhook::call(hook, plan).await {
            Ok(w) => warnings = w,
            Err(e) => return (Err(e), Vec::new()),
        }
    }
    let mut w = lock(&shared.world);
    let result = match &planned {
        Some(plan) => crate::webhook::still_current(&w, plan).and_then(|()| dispatch(&mut w, req)),
        None => dispatch(&mut w, req),
    };
    (result, warnings)
}
