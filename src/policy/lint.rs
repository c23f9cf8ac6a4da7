//! `tollgate lint`'s checks (pure): everything compiling finds, plus calls to functions that do
//! not exist and fact paths that are not in the facts, found by walking each rule's AST.
//!
//! Compiling alone accepts both (Rhai resolves functions and map keys at run time), so without
//! lint such a typo surfaces only when a promotion reaches that line — as an error that blocks.

use std::collections::{BTreeMap, HashSet};

use rhai::{Engine, Position};

use super::diagnostics::{nearest, script_error};
use super::engine::build_engine;
use super::paths::{analyse, Analysis, Call};
use super::rule::compile_all;
use super::schema;
use super::{RuleSource, ScriptError};

/// What lint found.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Ids and paths of the rules that compiled, sorted by id.
    pub rules: Vec<(String, String)>,
    /// Paths of the library modules.
    pub libraries: Vec<String>,
    /// Every problem, sorted by file and position.
    pub findings: Vec<ScriptError>,
}

/// Import alias → (module name, its public functions with arity).
type Imported<'a> = BTreeMap<&'a str, (&'a str, &'a [(String, usize)])>;

/// Built-ins Rhai handles itself rather than as registered functions.
const KEYWORDS: [&str; 9] = [
    "print",
    "debug",
    "type_of",
    "Fn",
    "call",
    "curry",
    "is_shared",
    "is_def_fn",
    "is_def_var",
];

/// Lints a pack: rules and `lib/` modules as read by [`crate::policy_files`].
pub fn lint(sources: Vec<RuleSource>) -> LintReport {
    let texts: BTreeMap<String, String> = sources
        .iter()
        .map(|s| (s.path.clone(), s.text.clone()))
        .collect();
    let engine = build_engine();
    let compiled = compile_all(&engine, sources);
    let registered = registered(&engine);
    let mut findings = compiled.errors;
    let mut report = LintReport::default();
    for (rule, analysis) in &compiled.rules {
        // Made at compile only for a rule that imports; any other rule's AST is as compiled.
        let made;
        let analysis = match analysis {
            Some(a) => a,
            None => {
                made = super::paths::analyse(&rule.ast);
                &made
            }
        };
        report.rules.push((rule.id.clone(), rule.path.clone()));
        let text = texts.get(&rule.path).map(String::as_str).unwrap_or("");
        let at = |pos: Position, m: String| {
            script_error(
                &rule.path,
                text,
                pos.line().unwrap_or(0),
                pos.position().unwrap_or(1),
                m,
            )
        };
        let own: Vec<(String, usize)> = rule
            .ast
            .iter_functions()
            .map(|f| (f.name.to_string(), f.params.len()))
            .collect();
        let library = compiled.libraries.get(&super::library::dir_of(&rule.path));
        let modules: Imported<'_> = analysis
            .imports
            .iter()
            .filter_map(|i| {
                let name = i.path.as_deref()?;
                let m = library?.modules.get(name)?;
                Some((i.alias.as_str(), (name, m.functions.as_slice())))
            })
            .collect();
        for call in &analysis.calls {
            if let Some(m) = check_call(call, &registered, &own, &modules) {
                findings.push(at(call.pos, m));
            }
        }
        findings.extend(check_paths(analysis, &at));
    }
    for library in compiled.libraries.values() {
        for m in library.modules.values() {
            report.libraries.push(m.path.clone());
            let own: Vec<(String, usize)> = m
                .ast
                .iter_functions()
                .map(|f| (f.name.to_string(), f.params.len()))
                .collect();
            for call in &analyse(&m.ast).calls {
                if let Some(msg) = check_call(call, &registered, &own, &BTreeMap::new()) {
                    let (l, c) = (
                        call.pos.line().unwrap_or(0),
                        call.pos.position().unwrap_or(1),
                    );
                    findings.push(script_error(&m.path, &m.text, l, c, msg));
                }
            }
        }
    }
    findings.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    findings.dedup();
    report.findings = findings;
    report
}

/// Every function the engine knows (packages, `deny`/`warn`/`skip`, the helpers), with arity.
fn registered(engine: &Engine) -> HashSet<(String, usize)> {
    engine
        .collect_fn_metadata(
            None,
            |info| Some((info.metadata.name.to_string(), info.metadata.num_params)),
            true,
        )
        .into_iter()
        .collect()
}

fn check_call(
    call: &Call,
    registered: &HashSet<(String, usize)>,
    own: &[(String, usize)],
    modules: &Imported<'_>,
) -> Option<String> {
    let name = call.name.as_str();
    if let Some(alias) = &call.namespace {
        // An unknown alias is already a compile error; only check what a module offers.
        let (module, fns) = modules.get(alias.as_str())?;
        if fns.iter().any(|(n, a)| n == name && *a == call.arity) {
            return None;
        }
        let list: Vec<String> = fns.iter().map(|(n, a)| format!("{n}/{a}")).collect();
        let mut m = match fns.iter().find(|(n, _)| n == name) {
            Some((_, a)) => format!(
                "`{alias}::{name}` takes {a} argument(s), not {}",
                call.arity
            ),
            None => format!(
                "library module `{module}` has no function `{name}` (functions: {})",
                if list.is_empty() {
                    "none".into()
                } else {
                    list.join(", ")
                }
            ),
        };
        if let Some(s) = nearest(name, fns.iter().map(|(n, _)| n.as_str())) {
            m.push_str(&format!("; did you mean `{alias}::{s}`?"));
        }
        return Some(m);
    }
    if KEYWORDS.contains(&name) {
        return None;
    }
    let known = |n: &str, a: usize| {
        registered.contains(&(n.to_string(), a)) || own.iter().any(|(o, oa)| o == n && *oa == a)
    };
    // A script function called as a method gets the object as `this`, not as an argument.
    if known(name, call.arity)
        || (call.method && own.iter().any(|(o, a)| o == name && *a + 1 == call.arity))
    {
        return None;
    }
    let shown_arity = if call.method {
        call.arity - 1
    } else {
        call.arity
    };
    let other_arity =
        registered.iter().any(|(n, _)| n == name) || own.iter().any(|(n, _)| n == name);
    if other_arity {
        return Some(format!(
            "`{name}` exists but not with {shown_arity} argument(s){}",
            if call.method { " as a method" } else { "" }
        ));
    }
    let mut m = format!("unknown function `{name}`");
    let names = registered
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(own.iter().map(|(n, _)| n.as_str()))
        .filter(|n| n.chars().next().is_some_and(|c| c.is_alphabetic()) && !n.contains('$'));
    if let Some(s) = nearest(name, names) {
        m.push_str(&format!("; did you mean `{s}`?"));
    }
    Some(m)
}

/// Fact paths that do not exist in the facts' schema, each reported at the offending key.
fn check_paths(
    analysis: &Analysis,
    at: &dyn Fn(Position, String) -> ScriptError,
) -> Vec<ScriptError> {
    let mut out = Vec::new();
    for p in &analysis.paths {
        let segs: Vec<_> = p.segs.iter().map(|(s, _)| s).collect();
        if let Some(u) = schema::check(&p.root, &segs) {
            let pos = p.segs.get(u.at).map_or(p.pos, |(_, pos)| *pos);
            let written = super::paths::render(&p.root, segs[..=u.at].iter().copied());
            out.push(at(
                pos,
                format!("unknown fact path `{written}`: {}", u.message),
            ));
        }
    }
    out
}
