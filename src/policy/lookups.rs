//! Indexed RBAC lookups offered to rules (`binding`, `bindings_of`, `bindings_to`, `pullers_of`),
//! so that no rule needs to iterate every binding of a large cluster.
//!
//! The registered functions are owned by the shared engine, so they reach the current
//! promotion's RBAC facts through a thread-local installed for one evaluation (evaluation is
//! synchronous on one thread, as for the outcome sink). Indexes are built on a lookup's first
//! call, so a rule that never calls one pays nothing. Documented in `policies/README.md`.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult};

use super::convert::ToRhai;
use crate::facts::{Binding, Facts, Puller, Rbac};

/// Names of the lookup functions (a pack that calls none of them gets no index).
pub(crate) const LOOKUPS: [&str; 4] = ["binding", "bindings_of", "bindings_to", "pullers_of"];

/// Where the index reads the RBAC facts: the caller's facts, shared (no copy however many
/// bindings there are), or a copy (a document off the schema, or a caller holding `&Facts`).
enum Source {
    Shared(Arc<Facts>),
    Owned(Rbac),
}

/// The RBAC facts of one evaluation and their indexes (positions in the lists, in facts order).
pub(crate) struct RbacIndex {
    source: Source,
    by_id: OnceCell<HashMap<String, usize>>,
    by_subject: OnceCell<HashMap<(String, String), Vec<usize>>>,
    by_role: OnceCell<HashMap<String, Vec<usize>>>,
    pullers_by_subject: OnceCell<HashMap<(String, String), Vec<usize>>>,
}

impl RbacIndex {
    /// An index over the facts' own lists, shared with the caller.
    pub(crate) fn shared(facts: Arc<Facts>) -> Self {
        Self::over(Source::Shared(facts))
    }

    /// An index over a copy of the RBAC facts.
    pub(crate) fn owned(rbac: Rbac) -> Self {
        Self::over(Source::Owned(rbac))
    }

    fn over(source: Source) -> Self {
        RbacIndex {
            source,
            by_id: OnceCell::new(),
            by_subject: OnceCell::new(),
            by_role: OnceCell::new(),
            pullers_by_subject: OnceCell::new(),
        }
    }

    fn rbac(&self) -> &Rbac {
        match &self.source {
            Source::Shared(f) => &f.rbac,
            Source::Owned(r) => r,
        }
    }

    fn bindings(&self) -> &[Binding] {
        &self.rbac().bindings
    }

    fn pullers(&self) -> &[Puller] {
        &self.rbac().pullers
    }

    /// The binding with this id (`ns/name`, or `name` for a cluster binding: what
    /// `rbac.pullers[].via` holds); the last one when several share it, as a loop would find.
    fn binding(&self, id: &str) -> Option<&Binding> {
        let ids = self.by_id.get_or_init(|| {
            let mut m = HashMap::with_capacity(self.bindings().len());
            for (i, b) in self.bindings().iter().enumerate() {
                m.insert(binding_id(b), i);
            }
            m
        });
        ids.get(id).map(|i| &self.bindings()[*i])
    }

    fn bindings_of(&self, kind: &str, name: &str) -> Array {
        let m = self.by_subject.get_or_init(|| {
            let mut m: HashMap<(String, String), Vec<usize>> = HashMap::new();
            for (i, b) in self.bindings().iter().enumerate() {
                for s in &b.subjects {
                    let v = m.entry((s.kind.clone(), s.name.clone())).or_default();
                    // A binding naming the same subject twice is listed once.
                    if v.last() != Some(&i) {
                        v.push(i);
                    }
                }
            }
            m
        });
        let key = (kind.to_string(), name.to_string());
        self.rows(m.get(&key), self.bindings())
    }

    fn bindings_to(&self, role: &str) -> Array {
        let m = self.by_role.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, b) in self.bindings().iter().enumerate() {
                m.entry(b.role.name.clone()).or_default().push(i);
            }
            m
        });
        self.rows(m.get(role), self.bindings())
    }

    fn pullers_of(&self, kind: &str, name: &str) -> Array {
        let m = self.pullers_by_subject.get_or_init(|| {
            let mut m: HashMap<(String, String), Vec<usize>> = HashMap::new();
            for (i, p) in self.pullers().iter().enumerate() {
                m.entry((p.kind.clone(), p.name.clone()))
                    .or_default()
                    .push(i);
            }
            m
        });
        let key = (kind.to_string(), name.to_string());
        self.rows(m.get(&key), self.pullers())
    }

    fn rows<T: ToRhai>(&self, at: Option<&Vec<usize>>, list: &[T]) -> Array {
        at.map(|v| v.iter().map(|i| list[*i].to_rhai()).collect())
            .unwrap_or_default()
    }
}

