//! The library API as an admission server or a batch uses it: one gate, many checks, facts
//! from any source — the in-memory object store decides exactly as the snapshot it holds.

use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use crate::gather::snapshot;
use crate::refs::{parse_destination, parse_source};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gate() -> Gate {
    Gate::load(&[root().join("policies")], None).expect("the shipped pack loads")
}

fn promotion() -> Promotion {
    Promotion::cli(
        parse_source("dev/simple-app:latest", None).unwrap(),
        parse_destination("dev/simple-app:promote", None).unwrap(),
        vec![],
        None,
        Some(time::macros::datetime!(2024-03-06 12:00 UTC)),
    )
}

fn denied(outcome: &Outcome) -> Vec<String> {
    outcome
        .checked
        .verdict
        .rules
        .iter()
        .filter(|r| r.outcome == crate::verdict::Outcome::Deny)
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn the_gate_is_shared_across_threads() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Gate>();
}

#[test]
fn an_in_memory_store_decides_as_the_snapshot_it_holds() {
    let gate = gate();
    let seed = root().join("examples/seed/b-automatic-trigger");
    let objects = Arc::new(snapshot::load(std::slice::from_ref(&seed)).unwrap());
    let p = promotion();
    let opts = CheckOptions::default();
    let from_files = gate
        .run(
            &FactsSource::Snapshot(vec![seed], Default::default()),
            &p,
            opts,
            None,
        )
        .unwrap();
    let from_store = gate
        .run(&FactsSource::Objects(objects.clone()), &p, opts, None)
        .unwrap();
    assert_eq!(denied(&from_files), ["prod-manual-trigger"]);
    assert_eq!(denied(&from_store), denied(&from_files));
    assert_eq!(from_store.checked.facts, from_files.checked.facts);
    assert!(from_store.acted.is_none(), "a read-only source never acts");

    // Many checks, concurrently, on one prepared gate.
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (gate, objects, p) = (gate.clone(), objects.clone(), p.clone());
                s.spawn(move || {
                    let o = gate
                        .run(&FactsSource::Objects(objects), &p, opts, None)
                        .unwrap();
                    o.checked.decision()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), Decision::Deny);
        }
    });
}

#[test]
fn a_denied_plan_is_kept_but_marked_not_run() {
    let gate = gate();
    let seed = root().join("examples/seed/b-automatic-trigger");
    let opts = CheckOptions {
        plan: Some(PlanOptions::default()),
        ..CheckOptions::default()
    };
    let o = gate
        .run(
            &FactsSource::Snapshot(vec![seed], Default::default()),
            &promotion(),
            opts,
            None,
        )
        .unwrap();
    assert!(!o.checked.actions.is_empty());
    for a in &o.checked.actions {
        assert_eq!(a.status, ActionStatus::Skipped);
        assert!(
            a.detail.starts_with("not run: the promotion was denied"),
            "{}",
            a.detail
        );
    }
}

#[test]
fn the_configuration_may_name_only_rules_of_the_pack() {
    let evaluator = Evaluator::new();
    let rules = read_pack(&evaluator, &[root().join("policies")]).unwrap();
    let settings = crate::config::Settings::parse(
        "rules:\n  no-such-rule:\n    level: warn\n",
        "tollgate.yaml",
    )
    .unwrap();
    let err = Gate::new(settings, evaluator, rules).err().unwrap();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("rules.no-such-rule: no rule `no-such-rule`"),
        "{err}"
    );
}

#[test]
fn the_rules_digest_covers_the_configuration() {
    let evaluator = Evaluator::new();
    let rules = read_pack(&evaluator, &[root().join("policies")]).unwrap();
    let plain = Gate::new(Default::default(), evaluator.clone(), rules.clone()).unwrap();
    let settings =
        crate::config::Settings::parse("rules:\n  image-age:\n    level: warn\n", "t.yaml")
            .unwrap();
    let configured = Gate::new(settings, evaluator, rules).unwrap();
    assert!(plain.rules_digest().starts_with("sha256:"));
    assert_ne!(plain.rules_digest(), configured.rules_digest());
}
