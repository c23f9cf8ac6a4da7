//! Every cluster call bounded and no credential in any output, through the CLI against the
//! emulator: a trickling or silent server is cut at `--request-timeout`, exec credential
//! plugins run within it, bad credentials are refused on load, and neither a URL password nor
//! a token echoed by the server is printed at any log level.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crate::common::{tollgate, DEST, NOW, SOURCE};
use crate::harness::{live, stderr, Live};
use tollgate_emulator::{Fault, FaultRule, DEFAULT_TOKEN};

const IS_PATH: &str = "/apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app";

/// A kubeconfig for `server` whose user entry `tollgate` is `user` (YAML, indented 4).
fn kubeconfig(dir: &Path, server: &str, user: &str) -> PathBuf {
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: emulator
  cluster:
    server: {server}
contexts:
- name: emulator
  context:
    cluster: emulator
    namespace: dev
    user: tollgate
current-context: emulator
users:
- name: tollgate
  user:
{user}
"
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// A kubeconfig whose user runs `script` (through `sh`, so the file need not be executable).
fn exec_kubeconfig(l: &Live, script: &str) -> PathBuf {
    let plugin = l.dir.path().join("plugin.sh");
    std::fs::write(&plugin, script).unwrap();
    let user = format!(
        "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/sh
      args: [\"{}\"]
      interactiveMode: Never",
        plugin.display()
    );
    kubeconfig(l.dir.path(), &l.emu.url(), &user)
}

fn check(kubeconfig: &Path, extra: &[&str]) -> Output {
    tollgate()
        .args(["check", SOURCE, DEST, "--time", NOW, "--output", "json"])
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

fn all_output(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out))
}

#[test]
fn a_trickling_answer_is_cut_at_the_request_timeout_naming_request_server_and_limit() {
    let l = live("c-manual-trigger");
    l.emu.inject(FaultRule::new(
        "GET",
        IS_PATH,
        Fault::Trickle(Duration::from_millis(100)),
    ));
    let out = check(&l.kubeconfig, &["--request-timeout", "1s"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let server = l.emu.url().trim_start_matches("http://").to_string();
    assert!(
        err.contains(&format!(
            "GET {IS_PATH} on {server}: no complete answer within 1s (--request-timeout)"
        )),
        "{err}"
    );
}

#[test]
fn a_server_that_never_answers_is_cut_at_the_request_timeout() {
    let l = live("c-manual-trigger");
    l.emu.inject(FaultRule::new(
        "GET",
        IS_PATH,
        Fault::Latency(Duration::from_secs(600)),
    ));
    let out = check(&l.kubeconfig, &["--request-timeout", "1500ms"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no complete answer within 1500ms (--request-timeout)"),
        "{err}"
    );
}

#[test]
fn a_request_timeout_that_is_not_a_duration_exits_2() {
    let l = live("c-manual-trigger");
    for bad in ["soon", "5d", "-1s", ""] {
        let out = check(&l.kubeconfig, &[&format!("--request-timeout={bad}")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--request-timeout"), "{bad}: {err}");
        assert!(l.emu.requests().is_empty(), "{bad}: nothing is sent");
    }
}

#[test]
fn an_exec_plugin_token_is_used_and_never_printed() {
    let l = live("c-manual-trigger");
    let (expected, _) = l.check(&[]);
    let script = format!(
        "[ -n \"$KUBERNETES_EXEC_INFO\" ] || exit 3\n\
         printf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\
         \"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{DEFAULT_TOKEN}\"}}}}'\n"
    );
    let kc = exec_kubeconfig(&l, &script);
    let out = check(&kc, &["-vvv", "--request-timeout", "5s"]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(expected), "{all}");
    assert!(!all.contains(DEFAULT_TOKEN), "the plugin's token leaked");
    assert!(
        l.emu
            .requests()
            .iter()
            .all(|r| r.user == tollgate_emulator::DEFAULT_USER),
        "every request carried the plugin's token"
    );
}

#[test]
fn an_exec_plugin_that_never_returns_is_stopped_at_the_request_timeout() {
    let l = live("c-manual-trigger");
    let kc = exec_kubeconfig(&l, "exec sleep 600\n");
    let out = check(&kc, &["--request-timeout", "1s"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("exec credential plugin `/bin/sh`"), "{err}");
    assert!(err.contains("user `tollgate`"), "{err}");
    assert!(
        err.contains("did not finish within 1s (--request-timeout)"),
        "{err}"
    );
    assert!(
        l.emu.requests().is_empty(),
        "nothing is sent without a credential"
    );
}

#[test]
fn an_exec_plugin_printing_garbage_is_refused_without_echoing_its_output() {
    let l = live("c-manual-trigger");
    let kc = exec_kubeconfig(&l, "echo 'token=sha256~plugin-garbage-secret'\n");
    let out = check(&kc, &["-vvv"]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(stderr(&out).contains("not an ExecCredential"), "{all}");
    assert!(!all.contains("plugin-garbage-secret"), "{all}");
}

#[test]
fn an_exec_plugin_that_fails_is_reported_with_its_stderr() {
    let l = live("c-manual-trigger");
    let kc = exec_kubeconfig(&l, "echo 'error: you must log in (oc login)' >&2\nexit 1\n");
    let out = check(&kc, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("exit status: 1"), "{err}");
    assert!(err.contains("you must log in (oc login)"), "{err}");
}

#[test]
fn a_token_with_a_line_break_exits_2_naming_the_user_entry_not_the_value() {
    let l = live("c-manual-trigger");
    let kc = kubeconfig(
        l.dir.path(),
        &l.emu.url(),
        "    token: \"crlf-token-value\\r\\nX-Injected: yes\"",
    );
    let out = check(&kc, &["-vvv"]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    assert!(stderr(&out).contains("kubeconfig user `tollgate`"), "{all}");
    assert!(stderr(&out).contains("line break"), "{all}");
    assert!(!all.contains("crlf-token-value"), "{all}");
    assert!(l.emu.requests().is_empty());
}

#[test]
fn a_password_in_the_server_url_is_ignored_and_never_printed() {
    let l = live("c-manual-trigger");
    let (expected, _) = l.check(&[]);
    let url = l
        .emu
        .url()
        .replace("http://", "http://admin:url-password-42@");
    let user = format!("    token: {DEFAULT_TOKEN}");
    let kc = kubeconfig(l.dir.path(), &url, &user);
    let out = check(&kc, &["-vvv"]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(expected), "{all}");
    assert!(!all.contains("url-password-42"), "the URL password leaked");
    assert!(!all.contains(DEFAULT_TOKEN), "the token leaked");
    assert!(stderr(&out).contains("carries user info"), "{all}");
    // The logs did name the requests, so the grep is not vacuous.
    assert!(stderr(&out).contains("imagestreams"), "{all}");
}

#[test]
fn a_server_echoing_the_authorization_header_does_not_get_the_token_printed() {
    let l = live("c-manual-trigger");
    l.emu.inject(FaultRule::new(
        "GET",
        IS_PATH,
        Fault::EchoAuthorization(500),
    ));
    let out = check(&l.kubeconfig, &["-vvv"]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        l.emu.requests().iter().any(|r| r.fault.is_some()),
        "the echo was never exercised"
    );
    assert!(!all.contains(DEFAULT_TOKEN), "{all}");
    assert!(!all.contains("SECRET-TOKEN"), "{all}");
    assert!(
        stderr(&out).contains("Authorization: Bearer [redacted]"),
        "{all}"
    );
}

#[test]
fn an_unreachable_cluster_is_one_error_line_at_the_default_level() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("http://127.0.0.1:{port}");
    let kc = kubeconfig(dir.path(), &server, &format!("    token: {DEFAULT_TOKEN}"));
    let quiet = check(&kc, &[]);
    let err = stderr(&quiet);
    assert_eq!(quiet.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    // The client's own per-request lines are still there for debugging.
    let loud = check(&kc, &["-vv"]);
    assert!(
        stderr(&loud).contains("failed with error"),
        "{}",
        stderr(&loud)
    );
}
