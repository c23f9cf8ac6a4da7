//! The shipped rules in `policies/`: each passes on the seed's allowed state, and denies, warns
//! or skips on a tweak of it, with a message that names the object and the way out.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tollgate::config::Settings;
use tollgate::facts::{sample_facts, Facts, ObjectRef, Puller};
use tollgate::policy::{compile, Evaluator, Outcome, RuleResult, RuleSet};
use tollgate::policy_files::read_policy_dirs;

fn pack() -> RuleSet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let sources = read_policy_dirs(&[dir]).unwrap_or_else(|e| panic!("{e}"));
    compile(sources).unwrap_or_else(|e| panic!("{e}"))
}

fn eval_with(id: &str, facts: &Facts, settings: &Settings) -> RuleResult {
    let results = Evaluator::new().evaluate(&pack(), facts, settings);
    results
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

fn eval(id: &str, facts: &Facts) -> RuleResult {
    eval_with(id, facts, &Settings::default())
}

/// Asserts the outcome and that some message contains every needle.
fn expect(r: &RuleResult, outcome: Outcome, needles: &[&str]) {
    assert_eq!(r.outcome, outcome, "{r:#?}");
    let all = r.messages.join("\n");
    for n in needles {
        assert!(all.contains(n), "`{n}` not in:\n{all}");
    }
}

fn tweak(f: impl FnOnce(&mut Facts)) -> Facts {
    let mut facts = sample_facts();
    f(&mut facts);
    facts
}

#[test]
fn every_rule_passes_on_the_allowed_state() {
    let results = Evaluator::new().evaluate(&pack(), &sample_facts(), &Settings::default());
    assert_eq!(results.len(), 10);
    for r in &results {
        assert_eq!(r.outcome, Outcome::Pass, "{r:#?}");
    }
}

#[test]
fn ids_are_unique_and_every_rule_is_documented() {
    let rules = pack();
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), rules.len());
    for r in &rules {
        assert!(!r.title.is_empty(), "{} has no title", r.id);
        assert!(!r.description.is_empty(), "{} has no description", r.id);
        let fix = r.fix.as_deref().unwrap_or_default();
        assert!(
            fix.contains("oc ") || fix.contains("--reason"),
            "{} fix: {fix:?}",
            r.id
        );
    }
}

#[test]
fn prod_manual_trigger() {
    let automatic = |f: &mut Facts| f.targets[0].triggers[1].automatic = true;
    let r = eval("prod-manual-trigger", &tweak(automatic));
    expect(
        &r,
        Outcome::Deny,
        &[
            "prod/dc/simple-app redeploys automatically when dev/simple-app:promote moves",
            "`oc set triggers dc/simple-app --manual -n prod`",
        ],
    );
    let deployment = tweak(|f| {
        automatic(f);
        f.targets[0].kind = "Deployment".into();
    });
    expect(
        &eval("prod-manual-trigger", &deployment),
        Outcome::Deny,
        &["\"paused\": true", "deployment/simple-app"],
    );
    // Outside prod an automatic trigger is allowed.
    let dev = tweak(|f| {
        automatic(f);
        f.targets[0].environment = "test".into();
    });
    expect(&eval("prod-manual-trigger", &dev), Outcome::Pass, &[]);
}

#[test]
fn pinned_images() {
    for image in ["app:latest", "quay.io/x/app:1.0"] {
        let facts = tweak(|f| {
            let c = &mut f.targets[0].containers[0];
            c.image = image.into();
            c.pinned = false;
            c.triggered = false;
        });
        expect(
            &eval("pinned-images", &facts),
            Outcome::Deny,
            &[
                "prod/dc/simple-app: container simple-app",
                &format!("mutable reference {image}"),
                "pin it by digest",
            ],
        );
    }
    // Unpinned but written by a trigger that consumes the promotion: fine.
    let triggered = tweak(|f| f.targets[0].containers[0].pinned = false);
    expect(&eval("pinned-images", &triggered), Outcome::Pass, &[]);
}

