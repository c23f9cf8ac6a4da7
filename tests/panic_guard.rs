//! The top-level guard: a panic becomes exit status 2 ("could not decide"), not a bare 101.
// In its own test binary: the guard installs a process-wide panic hook.

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
