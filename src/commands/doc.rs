//! `tollgate doc`: the rules' `//!` headers as a Markdown reference, printed, or kept current
//! in the policy guide between markers (`--write`), or checked to be current (`--check`).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::cli::DocArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::policy::{Rule, RuleSet};
use crate::report;

pub const BEGIN: &str =
    "<!-- BEGIN GENERATED RULES: `tollgate doc --write` rewrites this section -->";
pub const END: &str = "<!-- END GENERATED RULES -->";

/// What a rule can conclude, read from its body: the calls it makes.
fn answers(rule_text: &str) -> String {
    let body: String = rule_text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let calls: Vec<&str> = ["deny", "warn", "skip"]
        .into_iter()
        .filter(|c| body.contains(&format!("{c}(")))
        .collect();
    if calls.is_empty() {
        "–".into()
    } else {
        calls.join(", ")
    }
}

/// A rule's header text with its lines joined back into paragraphs.
fn paragraph(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// The Markdown reference of a pack (no markers).
pub fn render(rules: &RuleSet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| id | answers | title |\n|---|---|---|");
    for r in rules {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} |",
            r.id,
            r.id,
            answers(&r.text),
            r.title
        );
    }
    for r in rules {
        let _ = writeln!(out, "\n### `{}`\n\n**{}**", r.id, r.title);
        let Rule {
            description,
            fix,
            path,
            ..
        } = r;
        if !description.is_empty() {
            let _ = writeln!(out, "\n{}", paragraph(description));
        }
        if let Some(fix) = fix {
            let _ = writeln!(out, "\n*Fix:* {}", paragraph(fix));
        }
        let file = Path::new(path)
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or(path);
        let _ = writeln!(
            out,
            "\nSource: [`{file}`]({file}) · test cases: [`tests/{}.yaml`](tests/{}.yaml)",
            r.id, r.id
        );
    }
    out
}

/// `text` with the marked section replaced by `section`; `None` when the markers are missing.
fn splice(text: &str, section: &str) -> Option<String> {
    let start = text.find(BEGIN)?;
    let end = text[start..].find(END)? + start;
    Some(format!(
        "{}{BEGIN}\n{section}{END}{}",
        &text[..start],
        &text[end + END.len()..]
    ))
}

pub fn doc(args: &DocArgs) -> Result<ExitStatus, Error> {
    let dirs = if args.dirs.is_empty() {
        vec![PathBuf::from("policies")]
    } else {
        args.dirs.clone()
    };
    let rules = crate::gate::read_pack(&crate::policy::Evaluator::new(), &dirs)?;
    let section = render(&rules);
    if !args.check && !args.write {
        report::print_stdout(&section)?;
        return Ok(ExitStatus::Allowed);
    }
    let readme = args
        .readme
        .clone()
        .unwrap_or_else(|| dirs[0].join("README.md"));
    let shown = readme.display().to_string();
    let file_err = |message: String| Error::File {
        path: shown.clone(),
        message,
    };
    let text = std::fs::read_to_string(&readme).map_err(|e| file_err(e.to_string()))?;
    let updated = splice(&text, &section).ok_or_else(|| {
        file_err(format!(
            "no generated section: add the lines\n{BEGIN}\n{END}\nwhere the rule reference belongs"
        ))
    })?;
    if args.check {
        if updated == text {
            report::print_stdout(&format!(
                "{shown}: the rule reference is current ({} rules)\n",
                rules.len()
            ))?;
            return Ok(ExitStatus::Allowed);
        }
        report::print_stdout(&format!(
            "{shown}: the rule reference is stale: run `tollgate doc --write{}`\n",
            dirs.iter()
                .map(|d| format!(" {}", d.display()))
                .collect::<String>()
        ))?;
        return Ok(ExitStatus::Denied);
    }
    if updated != text {
        std::fs::write(&readme, &updated).map_err(|e| file_err(e.to_string()))?;
    }
    report::print_stdout(&format!(
        "{shown}: rule reference written ({} rules)\n",
        rules.len()
    ))?;
    Ok(ExitStatus::Allowed)
}
