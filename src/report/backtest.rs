//! The backtest report (`tollgate backtest`): text, Markdown or `tollgate.backtest/v1` JSON.
//! Text and Markdown show only the records whose outcome changed, and every unreadable one.

use std::fmt::Write;

use super::escape::{line, md_code, md_text};
use crate::records::{Backtest, Replayed, RuleChange};

/// Backtest report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BacktestFormat {
    /// A table of the changes (the default on a terminal).
    Text,
    /// The `tollgate.backtest/v1` document, every record included (the default otherwise).
    Json,
    /// A Markdown table for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

/// Text on a terminal, JSON otherwise, unless `-o` says.
pub fn resolve_backtest_format(requested: Option<BacktestFormat>) -> BacktestFormat {
    use std::io::IsTerminal;
    requested.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            BacktestFormat::Text
        } else {
            BacktestFormat::Json
        }
    })
}

pub fn render_backtest(b: &Backtest, format: BacktestFormat) -> String {
    match format {
        BacktestFormat::Text => render_text(b),
        BacktestFormat::Json => render_json(b),
        BacktestFormat::Markdown => render_markdown(b),
    }
}

fn render_json(b: &Backtest) -> String {
    // Plain data: serialising cannot fail; should it, the document says so rather than vanish.
    let mut s = serde_json::to_string_pretty(b)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render the backtest: {e}\"}}"));
    s.push('\n');
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `4 records replayed under sha256:…: 1 with its decision changed, 2 with only rule outcomes
/// changed, 1 unchanged; 0 unreadable`
fn summary(b: &Backtest) -> String {
    let s = &b.summary;
    format!(
        "{} replayed under {}: {} with its decision changed, {} with only rule outcomes \
         changed, {} unchanged; {} unreadable",
        plural(s.replayed, "record", "records"),
        b.rules_digest,
        s.decisions_changed,
        s.rules_changed_only,
        s.unchanged,
        s.unreadable,
    )
}

/// What changed in a row: `decision` or `rules`.
fn change(r: &Replayed) -> &'static str {
    if r.decision_changed {
        "decision"
    } else {
        "rules"
    }
}

fn headline(b: &Backtest) -> &'static str {
    if !b.errors.is_empty() {
        "some records cannot be replayed"
    } else if b.summary.decisions_changed > 0 {
        "decisions change"
    } else {
        "no decision changes"
    }
}

fn changed(b: &Backtest) -> impl Iterator<Item = &Replayed> {
    b.records
        .iter()
        .filter(|r| r.decision_changed || !r.rules_changed.is_empty())
}

fn outcome(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("(no rule)")
}

fn rule_changes(changes: &[RuleChange]) -> String {
    changes
        .iter()
        .map(|c| format!("{}: {} → {}", c.id, outcome(&c.recorded), outcome(&c.now)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The record's name without its directory and extension, cut to 12 characters (a content
/// hash is unique long before that); JSON has the whole path.
fn short_name(path: &str) -> String {
    let stem = std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned());
    stem.chars().take(12).collect()
}

fn render_text(b: &Backtest) -> String {
    let mut out = format!(
        "tollgate backtest: {}\n{}\n",
        headline(b),
        line(&summary(b))
    );
    let header = [
        "CHANGE",
        "AS OF",
        "PROMOTION",
        "RECORDED",
        "NOW",
        "RULES CHANGED",
        "RECORD",
    ];
    let rows: Vec<[String; 7]> = changed(b)
        .map(|r| {
            [
                change(r).to_string(),
                r.as_of.clone(),
                format!("{} → {}", r.source, r.destination),
                r.recorded_decision.clone(),
                r.decision.as_str().to_string(),
                rule_changes(&r.rules_changed),
                short_name(&r.path),
            ]
            .map(|c| line(&c).into_owned())
        })
        .collect();
    if !rows.is_empty() {
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        out.push('\n');
        let header = header.map(str::to_string);
        for row in std::iter::once(&header).chain(&rows) {
            let mut l = String::new();
            for (i, (c, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    l.push_str(c);
                } else {
                    let _ = write!(l, "{c:<w$}  ");
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        }
    }
    if !b.errors.is_empty() {
        let _ = writeln!(
            out,
            "\ncannot replay {}:",
            plural(b.errors.len(), "record", "records")
        );
        for e in &b.errors {
            let _ = writeln!(out, "  {}: {}", line(&e.path), line(&e.error));
        }
    }
    out
}

fn render_markdown(b: &Backtest) -> String {
    let icon = if !b.errors.is_empty() {
        "💥"
    } else if b.summary.decisions_changed > 0 {
        "❌"
    } else {
        "✅"
    };
    let mut out = format!(
        "### tollgate backtest: {icon} {}\n\n{}\n",
        headline(b),
        md_text(&summary(b))
    );
    let rows: Vec<&Replayed> = changed(b).collect();
    if !rows.is_empty() {
        out.push_str(
            "\n| change | as of | promotion | recorded | now | rules changed | record |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for r in rows {
            let now = if r.decision_changed {
                format!("**{}**", r.decision.as_str())
            } else {
                r.decision.as_str().to_string()
            };
            let rules = r
                .rules_changed
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} → {}",
                        md_code(&c.id, true),
                        md_text(outcome(&c.recorded)),
                        md_text(outcome(&c.now))
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>");
            let _ = writeln!(
                out,
                "| {} | {} | {} → {} | {} | {now} | {rules} | {} |",
                change(r),
                md_text(&r.as_of),
                md_code(&r.source, true),
                md_code(&r.destination, true),
                md_text(&r.recorded_decision),
                md_code(&short_name(&r.path), true),
            );
        }
    }
    if !b.errors.is_empty() {
        out.push_str("\n**Cannot be replayed:**\n\n");
        for e in &b.errors {
            let _ = writeln!(out, "- {}: {}", md_code(&e.path, false), md_text(&e.error));
        }
    }
    out
}
