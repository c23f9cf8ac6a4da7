//! Benchmark: `tollgate backtest` over 10,000 decision records (the four pipeline states, each
//! recorded 2,500 times a minute apart), replayed under the example's configuration with one
//! shared gate: find, read, parse, check and compare every record (issue 10: ≤ 5 s).
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};

use tollgate::gate::{gather, CheckOptions, FactsSource, Gate, Promotion};
use tollgate::gather::snapshot::LoadLimits;
use tollgate::records::{backtest, encode, write_record, DEFAULT_MAX_RECORD_BYTES};
use tollgate::refs::{parse_destination, parse_source};
use tollgate::report::Report;
use tollgate::verdict::FailOn;

const RECORDS_PER_STATE: usize = 2_500;
const STATES: [&str; 4] = [
    "1-not-in-stage",
    "2-soaking",
    "3-soaked",
    "4-failed-in-stage",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gate() -> Gate {
    let config = root().join("examples/pipeline/tollgate.yaml");
    Gate::load(&[root().join("policies")], Some(&config)).expect("gate")
}

/// Writes the records into `dir` as `check --record` would.
fn write_records(gate: &Gate, dir: &Path) -> usize {
    let start = time::macros::datetime!(2024-03-06 12:00 UTC);
    let mut written = 0;
    for state in STATES {
        let source = FactsSource::Snapshot(
            vec![
                root().join("examples/seed/c-manual-trigger"),
                root().join("examples/pipeline").join(state),
            ],
            LoadLimits::default(),
        );
        let promotion = Promotion::cli(
            parse_source("dev/simple-app:latest", None).expect("ref"),
            parse_destination("dev/simple-app:promote", None).expect("ref"),
            vec![],
            None,
            Some(start),
        );
        let facts = gather(&source, &promotion, gate.settings()).expect("facts");
        for i in 0..RECORDS_PER_STATE {
            let mut facts = facts.clone();
            let at = start + time::Duration::minutes(i as i64);
            facts.promotion.time = at
                .format(&time::format_description::well_known::Rfc3339)
                .expect("time");
            let c = gate.check_at(facts, CheckOptions::default(), at.date());
            let report = Report::evaluated("check", &c.facts, c.verdict, c.actions, true);
            let bytes = encode(&c.facts, &report, gate.rules_digest(), at).expect("encode");
            write_record(dir, &bytes).expect("write");
            written += 1;
        }
    }
    written
}

fn bench_backtest(c: &mut Criterion) {
    let gate = gate();
    let dir = tempfile::tempdir().expect("tempdir");
    let n = write_records(&gate, dir.path());
    let paths = [dir.path().to_path_buf()];
    let mut group = c.benchmark_group("backtest");
    group.sample_size(10);
    group.bench_function("10,000 records, pipeline config", |b| {
        b.iter(|| {
            let result = backtest(&gate, &paths, FailOn::default(), DEFAULT_MAX_RECORD_BYTES);
            assert_eq!(result.summary.replayed, n);
            assert_eq!(result.summary.unchanged, n);
            black_box(result)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_backtest);
criterion_main!(benches);
