//! `tollgate lint`: compile every rule and library module, then check each rule's calls and fact
//! paths (AST walk); report every problem with file, line, column and a caret.

use std::path::PathBuf;

use crate::cli::LintArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::policy;
use crate::policy_files;
use crate::report;

/// Exit 0 when clean, 1 with findings, 2 when a directory cannot be read (via `Err`).
pub fn lint(args: &LintArgs) -> Result<ExitStatus, Error> {
    let dirs: Vec<PathBuf> = if args.dirs.is_empty() {
        vec![PathBuf::from("policies")]
    } else {
        args.dirs.clone()
    };
    let sources = policy_files::read_policy_dirs(&dirs)?;
    let found = policy::lint(sources);
    report::print_stdout(&render(&found))?;
    Ok(if found.findings.is_empty() {
        ExitStatus::Allowed
    } else {
        ExitStatus::Denied
    })
}

fn render(found: &policy::LintReport) -> String {
    let mut out = String::new();
    for e in &found.findings {
        out.push_str(e.rendered.trim_end());
        out.push_str("\n\n");
    }
    if found.findings.is_empty() {
        for (id, path) in &found.rules {
            out.push_str(&format!("✓ {id:28} {path}\n"));
        }
    }
    let libs = match found.libraries.len() {
        0 => String::new(),
        1 => " and 1 library module".into(),
        n => format!(" and {n} library modules"),
    };
    let n = found.findings.len();
    if n == 0 {
        out.push_str(&format!(
            "{} rules{libs} linted: no problems\n",
            found.rules.len()
        ));
    } else {
        out.push_str(&format!(
            "✗ {n} problem{} ({} rules{libs} compiled)\n",
            if n == 1 { "" } else { "s" },
            found.rules.len()
        ));
    }
    out
}
