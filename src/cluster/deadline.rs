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
            crate::duration::show(self.0)
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
    fn the_deadline_names_the_flag() {
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
