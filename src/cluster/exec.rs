//! Exec credential plugins (`users[].user.exec`), run by the gate itself within
//! `--request-timeout`, so a plugin that never returns cannot hold the gate.
//!
//! kube runs the plugin synchronously with no limit; instead the plugin is run here before the
//! client is built, its `ExecCredential` read, and kube handed the resulting token (or client
//! certificate) in place of the exec block. The plugin's standard output holds the credential
//! and is never shown; its standard error may be, shortened and redacted.

use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use kube::config::{AuthInfo, ExecConfig};
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncReadExt as _;

use super::credentials::check_token;
use super::redact;
use super::ClusterError;
use crate::duration::show;

const MAX_STDOUT_BYTES: u64 = 1 << 20;
const MAX_STDERR_BYTES: u64 = 64 * 1024;
/// How much of the plugin's standard error a message quotes.
const STDERR_SHOWN: usize = 400;
const DEFAULT_API_VERSION: &str = "client.authentication.k8s.io/v1";

#[derive(Deserialize)]
struct ExecCredential {
    status: Option<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    token: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// Whether kube would run the exec plugin of `auth`: only when nothing it prefers is there.
pub(crate) fn needed(auth: &AuthInfo) -> bool {
    auth.exec.is_some()
        && auth.auth_provider.is_none()
        && !(auth.username.is_some() && auth.password.is_some())
        && auth.token.is_none()
        && auth.token_file.is_none()
}

/// Runs the exec plugin of `auth` within `limit` and replaces the exec block with what it
/// returned (a token, or a client certificate and key).
pub(crate) async fn resolve(
    user: &str,
    auth: &mut AuthInfo,
    limit: Option<Duration>,
) -> Result<(), ClusterError> {
    let Some(exec) = auth.exec.take() else {
        return Ok(());
    };
    let command = exec.command.clone().unwrap_or_default();
    let fail = |reason: String| ClusterError::ExecPlugin {
        user: user.to_string(),
        command: command.clone(),
        reason,
    };
    if command.is_empty() {
        return Err(fail("the exec block names no command".into()));
    }
    let stdout = run(&exec, limit).await.map_err(fail)?;
    let status = parse(&stdout).map_err(fail)?;
    if let Some(token) = status.token.filter(|t| !t.is_empty()) {
        redact::remember(&token);
        check_token(user, &format!("the token from `{command}`"), &token)?;
        auth.token = Some(token.into());
        return Ok(());
    }
    match (status.client_certificate_data, status.client_key_data) {
        (Some(cert), Some(key)) => {
            redact::remember(&key);
            // The kubeconfig's `*-data` fields are base64 of the PEM; the plugin's are PEM.
            let b64 = base64::engine::general_purpose::STANDARD;
            let key = b64.encode(key);
            redact::remember(&key);
            auth.client_certificate_data = Some(b64.encode(cert));
            auth.client_key_data = Some(key.into());
            Ok(())
        }
        _ => Err(fail(
            "its ExecCredential has neither `status.token` nor `status.clientCertificateData` \
             and `status.clientKeyData`"
                .into(),
        )),
    }
}

/// The plugin's standard output, or why there is none.
async fn run(exec: &ExecConfig, limit: Option<Duration>) -> Result<Vec<u8>, String> {
    let command = exec.command.as_deref().unwrap_or_default();
    let mut spec = json!({ "interactive": false });
    if exec.provide_cluster_info {
        if let Some(cluster) = &exec.cluster {
            spec["cluster"] = serde_json::to_value(cluster).unwrap_or_default();
        }
    }
    let info = json!({
        "apiVersion": exec.api_version.as_deref().unwrap_or(DEFAULT_API_VERSION),
        "kind": "ExecCredential",
        "spec": spec,
    });
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(exec.args.iter().flatten())
        .env("KUBERNETES_EXEC_INFO", info.to_string())
        // A gate runs unattended: no prompt can be answered.
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for pair in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) {
            cmd.env(name, value);
        }
    }
    for name in exec.drop_env.iter().flatten() {
        cmd.env_remove(name);
    }
    let mut child = cmd.spawn().map_err(|e| {
        let hint = exec
            .install_hint
            .as_deref()
            .map(|h| format!("; {}", sanitise(h)))
            .unwrap_or_default();
        format!("cannot start it: {e}{hint}")
    })?;
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err("cannot read its output".into());
    };
    let finish = async {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let (mut out, mut err) = (out.take(MAX_STDOUT_BYTES + 1), err.take(MAX_STDERR_BYTES));
        let (o, e) = tokio::join!(out.read_to_end(&mut stdout), err.read_to_end(&mut stderr));
        let status = child.wait().await;
        (status, o.and(e), stdout, stderr)
    };
    let (status, read, stdout, stderr) = match limit {
        Some(l) => tokio::time::timeout(l, finish).await.map_err(|_| {
            // Dropping `finish` drops the child, which kill_on_drop stops.
            format!(
                "it did not finish within {} (--request-timeout); it was stopped",
                show(l)
            )
        })?,
        None => finish.await,
    };
    let status = status.map_err(|e| format!("cannot wait for it: {e}"))?;
    if !status.success() {
        let said = sanitise(&String::from_utf8_lossy(&stderr));
        let said = if said.is_empty() {
            String::new()
        } else {
            format!("; it said: {said}")
        };
        return Err(format!("it failed ({status}){said}"));
    }
    read.map_err(|e| format!("cannot read its output: {e}"))?;
    if stdout.len() as u64 > MAX_STDOUT_BYTES {
        return Err("its output is larger than 1 MiB".into());
    }
    Ok(stdout)
}

/// The credential's status. Errors never quote the output: it may hold the credential.
fn parse(stdout: &[u8]) -> Result<Status, String> {
    // client-go reads the output with a YAML-tolerant decoder; JSON is what plugins print.
    let parsed: ExecCredential = match serde_json::from_slice(stdout) {
        Ok(c) => c,
        Err(json_err) => serde_saphyr::from_slice(stdout).map_err(|_| {
            format!(
                "its output is not an ExecCredential (JSON {:?} error at line {}, column {}; \
                 the output is not shown: it may hold a credential)",
                json_err.classify(),
                json_err.line(),
                json_err.column()
            )
        })?,
    };
    parsed
        .status
        .ok_or_else(|| "its ExecCredential has no `status`".to_string())
}

/// Standard error fit for a message: control characters replaced, redacted, shortened.
fn sanitise(text: &str) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = redact::redact(&flat);
    match clean.char_indices().nth(STDERR_SHOWN) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_error_is_flattened_shortened_and_redacted() {
        let long = "x".repeat(1000);
        assert_eq!(sanitise(&long).chars().count(), STDERR_SHOWN + 1);
        assert_eq!(sanitise("a\x1b[2Jb\nc"), "a [2Jb c");
        assert!(!sanitise("Authorization: Bearer leaked-token-9").contains("leaked"));
    }

    #[test]
    fn garbage_output_is_described_without_quoting_it() {
        let e = parse(b"token=super-secret-value").err().unwrap();
        assert!(!e.contains("super-secret"), "{e}");
        assert!(e.contains("not an ExecCredential"), "{e}");
        let e = parse(br#"{"kind": "ExecCredential"}"#).err().unwrap();
        assert!(e.contains("no `status`"), "{e}");
    }

    #[test]
    fn yaml_output_is_accepted_as_client_go_does() {
        let s = parse(b"kind: ExecCredential\nstatus:\n  token: yaml-token\n").unwrap();
        assert_eq!(s.token.as_deref(), Some("yaml-token"));
    }
}