/// `ns/name`, or `name` for a cluster binding.
fn binding_id(b: &Binding) -> String {
    match &b.namespace {
        Some(ns) => format!("{ns}/{}", b.name),
        None => b.name.clone(),
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RbacIndex>>> = const { RefCell::new(None) };
}

/// Runs `f` with `index` answering the lookups (none: a lookup errors, naming why).
pub(crate) fn with_index<T>(index: Option<RbacIndex>, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(index.map(Rc::new)));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

fn current(name: &str) -> Result<Rc<RbacIndex>, Box<EvalAltResult>> {
    CURRENT.with(|c| c.borrow().clone()).ok_or_else(|| {
        format!("{name}(): the rbac facts are not available to lookups here (the facts document does not match the facts schema)").into()
    })
}

/// Registers the lookups on the policy engine.
pub(crate) fn register(engine: &mut Engine) {
    engine.register_fn(
        "binding",
        |id: &str| -> Result<Dynamic, Box<EvalAltResult>> {
            Ok(current("binding")?
                .binding(id)
                .map_or(Dynamic::UNIT, ToRhai::to_rhai))
        },
    );
    engine.register_fn(
        "bindings_of",
        |kind: &str, name: &str| -> Result<Array, Box<EvalAltResult>> {
            Ok(current("bindings_of")?.bindings_of(kind, name))
        },
    );
    engine.register_fn(
        "bindings_to",
        |role: &str| -> Result<Array, Box<EvalAltResult>> {
            Ok(current("bindings_to")?.bindings_to(role))
        },
    );
    engine.register_fn(
        "pullers_of",
        |kind: &str, name: &str| -> Result<Array, Box<EvalAltResult>> {
            Ok(current("pullers_of")?.pullers_of(kind, name))
        },
    );
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use crate::facts::sample_facts;
    use crate::policy::{compile, Evaluator, Outcome, RuleSource};

    /// The messages of a one-rule pack (plus `others`) over the sample facts.
    fn run(body: &str, others: &[&str]) -> (Outcome, Vec<String>) {
        let mut sources = vec![RuleSource {
            path: "policies/r.rhai".into(),
            text: format!("//! t\n{body}"),
        }];
        for (i, o) in others.iter().enumerate() {
            sources.push(RuleSource {
                path: format!("policies/o{i}.rhai"),
                text: format!("//! t\n{o}"),
            });
        }
        let rules = compile(sources).unwrap();
        let results = Evaluator::new().evaluate(&rules, &sample_facts(), &Settings::default());
        let r = results.into_iter().find(|r| r.id == "r").unwrap();
        (r.outcome, r.messages)
    }

    #[test]
    fn binding_finds_by_id_or_gives_unit() {
        let (o, m) = run(
            r#"deny(binding("dev/view").role.name); if binding("dev/nope") == () { deny("none"); }"#,
            &[],
        );
        assert_eq!(o, Outcome::Deny);
        assert_eq!(m, ["view", "none"]);
    }

    #[test]
    fn lists_come_in_facts_order() {
        let (_, m) = run(
            r#"for b in bindings_of("Group", "system:serviceaccounts:prod") { deny(`${b.namespace}/${b.name}`); }
               deny(`${bindings_to("system:image-puller").len()}`);
               deny(`${bindings_of("User", "nobody").len()}`);
               for p in pullers_of("Group", "system:serviceaccounts:prod") { deny(p.via); }"#,
            &[],
        );
        assert_eq!(
            m,
            [
                "dev/system:image-puller",
                "prod/system:image-pullers",
                "3",
                "0",
                "dev/system:image-puller"
            ]
        );
    }

    /// A rule that iterates `rbac.bindings` gets every binding, whatever the others read.
    #[test]
    fn rules_that_iterate_still_see_every_binding() {
        let (_, m) = run(
            "deny(`${rbac.bindings.len()} ${rbac.pullers.len()}`);",
            &[r#"binding("x");"#],
        );
        assert_eq!(m, [format!("4 {}", sample_facts().rbac.pullers.len())]);
    }

    /// Facts that do not match the schema (a `tollgate test` case marked `unchecked`) have no
    /// index: a lookup is a rule error that says why.
    #[test]
    fn a_lookup_over_unschematic_facts_is_an_error() {
        let rules = compile(vec![RuleSource {
            path: "policies/r.rhai".into(),
            text: "//! t\npullers_of(\"Group\", \"x\");".into(),
        }])
        .unwrap();
        let mut doc = serde_json::to_value(sample_facts()).unwrap();
        doc["rbac"]["pullers"] = serde_json::json!("everyone");
        let r = Evaluator::new().evaluate_document(&rules, &doc, &Settings::default());
        assert_eq!(r[0].outcome, Outcome::Error);
        assert!(
            r[0].messages[0].contains("not available to lookups"),
            "{:?}",
            r[0].messages
        );
    }
}
