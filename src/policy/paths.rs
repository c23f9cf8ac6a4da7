//! Static analysis of a compiled rule: the fact paths it reads, the functions it calls, the
//! modules it imports — found by walking the AST, for `lint` and for explaining a denial.
//!
//! A path starts at a fact name (`image.digest`) or at a loop variable bound by
//! `for x in <fact path>` (then `x.kind` is `targets[].kind`). Anything else (a `let` copy, a
//! function parameter, a helper's result) is not followed: the analysis only claims what it can
//! resolve without running the rule.

use std::collections::HashSet;

use rhai::{ASTFlags, ASTNode, Expr, Position, Stmt, AST};

use super::rule::INJECTED_NAMES;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    /// `.key`, or `["key"]` (`indexed`) with a string literal.
    Key { name: String, indexed: bool },
    /// `[expr]` with anything but a string literal: any element.
    Each,
}

/// A fact path as written in a rule, each step with its position in the source.
#[derive(Debug, Clone)]
pub(crate) struct FactPath {
    pub root: String,
    pub segs: Vec<(Seg, Position)>,
    /// Where the chain starts in the source.
    pub pos: Position,
}

impl FactPath {
    /// `targets[].triggers[].automatic`, `image.labels["io.x"]`.
    pub fn render(&self) -> String {
        render(&self.root, self.segs.iter().map(|(s, _)| s))
    }
}

pub(crate) fn render<'a>(root: &str, segs: impl IntoIterator<Item = &'a Seg>) -> String {
    let mut out = root.to_string();
    for s in segs {
        match s {
            Seg::Key {
                name,
                indexed: false,
            } => {
                out.push('.');
                out.push_str(name);
            }
            Seg::Key {
                name,
                indexed: true,
            } => out.push_str(&format!("[{name:?}]")),
            Seg::Each => out.push_str("[]"),
        }
    }
    out
}

/// A function call as written: `name(args)`, `x.name(args)` (a method: the object counts as
/// the first argument) or `alias::name(args)`.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub name: String,
    pub namespace: Option<String>,
    pub arity: usize,
    pub method: bool,
    pub pos: Position,
}

/// `import "<path>" as <alias>;` — `path` is `None` when it is not a string literal.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub path: Option<String>,
    pub alias: String,
    pub pos: Position,
}

/// What a rule's AST says about it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analysis {
    /// Every fact path, in source order (duplicates kept: lint reports each).
    pub paths: Vec<FactPath>,
    /// Paths iterated by a `for` whose loop variable is itself followed: their reads are
    /// explained element by element, so the whole list is not worth showing.
    pub expanded: HashSet<String>,
    pub calls: Vec<Call>,
    pub imports: Vec<Import>,
}

impl Analysis {
    /// The distinct paths worth showing as "facts read" (source order).
    pub fn reads(&self) -> Vec<FactPath> {
        let mut seen = HashSet::new();
        self.paths
            .iter()
            .filter(|p| !p.segs.is_empty())
            .filter(|p| {
                let r = p.render();
                !self.expanded.contains(&r) && seen.insert(r)
            })
            .cloned()
            .collect()
    }
}

/// Walks the rule's top-level code (where the facts are visible) and its functions (where they
/// are not: Rhai functions do not see the caller's variables).
pub(crate) fn analyse(ast: &AST) -> Analysis {
    let mut out = Analysis::default();
    // The top-level statements in place: a copy of the AST without its functions cost as
    // much as the walk itself (callgrind, BENCHMARKS.md).
    let body = |on_node: &mut dyn FnMut(&[ASTNode]) -> bool| {
        let mut path = Vec::new();
        ast.statements().iter().all(|s| s.walk(&mut path, on_node))
    };
    walk(body, true, &mut out);
    walk(
        |on_node| ast.clone_functions_only().walk(on_node),
        false,
        &mut out,
    );
    out
}

