//! The shared rule library: the `lib/*.rhai` modules of a policy directory, served by name
//! (`import "targets" as tg;`) to that directory's rules and to nothing else.
//!
//! Modules arrive as [`RuleSource`]s whose path is `<dir>/lib/<name>.rhai` (read by
//! [`crate::policy_files`]); they are compiled once, and each importing rule is compiled
//! self-contained against them, so at run time no resolver is consulted at all.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rhai::module_resolvers::StaticModuleResolver;
use rhai::{Engine, FnAccess, Module, Scope, AST};

use super::diagnostics::{from_eval_error, from_parse_error, nearest, script_error};
use super::engine::build_engine_with_modules;
use super::paths::{analyse, Import};
use super::{RuleSource, ScriptError};

/// One library module.
#[derive(Debug, Clone)]
pub(crate) struct LibModule {
    pub path: String,
    pub text: Arc<str>,
    pub ast: AST,
    /// Public functions: name and number of parameters (for lint).
    pub functions: Vec<(String, usize)>,
}

/// The library of one policy directory, and the engine that compiles its rules.
pub(crate) struct Library {
    pub modules: BTreeMap<String, LibModule>,
    /// The evaluated modules, by name: the engine's only module resolver.
    resolver: StaticModuleResolver,
    /// Built on first use: only a rule that imports needs it, and building an engine
    /// registers every package again (a measurable part of a whole `check` process).
    engine: OnceLock<Engine>,
}

impl Library {
    /// The hardened engine whose only module resolver serves this library's modules.
    pub fn engine(&self) -> &Engine {
        self.engine
            .get_or_init(|| build_engine_with_modules(self.resolver.clone()))
    }
}

/// `("policies", "targets")` for `policies/lib/targets.rhai`; `None` for a rule.
pub(crate) fn library_name(path: &str) -> Option<(String, String)> {
    let mut parts = path.rsplitn(3, ['/', '\\']);
    let file = parts.next()?;
    if parts.next()? != "lib" {
        return None;
    }
    let dir = parts.next().unwrap_or("").to_string();
    Some((dir, file.strip_suffix(".rhai")?.to_string()))
}

/// The directory a rule file is in (`policies` for `policies/x.rhai`; empty for `x.rhai`).
pub(crate) fn dir_of(path: &str) -> String {
    path.rsplit_once(['/', '\\'])
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

/// Compiles every library module found among `libs`, grouped by policy directory. Problems are
/// pushed to `errors`; a module with a problem is left out.
pub(crate) fn build(
    base: &Engine,
    libs: Vec<RuleSource>,
    errors: &mut Vec<ScriptError>,
) -> BTreeMap<String, Library> {
    let mut by_dir: BTreeMap<String, BTreeMap<String, LibModule>> = BTreeMap::new();
    for src in libs {
        let Some((dir, name)) = library_name(&src.path) else {
            continue;
        };
        match compile_module(base, &src) {
            Ok(m) => {
                by_dir.entry(dir).or_default().insert(name, m);
            }
            Err(e) => errors.push(e),
        }
    }
    let mut out = BTreeMap::new();
    for (dir, modules) in by_dir {
        let mut resolver = StaticModuleResolver::new();
        for (name, m) in &modules {
            match Module::eval_ast_as_new(Scope::new(), &m.ast, base) {
                Ok(module) => resolver.insert(name.as_str(), module),
                Err(e) => errors.push(from_eval_error(&m.path, &m.text, &e, &|_, _| None)),
            }
        }
        out.insert(
            dir,
            Library {
                modules,
                resolver,
                engine: OnceLock::new(),
            },
        );
    }
    out
}

fn compile_module(engine: &Engine, src: &RuleSource) -> Result<LibModule, ScriptError> {
    let ast = engine.compile(&src.text).map_err(|e| {
        let mut err = from_parse_error(&src.path, &src.text, &e);
        if err.message.starts_with("unknown variable") {
            // Module code runs apart from any promotion: the facts are not in its scope.
            err = script_error(
                &src.path,
                &src.text,
                err.line,
                err.col,
                format!("{}: library modules do not see the facts; pass what a helper needs as an argument", err.message),
            );
        }
        err
    })?;
    if let Some(i) = analyse(&ast).imports.first() {
        let (line, col) = (i.pos.line().unwrap_or(0), i.pos.position().unwrap_or(1));
        return Err(script_error(
            &src.path,
            &src.text,
            line,
            col,
            "library modules cannot import other modules: keep each helper module self-contained"
                .into(),
        ));
    }
    let functions = ast
        .iter_functions()
        .filter(|f| f.access == FnAccess::Public)
        .map(|f| (f.name.to_string(), f.params.len()))
        .collect();
    Ok(LibModule {
        path: src.path.clone(),
        text: Arc::from(src.text.as_str()),
        ast,
        functions,
    })
}

/// Checks a rule's imports against its directory's library: only a module name of that
/// library, written as a string literal, may be imported.
pub(crate) fn check_import(
    src: &RuleSource,
    import: &Import,
    library: Option<&Library>,
) -> Option<ScriptError> {
    let (line, col) = (
        import.pos.line().unwrap_or(0),
        import.pos.position().unwrap_or(1),
    );
    let err = |m: String| Some(script_error(&src.path, &src.text, line, col, m));
    let Some(name) = &import.path else {
        return err(
            "import a library module by its name as a string literal: `import \"targets\" as tg;`"
                .into(),
        );
    };
    if name.contains(['/', '\\']) || name.starts_with('.') || name.ends_with(".rhai") {
        return err(format!(
            "cannot import `{name}`: rules import modules of their policy directory's `lib/` folder by name (`lib/targets.rhai` is `import \"targets\" as tg;`), never a path"
        ));
    }
    let names: Vec<&str> = library
        .map(|l| l.modules.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if names.contains(&name.as_str()) {
        return None;
    }
    let dir = dir_of(&src.path);
    let lib = if dir.is_empty() {
        "lib/".to_string()
    } else {
        format!("{dir}/lib/")
    };
    let mut m = if names.is_empty() {
        format!("cannot import `{name}`: there is no library module in `{lib}`")
    } else {
        format!(
            "cannot import `{name}`: no module `{name}.rhai` in `{lib}` (modules: {})",
            names.join(", ")
        )
    };
    if let Some(s) = nearest(name, names.iter().copied()) {
        m.push_str(&format!("; did you mean `{s}`?"));
    }
    err(m)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn library_paths() {
        assert_eq!(
            library_name("policies/lib/targets.rhai"),
            Some(("policies".into(), "targets".into()))
        );
        assert_eq!(
            library_name("lib/t.rhai"),
            Some((String::new(), "t".into()))
        );
        assert_eq!(library_name("policies/targets.rhai"), None);
        assert_eq!(dir_of("a/b/x.rhai"), "a/b");
    }
}
