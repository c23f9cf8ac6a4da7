//! Credentials checked before any client exists: usable in an HTTP header, remembered for
//! redaction, never printed; user info stripped from the server URL.
//!
//! A token with a CR or LF reaches a `HeaderValue::from_str(..).unwrap()` inside the client
//! stack and panics; refused here instead, naming the kubeconfig user entry, never the value.

use std::io::Read as _;

use http::HeaderValue;
use kube::config::AuthInfo;
use kube::Config;
use secrecy::ExposeSecret;

use super::redact;
use super::ClusterError;

/// A token file larger than this is not a token.
const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

fn refuse(user: &str, what: &str, why: &str) -> ClusterError {
    ClusterError::Credentials {
        user: user.to_string(),
        reason: format!("{what} {why} (the value is not shown)"),
    }
}

/// Whether `token` can travel as `Authorization: Bearer <token>`.
pub(crate) fn check_token(user: &str, what: &str, token: &str) -> Result<(), ClusterError> {
    if token.is_empty() {
        return Err(refuse(user, what, "is empty"));
    }
    if HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
        return Err(refuse(
            user,
            what,
            "holds bytes not allowed in an HTTP header (a line break or another control \
             character)",
        ));
    }
    Ok(())
}

fn check_basic(user: &str, username: &str, password: &str) -> Result<(), ClusterError> {
    if username.chars().any(|c| c.is_control() || c == ':') {
        return Err(refuse(
            user,
            "the username",
            "holds a `:` or a control character",
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(refuse(user, "the password", "holds a control character"));
    }
    Ok(())
}

fn read_token_file(user: &str, path: &str) -> Result<String, ClusterError> {
    let what = format!("the token file {path}");
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_TOKEN_FILE_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| ClusterError::Credentials {
            user: user.to_string(),
            reason: format!("cannot read {what}: {e}"),
        })?;
    if text.len() as u64 > MAX_TOKEN_FILE_BYTES {
        return Err(refuse(user, &what, "is larger than 64 KiB"));
    }
    Ok(text)
}

/// Checks the credentials of `auth` (named `user` in messages) and remembers every secret
/// value for [`redact::redact`]. Returns whether a credential that travels in a header
/// (token or password) will be sent.
pub(crate) fn check(user: &str, auth: &AuthInfo) -> Result<bool, ClusterError> {
    let mut header_credential = false;
    if let Some(p) = &auth.password {
        let p = p.expose_secret();
        redact::remember(p);
        check_basic(user, auth.username.as_deref().unwrap_or(""), p)?;
        header_credential = true;
    }
    if let Some(t) = &auth.token {
        let t = t.expose_secret();
        redact::remember(t);
        check_token(user, "the token", t)?;
        header_credential = true;
    }
    if let Some(path) = &auth.token_file {
        // kube sends the file as it is (no trimming) and rereads it every minute; a file
        // that is wrong now is refused now.
        let t = read_token_file(user, path)?;
        redact::remember(&t);
        check_token(user, &format!("the token file {path}"), &t)?;
        header_credential = true;
    }
    if let Some(k) = &auth.client_key_data {
        redact::remember(k.expose_secret());
    }
    if let Some(provider) = &auth.auth_provider {
        for (key, value) in &provider.config {
            if key.contains("token") || key.contains("secret") {
                redact::remember(value);
            }
        }
        header_credential = true;
    }
    Ok(header_credential)
}

/// Removes user info from the server URL (`https://user:password@host` → `https://host`):
/// it would be printed by every log line naming the URL, and credentials belong in the user
/// entry. Returns whether there was some. The password is remembered for redaction.
pub(crate) fn strip_user_info(config: &mut Config) -> Result<bool, ClusterError> {
    let Some(authority) = config.cluster_url.authority() else {
        return Ok(false);
    };
    let Some((info, host)) = authority.as_str().rsplit_once('@') else {
        return Ok(false);
    };
    redact::remember(info);
    if let Some((_, password)) = info.split_once(':') {
        redact::remember(password);
    }
    let host = host.to_string();
    let mut parts = config.cluster_url.clone().into_parts();
    parts.authority = Some(host.parse().map_err(|_| {
        ClusterError::Client("the server URL has no valid host after its user info".into())
    })?);
    config.cluster_url = http::Uri::from_parts(parts).map_err(|_| {
        ClusterError::Client("the server URL has no valid host after its user info".into())
    })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(yaml: &str) -> AuthInfo {
        serde_json::from_value(serde_json::from_str::<serde_json::Value>(yaml).unwrap()).unwrap()
    }

    #[test]
    fn a_token_with_a_line_break_is_refused_naming_the_user_not_the_value() {
        let e = check("ci", &auth(r#"{"token": "abc\r\nX-Injected: 1"}"#)).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("user `ci`"), "{text}");
        assert!(text.contains("line break"), "{text}");
        assert!(!text.contains("abc"), "{text}");
        assert!(!text.contains("Injected"), "{text}");
    }

    #[test]
    fn good_credentials_pass_and_are_remembered() {
        assert!(check("ci", &auth(r#"{"token": "sha256~good-token-1"}"#)).unwrap());
        assert_eq!(redact::redact("x sha256~good-token-1"), "x [redacted]");
        assert!(!check("ci", &auth(r#"{"client-key-data": "a2V5LWRhdGEtMQ=="}"#)).unwrap());
        assert_eq!(redact::redact("a2V5LWRhdGEtMQ=="), "[redacted]");
    }

    #[test]
    fn basic_auth_with_control_characters_is_refused() {
        let e = check(
            "ci",
            &auth(r#"{"username": "admin", "password": "se\ncret"}"#),
        );
        assert!(e.unwrap_err().to_string().contains("the password"));
        let e = check(
            "ci",
            &auth(r#"{"username": "ad:min", "password": "secret"}"#),
        );
        assert!(e.unwrap_err().to_string().contains("the username"));
    }

    #[test]
    fn a_token_file_is_checked_as_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "file-token-1\n").unwrap();
        let a = auth(&format!(r#"{{"tokenFile": "{}"}}"#, path.display()));
        let text = check("sa", &a).unwrap_err().to_string();
        assert!(text.contains("token file"), "{text}");
        std::fs::write(&path, "file-token-1").unwrap();
        assert!(check("sa", &a).unwrap());
        let missing = auth(r#"{"tokenFile": "/nonexistent/token"}"#);
        assert!(check("sa", &missing)
            .unwrap_err()
            .to_string()
            .contains("cannot read"));
    }

    #[test]
    fn user_info_is_stripped_from_the_server_url() {
        let mut config = Config::new("https://admin:hunter2x@api.example:6443".parse().unwrap());
        assert!(strip_user_info(&mut config).unwrap());
        assert_eq!(config.cluster_url.to_string(), "https://api.example:6443/");
        assert_eq!(redact::redact("pw hunter2x"), "pw [redacted]");
        assert!(!strip_user_info(&mut config).unwrap());
    }
}
