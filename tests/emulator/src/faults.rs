//! Fault injection (latency, error codes, dropped connections) and request accounting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::lock;

/// What a matching rule does to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Sleep, then serve normally (other rules may still fail the request).
    Latency(Duration),
    /// Answer with this HTTP code and a `Status` body (500, 503, 403, 409, …) without touching state.
    Status(u16),
    /// Close the connection without writing any response.
    Drop,
    /// Send `200` headers, then one byte of whitespace every interval, never finishing the
    /// answer (a server that trickles: each read succeeds, the answer never completes).
    Trickle(Duration),
    /// Answer with this HTTP code and a `Status` whose message repeats the request's
    /// `Authorization` header, as a careless proxy or server does.
    EchoAuthorization(u16),
}

/// `method` (`"*"` = any) + path glob (`*` = one path segment's worth, `**` = anything), applied
/// to the next `times` matching requests (None = every one).
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub method: String,
    pub pattern: String,
    pub fault: Fault,
    pub remaining: Option<u32>,
}

impl FaultRule {
    pub fn new(method: &str, pattern: &str, fault: Fault) -> Self {
        FaultRule {
            method: method.to_uppercase(),
            pattern: pattern.to_string(),
            fault,
            remaining: None,
        }
    }

    /// Applies to the next `n` matching requests only.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method == method)
            && glob(self.pattern.as_bytes(), path.as_bytes())
    }
}

/// Glob match where `*` stops at `/` and `**` crosses it.
pub fn glob(pat: &[u8], s: &[u8]) -> bool {
    match pat {
        [] => s.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        [b'*', rest @ ..] => {
            let seg = s.iter().position(|&c| c == b'/').unwrap_or(s.len());
            (0..=seg).any(|i| glob(rest, &s[i..]))
        }
        [c, rest @ ..] => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// One request as the emulator saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// Arrival order, from 0.
    pub seq: usize,
    pub method: String,
    /// Path without the query string.
    pub path: String,
    pub query: String,
    /// The authenticated user name ("" if the token was unknown).
    pub user: String,
    /// HTTP code sent; None while in flight or when the connection was dropped.
    pub status: Option<u16>,
    /// The injected fault that decided the answer, if any.
    pub fault: Option<Fault>,
    /// The parsed JSON request body, if there was one.
    pub body: Option<Value>,
}

#[derive(Debug, Default)]
struct Inner {
    log: Vec<LoggedRequest>,
    rules: Vec<FaultRule>,
}

/// Request log, counters and fault rules, shared by the server and the test.
#[derive(Debug, Default)]
pub struct Accounting {
    inner: Mutex<Inner>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Decrements the in-flight gauge even when the client goes away mid-request.
pub struct InFlight(Arc<Accounting>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What `begin` decided for a request: delay first, then maybe a terminal fault.
pub struct Admission {
    pub seq: usize,
    pub delay: Duration,
    pub terminal: Option<Fault>,
    pub guard: InFlight,
}

impl Accounting {
    pub fn add_rule(&self, rule: FaultRule) {
        lock(&self.inner).rules.push(rule);
    }

    pub fn begin(
        self: &Arc<Self>,
        method: &str,
        path: &str,
        query: &str,
        body: Option<Value>,
    ) -> Admission {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let mut inner = lock(&self.inner);
        let mut delay = Duration::ZERO;
        let mut terminal = None;
        for rule in inner.rules.iter_mut().filter(|r| r.matches(method, path)) {
            let is_latency = matches!(rule.fault, Fault::Latency(_));
            // An exhausted rule is inert; a second terminal fault is left for the next request.
            if rule.remaining == Some(0) || (terminal.is_some() && !is_latency) {
                continue;
            }
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            match &rule.fault {
                Fault::Latency(d) => delay += *d,
                other => terminal = Some(other.clone()),
            }
        }
        let seq = inner.log.len();
        inner.log.push(LoggedRequest {
            seq,
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            user: String::new(),
            status: None,
            fault: terminal.clone(),
            body,
        });
        Admission {
            seq,
            delay,
            terminal,
            guard: InFlight(Arc::clone(self)),
        }
    }

    pub fn finish(&self, seq: usize, user: &str, status: Option<u16>) {
        if let Some(entry) = lock(&self.inner).log.get_mut(seq) {
            entry.user = user.to_string();
            entry.status = status;
        }
    }

    pub fn log(&self) -> Vec<LoggedRequest> {
        lock(&self.inner).log.clone()
    }

    /// Requests with exactly this method and path (query ignored).
    pub fn count(&self, method: &str, path: &str) -> usize {
        lock(&self.inner)
            .log
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    /// Requests matching a method (`"*"` = any) and path glob.
    pub fn count_matching(&self, method: &str, pattern: &str) -> usize {
        let probe = FaultRule::new(method, pattern, Fault::Drop);
        lock(&self.inner)
            .log
            .iter()
            .filter(|r| probe.matches(&r.method, &r.path))
            .count()
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Forgets the log and the in-flight maximum (rules stay).
    pub fn reset(&self) {
        lock(&self.inner).log.clear();
        self.max_in_flight
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}
