//! What one rule run records (messages, operations, print output), and the per-rule caps and
//! wall-clock deadline enforced while it runs.
//!
//! Evaluation is synchronous on one thread, so thread-locals are the simplest way for the
//! callbacks and functions registered on the shared engine to reach the current rule's sink.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use rhai::{Dynamic, EvalAltResult, Position};

/// `deny`/`warn`/`skip` calls one rule may make: a rule names a handful of objects; a rule
/// calling `deny` in a loop over every binding is stopped before it fills memory and the report.
pub const MAX_MESSAGES: usize = 100;
/// Bytes one message may have; a longer one is cut at this size (marker included), not refused:
/// a message quoting a long value is honest, and the rule's outcome stays what it said.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024;
/// Bytes of all of one rule's messages together (after cutting each to [`MAX_MESSAGE_BYTES`]).
pub const MAX_MESSAGES_TOTAL_BYTES: usize = 64 * 1024;
/// `print`/`debug` output of one rule (lines and bytes): past either, one line says the rest
/// was suppressed. Debugging output, not a verdict, so it never makes the rule fail.
pub const MAX_PRINT_LINES: usize = 100;
pub const MAX_PRINT_BYTES: usize = 16 * 1024;

/// Operations between two reads of the clock. Reading it (~25 ns) costs about as much as a
/// cheap operation, so not on every one; one operation can cost milliseconds (a string
/// function on a 256 KiB string), so not every thousand either. The functions whose one call
/// walks a whole array or map ask [`deadline_passed`] themselves ([`super::bounded`]).
pub(crate) const CLOCK_STRIDE: u64 = 8;

/// What one rule said while it ran.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub denies: Vec<String>,
    pub warns: Vec<String>,
    pub skips: Vec<String>,
    pub operations: u64,
    message_bytes: usize,
    print_lines: usize,
    print_bytes: usize,
}

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
    // Read on every operation: plain cells, no borrow flag.
    static OPS: Cell<u64> = const { Cell::new(0) };
    static NEXT_CLOCK_READ: Cell<u64> = const { Cell::new(u64::MAX) };
    static DEADLINE: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
}

/// Runs `f` with a fresh sink and a deadline `timeout` from now, returning its result and what
/// the rule recorded.
pub(crate) fn with_sink<T>(timeout: Duration, f: impl FnOnce() -> T) -> (T, Sink) {
    SINK.with(|s| *s.borrow_mut() = Some(Sink::default()));
    OPS.set(0);
    NEXT_CLOCK_READ.set(CLOCK_STRIDE);
    DEADLINE.set(Some((Instant::now() + timeout, timeout)));
    let out = f();
    DEADLINE.set(None);
    NEXT_CLOCK_READ.set(u64::MAX);
    let mut sink = SINK.with(|s| s.borrow_mut().take()).unwrap_or_default();
    sink.operations = OPS.get();
    (out, sink)
}

/// The engine's progress callback: counts operations and, every [`CLOCK_STRIDE`] of them,
/// stops the rule once its deadline has passed.
pub(crate) fn on_progress(ops: u64) -> Option<Dynamic> {
    OPS.set(ops);
    if ops < NEXT_CLOCK_READ.get() {
        return None;
    }
    NEXT_CLOCK_READ.set(ops.saturating_add(CLOCK_STRIDE));
    deadline_passed().map(Dynamic::from)
}

/// The time-limit message when the current rule's deadline has passed.
pub(crate) fn deadline_passed() -> Option<String> {
    let (deadline, timeout) = DEADLINE.get()?;
    (Instant::now() >= deadline).then(|| {
        format!(
            "rule exceeded its {} time limit (limits.rule_timeout)",
            crate::duration::prose(timeout)
        )
    })
}

/// The error that ends a rule at a limit. `ErrorTerminated` cannot be caught by the rule's own
/// `try`/`catch`, so a rule cannot swallow it and carry on: the gate fails closed.
pub(crate) fn limit_error(message: String) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorTerminated(
        Dynamic::from(message),
        Position::NONE,
    ))
}

