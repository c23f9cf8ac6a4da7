//! Indexed RBAC lookups offered to rules (`binding`, `bindings_of`, `bindings_to`, `pullers_of`),
//! so that no rule needs to iterate every binding of a large cluster.
//!
//! The registered functions are owned by the shared engine, so they reach the current
//! promotion's RBAC facts through a thread-local installed for one evaluation (evaluation is
//! synchronous on one thread, as for the outcome sink). Indexes are built on a lookup's first
//! call, so a rule that never calls one pays nothing, and are kept with the facts document
//! they index ([`super::IndexedFacts`]): evaluating it again builds nothing. Documented in
//! `policies/README.md`.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

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

/// The RBAC facts of one facts document and their indexes (positions in the lists, in facts
/// order). `OnceLock`: a prepared document may be evaluated on several threads.
pub(crate) struct RbacIndex {
    source: Source,
    by_id: OnceLock<HashIndex>,
    by_subject: OnceLock<HashIndex>,
    by_role: OnceLock<HashIndex>,
    pullers_by_subject: OnceLock<HashIndex>,
}

/// A compact index: `(hash of the key, position)` sorted, so a key's positions are one range in
/// facts order. Nothing of the key is copied (at 300,000 bindings a map of owned keys cost more
/// memory than the bindings); a lookup checks each candidate's real key, so a hash collision
/// costs a comparison, never a wrong answer.
struct HashIndex(Vec<(u64, usize)>);

impl HashIndex {
    /// Indexes each item under the keys `keys` gives it (several for a binding's subjects).
    fn build<T>(items: &[T], keys: impl Fn(&T, &mut dyn FnMut(u64))) -> Self {
        let mut v = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            keys(item, &mut |h| v.push((h, i)));
        }
        v.sort_unstable();
        // A binding naming the same subject twice is listed once.
        v.dedup();
        HashIndex(v)
    }

    /// Positions filed under `hash`, in facts order.
    fn get(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        let start = self.0.partition_point(|(h, _)| *h < hash);
        self.0[start..]
            .iter()
            .take_while(move |(h, _)| *h == hash)
            .map(|(_, i)| *i)
    }
}

/// FNV-1a over the parts, each followed by `0xff` (a byte UTF-8 text never holds), so `("ab",
/// "c")` and `("a", "bc")` differ. Not keyed: a crafted collision only makes a lookup compare
/// more candidates, and a lookup is never slower than the loop it replaces.
fn hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
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
            by_id: OnceLock::new(),
            by_subject: OnceLock::new(),
            by_role: OnceLock::new(),
            pullers_by_subject: OnceLock::new(),
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
        let ids = self
            .by_id
            .get_or_init(|| HashIndex::build(self.bindings(), |b, add| add(id_hash(b))));
        let wanted = hash(&[id.as_bytes()]);
        ids.get(wanted)
            .filter(|i| self.bindings().get(*i).is_some_and(|b| has_id(b, id)))
            .last()
            .and_then(|i| self.bindings().get(i))
    }

    fn bindings_of(&self, kind: &str, name: &str) -> Array {
        let m = self.by_subject.get_or_init(|| {
            HashIndex::build(self.bindings(), |b, add| {
                for s in &b.subjects {
                    add(hash(&[s.kind.as_bytes(), s.name.as_bytes()]));
                }
            })
        });
        let h = hash(&[kind.as_bytes(), name.as_bytes()]);
        rows(m.get(h), self.bindings(), |b| {
            b.subjects.iter().any(|s| s.kind == kind && s.name == name)
        })
    }

    fn bindings_to(&self, role: &str) -> Array {
        let m = self.by_role.get_or_init(|| {
            HashIndex::build(self.bindings(), |b, add| {
                add(hash(&[b.role.name.as_bytes()]))
            })
        });
        rows(m.get(hash(&[role.as_bytes()])), self.bindings(), |b| {
            b.role.name == role
        })
    }

    fn pullers_of(&self, kind: &str, name: &str) -> Array {
        let m = self.pullers_by_subject.get_or_init(|| {
            HashIndex::build(self.pullers(), |p, add| {
                add(hash(&[p.kind.as_bytes(), p.name.as_bytes()]))
            })
        });
        let h = hash(&[kind.as_bytes(), name.as_bytes()]);
        rows(m.get(h), self.pullers(), |p| {
            p.kind == kind && p.name == name
        })
    }
}

/// The rows at `at` whose real key matches (`is`), as Rhai values.
fn rows<T: ToRhai>(at: impl Iterator<Item = usize>, list: &[T], is: impl Fn(&T) -> bool) -> Array {
    at.filter_map(|i| list.get(i))
        .filter(|x| is(x))
        .map(ToRhai::to_rhai)
        .collect()
}

/// The hash of `ns/name` (or `name` for a cluster binding), as [`hash`] of the id string.
fn id_hash(b: &Binding) -> u64 {
    match &b.namespace {
        // The id's one part is `ns`, `/`, `name`: fed as one run of bytes.
        Some(ns) => {
            let id = [ns.as_bytes(), b"/", b.name.as_bytes()].concat();
            hash(&[&id])
        }
        None => hash(&[b.name.as_bytes()]),
    }
}

/// Whether `id` is `ns/name` (or `name` for a cluster binding) of `b`.
fn has_id(b: &Binding, id: &str) -> bool {
    match &b.namespace {
        Some(ns) => id
            .strip_prefix(ns.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|r| r == b.name),
        None => id == b.name,
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<RbacIndex>>> = const { RefCell::new(None) };
}

/// Runs `f` with `index` answering the lookups (none: a lookup errors, naming why).
pub(crate) fn with_index<T>(index: Option<Arc<RbacIndex>>, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(index));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

fn current(name: &str) -> Result<Arc<RbacIndex>, Box<EvalAltResult>> {
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

    /// A prepared document answers every lookup as fresh facts do, however often it is
    /// evaluated (its indexes are built once, then reused), and other facts get their own.
    #[test]
    fn prepared_facts_give_the_same_answers_every_time() {
        use crate::policy::IndexedFacts;
        use std::sync::Arc;
        let rules = compile(vec![RuleSource {
            path: "policies/r.rhai".into(),
            text: r#"//! t
                for b in bindings_of("Group", "system:serviceaccounts:prod") { deny(`${b.namespace}/${b.name}`); }
                deny(`${bindings_to("system:image-puller").len()} ${binding("dev/view").role.name}`);
                for p in pullers_of("Group", "system:serviceaccounts:prod") { deny(p.via); }"#
                .into(),
        }])
        .unwrap();
        let settings = Settings::default();
        let evaluator = Evaluator::new();
        let messages = |r: Vec<crate::policy::RuleResult>| r[0].messages.clone();
        let fresh = messages(evaluator.evaluate(&rules, &sample_facts(), &settings));
        assert_eq!(fresh.len(), 4, "{fresh:?}");
        let prepared = IndexedFacts::new(Arc::new(sample_facts()));
        for _ in 0..3 {
            assert_eq!(
                messages(evaluator.evaluate_indexed(&rules, &prepared, &settings)),
                fresh
            );
        }
        let mut other = sample_facts();
        other.rbac.bindings.retain(|b| b.name != "view");
        let other = IndexedFacts::new(Arc::new(other));
        // `binding("dev/view")` is `()` there: reading `.role` of it is the rule's error.
        let r = evaluator.evaluate_indexed(&rules, &other, &settings);
        assert_eq!(r[0].outcome, Outcome::Error, "{:?}", r[0].messages);
        assert_eq!(
            messages(evaluator.evaluate_indexed(&rules, &prepared, &settings)),
            fresh
        );
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
