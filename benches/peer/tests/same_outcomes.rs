//! Review evidence for the Rego translation: on the four seed states, tollgate's pack and the
//! Rego pack on regorus reach the same outcome per rule, with the same messages.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use serde_json::Value;
use tollgate::config::Settings;
use tollgate::facts::Facts;
use tollgate::policy::Evaluator;
use tollgate_peer::rego::{input_of, policy_dir, RegoPeer};
use tollgate_peer::seed::{facts_of, seed_dir, shipped_pack, SEEDS};

/// Rules of the pack the Rego translation does not cover: the promotion-path rules, which
/// skip on the seed (no environment order, windows or promoters are configured).
const NOT_TRANSLATED: [&str; 4] = [
    "allowed-promoters",
    "freeze-window",
    "promotion-order",
    "soak-time",
];

/// rule id → (outcome, sorted distinct messages), from tollgate, for the translated rules.
fn tollgate_outcomes(facts: &Facts) -> BTreeMap<String, (String, Vec<String>)> {
    let evaluator = Evaluator::new();
    let rules = shipped_pack(&evaluator).unwrap();
    evaluator
        .evaluate(&rules, facts, &Settings::default())
        .into_iter()
        .filter(|r| {
            let skipped = serde_json::to_value(r.outcome).unwrap() == "skip";
            let untranslated = NOT_TRANSLATED.contains(&r.id.as_str());
            assert!(
                !untranslated || skipped,
                "{} does not skip on the seed",
                r.id
            );
            !untranslated
        })
        .map(|r| {
            let outcome = serde_json::to_value(r.outcome).unwrap();
            let mut messages = r.messages;
            messages.sort();
            messages.dedup();
            (r.id, (outcome.as_str().unwrap().to_string(), messages))
        })
        .collect()
}

/// The same, from regorus.
fn rego_outcomes(facts: &Facts) -> (bool, BTreeMap<String, (String, Vec<String>)>) {
    let mut peer = RegoPeer::new(&policy_dir()).unwrap();
    let input = input_of(&serde_json::to_string(facts).unwrap()).unwrap();
    let decision: Value =
        serde_json::from_str(&peer.evaluate(input).unwrap().to_json_str().unwrap()).unwrap();
    let rules = decision["rules"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, r)| {
            let mut messages: Vec<String> = r["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect();
            messages.sort();
            (
                id.clone(),
                (r["outcome"].as_str().unwrap().to_string(), messages),
            )
        })
        .collect();
    (decision["allowed"] == Value::Bool(true), rules)
}

#[test]
fn both_engines_decide_the_seed_states_alike() {
    let mut blocked_by = BTreeMap::new();
    for seed in SEEDS {
        let facts = facts_of(&seed_dir(seed)).unwrap();
        let ours = tollgate_outcomes(&facts);
        let (allowed, theirs) = rego_outcomes(&facts);
        assert_eq!(ours.len(), 10, "{seed}: the ten shipped rules");
        assert_eq!(ours, theirs, "{seed}: outcome and messages per rule");
        let blocking: Vec<&String> = ours
            .iter()
            .filter(|(_, (o, _))| o == "deny" || o == "error")
            .map(|(id, _)| id)
            .collect();
        assert_eq!(allowed, blocking.is_empty(), "{seed}: the decision");
        blocked_by.insert(seed, blocking.into_iter().cloned().collect::<Vec<_>>());
    }
    // The seed README's expectations, so the comparison is not between two empty answers.
    assert_eq!(blocked_by["a-no-pull-rights"], ["target-can-pull"]);
    assert_eq!(blocked_by["b-automatic-trigger"], ["prod-manual-trigger"]);
    assert!(blocked_by["c-manual-trigger"].is_empty());
    assert_eq!(blocked_by["d-tracking-alias"], ["no-tracking-tags"]);
}

/// Grown by generated ClusterRoleBindings (some of which can pull), the facts still decide alike.
#[test]
fn both_engines_decide_alike_with_a_thousand_cluster_bindings() {
    let dir = std::env::temp_dir().join(format!("tollgate-peer-1k-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    tollgate_peer::generate::write_snapshot(
        &seed_dir("c-manual-trigger"),
        &dir,
        1000,
        tollgate_peer::generate::Format::JsonList,
    )
    .unwrap();
    let facts = facts_of(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(facts.rbac.bindings.len() > 1000);
    let ours = tollgate_outcomes(&facts);
    let (_, theirs) = rego_outcomes(&facts);
    assert_eq!(ours, theirs);
}
