//! Rhai: the one hardened engine, compiling rules, evaluating them over the facts, diagnostics.
//!
//! Pure: no kube, tokio or filesystem access here (docs/ARCHITECTURE.md rule 3). Rule files are read
//! by [`crate::policy_files`]; this module receives their text as [`RuleSource`]s.

mod bounded;
mod convert;
mod diagnostics;
mod engine;
mod eval;
mod explain;
pub mod helpers;
mod library;
mod lint;
mod lookups;
mod needs;
mod paths;
mod rule;
mod schema;
mod sink;
pub mod windows;

use std::fmt;

use serde::Serialize;
use thiserror::Error;

pub use engine::{
    build_engine, MAX_ARRAY_SIZE, MAX_CALL_LEVELS, MAX_EXPR_DEPTH, MAX_FN_EXPR_DEPTH,
    MAX_FUNCTIONS, MAX_MAP_SIZE, MAX_MODULES, MAX_OPERATIONS, MAX_STRING_SIZE, MAX_VARIABLES,
};
pub use eval::{Evaluator, IndexedFacts, Outcome, RuleResult};
pub use explain::{render_value, FactRead, MAX_FACTS_READ};
pub use lint::{lint, LintReport};
pub use rule::{compile, Rule, RuleSet, INJECTED_NAMES};
pub use sink::{
    MAX_MESSAGES, MAX_MESSAGES_TOTAL_BYTES, MAX_MESSAGE_BYTES, MAX_PRINT_BYTES, MAX_PRINT_LINES,
};

/// The text of one rule file, as read from a policy directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// The path as it should appear in messages (`policies/pinned-images.rhai`).
    pub path: String,
    pub text: String,
}

/// A problem in a rule script, pointing at its source. `line`/`col` are 1-based; 0 when the
/// problem has no position (a duplicate id, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// `file:line:col: message`, then the source line and a caret under the column; plain text.
    pub rendered: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rendered.trim_end())
    }
}

/// Rules that could not be loaded or compiled. Outcomes of rules are never errors of this
/// type: they are data ([`RuleResult`]).
#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("policy directory `{dir}` does not exist")]
    MissingDir { dir: String },
    #[error("policy directory `{dir}` holds no rule (no `*.rhai` file)")]
    NoRules { dir: String },
    #[error("cannot read `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("{}", render_all(.0))]
    Invalid(Vec<ScriptError>),
}

fn render_all(errors: &[ScriptError]) -> String {
    let n = errors.len();
    let mut out = format!(
        "{n} problem{} in policy rules:\n",
        if n == 1 { "" } else { "s" }
    );
    for e in errors {
        out.push_str(e.rendered.trim_end());
        out.push('\n');
    }
    out.trim_end().to_string()
}
