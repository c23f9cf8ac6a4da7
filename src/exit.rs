//! How the process ends: the exit status (the table of docs/design/CLI.md, which CI pipelines
//! depend on), the panic guard, and what is left to the OS at exit.

use std::sync::atomic::{AtomicBool, Ordering};

/// How a run ended.
///
/// | code | meaning |
/// |---|---|
/// | 0 | allowed (and, for `promote` without `--dry-run`, done) |
/// | 1 | denied by policy (or tests failed): nothing was changed |
/// | 2 | could not decide: bad arguments, configuration, snapshot or rule script, a rule error, or the cluster could not be read; nothing was changed |
/// | 3 | partly done: the tag moved but a rollout or the wait failed |
///
/// An error outranks a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    Allowed = 0,
    Denied = 1,
    Error = 2,
    Partial = 3,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Set once by the binary's `main`: this process exits as soon as its command returns.
static ENDS_AFTER_COMMAND: AtomicBool = AtomicBool::new(false);

/// Marks this process as one that exits when its one command returns (the `tollgate` binary
/// running anything but `serve`; never a library caller, a test binary or a server): [`release`]
/// then leaves memory to the operating system.
pub fn ends_after_command() {
    ENDS_AFTER_COMMAND.store(true, Ordering::Relaxed);
}

/// Drops `value`, or, in a process that ends right after its command, leaves it to the OS:
/// freeing a compiled pack's thousands of AST nodes and the engine's function tables one by one
/// was about 5 % of a whole `check` process (callgrind, BENCHMARKS.md "Start-up"). Only for
/// values that own memory and nothing else (no files, locks or connections to close).
pub fn release<T>(value: T) {
    if ENDS_AFTER_COMMAND.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

/// Where bug reports go, from `repository` in Cargo.toml (empty when unset).
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Runs the whole program so that an unexpected panic ends it with [`ExitStatus::Error`] and one
/// line asking for a bug report, never Rust's bare exit 101 with a backtrace hint: a pipeline
/// must read "could not decide" (exit 2), and nothing was changed by a run that panicked before
/// acting. Installs a panic hook for that line (the hook is process-wide: call this once, from
/// `main`). `RUST_BACKTRACE=full` adds the backtrace.
pub fn guarded(run: impl FnOnce() -> ExitStatus) -> ExitStatus {
    // Restored afterwards, so a library caller (or a test binary) keeps its own hook.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        // Best effort: a closed stderr must not turn the panic into an abort.
        let _ = writeln!(err, "{}", panic_line(&what, at.as_deref()));
        // Only on explicit request: CI images often set RUST_BACKTRACE=1 for every tool.
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v == "full") {
            let _ = writeln!(err, "{}", std::backtrace::Backtrace::force_capture());
        }
    }));
    let status =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or(ExitStatus::Error);
    std::panic::set_hook(previous);
    status
}

/// The one line a panic prints.
pub fn panic_line(what: &str, at: Option<&str>) -> String {
    let at = at.map(|a| format!(" at {a}")).unwrap_or_default();
    let url = if REPOSITORY.is_empty() {
        String::new()
    } else {
        format!(" ({}/issues)", REPOSITORY.trim_end_matches('/'))
    };
    // The payload may quote input (a file name, a token): one line, no control characters.
    let what = crate::report::escape::line(what);
    format!(
        "internal error: {what}{at} — this is a bug, please report it with the command line{url}"
    )
}
