//! The human-readable report: outcome marks, messages with the rules' fix hints, plan, summary.

use std::fmt::Write;

use super::escape::{block, line};
use super::{exception_notes, waiver_line, Report};
use crate::plan::{ActState, ActionStatus};
use crate::verdict::Outcome;
use crate::verdict::{Decision, RuleVerdict};

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✓",
        Outcome::Deny => "✗",
        Outcome::Warn => "!",
        Outcome::Skip => "–",
        Outcome::Error => "E",
        Outcome::Waived => "~",
    }
}

/// `DENY — 1 denied, 1 warning, 7 passed, 1 skipped`
pub fn render_summary_line(r: &Report) -> String {
    let t = &r.summary;
    let mut parts = vec![];
    for (n, one, many) in [
        (t.error, "error", "errors"),
        (t.deny, "denied", "denied"),
        (t.warn, "warning", "warnings"),
        (t.waived, "waived", "waived"),
        (t.pass, "passed", "passed"),
        (t.skip, "skipped", "skipped"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let word = match r.decision {
        Decision::Allow => "ALLOW",
        Decision::Deny => "DENY",
        Decision::Error => "ERROR",
    };
    if parts.is_empty() {
        format!("decision: {word}")
    } else {
        format!("decision: {word} — {}", parts.join(", "))
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

/// Fact values shown under a failing rule's messages; the JSON report has up to
/// [`crate::policy::MAX_FACTS_READ`].
const FACTS_READ_SHOWN: usize = 10;

/// `      read: targets[0].environment = "prod"` lines, at most [`FACTS_READ_SHOWN`], then
/// `…and N more`.
fn facts_read_lines(v: &RuleVerdict) -> String {
    let mut out = String::new();
    for (i, f) in v.facts_read.iter().take(FACTS_READ_SHOWN).enumerate() {
        let lead = if i == 0 { "facts read:" } else { "           " };
        let _ = writeln!(
            out,
            "      {lead} {} = {}",
            line(&f.path),
            line(&crate::policy::render_value(&f.value, 100))
        );
    }
    let more = v.facts_read.len().saturating_sub(FACTS_READ_SHOWN) + v.facts_read_omitted;
    if more > 0 {
        let _ = writeln!(
            out,
            "             …and {more} more (all in `--output json`: rules[].facts_read)"
        );
    }
    out
}

/// The full text report. Every string from a cluster object, a snapshot, a configuration or a
/// rule is a single line with hostile characters made visible ([`super::escape`]); the error
/// of a run that could not decide keeps its lines (a source snippet), indented.
pub fn render_text(r: &Report) -> String {
    let out = render_fields(r);
    // A second net for anything written without escaping: only the report's own line feeds
    // (and tabs) reach the terminal.
    block(&out).into_owned()
}

fn render_fields(r: &Report) -> String {
    let mut out = String::new();
    let p = &r.promotion;
    let _ = writeln!(
        out,
        "tollgate {}  {} → {}",
        r.command,
        line(&p.source),
        line(&p.destination)
    );
    if let Some(e) = &r.error {
        let _ = writeln!(out, "\nerror: could not decide\n{}", indent(e, "  "));
        let _ = writeln!(out, "{}", render_summary_line(r));
        return out;
    }
    if let Some(d) = &p.digest {
        let _ = writeln!(
            out,
            "  digest   {}{}",
            line(d),
            if p.noop == Some(true) {
                "  (destination already points here)"
            } else {
                ""
            }
        );
    }
    if let Some(i) = &p.image {
        let _ = writeln!(out, "  image    {}", line(i));
    }
    if p.targets.is_empty() {
        let _ = writeln!(out, "  targets  none");
    } else {
        let targets: Vec<_> = p.targets.iter().map(|t| line(t)).collect();
        let _ = writeln!(out, "  targets  {}", targets.join(", "));
    }
    if let Some(d) = &p.discovery {
        let _ = writeln!(out, "           ({})", line(d));
    }
    let width = r.rules.iter().map(|v| v.id.len()).max().unwrap_or(0);
    let _ = writeln!(out, "\nrules");
    for v in &r.rules {
        let _ = writeln!(
            out,
            "  {} {:width$}  {}",
            mark(v.outcome),
            line(&v.id),
            line(&v.title)
        );
        let failing = matches!(v.outcome, Outcome::Deny | Outcome::Warn | Outcome::Error);
        for m in &v.messages {
            let prefix = if v.outcome == Outcome::Skip {
                "skipped: "
            } else {
                ""
            };
            out.push_str(&indent(&format!("{prefix}{}", line(m)), "      "));
        }
        if failing || v.outcome == Outcome::Waived {
            out.push_str(&facts_read_lines(v));
        }
        if let Some(w) = waiver_line(v) {
            out.push_str(&indent(&line(&w), "      "));
        }
        if let Some(level) = v.level {
            let _ = writeln!(out, "      (counted as {level} by configuration)");
        }
        if failing && v.outcome != Outcome::Error {
            if let Some(fix) = &v.fix {
                out.push_str(&indent(&format!("fix: {}", block(fix)), "      "));
            }
        }
        if v.outcome == Outcome::Error {
            let _ = writeln!(out, "      ({})", line(&v.file));
        }
    }
    let notes = exception_notes(r);
    if !notes.is_empty() {
        let _ = writeln!(out, "\nexceptions");
        for (_, n) in notes {
            out.push_str(&indent(&format!("- {}", line(&n)), "  "));
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(out, "\nnotes from gathering");
        for w in &r.warnings {
            out.push_str(&indent(&format!("- {}", line(w)), "  "));
        }
    }
    if !r.actions.is_empty() {
        let heading = if r.dry_run {
            "plan (dry run: nothing was changed)"
        } else {
            "actions"
        };
        let _ = writeln!(out, "\n{heading}");
        for a in &r.actions {
            let status = match a.status {
                ActionStatus::Planned => "planned",
                ActionStatus::Done => "done",
                ActionStatus::Skipped => "skipped",
                ActionStatus::Failed => "FAILED",
            };
            let kind = serde_json::to_value(a.kind).ok();
            let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("?");
            let _ = writeln!(
                out,
                "  {kind:8} {:24} {status:8} {}",
                line(&a.target),
                line(&a.detail)
            );
        }
    }
    let _ = writeln!(out, "\n{}", render_summary_line(r));
    match &r.execution {
        Some(ActState::Done) => {
            let _ = writeln!(out, "promotion done");
        }
        Some(ActState::Aborted { why }) => {
            let _ = writeln!(out, "promotion ABORTED, nothing was changed: {}", line(why));
        }
        Some(ActState::Partial {
            why,
            restore_command,
        }) => {
            let _ = writeln!(out, "promotion PARTLY DONE: {}", line(why));
            if let Some(cmd) = restore_command {
                let _ = writeln!(out, "to restore the previous image: {}", line(cmd));
            }
            let _ = writeln!(
                out,
                "to finish instead, run the same promote again: it converges"
            );
        }
        None => {}
    }
    if r.decision == Decision::Deny {
        let _ = writeln!(
            out,
            "nothing was changed: make the denied rules above pass (each says how), then run again"
        );
    }
    out
}
