//! Keeping credentials out of every message: the secrets this process loaded are replaced
//! wherever a server or transport error would repeat them.
//!
//! A server may echo the request (its `Authorization` header included) in an error message,
//! and an error chain may quote a URL. Every text from the cluster side passes through
//! [`redact`] before it enters a [`super::ClusterError`] or a log line: the known secret values
//! (tokens, passwords, client keys, an exec plugin's credential) are replaced, and so is
//! anything shaped like a bearer or basic credential or a private key, known or not.

use std::sync::{LazyLock, Mutex};

use regex::Regex;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not replaced by value (replacing `ab` would mangle every message);
/// the patterns still catch them in headers.
const MIN_SECRET_LEN: usize = 4;

/// Every secret loaded by this process. Process-wide on purpose: a secret, once known, must
/// never be printed by any connection, and it costs nothing to keep them.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// `Authorization: Bearer x`, `"authorization":["Basic x"]`, `authorization=x`: the
/// prefix, the scheme, the value.
static HEADER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?i)(authorization"?\s*[:=]\s*\[?\s*"?)(?:(bearer|basic)\s+)?([^\s",\]}]+)"#).ok()
});

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Case-sensitive and 8+ characters, so prose ("basic information") stays.
        (
            r"\b(Bearer|bearer|BEARER|Basic)\s+[A-Za-z0-9._~+/=:-]{8,}",
            "${1} [redacted]",
        ),
        (
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
            "[redacted private key]",
        ),
        // User info in a URL: `https://user:password@host`.
        (r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@", "${1}[redacted]@"),
    ]
    .into_iter()
    .filter_map(|(re, with)| Regex::new(re).ok().map(|re| (re, with)))
    .collect()
});

/// Remembers a secret so that [`redact`] replaces it from now on.
pub fn remember(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut known = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    if !known.iter().any(|k| k == secret) {
        known.push(secret.to_string());
        // Longest first, so a secret containing another is replaced whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// `text` with every remembered secret and every credential-shaped string replaced.
pub fn redact(text: &str) -> String {
    let known = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    redact_with(text, &known)
}

/// `text` with `secrets` and every credential-shaped string replaced.
pub fn redact_with(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= MIN_SECRET_LEN) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    if let Some(re) = HEADER.as_ref().filter(|re| re.is_match(&out)) {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let value = c.get(3).map_or("", |m| m.as_str());
                if value.starts_with(REDACTED) || value.starts_with("[redacted") {
                    // Already replaced as a known secret.
                    return c[0].to_string();
                }
                match c.get(2) {
                    Some(scheme) => format!("{}{} {REDACTED}", &c[1], scheme.as_str()),
                    None => format!("{}{REDACTED}", &c[1]),
                }
            })
            .into_owned();
    }
    for (re, with) in PATTERNS.iter() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *with).into_owned();
        }
    }
    out
}

/// Standard error for log lines, redacted: kube logs the server's error answers (at debug)
/// as received, and `RUST_LOG` can turn on any target; nothing reaches the terminal
/// unredacted. For `tracing_subscriber::fmt().with_writer(..)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactedStderr;

impl std::io::Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The fmt layer writes each event whole, so a secret is never split across calls.
        let text = redact(&String::from_utf8_lossy(buf));
        std::io::stderr().lock().write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactedStderr {
    type Writer = RedactedStderr;

    fn make_writer(&'a self) -> RedactedStderr {
        RedactedStderr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn known_secrets_are_replaced_wherever_they_appear() {
        let out = redact_with(
            "token sha256~abcdef123 rejected; password hunter22 too",
            &secrets(&["sha256~abcdef123", "hunter22"]),
        );
        assert_eq!(out, "token [redacted] rejected; password [redacted] too");
    }

    #[test]
    fn echoed_authorization_headers_are_replaced_even_when_unknown() {
        for (text, leaked) in [
            (
                "request headers: Authorization: Bearer eyJhbGciOi.x.y",
                "eyJhbGciOi",
            ),
            (r#"{"Authorization":["Bearer tok-123456"]}"#, "tok-123456"),
            ("authorization=Basic YWRtaW46c2VjcmV0", "YWRtaW46c2VjcmV0"),
            ("saw bearer abcdefghijkl in the request", "abcdefghijkl"),
            ("GET https://admin:s3cret@api.example:6443/api", "s3cret"),
        ] {
            let out = redact_with(text, &[]);
            assert!(!out.contains(leaked), "{text} → {out}");
            assert!(out.contains(REDACTED), "{text} → {out}");
        }
    }

    #[test]
    fn a_header_holding_a_known_secret_is_redacted_once() {
        let out = redact_with(
            "rejected: Authorization: Bearer sha256~known-1",
            &secrets(&["sha256~known-1"]),
        );
        assert_eq!(out, "rejected: Authorization: Bearer [redacted]");
    }

    #[test]
    fn private_keys_are_replaced_whole() {
        let text =
            "bad key -----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY----- end";
        assert_eq!(redact_with(text, &[]), "bad key [redacted private key] end");
    }

    #[test]
    fn ordinary_messages_are_left_alone() {
        let text = "imagestreams.image.openshift.io \"app\" is forbidden: User \"dev\" cannot get \
                    resource \"imagestreams\" in API group \"image.openshift.io\"";
        assert_eq!(redact_with(text, &secrets(&["ab"])), text);
    }

    #[test]
    fn remembered_secrets_are_redacted_process_wide() {
        remember("process-wide-secret-42");
        assert_eq!(redact("x process-wide-secret-42 y"), "x [redacted] y");
    }
}