/// Records what `visit` shows of the nodes it walks (each node with its ancestors).
fn walk(
    visit: impl FnOnce(&mut dyn FnMut(&[ASTNode]) -> bool) -> bool,
    facts_visible: bool,
    out: &mut Analysis,
) {
    // Inner nodes of a chain already read as part of it (`a.b[i].c` holds `i.c`-shaped nodes).
    let mut consumed: HashSet<usize> = HashSet::new();
    visit(&mut |path: &[ASTNode]| {
        let Some(node) = path.last() else {
            return true;
        };
        match node {
            ASTNode::Expr(e @ (Expr::Dot(x, _, pos) | Expr::Index(x, _, pos))) => {
                if consumed.contains(&(*e as *const Expr as usize)) {
                    return true;
                }
                let mut segs = Vec::new();
                let kind = ChainKind::of(e);
                flatten(&x.rhs, kind, &mut segs, &mut consumed);
                if let Expr::Variable(v, _, _) = &x.lhs {
                    if v.2.is_empty() {
                        if let Some((root, mut prefix)) =
                            resolve_root(v.1.as_str(), path, facts_visible, out)
                        {
                            prefix.extend(segs);
                            out.paths.push(FactPath {
                                root,
                                segs: prefix,
                                pos: *pos,
                            });
                        }
                    }
                }
            }
            ASTNode::Expr(Expr::FnCall(f, pos)) | ASTNode::Stmt(Stmt::FnCall(f, pos))
                if !f.is_operator_call() =>
            {
                out.calls.push(Call {
                    name: f.name.to_string(),
                    namespace: (!f.namespace.is_empty()).then(|| f.namespace.root().to_string()),
                    arity: f.args.len(),
                    method: false,
                    pos: *pos,
                });
            }
            ASTNode::Expr(Expr::MethodCall(f, pos)) => out.calls.push(Call {
                name: f.name.to_string(),
                namespace: None,
                arity: f.args.len() + 1,
                method: true,
                pos: *pos,
            }),
            ASTNode::Stmt(Stmt::Import(x, _)) => out.imports.push(Import {
                path: match &x.0 {
                    Expr::StringConstant(s, _) => Some(s.to_string()),
                    _ => None,
                },
                alias: x.1.name.to_string(),
                pos: x.0.position(),
            }),
            _ => {}
        }
        true
    });
}

#[derive(Clone, Copy)]
enum ChainKind {
    Dot,
    Index,
}

impl ChainKind {
    fn of(e: &Expr) -> ChainKind {
        match e {
            Expr::Index(..) => ChainKind::Index,
            _ => ChainKind::Dot,
        }
    }
}

/// The steps after a chain's root. Rhai nests `a.b[1].c` as
/// `Dot(a, Index(b, Dot(1, c)))`: a non-terminal link's left side is the step, of the kind of
/// its parent link (property for `.`, index value for `[]`). A method call ends the path.
fn flatten(
    e: &Expr,
    kind: ChainKind,
    segs: &mut Vec<(Seg, Position)>,
    consumed: &mut HashSet<usize>,
) {
    match e {
        Expr::Dot(x, flags, _) | Expr::Index(x, flags, _) if !flags.contains(ASTFlags::BREAK) => {
            consumed.insert(e as *const Expr as usize);
            if step(&x.lhs, kind, segs) {
                flatten(&x.rhs, ChainKind::of(e), segs, consumed);
            }
        }
        _ => {
            step(e, kind, segs);
        }
    }
}

/// Appends one step; false when the path cannot continue (a method call, a computed property).
fn step(e: &Expr, kind: ChainKind, segs: &mut Vec<(Seg, Position)>) -> bool {
    match (kind, e) {
        (ChainKind::Dot, Expr::Property(p, pos)) => {
            segs.push((
                Seg::Key {
                    name: p.2.to_string(),
                    indexed: false,
                },
                *pos,
            ));
            true
        }
        (ChainKind::Dot, _) => false,
        (ChainKind::Index, Expr::StringConstant(s, pos)) => {
            segs.push((
                Seg::Key {
                    name: s.to_string(),
                    indexed: true,
                },
                *pos,
            ));
            true
        }
        (ChainKind::Index, e) => {
            segs.push((Seg::Each, e.position()));
            true
        }
    }
}

