//! Every call the live tests make into tollgate's library (the act cases' facts and `execute`),
//! in one place, so a change of the crate's API is adapted here only. The CLI cases run the
//! binary instead.

use std::path::PathBuf;
use std::time::Duration;

use time::macros::datetime;
use tollgate::act::{execute, ActOptions, ActOutcome, Receipt};
use tollgate::config::Settings;
use tollgate::facts::Facts;
use tollgate::gather::{build_facts, load, PromotionRequest};
use tollgate::plan::RolloutMode;
use tollgate::refs::{parse_destination, parse_source};
use tollgate_emulator::{res, Emulator};

fn seed(state: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/seed")
        .join(state)
}

fn request() -> PromotionRequest {
    PromotionRequest {
        source: parse_source("dev/simple-app:latest", None).unwrap(),
        destination: parse_destination("dev/simple-app:promote", None).unwrap(),
        targets: vec![],
        reason: Some("release 2.0".into()),
        requested_by: Some("system:serviceaccount:ci:tollgate".into()),
        requested_by_groups: None,
        via: tollgate::facts::VIA_CLI,
        alias: false,
        time: datetime!(2024-03-05 12:00:00 UTC),
    }
}

/// An emulator seeded with an example state, and the facts of that same state.
pub async fn seeded(state: &str) -> (Emulator, Facts) {
    let emu = Emulator::start().await;
    let report = emu.seed_dir(seed(state)).unwrap();
    assert!(report.skipped.is_empty(), "{report:?}");
    let objects = load(&[seed(state)]).unwrap();
    let facts = build_facts(&objects, &request(), &Settings::default()).unwrap();
    (emu, facts)
}

/// Facts of what the emulator holds now, as a live gather would see them: its objects are
/// exported to a directory and read back as a snapshot.
pub fn facts_now(emu: &Emulator) -> Facts {
    let dir = tempfile::tempdir().unwrap();
    let kinds = [
        res::IMAGESTREAMS,
        res::DEPLOYMENTCONFIGS,
        res::DEPLOYMENTS,
        res::REPLICATIONCONTROLLERS,
        res::ROLEBINDINGS,
    ];
    let mut n = 0;
    for kind in kinds {
        for obj in emu.objects(kind, None) {
            n += 1;
            let file = dir.path().join(format!("{n:03}.json"));
            std::fs::write(file, serde_json::to_string(&obj).unwrap()).unwrap();
        }
    }
    let objects = load(&[dir.path().to_path_buf()]).unwrap();
    build_facts(&objects, &request(), &Settings::default()).unwrap()
}

pub fn options(rollout: RolloutMode, wait: bool) -> ActOptions {
    let receipt = Receipt {
        decision: "allow".into(),
        rules_digest: "sha256:rules".into(),
        promoted_by: Some("system:serviceaccount:ci:tollgate".into()),
        promoted_at: "2024-03-05T12:00:01Z".into(),
        reason: Some("release 2.0".into()),
    };
    ActOptions {
        rollout,
        wait,
        timeout: Duration::from_secs(20),
        poll: Duration::from_millis(20),
        receipt,
    }
}

/// Runs `execute`, returning the outcome and the progress lines.
pub async fn act(emu: &Emulator, facts: &Facts, opts: &ActOptions) -> (ActOutcome, Vec<String>) {
    let mut lines = Vec::new();
    let outcome = execute(&emu.client(), facts, opts, &mut |l: &str| {
        lines.push(l.to_string())
    })
    .await;
    (outcome, lines)
}

/// Each promotion of `batch_yaml` checked live as one batch (`concurrency` at a time) and
/// gathered again on its own: (the batch's facts, the single gather's facts), as JSON, in the
/// file's order. `config` is a `tollgate.yaml`.
pub fn batch_and_single_facts(
    kubeconfig: &std::path::Path,
    batch_yaml: &str,
    config: &std::path::Path,
    concurrency: usize,
) -> Vec<(serde_json::Value, serde_json::Value)> {
    use tollgate::batch::{self, BatchRequest};
    use tollgate::cluster::ConnectOptions;
    use tollgate::gate::{gather, CheckOptions, FactsSource, Gate};

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let gate = Gate::load(&[root.join("policies")], Some(config)).unwrap();
    let entries = batch::parse(batch_yaml, "train.yaml").unwrap();
    let time = Some(datetime!(2024-03-06 12:00:00 UTC));
    let promotions = batch::promotions(&entries, "train.yaml", None, time).unwrap();
    let source = FactsSource::Live(ConnectOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: None,
        namespace: None,
        request_timeout: Some(Duration::from_secs(30)),
    });
    let outcome = batch::run(
        &gate,
        &source,
        promotions.clone(),
        BatchRequest {
            opts: CheckOptions::default(),
            concurrency,
            act: None,
            partial: false,
            progress: &mut |_| {},
        },
    )
    .unwrap();
    outcome
        .items
        .iter()
        .zip(&promotions)
        .map(|(item, p)| {
            let checked = item.checked.as_ref().unwrap();
            let single = gather(&source, p, gate.settings()).unwrap();
            (
                serde_json::to_value(&checked.facts).unwrap(),
                serde_json::to_value(&single).unwrap(),
            )
        })
        .collect()
}
