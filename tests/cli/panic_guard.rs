//! The top-level guard: a panic becomes exit status 2 ("could not decide"), not a bare 101.

use tollgate::exit::{guarded, ExitStatus};

#[test]
fn a_panic_is_an_error_exit_and_a_normal_run_keeps_its_status() {
    assert_eq!(guarded(|| ExitStatus::Denied), ExitStatus::Denied);
    let status = guarded(|| panic!("simulated bug"));
    assert_eq!(status, ExitStatus::Error);
    assert_eq!(status.code(), 2);
    let owned = guarded(|| std::panic::panic_any(format!("owned {}", 1)));
    assert_eq!(owned, ExitStatus::Error);
}

#[test]
fn the_panic_line_asks_for_a_bug_report_on_one_line() {
    let l = tollgate::exit::panic_line("boom\n\u{1b}[2J", Some("src/x.rs:3"));
    assert!(
        l.starts_with("internal error: boom\\n\\u{1b}[2J at src/x.rs:3 — this is a bug, please report it with the command line"),
        "{l}"
    );
    assert!(!l.contains('\n'), "{l}");
}

/// A kubeconfig token with CR/LF made a dependency panic (exit 101). Whether or not that input
/// is refused earlier by now, the process must end with exit 2 and no Rust panic banner.
#[test]
fn the_binary_never_exits_101() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\nusers:\n- name: u\n  user:\n    token: \"abc\\r\\ndef\"\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("tollgate")
        .unwrap()
        .args([
            "check",
            "dev/app:latest",
            "dev/app:promote",
            "--output",
            "json",
        ])
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .env("RUST_BACKTRACE", "1")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked at"), "{stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
}
