//! The rules' test cases (`<policy dir>/tests/*.yaml`, what `tollgate test` runs): each case
//! ✓/✗ with the difference, a summary, and the rules no case covers.
//!
//! Outcome: every case passed; a case failed (or, with `require_tests`, a rule has no case);
//! or `Err` — a test file or its input cannot be used.

pub mod spec;

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::config::Settings;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::facts::Facts;
use crate::gather::{self, PromotionRequest};
use crate::policy::{Evaluator, Outcome, RuleResult, RuleSet};
use crate::refs::{parse_destination, parse_source, parse_target};

use spec::{Case, Expect, Input, SpecError};

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Deny => "deny",
        Outcome::Warn => "warn",
        Outcome::Skip => "skip",
        Outcome::Error => "error",
    }
}

/// The test files of a policy directory: `DIR/tests/*.yaml` (and `.yml`), sorted.
fn test_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let tests = dir.join("tests");
    if !tests.is_dir() {
        return Ok(vec![]);
    }
    let io = |e: std::io::Error| Error::File {
        path: tests.display().to_string(),
        message: e.to_string(),
    };
    let mut out = vec![];
    for entry in std::fs::read_dir(&tests).map_err(io)? {
        let p = entry.map_err(io)?.path();
        // Every `*.yaml` counts, whatever it is: one that cannot be read (a dangling link, a
        // FIFO) is an error when it is read, never a silently skipped test file.
        if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// The largest test case file or facts input a case may name.
const MAX_CASE_FILE_BYTES: u64 = 16 << 20;

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = crate::input::read_text(path, MAX_CASE_FILE_BYTES, None)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

fn typed(doc: serde_json::Value) -> Result<Facts, String> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        format!(
            "the facts do not match the facts schema at `{}`: {} (set `unchecked: true` to test a rule on such facts)",
            e.path(),
            e.inner()
        )
    })
}

/// Facts input as a typed document or (unchecked) raw JSON.
enum Prepared {
    Typed(Box<Facts>),
    Raw(serde_json::Value),
}

fn prepare(case: &Case, settings: &Settings) -> Result<Prepared, String> {
    match &case.input {
        Input::FactsFile(p) => Ok(Prepared::Typed(Box::new(typed(read_json(p)?)?))),
        Input::Snapshot {
            paths,
            source,
            destination,
            time,
            targets,
        } => {
            let objects = gather::snapshot::load(paths).map_err(|e| e.to_string())?;
            let time = match time {
                Some(t) => {
                    OffsetDateTime::parse(t, &Rfc3339).map_err(|e| format!("time `{t}`: {e}"))?
                }
                None => OffsetDateTime::now_utc(),
            };
            let request = PromotionRequest {
                source: parse_source(source, None).map_err(|e| e.to_string())?,
                destination: parse_destination(destination, None).map_err(|e| e.to_string())?,
                targets: targets
                    .iter()
                    .map(|t| parse_target(t, None))
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?,
                reason: None,
                requested_by: None,
                requested_by_groups: None,
                via: crate::facts::VIA_CLI,
                alias: false,
                time,
            };
            let facts =
                gather::build_facts(&objects, &request, settings).map_err(|e| e.to_string())?;
            Ok(Prepared::Typed(Box::new(facts)))
        }
        Input::Overrides { base, facts, set } => {
            let mut doc = read_json(base)?;
            if let Some(f) = facts {
                spec::merge(&mut doc, f);
            }
            for (path, value) in set {
                spec::set_path(&mut doc, path, value.clone())
                    .map_err(|e| format!("set.{path}: {e}"))?;
            }
            if case.unchecked {
                Ok(Prepared::Raw(doc))
            } else {
                Ok(Prepared::Typed(Box::new(typed(doc)?)))
            }
        }
    }
}

/// The differences between what a rule concluded and what the case expects (empty: passed).
fn differences(rule: &str, want: &Expect, got: Option<&RuleResult>) -> Vec<String> {
    let Some(got) = got else {
        return vec![format!("{rule}: the rule did not run")];
    };
    let mut diffs = vec![];
    if got.outcome != want.outcome {
        diffs.push(format!(
            "{rule}: expected {}, got {}",
            outcome_name(want.outcome),
            outcome_name(got.outcome)
        ));
    }
    if let Some(n) = want.messages {
        if got.messages.len() != n {
            diffs.push(format!(
                "{rule}: expected {n} message{}, got {}",
                if n == 1 { "" } else { "s" },
                got.messages.len()
            ));
        }
    }
    for re in &want.matches {
        if got.messages.is_empty() {
            diffs.push(format!("{rule}: no message to match /{re}/"));
        }
        for m in got.messages.iter().filter(|m| !re.is_match(m)) {
            diffs.push(format!("{rule}: message does not match /{re}/"));
            diffs.push(format!("    {}", m.lines().next().unwrap_or("")));
        }
    }
    if !diffs.is_empty() && !got.messages.is_empty() && want.matches.is_empty() {
        for m in &got.messages {
            diffs.push(format!("    got: {}", m.lines().next().unwrap_or("")));
        }
    }
    diffs
}

