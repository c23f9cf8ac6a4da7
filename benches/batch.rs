//! A release train of 1,000 promotions checked live (`check --batch`) against the emulator with
//! 20 ms added to every request (issue 10 item 3: target ≤ 3 s). The seed's manual-trigger
//! state is stamped out once per promotion (`dev/app-N:latest` → `dev/app-N:promote`, followed
//! by `prod/dc/app-N`), so every promotion has reads of its own and reads shared with the rest.
//! Not a timed test: prints the wall clock of each run and the reads sent and shared.
//!
//! `cargo bench --bench batch [-- PROMOTIONS [LATENCY_MS [CONCURRENCY…]]]`
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)]

use std::path::Path;

use sha2::Digest;
use std::time::{Duration, Instant};

use tollgate::batch::{self, BatchRequest};
use tollgate::cluster::ConnectOptions;
use tollgate::gate::{CheckOptions, FactsSource, Gate};
use tollgate::verdict::Decision;
use tollgate_emulator::Emulator;

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/seed/c-manual-trigger"
);
const NOW: &str = "2024-03-06T12:00:00Z";

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(SEED).join(rel)).unwrap()
}

/// The seed once for the shared objects (bindings) and once per app for its own objects.
fn seed(emu: &Emulator, apps: usize) {
    for shared in [
        "cluster/clusterrolebindings.yaml",
        "dev/rolebindings.yaml",
        "prod/rolebindings.yaml",
    ] {
        emu.seed_yaml(&read(shared)).unwrap();
    }
    let own: Vec<String> = [
        "dev/imagestream.yaml",
        "dev/imagestreamtags.yaml",
        "prod/deploymentconfig.yaml",
        "prod/replicationcontrollers.yaml",
    ]
    .iter()
    .map(|f| read(f))
    .collect();
    // A seeding call for many apps at once: the emulator settles its DeploymentConfigs after
    // each call (a walk over all of them), so a call per app costs the square of the apps.
    // 200 apps are 800 YAML documents, within the parser's 1,024 per text.
    let starts: Vec<usize> = (0..apps).step_by(200).collect();
    for start in starts {
        let mut text = String::new();
        for i in start..apps.min(start + 200) {
            for file in &own {
                text.push_str("---\n");
                text.push_str(&own_digests(
                    &file.replace("simple-app", &format!("app-{i}")),
                    i,
                ));
                text.push('\n');
            }
        }
        let report = emu.seed_yaml(&text).unwrap();
        assert!(report.skipped.is_empty(), "{report:?}");
        // Every file holds at least one object of the app.
        assert!(report.loaded >= own.len() * apps.min(start + 200).saturating_sub(start));
    }
}

/// Every digest of `text` made the app's own, so that one app's image has run nowhere else
/// (a shared digest would put every app into every promotion's `image.seen`).
fn own_digests(text: &str, app: usize) -> String {
    let digest = regex::Regex::new("sha256:[0-9a-f]{64}").unwrap();
    digest
        .replace_all(text, |c: &regex::Captures| {
            let h = sha2::Sha256::digest(format!("{app}/{}", &c[0]).as_bytes());
            format!("sha256:{h:x}")
        })
        .into_owned()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let apps: usize = args.first().map_or(1000, |a| a.parse().unwrap());
    let latency: u64 = args.get(1).map_or(20, |a| a.parse().unwrap());
    let concurrencies: Vec<usize> = if args.len() > 2 {
        args[2..].iter().map(|a| a.parse().unwrap()).collect()
    } else {
        vec![batch::DEFAULT_CONCURRENCY, 64]
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(Emulator::start());
    let started = Instant::now();
    seed(&emu, apps);
    eprintln!("seeded {apps} apps in {:.1?}", started.elapsed());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = emu.kubeconfig(dir.path());

    let text: String = (0..apps)
        .map(|i| format!("- {{source: dev/app-{i}:latest, destination: dev/app-{i}:promote}}\n"))
        .collect();
    let entries = batch::parse(&text, "train.yaml").unwrap();
    let time =
        time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap();
    let promotions = batch::promotions(&entries, "train.yaml", None, Some(time)).unwrap();
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let gate = Gate::load(&[policies], None).unwrap();
    let source = FactsSource::Live(ConnectOptions {
        kubeconfig: Some(kubeconfig),
        context: None,
        namespace: None,
        request_timeout: Some(Duration::from_secs(60)),
    });

    emu.set_latency(Duration::from_millis(latency));
    println!("check --batch: {apps} promotions, {latency} ms added to every request");
    for concurrency in concurrencies {
        for run in 1..=2 {
            emu.reset_accounting();
            let started = Instant::now();
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
            let took = started.elapsed();
            let allowed = outcome
                .items
                .iter()
                .filter(|i| i.decision() == Decision::Allow)
                .count();
            if let Some(Err(e)) = outcome
                .items
                .iter()
                .map(|i| &i.checked)
                .find(|c| c.is_err())
            {
                panic!("a promotion could not be decided: {e}");
            }
            let (sent, shared) = outcome.reads.unwrap();
            println!(
                "  concurrency {concurrency:>2}, run {run}: {:.2} s — {allowed}/{apps} allowed, {sent} reads sent \
                 ({} requests served), {shared} shared",
                took.as_secs_f64(),
                emu.requests().len(),
            );
        }
    }
}