#[test]
fn no_tracking_tags() {
    let alias = tweak(|f| {
        f.destination.tracking = Some(true);
        f.destination.from = Some(ObjectRef {
            kind: "ImageStreamTag".into(),
            name: "simple-app:latest".into(),
            namespace: Some("dev".into()),
        });
    });
    expect(
        &eval("no-tracking-tags", &alias),
        Outcome::Deny,
        &[
            "dev/simple-app:promote is a tracking tag that follows dev/simple-app:latest",
            "oc tag -d",
        ],
    );
    let unknown = tweak(|f| f.destination.tracking = None);
    expect(
        &eval("no-tracking-tags", &unknown),
        Outcome::Deny,
        &["is unknown", "dev/simple-app could not be read"],
    );
    // A trigger on another tag that is an alias moves prod without the gate.
    let follow_other = |f: &mut tollgate::facts::Facts, tracking: Option<bool>| {
        let t = &mut f.targets[0].triggers[1];
        t.consumes_promotion = false;
        t.from.as_mut().unwrap().name = "simple-app:stable".into();
        t.from_tracking = tracking;
    };
    let trigger_alias = tweak(|f| follow_other(f, Some(true)));
    expect(
        &eval("no-tracking-tags", &trigger_alias),
        Outcome::Deny,
        &["prod/dc/simple-app follows dev/simple-app:stable, a tracking tag"],
    );
    // On the destination tag itself, the destination check speaks; no second denial.
    let on_destination = tweak(|f| f.targets[0].triggers[1].from_tracking = Some(true));
    expect(
        &eval("no-tracking-tags", &on_destination),
        Outcome::Pass,
        &[],
    );
    let trigger_unknown = tweak(|f| follow_other(f, None));
    expect(
        &eval("no-tracking-tags", &trigger_unknown),
        Outcome::Deny,
        &["unknown"],
    );
    let bypass = tweak(|f| {
        let t = &mut f.targets[0].triggers[1];
        t.from = Some(ObjectRef {
            kind: "ImageStreamTag".into(),
            name: "simple-app:latest".into(),
            namespace: Some("dev".into()),
        });
        t.consumes_promotion = false;
    });
    expect(
        &eval("no-tracking-tags", &bypass),
        Outcome::Deny,
        &[
            "follows the source tag dev/simple-app:latest directly, bypassing the promotion",
            "--from-image=dev/simple-app:promote",
        ],
    );
}

#[test]
fn target_can_pull() {
    let denied = tweak(|f| f.targets[0].can_pull = Some(false));
    expect(
        &eval("target-can-pull", &denied),
        Outcome::Deny,
        &[
            "prod/dc/simple-app (service account prod/default) may not pull images from dev",
            "oc policy add-role-to-group system:image-puller system:serviceaccounts:prod -n dev",
        ],
    );
    let unknown = tweak(|f| {
        f.targets[0].can_pull = None;
        f.rbac.unreadable.push("rolebindings in dev".into());
    });
    expect(
        &eval("target-can-pull", &unknown),
        Outcome::Deny,
        &["is unknown", "rbac.unreadable", "rolebindings in dev"],
    );
}

#[test]
fn no_public_pull() {
    for group in [
        "system:authenticated",
        "system:unauthenticated",
        "system:serviceaccounts",
    ] {
        let public = tweak(|f| {
            f.rbac.pullers.push(Puller {
                kind: "Group".into(),
                name: group.into(),
                namespace: None,
                via: "dev/system:image-puller".into(),
            })
        });
        expect(
            &eval("no-public-pull", &public),
            Outcome::Deny,
            &[
                &format!("group {group} may pull images from dev through binding dev/system:image-puller"),
                &format!("oc policy remove-role-from-group system:image-puller {group} -n dev"),
            ],
        );
    }
    let unknown = tweak(|f| f.rbac.unreadable.push("rolebindings in dev".into()));
    expect(
        &eval("no-public-pull", &unknown),
        Outcome::Deny,
        &["who may pull images from dev is unknown"],
    );
}

