//! Running a compiled pack over one promotion's facts: one outcome per rule, never a panic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, Scope};
use serde::Serialize;

use super::convert::{facts_values, ToRhai};
use super::diagnostics::{from_eval_error, nearest};
use super::engine::build_engine;
use super::explain::{facts_read, FactRead};
use super::lookups::{with_index, RbacIndex};
use super::rule::{compile_with, RuleSet};
use super::sink::with_sink;
use super::{PolicyError, RuleSource, ScriptError};
use crate::config::{Level, Settings};
use crate::facts::Facts;

/// What a rule concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Deny,
    Warn,
    Skip,
    /// The script failed (threw, hit a limit, read a missing key, called an unknown
    /// function). Blocks the promotion: the gate fails closed.
    Error,
}

/// One rule's result for one promotion.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub path: String,
    pub outcome: Outcome,
    /// deny messages then warn messages (for `deny`), warn messages (`warn`), skip reasons
    /// (`skip`), the error message first (`error`).
    pub messages: Vec<String>,
    pub error: Option<ScriptError>,
    /// Rhai operations the rule used (limit [`super::MAX_OPERATIONS`]).
    pub operations: u64,
    #[serde(serialize_with = "micros")]
    pub duration: Duration,
    /// For a denial, warning or error: the values of the fact paths the rule's code reads
    /// ([`super::explain`]), at most [`super::MAX_FACTS_READ`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facts_read: Vec<FactRead>,
    /// How many more values there were beyond `facts_read`.
    #[serde(skip_serializing_if = "is_zero")]
    pub facts_read_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// A facts document prepared for any number of evaluations (it is immutable): shared, with
/// the rules' lookup indexes, each built on its first use and then kept.
#[derive(Clone)]
pub struct IndexedFacts {
    facts: Arc<Facts>,
    index: Arc<RbacIndex>,
}

impl IndexedFacts {
    pub fn new(facts: Arc<Facts>) -> Self {
        let index = Arc::new(RbacIndex::shared(facts.clone()));
        IndexedFacts { facts, index }
    }

    pub fn facts(&self) -> &Arc<Facts> {
        &self.facts
    }
}

/// Evaluates rule sets; built once, holds the shared hardened engine.
#[derive(Clone)]
pub struct Evaluator {
    engine: Arc<Engine>,
}

impl Default for Evaluator {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Evaluator")
    }
}

impl Evaluator {
    pub fn new() -> Self {
        Evaluator {
            engine: Arc::new(build_engine()),
        }
    }

    /// The shared engine (for tools such as `lint` that need it directly).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles rules with this evaluator's engine (same result as [`super::compile`]).
    pub fn compile(&self, sources: Vec<RuleSource>) -> Result<RuleSet, PolicyError> {
        compile_with(&self.engine, sources)
    }

    /// Runs every rule over `facts`, in the order of the set. Rules configured `off` are not
    /// run. Level re-mapping (deny↔warn) is the decision stage's job, not done here.
    pub fn evaluate(&self, rules: &RuleSet, facts: &Facts, settings: &Settings) -> Vec<RuleResult> {
        let needs = rules.needs();
        // The lookups need the RBAC facts for the whole evaluation: a copy, here.
        let index = needs
            .lookups
            .then(|| Arc::new(RbacIndex::owned(facts.rbac.clone())));
        self.evaluate_with(rules, facts, index, settings)
    }

    /// [`Evaluator::evaluate`] over facts the caller shares: the lookups index the facts' own
    /// lists, so nothing proportional to the cluster is copied per evaluation.
    pub fn evaluate_shared(
        &self,
        rules: &RuleSet,
        facts: &Arc<Facts>,
        settings: &Settings,
    ) -> Vec<RuleResult> {
        self.evaluate_indexed(rules, &IndexedFacts::new(facts.clone()), settings)
    }

    /// [`Evaluator::evaluate`] over a prepared facts document: the lookups' indexes it built
    /// in an earlier evaluation are reused, so evaluating it again costs per rule, not per
    /// binding. Same results as [`Evaluator::evaluate`].
    pub fn evaluate_indexed(
        &self,
        rules: &RuleSet,
        facts: &IndexedFacts,
        settings: &Settings,
    ) -> Vec<RuleResult> {
        let index = rules.needs().lookups.then(|| facts.index.clone());
        self.evaluate_with(rules, &facts.facts, index, settings)
    }

    fn evaluate_with(
        &self,
        rules: &RuleSet,
        facts: &Facts,
        index: Option<Arc<RbacIndex>>,
        settings: &Settings,
    ) -> Vec<RuleResult> {
        let doc = || serde_json::to_value(facts).ok();
        let values = facts_values(facts, rules.needs());
        with_index(index, || self.run(rules, values, &doc, settings))
    }

