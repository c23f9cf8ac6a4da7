//! A rule: its `//!` header (title, description, fix hint) and its compiled script; compiling
//! a whole pack at once so every problem is reported, not just the first.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rhai::{Engine, Scope, AST};

use super::diagnostics::{from_parse_error, script_error};
use super::engine::build_engine;
use super::library::{self, check_import, dir_of, library_name, Library};
use super::needs::{needs_of_script, Needs};
use super::paths::{analyse, Analysis, FactPath};
use super::{PolicyError, RuleSource, ScriptError};

/// The names every rule sees as constants (docs/design/POLICY-API.md "The facts", plus `params`).
pub const INJECTED_NAMES: [&str; 8] = [
    "promotion",
    "image",
    "destination",
    "targets",
    "rbac",
    "params",
    "environments",
    "discovery_complete",
];

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The file stem: kebab-case, unique in the pack.
    pub id: String,
    pub path: String,
    /// First header line.
    pub title: String,
    /// Header text between the title and `Fix:` (may be empty).
    pub description: String,
    /// The header from `Fix:` on, without the `Fix:` marker.
    pub fix: Option<String>,
    pub(crate) ast: AST,
    /// The source, kept to render runtime errors with their line.
    pub(crate) text: Arc<str>,
    /// The source followed by the library modules it imports: what the rules digest covers.
    pub(crate) compiled_text: Arc<str>,
    /// The fact paths the rule's code reads (static, [`super::paths`]): evaluated against the
    /// facts to explain a denial. Found on first use ([`Rule::reads`]): the walk was 4 % of a
    /// whole `check` process, and most rules of a run never deny.
    pub(crate) reads: OnceLock<Arc<[FactPath]>>,
    /// Which of the large facts its code can reach (only those are converted).
    pub(crate) needs: Needs,
}

/// Every compiled rule of a run, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// What the whole pack can reach of the large facts: known once the pack compiles.
    needs: Needs,
}

impl RuleSet {
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Rule> {
        self.rules.iter()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// What the whole pack can reach of the large facts.
    pub(crate) fn needs(&self) -> Needs {
        self.needs
    }
}

impl<'a> IntoIterator for &'a RuleSet {
    type Item = &'a Rule;
    type IntoIter = std::slice::Iter<'a, Rule>;
    fn into_iter(self) -> Self::IntoIter {
        self.rules.iter()
    }
}

/// Compiles every source; on any problem returns all of them ([`PolicyError::Invalid`]).
pub fn compile(sources: Vec<RuleSource>) -> Result<RuleSet, PolicyError> {
    compile_with(&build_engine(), sources)
}

/// [`compile`] with a given engine (the evaluator's), so the engine is built once.
pub(crate) fn compile_with(
    engine: &Engine,
    sources: Vec<RuleSource>,
) -> Result<RuleSet, PolicyError> {
    let c = compile_all(engine, sources);
    if !c.errors.is_empty() {
        return Err(PolicyError::Invalid(c.errors));
    }
    let rules: Vec<Rule> = c.rules.into_iter().map(|(r, _)| r).collect();
    let needs = rules.iter().fold(Needs::default(), |n, r| n.union(r.needs));
    Ok(RuleSet { rules, needs })
}

/// Everything compiling a pack found: the rules that compiled (sorted by id; a rule that
/// imports with its AST analysis, made before its modules were embedded), every problem, and
/// the libraries (for lint).
pub(crate) struct Compiled {
    pub rules: Vec<(Rule, Option<Analysis>)>,
    pub errors: Vec<ScriptError>,
    pub libraries: BTreeMap<String, Library>,
}

/// Compiles library modules first (`<dir>/lib/*.rhai`), then every rule against its
/// directory's library, collecting every problem rather than stopping at the first.
pub(crate) fn compile_all(engine: &Engine, sources: Vec<RuleSource>) -> Compiled {
    let (libs, sources): (Vec<_>, Vec<_>) = sources
        .into_iter()
        .partition(|s| library_name(&s.path).is_some());
    let mut errors = Vec::new();
    let libraries = library::build(engine, libs, &mut errors);
    let mut scope = Scope::new();
    for name in INJECTED_NAMES {
        // `push`, not `push_constant`: the optimiser would fold a constant `()` into the AST.
        scope.push(name, ());
    }
    let mut rules: Vec<(Rule, Option<Analysis>)> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for src in sources {
        let library = libraries.get(&dir_of(&src.path));
        match compile_one(engine, library, &scope, &src) {
            Ok(rule) => {
                if let Some(first) = seen.get(&rule.0.id) {
                    errors.push(script_error(
                        &src.path,
                        &src.text,
                        0,
                        0,
                        format!(
                            "duplicate rule id `{}`: also defined by {first} (rule ids must be unique across policy directories)",
                            rule.0.id
                        ),
                    ));
                    continue;
                }
                seen.insert(rule.0.id.clone(), rule.0.path.clone());
                rules.push(rule);
            }
            Err(e) => errors.push(e),
        }
    }
    rules.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    Compiled {
        rules,
        errors,
        libraries,
    }
}

fn compile_one(
    engine: &Engine,
    library: Option<&Library>,
    scope: &Scope,
    src: &RuleSource,
) -> Result<(Rule, Option<Analysis>), ScriptError> {
    let err = |line, col, msg: String| script_error(&src.path, &src.text, line, col, msg);
    let id = rule_id(&src.path);
    if !is_kebab_case(&id) {
        return Err(err(
            0,
            0,
            format!("rule id `{id}` (the file name) must be kebab-case: lowercase letters, digits and single dashes, like `pinned-images`"),
        ));
    }
    let header = parse_header(&src.text).ok_or_else(|| {
        let has_block = src
            .text
            .lines()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.trim_start().starts_with("//!"));
        if has_block {
            err(1, 1, "missing title: the first `//!` line must be the rule's one-line title (then why it exists, then `Fix:`)".into())
        } else {
            err(1, 1, "missing `//!` header: the file must start with `//! <one-line title>`, then why the rule exists and `Fix:` how to fix a failure".into())
        }
    })?;
    let mut ast = engine
        .compile_with_scope(scope, &src.text)
        .map_err(|e| from_parse_error(&src.path, &src.text, &e))?;
    // A script without the word cannot hold an `import` statement.
    let analysis = src.text.contains("import").then(|| analyse(&ast));
    let imports = analysis.as_ref().map_or(&[][..], |a| a.imports.as_slice());
    let mut compiled_text: Arc<str> = Arc::from(src.text.as_str());
    if !imports.is_empty() {
        for import in imports {
            if let Some(e) = check_import(src, import, library) {
                return Err(e);
            }
        }
        if let Some(lib) = library {
            // Resolve the imports now and embed them: at run time no resolver is consulted.
            ast = lib
                .engine()
                .compile_into_self_contained(scope, &src.text)
                .map_err(|e| {
                    err(
                        0,
                        0,
                        format!("cannot compile with its library modules: {e}"),
                    )
                })?;
            // The rules digest must change when a helper the rule uses changes.
            let mut text = src.text.clone();
            let names: std::collections::BTreeSet<_> =
                imports.iter().filter_map(|i| i.path.as_ref()).collect();
            for name in names {
                if let Some(m) = lib.modules.get(name.as_str()) {
                    text.push_str(&format!("\n// imported {}\n{}", m.path, m.text));
                }
            }
            compiled_text = Arc::from(text);
        }
    }
    ast.set_source(src.path.as_str());
    // A library function may call a lookup (it cannot see the facts themselves).
    let mut needs = needs_of_script(&ast, &src.text);
    needs.lookups |= !imports.is_empty();
    let rule = Rule {
        id,
        path: src.path.clone(),
        title: header.title,
        description: header.description,
        fix: header.fix,
        ast,
        text: Arc::from(src.text.as_str()),
        compiled_text,
        // The analysis made above is of the AST before its imports were embedded: kept.
        reads: analysis
            .as_ref()
            .map(|a| OnceLock::from(Arc::from(a.reads())))
            .unwrap_or_default(),
        needs,
    };
    Ok((rule, analysis))
}