/// Records a `deny`/`warn`/`skip` message, enforcing the message caps.
pub(crate) fn record(kind: &str, msg: Dynamic) -> Result<(), Box<EvalAltResult>> {
    // A non-string (`deny(42)`, `deny(targets)`) is shown as Rhai prints it.
    let text = match msg.as_immutable_string_ref() {
        Ok(s) => cut(&s),
        Err(_) => cut(&super::bounded::display_bounded(&msg)),
    };
    SINK.with(|s| {
        let mut guard = s.borrow_mut();
        let Some(sink) = guard.as_mut() else {
            return Err(format!("{kind}() called outside a rule evaluation").into());
        };
        let count = sink.denies.len() + sink.warns.len() + sink.skips.len();
        if count >= MAX_MESSAGES {
            return Err(limit_error(format!(
                "rule called deny/warn/skip more than {MAX_MESSAGES} times (limit: {MAX_MESSAGES} messages per rule)"
            )));
        }
        if sink.message_bytes + text.len() > MAX_MESSAGES_TOTAL_BYTES {
            return Err(limit_error(format!(
                "rule's messages exceed {} KiB in total (limit: {} KiB of deny/warn/skip messages per rule)",
                MAX_MESSAGES_TOTAL_BYTES / 1024,
                MAX_MESSAGES_TOTAL_BYTES / 1024
            )));
        }
        sink.message_bytes += text.len();
        match kind {
            "deny" => sink.denies.push(text),
            "warn" => sink.warns.push(text),
            _ => sink.skips.push(text),
        }
        Ok(())
    })
}

/// `text` cut to [`MAX_MESSAGE_BYTES`] at a character boundary, with a marker saying how long
/// it was.
fn cut(text: &str) -> String {
    if text.len() <= MAX_MESSAGE_BYTES {
        return text.to_string();
    }
    let marker = format!(
        " … [message cut: {} bytes, limit {MAX_MESSAGE_BYTES}]",
        text.len()
    );
    let mut end = MAX_MESSAGE_BYTES.saturating_sub(marker.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &text[..end])
}

/// Whether one more `print`/`debug` line of `len` bytes may be written for the current rule:
/// `Some(true)` write it, `Some(false)` write the "suppressed" line instead (once), `None` drop
/// it. Outside a rule evaluation, lines are written.
pub(crate) fn print_allowed(len: usize) -> Option<bool> {
    SINK.with(|s| {
        let mut guard = s.borrow_mut();
        let Some(sink) = guard.as_mut() else {
            return Some(true);
        };
        let over = sink.print_lines >= MAX_PRINT_LINES
            || sink.print_bytes.saturating_add(len) > MAX_PRINT_BYTES;
        let first_over = over && sink.print_lines <= MAX_PRINT_LINES;
        if over {
            // Counting past the limit marks the "suppressed" line as written.
            sink.print_lines = MAX_PRINT_LINES + 1;
            return first_over.then_some(false);
        }
        sink.print_lines += 1;
        sink.print_bytes += len;
        Some(true)
    })
}

/// The line written once when a rule's print output is cut.
pub(crate) fn print_suppressed_line() -> String {
    format!(
        "further print/debug output of this rule suppressed (limit: {MAX_PRINT_LINES} lines or {} KiB per rule)",
        MAX_PRINT_BYTES / 1024
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_char_boundary_with_a_marker() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let c = cut(&long);
        assert!(c.len() <= MAX_MESSAGE_BYTES, "{}", c.len());
        assert!(
            c.ends_with(&format!(
                "[message cut: {} bytes, limit {MAX_MESSAGE_BYTES}]",
                long.len()
            )),
            "{c}"
        );
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn print_output_is_capped_with_one_suppressed_line() {
        let ((), _) = with_sink(Duration::from_secs(5), || {
            let verdicts: Vec<Option<bool>> =
                (0..MAX_PRINT_LINES + 3).map(|_| print_allowed(1)).collect();
            assert!(verdicts[..MAX_PRINT_LINES].iter().all(|v| *v == Some(true)));
            assert_eq!(verdicts[MAX_PRINT_LINES], Some(false));
            assert_eq!(verdicts[MAX_PRINT_LINES + 1], None);
            assert_eq!(verdicts[MAX_PRINT_LINES + 2], None);
        });
        let ((), _) = with_sink(Duration::from_secs(5), || {
            assert_eq!(print_allowed(MAX_PRINT_BYTES), Some(true));
            assert_eq!(print_allowed(1), Some(false));
            assert_eq!(print_allowed(1), None);
        });
    }
}