    /// Runs every rule over a facts document given as JSON that need not match the facts schema
    /// (a value of the wrong type, a missing key): how `tollgate test` exercises a rule's error
    /// path. Production runs use [`Evaluator::evaluate`] on typed facts.
    pub fn evaluate_document(
        &self,
        rules: &RuleSet,
        doc: &serde_json::Value,
        settings: &Settings,
    ) -> Vec<RuleResult> {
        let values = super::INJECTED_NAMES
            .into_iter()
            .filter(|n| *n != "params")
            .map(|n| {
                let v = doc
                    .get(n)
                    .and_then(|v| rhai::serde::to_dynamic(v).ok())
                    .unwrap_or(Dynamic::UNIT);
                (n, v)
            })
            .collect();
        let json = || Some(doc.clone());
        let index = doc
            .get("rbac")
            .and_then(|r| serde_json::from_value::<crate::facts::Rbac>(r.clone()).ok())
            .map(|rbac| Arc::new(RbacIndex::owned(rbac)));
        with_index(index, || self.run(rules, values, &json, settings))
    }

    fn run(
        &self,
        rules: &RuleSet,
        values: Vec<(&'static str, Dynamic)>,
        doc: &dyn Fn() -> Option<serde_json::Value>,
        settings: &Settings,
    ) -> Vec<RuleResult> {
        // Convert once per promotion and keep the values in one scope for every rule,
        // rewinding only each rule's own variables: cloning the facts per rule is what costs
        // (docs/design/DEPENDENCIES.md). `push_constant_dynamic` marks every nested value read-only, so a rule
        // cannot change a fact for the next one (assignments and mutating methods fail; copies
        // are the rule's own). Not `into_shared`: a shared value does not protect its contents
        // (a rule could `targets.clear()` through it) and property access on it measured slower.
        let mut scope = Scope::new();
        for (name, value) in values {
            // `push_constant_dynamic` marks the value read-only all the way down (one walk).
            scope.push_constant_dynamic(name, value);
        }
        let base = scope.len();
        let mut results = Vec::with_capacity(rules.len());
        for rule in rules {
            let rs = settings.rule(&rule.id);
            let mut result = RuleResult {
                id: rule.id.clone(),
                path: rule.path.clone(),
                outcome: Outcome::Pass,
                messages: vec![],
                error: None,
                operations: 0,
                duration: Duration::ZERO,
                facts_read: vec![],
                facts_read_omitted: 0,
            };
            if rs.level == Some(Level::Off) {
                let from = settings.source.as_deref().unwrap_or("configuration");
                result.outcome = Outcome::Skip;
                result.messages.push(format!("turned off in {from}"));
                results.push(result);
                continue;
            }
            let start = Instant::now();
            let params = rs.params.to_rhai();
            let (run, sink) = with_sink(settings.limits.rule_timeout, || {
                scope.push_constant_dynamic("params", params);
                self.engine.run_ast_with_scope(&mut scope, &rule.ast)
            });
            result.duration = start.elapsed();
            // Explaining costs only when there is something to explain, and reads the values
            // the rule saw (its params are still in scope).
            let failed = run.is_err() || !sink.denies.is_empty() || !sink.warns.is_empty();
            if failed && !rule.reads().is_empty() {
                (result.facts_read, result.facts_read_omitted) = facts_read(rule.reads(), &scope);
            }
            scope.rewind(base);
            result.operations = sink.operations;
            match run {
                Err(err) => {
                    let suggest =
                        |chain: &[String], key: &str| suggest_key(doc(), &rs.params, chain, key);
                    let e = from_eval_error(&rule.path, &rule.text, &err, &suggest);
                    tracing::debug!(rule = %rule.id, "rule error: {}", e.message);
                    result.outcome = Outcome::Error;
                    result.messages.push(e.message.clone());
                    result.messages.extend(sink.denies);
                    result.messages.extend(sink.warns);
                    result.error = Some(e);
                }
                Ok(()) if !sink.denies.is_empty() => {
                    result.outcome = Outcome::Deny;
                    result.messages = sink.denies;
                    result.messages.extend(sink.warns);
                }
                Ok(()) if !sink.warns.is_empty() => {
                    result.outcome = Outcome::Warn;
                    result.messages = sink.warns;
                }
                Ok(()) if !sink.skips.is_empty() => {
                    result.outcome = Outcome::Skip;
                    result.messages = sink.skips;
                }
                Ok(()) => {}
            }
            results.push(result);
        }
        results
    }
}

/// A known key near `key`: the keys of the map the dotted `chain` resolves to in the facts
/// when it starts at a fact name, else every key anywhere in the facts (loop variables such as
/// `t` in `for t in targets` cannot be resolved statically).
fn suggest_key(
    doc: Option<serde_json::Value>,
    params: &serde_json::Map<String, serde_json::Value>,
    chain: &[String],
    key: &str,
) -> Option<String> {
    let mut doc = doc?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("params".into(), serde_json::Value::Object(params.clone()));
    }
    let mut at = Some(&doc);
    for seg in chain {
        at = match (at, seg.as_str()) {
            (Some(serde_json::Value::Array(a)), "[]") => a.first(),
            (Some(serde_json::Value::Object(m)), s) => m.get(s),
            _ => None,
        };
    }
    if let (false, Some(serde_json::Value::Object(m))) = (chain.is_empty(), at) {
        if let Some(s) = nearest(key, m.keys().map(String::as_str)) {
            return Some(s);
        }
    }
    let mut all = std::collections::BTreeSet::new();
    collect_keys(&doc, &mut all);
    nearest(key, all.iter().map(String::as_str))
}

fn collect_keys(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                collect_keys(v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_keys(v, out)),
        _ => {}
    }
}
