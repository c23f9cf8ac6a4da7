//! The parity test: for every seed state, the AdmissionReview of
//! `oc tag dev/simple-app:latest dev/simple-app:promote` is decided as
//! `tollgate check dev/simple-app:latest dev/simple-app:promote` decides over the same objects.

use super::bodies::*;
use super::*;
use crate::facts::{Facts, VIA_CLI};
use crate::refs::{parse_destination, parse_source};

/// What `tollgate check … --snapshot examples/seed/<name> --time …` decides.
fn cli(gate: &Gate, name: &str) -> gate::Checked {
    let p = Promotion::cli(
        parse_source("dev/simple-app:latest", None).unwrap(),
        parse_destination("dev/simple-app:promote", None).unwrap(),
        vec![],
        None,
        Some(NOW),
    );
    let dir = root().join("examples/seed").join(name);
    let source = FactsSource::Snapshot(vec![dir], Default::default());
    let facts = gate::gather(&source, &p, gate.settings()).unwrap();
    gate.check_at(facts, CheckOptions::default(), NOW.date())
}

/// Blocking rule ids, as the admission answer lists them.
fn blocking(c: &gate::Checked) -> Vec<String> {
    c.verdict
        .rules
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Deny | Outcome::Error))
        .map(|r| r.id.clone())
        .collect()
}

/// The admission facts with what is expected to differ set to the CLI's values.
fn as_cli(mut f: Facts) -> Facts {
    assert_eq!(f.promotion.via, VIA_ADMISSION);
    assert_eq!(f.promotion.requested_by.as_deref(), Some("dev-user1"));
    let groups = f.promotion.requested_by_groups.take().unwrap();
    assert!(groups.contains(&"system:authenticated".to_string()));
    f.promotion.via = VIA_CLI.into();
    f.promotion.requested_by = None;
    f
}

#[test]
fn oc_tag_is_decided_as_check_decides_in_every_seed_state() {
    let gate = gate();
    let mut decisions = Vec::new();
    for name in SEEDS {
        let objects = seed(name);
        let expected = cli(&gate, name);
        let (new, old) = istag_set(&objects, "promote", isimage(LATEST));
        let r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);

        let answer = run(&gate, &objects, &r);
        assert!(
            answer.evaluated,
            "{name}: a write into a followed tag is evaluated"
        );
        assert_eq!(answer.decision, expected.decision(), "{name}");
        assert_eq!(answer.denied, blocking(&expected), "{name}");
        assert_eq!(
            allowed(&answer),
            expected.decision() == Decision::Allow,
            "{name}"
        );
        let outcomes: Vec<_> = expected
            .verdict
            .rules
            .iter()
            .map(|v| (v.id.clone(), v.outcome.as_str()))
            .collect();
        assert_eq!(answer.outcomes, outcomes, "{name}");
        assert_eq!(
            answer.moves,
            ["dev/simple-app:latest → dev/simple-app:promote"]
        );
        let guarded = Guarded::new(&objects, gate.settings());
        let kept = decide_with(&gate, &objects, &guarded, &r, Mode::Enforce, NOW);
        assert_eq!(
            kept, answer,
            "{name}: guarded tags worked out beforehand decide alike"
        );

        let j = judge(&gate, &objects, None, &r, NOW);
        assert_eq!(j.facts.len(), 1, "{name}: one move");
        let facts = as_cli(j.facts.into_iter().next().unwrap());
        assert_eq!(
            facts, expected.facts,
            "{name}: the same facts but for via and who"
        );
        decisions.push((name, answer.decision, answer.denied));
    }
    // The states are what the seed's README says, so the parity is not between two no-ops.
    assert_eq!(
        decisions,
        [
            (
                "a-no-pull-rights",
                Decision::Deny,
                vec!["target-can-pull".to_string()]
            ),
            (
                "b-automatic-trigger",
                Decision::Deny,
                vec!["prod-manual-trigger".to_string()]
            ),
            ("c-manual-trigger", Decision::Allow, vec![]),
            (
                "d-tracking-alias",
                Decision::Deny,
                vec!["no-tracking-tags".to_string()]
            ),
        ]
    );
}

#[test]
fn the_source_is_named_as_oc_tag_resolved_it() {
    let objects = seed("c-manual-trigger");
    let (new, old) = istag_set(&objects, "promote", isimage(LATEST));
    let r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);
    let j = judge(&gate(), &objects, None, &r, NOW);
    let p = &j.facts[0].promotion;
    assert_eq!(p.source.reference, "dev/simple-app:latest");
    assert_eq!(p.destination.reference, "dev/simple-app:promote");
    assert_eq!(p.digest, LATEST);
    assert!(!p.alias);
    assert_eq!(p.time, "2024-03-06T12:00:00Z");

    // An image no other tag points at now is named by digest (and resolved from the
    // stream's history); the written tag itself is never the source.
    let (new, mut old) = istag_set(&objects, "promote", isimage(OLD));
    old["tag"]["from"] = isimage(LATEST);
    let r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);
    let j = judge(&gate(), &objects, None, &r, NOW);
    let p = &j.facts[0].promotion;
    assert_eq!(p.source.reference, format!("dev/simple-app@{OLD}"));
    assert_eq!(p.source.tag, None);
    assert!(p.noop, "promote points at {OLD} already");
}
