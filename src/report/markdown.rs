//! Markdown: a summary fit for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write;

use super::{exception_notes, render_summary_line, waiver_line, Report};
use crate::verdict::Decision;
use crate::verdict::Outcome;

fn icon(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅",
        Outcome::Deny => "❌",
        Outcome::Warn => "⚠️",
        Outcome::Skip => "⏭️",
        Outcome::Error => "💥",
        Outcome::Waived => "🟡",
    }
}

/// Text safe inside a table cell: pipes escaped (GFM honours `\|` even in code spans), line
/// breaks as `<br>`. Entities are not used: inside code spans they would show literally.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// The Markdown report.
pub fn render_markdown(r: &Report) -> String {
    let mut out = String::new();
    let p = &r.promotion;
    let verdict = match r.decision {
        Decision::Allow => "✅ allowed",
        Decision::Deny => "❌ denied",
        Decision::Error => "💥 could not decide",
    };
    let _ = writeln!(
        out,
        "### tollgate {}: {verdict}\n\n`{}` → `{}`\n",
        r.command,
        cell(&p.source),
        cell(&p.destination)
    );
    if let Some(e) = &r.error {
        let _ = writeln!(out, "```\n{}\n```\n", e.replace("```", "'''"));
    }
    if let Some(d) = &p.digest {
        let _ = writeln!(out, "- digest: `{d}`");
    }
    if !p.targets.is_empty() {
        let targets: Vec<String> = p.targets.iter().map(|t| format!("`{}`", cell(t))).collect();
        let _ = writeln!(out, "- targets: {}", targets.join(", "));
    }
    if !r.rules.is_empty() {
        let _ = writeln!(out, "\n| | rule | outcome | details |\n|---|---|---|---|");
        for v in &r.rules {
            let mut details = v
                .messages
                .iter()
                .map(|m| cell(m))
                .collect::<Vec<_>>()
                .join("<br>");
            let failing = matches!(v.outcome, Outcome::Deny | Outcome::Warn);
            if let (true, Some(fix)) = (failing, &v.fix) {
                if !details.is_empty() {
                    details.push_str("<br>");
                }
                details.push_str(&format!("**fix:** {}", cell(fix)));
            }
            if let Some(w) = waiver_line(v) {
                details.push_str(&format!("<br>**{}**", cell(&w)));
            }
            let outcome = v.outcome.as_str();
            let _ = writeln!(
                out,
                "| {} | `{}` {} | {outcome} | {details} |",
                icon(v.outcome),
                v.id,
                cell(&v.title)
            );
        }
    }
    let notes = exception_notes(r);
    if !notes.is_empty() {
        let _ = writeln!(out, "\n**Exceptions**\n");
        for (_, n) in notes {
            let _ = writeln!(out, "- {}", cell(&n));
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(out, "\n**Notes from gathering**\n");
        for w in &r.warnings {
            let _ = writeln!(out, "- {}", cell(w));
        }
    }
    let _ = writeln!(out, "\n**{}**", render_summary_line(r));
    out
}