/// The file stem of a path, whatever its separators.
fn rule_id(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".rhai").unwrap_or(name).to_string()
}

pub(crate) fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[derive(Debug, PartialEq)]
struct Header {
    title: String,
    description: String,
    fix: Option<String>,
}

/// The leading `//!` block (blank lines before it are allowed).
impl Rule {
    /// The rule's source followed by the library modules it imports (for the rules digest
    /// recorded on a promoted tag: changing a helper changes the digest).
    pub fn source_text(&self) -> &str {
        &self.compiled_text
    }

    /// The distinct fact paths the rule's code reads, worth showing as "facts read".
    pub(crate) fn reads(&self) -> &[FactPath] {
        self.reads.get_or_init(|| analyse(&self.ast).reads().into())
    }
}

fn parse_header(text: &str) -> Option<Header> {
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .map_while(|l| l.trim_start().strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect();
    let (title, rest) = lines.split_first()?;
    if title.trim().is_empty() {
        return None;
    }
    let fix_at = rest.iter().position(|l| l.trim_start().starts_with("Fix:"));
    let (desc, fix) = match fix_at {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let fix = fix.map(|f| {
        let mut s = f.join("\n");
        if let Some(after) = s.trim_start().strip_prefix("Fix:") {
            s = after.to_string();
        }
        s.trim().to_string()
    });
    Some(Header {
        title: title.trim().to_string(),
        description: desc.join("\n").trim().to_string(),
        fix: fix.filter(|f| !f.is_empty()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn header_parts() {
        let h = parse_header("//! Title here\n//! Why.\n//! More why.\n//! Fix: `oc x`\n//! and more\nlet a = 1;\n//! not header\n").unwrap();
        assert_eq!(h.title, "Title here");
        assert_eq!(h.description, "Why.\nMore why.");
        assert_eq!(h.fix.as_deref(), Some("`oc x`\nand more"));
        assert!(parse_header("// plain\n").is_none());
        assert!(parse_header("let x = 1;\n").is_none());
    }

    #[test]
    fn ids() {
        assert_eq!(rule_id("policies/pinned-images.rhai"), "pinned-images");
        assert!(is_kebab_case("no-public-pull"));
        assert!(!is_kebab_case("No_Public"));
        assert!(!is_kebab_case("a--b"));
    }
}
