//! Markdown: a summary fit for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write;

use super::escape::{md_block, md_code, md_text};
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
        "### tollgate {}: {verdict}\n\n{} → {}\n",
        r.command,
        md_code(&p.source, false),
        md_code(&p.destination, false)
    );
    if let Some(e) = &r.error {
        let _ = writeln!(out, "{}\n", md_block(e));
    }
    if let Some(d) = &p.digest {
        let _ = writeln!(out, "- digest: {}", md_code(d, false));
    }
    if !p.targets.is_empty() {
        let targets: Vec<String> = p.targets.iter().map(|t| md_code(t, false)).collect();
        let _ = writeln!(out, "- targets: {}", targets.join(", "));
    }
    if !r.rules.is_empty() {
        let _ = writeln!(out, "\n| | rule | outcome | details |\n|---|---|---|---|");
        for v in &r.rules {
            let mut details = v
                .messages
                .iter()
                .map(|m| md_text(m))
                .collect::<Vec<_>>()
                .join("<br>");
            let failing = matches!(v.outcome, Outcome::Deny | Outcome::Warn);
            if let (true, Some(fix)) = (failing, &v.fix) {
                if !details.is_empty() {
                    details.push_str("<br>");
                }
                details.push_str(&format!("**fix:** {}", md_text(fix)));
            }
            if let Some(w) = waiver_line(v) {
                details.push_str(&format!("<br>**{}**", md_text(&w)));
            }
            let outcome = v.outcome.as_str();
            let _ = writeln!(
                out,
                "| {} | {} {} | {outcome} | {details} |",
                icon(v.outcome),
                md_code(&v.id, true),
                md_text(&v.title)
            );
        }
    }
    let notes = exception_notes(r);
    if !notes.is_empty() {
        let _ = writeln!(out, "\n**Exceptions**\n");
        for (_, n) in notes {
            let _ = writeln!(out, "- {}", md_text(&n));
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(out, "\n**Notes from gathering**\n");
        for w in &r.warnings {
            let _ = writeln!(out, "- {}", md_text(w));
        }
    }
    let _ = writeln!(out, "\n**{}**", render_summary_line(r));
    out
}