#[test]
fn target_ready() {
    let paused = tweak(|f| f.targets[0].paused = true);
    expect(
        &eval("target-ready", &paused),
        Outcome::Deny,
        &[
            "prod/dc/simple-app is paused",
            "oc rollout resume dc/simple-app -n prod",
        ],
    );
    let busy = tweak(|f| f.targets[0].rollout_in_progress = Some(true));
    expect(
        &eval("target-ready", &busy),
        Outcome::Deny,
        &[
            "rollout #2 in progress",
            "oc rollout status dc/simple-app -n prod",
        ],
    );
    let unknown = tweak(|f| f.targets[0].rollout_in_progress = None);
    expect(
        &eval("target-ready", &unknown),
        Outcome::Deny,
        &["is unknown"],
    );
    // A Deployment has no rollout_in_progress by contract: not applicable.
    let deployment = tweak(|f| {
        f.targets[0].kind = "Deployment".into();
        f.targets[0].rollout_in_progress = None;
        f.targets[0].latest_version = None;
    });
    expect(&eval("target-ready", &deployment), Outcome::Pass, &[]);
}

// The warn-level rules are in policy_pack/warn_rules.rs.
mod warn_rules;

#[test]
fn turned_off_rule_is_skipped() {
    let settings =
        Settings::parse("rules:\n  pinned-images:\n    level: off\n", "team.yaml").unwrap();
    let r = eval_with("pinned-images", &sample_facts(), &settings);
    expect(&r, Outcome::Skip, &["turned off in team.yaml"]);
}

/// `cargo test --release --test policy_pack -- --ignored --nocapture pack_speed`: the budget is
/// < 100 µs for the whole pack per promotion in a release build.
#[test]
#[ignore]
fn pack_speed() {
    let rules = pack();
    let evaluator = Evaluator::new();
    let facts = sample_facts();
    let settings = Settings::default();
    for _ in 0..200 {
        evaluator.evaluate(&rules, &facts, &settings);
    }
    let n = 2_000u32;
    let start = std::time::Instant::now();
    for _ in 0..n {
        let r = evaluator.evaluate(&rules, &facts, &settings);
        assert_eq!(r.len(), 10);
    }
    let per = start.elapsed() / n;
    let ops: u64 = evaluator
        .evaluate(&rules, &facts, &settings)
        .iter()
        .map(|r| r.operations)
        .sum();
    eprintln!(
        "pack of {} rules: {per:?} per promotion, {ops} operations",
        rules.len()
    );
    let empty = RuleSet::default();
    let start = std::time::Instant::now();
    for _ in 0..n {
        evaluator.evaluate(&empty, &facts, &settings);
    }
    eprintln!("facts conversion alone: {:?}", start.elapsed() / n);
    for body in [
        "let x = 1;",
        "let x = promotion.digest;",
        "for t in targets { }",
    ] {
        let trivial = compile(
            (0..10)
                .map(|i| tollgate::policy::RuleSource {
                    path: format!("t{i}.rhai"),
                    text: format!("//! t\n{body}"),
                })
                .collect(),
        )
        .unwrap();
        let start = std::time::Instant::now();
        for _ in 0..n {
            evaluator.evaluate(&trivial, &facts, &settings);
        }
        eprintln!("10 x `{body}`: {:?}", start.elapsed() / n);
    }
    let mut per_rule = std::collections::BTreeMap::new();
    for _ in 0..n {
        for r in evaluator.evaluate(&rules, &facts, &settings) {
            *per_rule.entry(r.id).or_insert(std::time::Duration::ZERO) += r.duration;
        }
    }
    for (id, d) in per_rule {
        eprintln!("  {id:<22} {:?}", d / n);
    }
}
