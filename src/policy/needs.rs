//! What of the facts that grow with the cluster (`rbac.bindings`, `rbac.pullers`) a compiled
//! rule's code can reach, found on its AST once per pack, so evaluation converts only that.

use rhai::{ASTNode, Expr, Stmt, AST};

/// The facts whose size grows with the cluster, and whether a pack's code can reach them.
/// What no rule can reach is given as an empty list: unobservable, so every rule decides as if
/// it were complete, and a large cluster costs nothing to a pack that does not read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Needs {
    pub bindings: bool,
    pub pullers: bool,
    /// The pack calls an RBAC lookup ([`super::lookups`]): the evaluation indexes the facts.
    pub lookups: bool,
}

impl Needs {
    pub const ALL: Needs = Needs {
        bindings: true,
        pullers: true,
        lookups: true,
    };

    pub fn union(self, o: Needs) -> Needs {
        Needs {
            bindings: self.bindings || o.bindings,
            pullers: self.pullers || o.pullers,
            lookups: self.lookups || o.lookups,
        }
    }
}

/// What a compiled rule (its body, functions and embedded modules' call sites) can reach.
/// Conservative: `rbac.<key>` and `rbac["<key>"]` reach one key; any other use of `rbac` (a
/// copy, an argument, iteration, a computed index, a method call) reaches all of it.
pub(crate) fn needs_of(ast: &AST) -> Needs {
    let mut needs = Needs::default();
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Expr(e @ Expr::Variable(v, _, _))) if v.1.as_str() == "rbac" => {
                let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
                match rbac_key(e, parent) {
                    Some("bindings") => needs.bindings = true,
                    Some("pullers") => needs.pullers = true,
                    Some(_) => {}
                    None => needs = Needs::ALL,
                }
            }
            Some(ASTNode::Expr(Expr::FnCall(f, _))) | Some(ASTNode::Stmt(Stmt::FnCall(f, _)))
                if super::lookups::LOOKUPS.contains(&f.name.as_str()) =>
            {
                needs.lookups = true;
            }
            _ => {}
        }
        true
    });
    needs
}

/// [`needs_of`] for a script given with its source: a script that nowhere writes `rbac` or a
/// lookup's name reaches neither (a name cannot be built at run time: `eval` is disabled), so
/// its AST is not walked; the walk was about 4 % of a whole `check` process and most rules of a
/// pack never name them.
pub(crate) fn needs_of_script(ast: &AST, text: &str) -> Needs {
    let named = text.contains("rbac") || super::lookups::LOOKUPS.iter().any(|l| text.contains(l));
    if named {
        needs_of(ast)
    } else {
        Needs::default()
    }
}

/// The key of `rbac` that `var` (a use of `rbac`) reads directly, or `None` for any other use.
fn rbac_key<'a>(var: &Expr, parent: Option<&'a ASTNode<'a>>) -> Option<&'a str> {
    let x = match parent? {
        ASTNode::Expr(Expr::Dot(x, _, _)) | ASTNode::Expr(Expr::Index(x, _, _)) => x,
        _ => return None,
    };
    if !std::ptr::eq(&x.lhs, var) {
        return None;
    }
    let is_dot = matches!(parent, Some(ASTNode::Expr(Expr::Dot(..))));
    // `rbac.a.b` nests as Dot(rbac, Dot(a, b)): the first step is the innermost left side.
    let step = match &x.rhs {
        Expr::Dot(y, _, _) | Expr::Index(y, _, _) => &y.lhs,
        e => e,
    };
    match step {
        Expr::Property(p, _) if is_dot => Some(p.2.as_str()),
        Expr::StringConstant(s, _) if !is_dot => Some(s.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(body: &str) -> Needs {
        let mut engine = rhai::Engine::new_raw();
        engine.register_fn("pullers_of", |_: &str, _: &str| rhai::Array::new());
        let mut scope = rhai::Scope::new();
        scope.push("rbac", ());
        let ast = engine.compile_with_scope(&scope, body).unwrap();
        assert_eq!(needs_of_script(&ast, body), needs_of(&ast), "{body}");
        needs_of(&ast)
    }

    const NONE: Needs = Needs {
        bindings: false,
        pullers: false,
        lookups: false,
    };

    #[test]
    fn the_shortcut_agrees_with_the_walk_on_every_shipped_rule() {
        let engine = crate::policy::engine::build_engine();
        let mut scope = rhai::Scope::new();
        for n in crate::policy::rule::INJECTED_NAMES {
            scope.push(n, ());
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        let mut reach_nothing = 0;
        for dir in ["policies"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rhai") {
                        let text = std::fs::read_to_string(&p).unwrap();
                        let Ok(ast) = engine.compile_with_scope(&scope, &text) else {
                            continue;
                        };
                        assert_eq!(needs_of_script(&ast, &text), needs_of(&ast), "{p:?}");
                        checked += 1;
                        reach_nothing += usize::from(needs_of(&ast) == NONE);
                    }
                }
            }
        }
        // The pack has rules that reach the large facts and rules that do not.
        assert!(
            checked >= 14 && reach_nothing > 0 && reach_nothing < checked,
            "{checked} {reach_nothing}"
        );
    }

    #[test]
    fn a_script_that_names_neither_reaches_nothing() {
        for body in [
            "let x = 1; x + 1",
            "targets.len()",
            "fn f(r) { r.x } f(image)",
        ] {
            assert_eq!(needs(body), NONE, "{body}");
        }
    }

    #[test]
    fn a_direct_key_reaches_only_that_key() {
        assert_eq!(needs("rbac.unreadable.len()"), NONE);
        assert_eq!(needs("if rbac.promoter_can_tag == () {}"), NONE);
        let bindings = Needs {
            bindings: true,
            ..NONE
        };
        assert_eq!(needs("for b in rbac.bindings { b.name; }"), bindings);
        assert_eq!(needs("rbac.bindings[0].role.name"), bindings);
        assert_eq!(needs(r#"rbac["bindings"].len()"#), bindings);
        let pullers = Needs {
            pullers: true,
            ..NONE
        };
        assert_eq!(needs("rbac.pullers.len()"), pullers);
    }

    #[test]
    fn any_other_use_of_rbac_reaches_everything() {
        for body in [
            "let r = rbac; r.bindings",
            "rbac.keys()",
            "for x in rbac.values() {}",
            "let k = \"bindings\"; rbac[k]",
            "type_of(rbac)",
            "fn f(r) { r.bindings } f(rbac)",
            "let g = || rbac.bindings; g.call()",
        ] {
            assert_eq!(needs(body), Needs::ALL, "{body}");
        }
    }

    #[test]
    fn calling_a_lookup_asks_for_the_index() {
        let n = needs(r#"for p in pullers_of("Group", "x") { p.via; }"#);
        assert_eq!(
            n,
            Needs {
                lookups: true,
                ..NONE
            }
        );
    }
}