/// The fact path a variable stands for at this point of the walk: a fact itself, or the
/// element of the fact list the innermost enclosing `for` binding it iterates.
fn resolve_root(
    name: &str,
    path: &[ASTNode],
    facts_visible: bool,
    out: &mut Analysis,
) -> Option<(String, Vec<(Seg, Position)>)> {
    for (i, node) in path.iter().enumerate().rev() {
        let ASTNode::Stmt(Stmt::For(f, _)) = node else {
            continue;
        };
        if f.1.as_ref().is_some_and(|c| c.name == name) {
            return None; // the counter of `for (x, i) in …`
        }
        if f.0.name != name {
            continue;
        }
        // Inside the iterable expression the loop variable is not yet bound.
        if let Some(ASTNode::Expr(next)) = path.get(i + 1) {
            if std::ptr::eq(*next, &f.2.expr) {
                continue;
            }
        }
        let (root, mut segs) = resolve_expr(&f.2.expr, &path[..i], facts_visible, out)?;
        out.expanded
            .insert(render(&root, segs.iter().map(|(s, _)| s)));
        segs.push((Seg::Each, f.0.pos));
        return Some((root, segs));
    }
    (facts_visible && INJECTED_NAMES.contains(&name)).then(|| (name.to_string(), vec![]))
}

/// The fact path an expression (a `for` iterable) denotes, if it is one.
fn resolve_expr(
    e: &Expr,
    path: &[ASTNode],
    facts_visible: bool,
    out: &mut Analysis,
) -> Option<(String, Vec<(Seg, Position)>)> {
    match e {
        Expr::Variable(v, _, _) if v.2.is_empty() => {
            resolve_root(v.1.as_str(), path, facts_visible, out)
        }
        Expr::Dot(x, _, _) | Expr::Index(x, _, _) => {
            let Expr::Variable(v, _, _) = &x.lhs else {
                return None;
            };
            if !v.2.is_empty() {
                return None;
            }
            let mut segs = Vec::new();
            flatten(&x.rhs, ChainKind::of(e), &mut segs, &mut HashSet::new());
            let (root, mut prefix) = resolve_root(v.1.as_str(), path, facts_visible, out)?;
            prefix.extend(segs);
            Some((root, prefix))
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::policy::engine::build_engine;

    fn analysed(src: &str) -> Analysis {
        let engine = build_engine();
        let mut scope = rhai::Scope::new();
        for n in INJECTED_NAMES {
            scope.push(n, ());
        }
        analyse(&engine.compile_with_scope(&scope, src).unwrap())
    }

    fn rendered(a: &Analysis) -> Vec<String> {
        a.paths.iter().map(FactPath::render).collect()
    }

    #[test]
    fn chains_through_facts_and_loop_variables() {
        let a = analysed(
            r#"let d = image.labels["io.x"].len();
for t in targets { if t.triggers[1].from.name == "x" { deny(t.kind); } for trig in t.triggers { trig.automatic; } }
for (b, i) in rbac.bindings { i.foo; b.role.kind; }
fn f(targets) { targets.kind }"#,
        );
        assert_eq!(
            rendered(&a),
            [
                "image.labels[\"io.x\"]",
                "targets[].triggers[].from.name",
                "targets[].kind",
                "targets[].triggers",
                "targets[].triggers[].automatic",
                "rbac.bindings",
                "rbac.bindings[].role.kind",
            ]
        );
        let reads: Vec<_> = a.reads().iter().map(FactPath::render).collect();
        assert!(
            !reads.contains(&"targets[].triggers".to_string()),
            "{reads:?}"
        );
        assert!(!reads.contains(&"rbac.bindings".to_string()), "{reads:?}");
        let calls: Vec<_> = a.calls.iter().map(|c| (c.name.as_str(), c.arity)).collect();
        assert!(
            calls.contains(&("len", 1)) && calls.contains(&("deny", 1)),
            "{calls:?}"
        );
    }

    #[test]
    fn index_chains_and_imports() {
        let a = analysed("import \"targets\" as tg;\nlet k = targets[0].kind; tg::in_prod(k);");
        assert_eq!(rendered(&a), ["targets[].kind"]);
        assert_eq!(a.imports[0].path.as_deref(), Some("targets"));
        assert_eq!(a.calls[0].namespace.as_deref(), Some("tg"));
    }
}
