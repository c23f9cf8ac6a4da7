//! `tollgate lint`: compile every rule and report errors with file, line and column.

use std::path::PathBuf;

use crate::cli::LintArgs;
use crate::config::Settings;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::report;

use super::load_rules;

pub fn lint(args: &LintArgs) -> Result<ExitStatus, Error> {
    let dirs: Vec<PathBuf> = args.dirs.clone();
    let rules = load_rules(&dirs, &Settings::default())?;
    let mut out = String::new();
    for r in rules.rules() {
        out.push_str(&format!("✓ {:28} {}\n", r.id, r.path));
    }
    out.push_str(&format!(
        "{} rules compiled, no errors\n",
        rules.rules().len()
    ));
    report::print_stdout(&out)?;
    Ok(ExitStatus::Allowed)
}
