//! Benchmarks: the shipped pack over the seed facts (compile excluded), and a whole `check` on a
//! seed snapshot (load rules and snapshot, build facts, evaluate, decide, render JSON).
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;

use clap::Parser;
use criterion::{criterion_group, criterion_main, Criterion};

use tollgate::cli::{Cli, Command};
use tollgate::commands::check_report;
use tollgate::config::Settings;
use tollgate::gather::{self, PromotionRequest};
use tollgate::policy::{compile, Evaluator};
use tollgate::policy_files::read_policy_dirs;
use tollgate::refs::{parse_destination, parse_source};
use tollgate::report::render_json;

const SEED: &str = "examples/seed/c-manual-trigger";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bench_pack(c: &mut Criterion) {
    let rules =
        compile(read_policy_dirs(&[root().join("policies")]).expect("pack")).expect("compiles");
    let objects = gather::snapshot::load(&[root().join(SEED)]).expect("seed");
    let request = PromotionRequest {
        source: parse_source("dev/simple-app:latest", None).expect("ref"),
        destination: parse_destination("dev/simple-app:promote", None).expect("ref"),
        targets: vec![],
        reason: None,
        requested_by: None,
        requested_by_groups: None,
        via: tollgate::facts::VIA_CLI,
        alias: false,
        time: time::macros::datetime!(2024-03-06 12:00 UTC),
    };
    let settings = Settings::default();
    let facts = gather::build_facts(&objects, &request, &settings).expect("facts");
    let evaluator = Evaluator::new();
    // Shared, as `Gate::check` shares them with the rules' lookups.
    let facts = std::sync::Arc::new(facts);
    c.bench_function("evaluate shipped pack on seed facts", |b| {
        b.iter(|| black_box(evaluator.evaluate_shared(&rules, black_box(&facts), &settings)))
    });
}

fn bench_check(c: &mut Criterion) {
    std::env::set_current_dir(root()).expect("cd");
    let cli = Cli::parse_from([
        "tollgate",
        "check",
        "dev/simple-app:latest",
        "dev/simple-app:promote",
        "--snapshot",
        SEED,
        "--time",
        "2024-03-06T12:00:00Z",
    ]);
    let Command::Check(args) = cli.command else {
        unreachable!("parsed a check command")
    };
    c.bench_function("check on seed snapshot (in-process)", |b| {
        b.iter(|| black_box(render_json(&check_report(&args).expect("report"))))
    });
}

criterion_group!(benches, bench_pack, bench_check);
criterion_main!(benches);