/// Settings for a case: its inline `config`, checked to name only rules of the pack.
fn case_settings(case: &Case, file: &str, rules: &RuleSet) -> Result<Settings, SpecError> {
    let Some(text) = &case.config else {
        return Ok(Settings::default());
    };
    let label = format!("{file}: case `{}`: config", case.name);
    let settings = Settings::parse(text, &label).map_err(|e| SpecError(e.to_string()))?;
    for id in settings.rules.keys() {
        if rules.get(id).is_none() {
            return Err(SpecError(format!(
                "{label}: rules.{id}: no rule `{id}` in the pack"
            )));
        }
    }
    Ok(settings)
}

/// What a run of the test cases found: the text to show and the exit status.
pub struct TestRun {
    pub text: String,
    pub status: ExitStatus,
}

/// Runs every case of every `dirs[i]/tests/*.yaml` against the rules of `dirs` (default
/// `./policies`).
pub fn run(dirs: &[PathBuf], require_tests: bool) -> Result<TestRun, Error> {
    let dirs = if dirs.is_empty() {
        vec![PathBuf::from(crate::gate::DEFAULT_POLICY_DIR)]
    } else {
        dirs.to_vec()
    };
    let evaluator = Evaluator::new();
    let rules = crate::gate::read_pack(&evaluator, &dirs)?;
    let mut files = vec![];
    for d in &dirs {
        for path in test_files(d)? {
            let text =
                crate::input::read_text(&path, MAX_CASE_FILE_BYTES, None).map_err(|message| {
                    Error::File {
                        path: path.display().to_string(),
                        message,
                    }
                })?;
            files.push(spec::parse(&path, &text).map_err(|e| Error::RuleTests(e.to_string()))?);
        }
    }
    // Validate every file before running any case: a bad file is exit 2, whatever else fails.
    for f in &files {
        for c in &f.cases {
            for id in c.expect.keys() {
                if rules.get(id).is_none() {
                    return Err(Error::RuleTests(format!(
                        "{}: case `{}`: expect.{id}: no rule `{id}` in the pack",
                        f.path.display(),
                        c.name
                    )));
                }
            }
        }
    }
    let mut out = String::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut covered = BTreeSet::new();
    for f in &files {
        let shown = f.path.display().to_string();
        let _ = writeln!(out, "{shown}");
        for case in &f.cases {
            let settings =
                case_settings(case, &shown, &rules).map_err(|e| Error::RuleTests(e.to_string()))?;
            let prepared = prepare(case, &settings).map_err(|e| {
                Error::RuleTests(format!("{shown}: case `{}`: input: {e}", case.name))
            })?;
            let results = match &prepared {
                Prepared::Typed(facts) => evaluator.evaluate(&rules, facts, &settings),
                Prepared::Raw(doc) => evaluator.evaluate_document(&rules, doc, &settings),
            };
            let mut diffs = vec![];
            for (rule, want) in &case.expect {
                covered.insert(rule.clone());
                diffs.extend(differences(
                    rule,
                    want,
                    results.iter().find(|r| &r.id == rule),
                ));
            }
            if diffs.is_empty() {
                passed += 1;
                let _ = writeln!(out, "  ✓ {}", case.name);
            } else {
                failed += 1;
                let _ = writeln!(out, "  ✗ {}", case.name);
                for d in diffs {
                    let _ = writeln!(out, "      {d}");
                }
            }
        }
    }
    let untested: Vec<&str> = rules
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !covered.contains(*id))
        .collect();
    let _ = writeln!(
        out,
        "\n{} case{}: {passed} passed, {failed} failed ({} test file{}, {} of {} rules tested)",
        passed + failed,
        if passed + failed == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        rules.len() - untested.len(),
        rules.len()
    );
    if !untested.is_empty() {
        let _ = writeln!(
            out,
            "rules with no test case{}: {}",
            if require_tests {
                " (--require-tests: a failure)"
            } else {
                ""
            },
            untested.join(", ")
        );
    }
    let status = if failed > 0 || (require_tests && !untested.is_empty()) {
        ExitStatus::Denied
    } else {
        ExitStatus::Allowed
    };
    Ok(TestRun { text: out, status })
}
