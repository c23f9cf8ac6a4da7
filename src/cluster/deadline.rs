//! `--request-timeout`: one deadline per request, from sending it to the last byte of its answer.
//!
//! kube's `read_timeout` restarts at every read, so a server that trickles its answer a byte
//! at a time is never cut by it. This tower layer sits outermost on the client's stack (over
//! kube's retries and authentication), starts a timer when a request is sent and keeps it
//! running while the body is read; past it, the request fails with [`Deadline`]. Every
//! failure it passes on is wrapped in [`OnServer`], so messages can name the server without
//! `api::call` having to know it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The default of `--request-timeout` (oc has none; a gate must not hang a pipeline).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The overall gather may take this many request timeouts: it sends up to four waves one
/// after the other, each of concurrent requests.
pub const GATHER_TIMEOUTS: u32 = 4;

/// No complete answer within the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub Duration);

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no complete answer within {} (--request-timeout)",
            show(self.0)
        )
    }
}

impl std::error::Error for Deadline {}

/// A transport failure (or a [`Deadline`]) of a request to `server` (`host:port`, never
/// user info).
#[derive(Debug)]
pub struct OnServer {
    pub server: Arc<str>,
    pub source: BoxError,
}

impl fmt::Display for OnServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "on {}", self.server)
    }
}

impl std::error::Error for OnServer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// A duration as the flags write it: `30s`, `1m30s`, `1500ms`.
pub fn show(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 != 0 {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

/// Parses `--request-timeout` as oc does: `0` means no limit, a bare number is seconds,
/// otherwise numbers with units `ms`, `s`, `m`, `h`, possibly chained (`1m30s`, `1.5s`).
pub fn parse_request_timeout(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}`: expected a duration such as 30s, 1m or 1m30s (0: no limit)");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, after) = rest.split_at(split);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let n: f64 = num.parse().map_err(|_| bad())?;
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => {
                return Err(format!(
                    "`{text}`: unknown unit `{unit}` (use ms, s, m or h)"
                ))
            }
        };
        total += n * scale;
        rest = next;
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// Wraps every request of a client in the deadline; `None`: no limit (`--request-timeout 0`).
#[derive(Debug, Clone)]
pub struct DeadlineLayer {
    pub limit: Option<Duration>,
    pub server: Arc<str>,
}

impl<S> tower_layer::Layer<S> for DeadlineLayer {
    type Service = Bounded<S>;

    fn layer(&self, inner: S) -> Bounded<S> {
        Bounded {
            inner,
            limit: self.limit,
            server: Arc::clone(&self.server),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Bounded<S> {
    inner: S,
    limit: Option<Duration>,
    server: Arc<str>,
}

type Pending<B> = Pin<Box<dyn Future<Output = Result<Response<BoundedBody<B>>, BoxError>> + Send>>;

fn on(server: &Arc<str>, source: BoxError) -> BoxError {
    Box::new(OnServer {
        server: Arc::clone(server),
        source,
    })
}

impl<S, ReqBody, B> tower_service::Service<Request<ReqBody>> for Bounded<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<BoundedBody<B>>;
    type Error = BoxError;
    type Future = Pending<B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        let server = &self.server;
        self.inner.poll_ready(cx).map_err(|e| on(server, e.into()))
    }

    fn call(&mut self, req: Request<ReqBody>) -> Pending<B> {
        let limit = self.limit;
        let server = Arc::clone(&self.server);
        // The timer starts now, before connecting, and keeps running through the body.
        let mut timer = limit.map(|l| Box::pin(tokio::time::sleep(l)));
        let answer = self.inner.call(req);
        Box::pin(async move {
            let head = match timer.as_mut() {
                Some(t) => tokio::select! {
                    r = answer => r,
                    () = t => {
                        let limit = limit.unwrap_or_default();
                        return Err(on(&server, Box::new(Deadline(limit))));
                    }
                },
                None => answer.await,
            };
            match head {
                Ok(response) => Ok(response.map(|inner| BoundedBody {
                    inner,
                    timer,
                    limit: limit.unwrap_or_default(),
                    server,
                })),
                Err(e) => Err(on(&server, e.into())),
            }
        })
    }
}

/// An answer's body, cut when the request's deadline passes.
pub struct BoundedBody<B> {
    inner: B,
    timer: Option<Pin<Box<Sleep>>>,
    limit: Duration,
    server: Arc<str>,
}

impl<B> Body for BoundedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        // The timer first: a server sending a byte at a time always has a frame coming.
        if let Some(t) = this.timer.as_mut() {
            if t.as_mut().poll(cx).is_ready() {
                let e = on(&this.server, Box::new(Deadline(this.limit)));
                return Poll::Ready(Some(Err(e)));
            }
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(on(&this.server, e.into())))),
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The [`Deadline`] and the server in an error chain, if the layer put them there.
pub fn find(e: &(dyn std::error::Error + 'static)) -> (Option<Deadline>, Option<Arc<str>>) {
    let (mut deadline, mut server) = (None, None);
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(d) = err.downcast_ref::<Deadline>() {
            deadline = Some(*d);
        }
        if let Some(o) = err.downcast_ref::<OnServer>() {
            server.get_or_insert_with(|| Arc::clone(&o.server));
        }
        cur = err.source();
    }
    (deadline, server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timeouts_parse_as_oc_writes_them() {
        let ok = |t: &str| parse_request_timeout(t).unwrap();
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("45"), Duration::from_secs(45));
        assert_eq!(ok("30s"), Duration::from_secs(30));
        assert_eq!(ok("1m"), Duration::from_secs(60));
        assert_eq!(ok("1m30s"), Duration::from_secs(90));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("250ms"), Duration::from_millis(250));
        assert_eq!(ok("2h"), Duration::from_secs(7200));
        for bad in ["", "abc", "5d", "s", "-1s", "1..5s", "30 s x", "1e400h"] {
            assert!(parse_request_timeout(bad).is_err(), "{bad}");
        }
        assert!(parse_request_timeout("5d")
            .unwrap_err()
            .contains("unknown unit `d`"));
    }

    #[test]
    fn limits_are_shown_as_the_flag_writes_them() {
        assert_eq!(show(Duration::from_secs(30)), "30s");
        assert_eq!(show(Duration::from_secs(90)), "1m30s");
        assert_eq!(show(Duration::from_secs(120)), "2m");
        assert_eq!(show(Duration::from_secs(3600)), "1h");
        assert_eq!(show(Duration::from_millis(1500)), "1500ms");
        assert_eq!(
            Deadline(Duration::from_secs(2)).to_string(),
            "no complete answer within 2s (--request-timeout)"
        );
    }

    #[test]
    fn the_deadline_and_the_server_are_found_through_wrappers() {
        // As kube wraps a middleware's error: `Error::Service(#[source] BoxError)`.
        #[derive(Debug)]
        struct Service(BoxError);
        impl fmt::Display for Service {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "ServiceError: {}", self.0)
            }
        }
        impl std::error::Error for Service {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&*self.0)
            }
        }
        let server = Arc::from("api.example:6443");
        let outer = Service(on(&server, Box::new(Deadline(Duration::from_secs(1)))));
        let (d, s) = find(&outer);
        assert_eq!(d, Some(Deadline(Duration::from_secs(1))));
        assert_eq!(s.as_deref(), Some("api.example:6443"));
    }
}
