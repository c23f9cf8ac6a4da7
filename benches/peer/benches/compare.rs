//! Same-run comparison (issue 9): the shipped pack through the tollgate library vs the same ten
//! rules in Rego on regorus, over the same facts (the seed's, then with 1,000 and 10,000
//! generated ClusterRoleBindings). Prints the ratio tollgate/regorus per size at the end: for
//! facts prepared once (`IndexedFacts`, the lookups' indexes reused) and for fresh facts each
//! evaluation (as one `check` gets them: the indexes built in the evaluation).
// Bench code: a failed unwrap is a failed run, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use tollgate::config::Settings;
use tollgate::policy::{Evaluator, IndexedFacts, RuleSet};
use tollgate_peer::generate::{write_snapshot, Format};
use tollgate_peer::rego::{input_of, policy_dir, RegoPeer};
use tollgate_peer::seed::{facts_of, seed_dir, shipped_pack};

struct Case {
    label: String,
    /// Prepared once, as a facts document is immutable: the rules' lookup indexes are built in
    /// the first evaluation and reused by the others (`Evaluator::evaluate_indexed`).
    facts: IndexedFacts,
    input: regorus::Value,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for n in [0usize, 1_000, 10_000] {
        let facts = if n == 0 {
            facts_of(&seed_dir("c-manual-trigger")).unwrap()
        } else {
            let dir =
                std::env::temp_dir().join(format!("tollgate-peer-{n}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            write_snapshot(&seed_dir("c-manual-trigger"), &dir, n, Format::JsonList).unwrap();
            let f = facts_of(&dir).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            f
        };
        let input = input_of(&serde_json::to_string(&facts).unwrap()).unwrap();
        let label = format!("{} bindings", facts.rbac.bindings.len());
        out.push(Case {
            label,
            facts: IndexedFacts::new(Arc::new(facts)),
            input,
        });
    }
    out
}

struct Engines {
    evaluator: Evaluator,
    rules: RuleSet,
    settings: Settings,
    peer: RegoPeer,
}

impl Engines {
    fn tollgate(&self, facts: &IndexedFacts) {
        black_box(
            self.evaluator
                .evaluate_indexed(&self.rules, black_box(facts), &self.settings),
        );
    }
    /// As `Gate::check` on a fresh facts document: the lookup indexes built in the evaluation.
    fn tollgate_fresh(&self, facts: &IndexedFacts) {
        black_box(self.evaluator.evaluate_shared(
            &self.rules,
            black_box(facts.facts()),
            &self.settings,
        ));
    }
    fn regorus(&mut self, input: &regorus::Value) {
        black_box(self.peer.evaluate(black_box(input.clone())).unwrap());
    }
}

/// Mean time per evaluation of each engine, from one loop.
struct Means {
    /// The facts prepared once (indexes reused).
    ours: Duration,
    /// Each evaluation on fresh facts (indexes built in it).
    fresh: Duration,
    theirs: Duration,
}

/// The engines in one loop, alternating, for `budget` of wall time each size: the ratios
/// printed at the end, not disturbed by the machine's drift between two criterion groups.
fn interleaved(engines: &mut Engines, case: &Case, budget: Duration) -> Means {
    let (mut ours, mut fresh, mut theirs, mut n) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0u32);
    let start = Instant::now();
    while start.elapsed() < budget || n < 5 {
        let t = Instant::now();
        engines.tollgate(&case.facts);
        ours += t.elapsed();
        let t = Instant::now();
        engines.tollgate_fresh(&case.facts);
        fresh += t.elapsed();
        let t = Instant::now();
        engines.regorus(&case.input);
        theirs += t.elapsed();
        n += 1;
    }
    Means {
        ours: ours / n,
        fresh: fresh / n,
        theirs: theirs / n,
    }
}

fn main() {
    let evaluator = Evaluator::new();
    let rules = shipped_pack(&evaluator).unwrap();
    let mut engines = Engines {
        evaluator,
        rules,
        settings: Settings::default(),
        peer: RegoPeer::new(&policy_dir()).unwrap(),
    };
    let cases = cases();
    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("pack");
        for case in &cases {
            g.bench_with_input(
                BenchmarkId::new("tollgate", &case.label),
                case,
                |b, case| b.iter(|| engines.tollgate(&case.facts)),
            );
        }
        for case in &cases {
            g.bench_with_input(BenchmarkId::new("regorus", &case.label), case, |b, case| {
                b.iter(|| engines.regorus(&case.input))
            });
        }
        g.finish();
    }
    c.final_summary();
    // `cargo test --benches` runs each bench once; the ratio loop is for `cargo bench` only.
    if std::env::args().any(|a| a == "--bench") {
        // The table is the bench's output (`print!` is reserved for the CLI's reports).
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "\nsame-run ratio (interleaved loop, mean per evaluation):"
        )
        .unwrap();
        writeln!(
            out,
            "| facts | tollgate | regorus | tollgate/regorus | tollgate, fresh facts | fresh/regorus |"
        )
        .unwrap();
        writeln!(out, "|---|---|---|---|---|---|").unwrap();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        for case in &cases {
            let m = interleaved(&mut engines, case, Duration::from_secs(3));
            writeln!(
                out,
                "| {} | {:.1} µs | {:.1} µs | {:.2}× | {:.1} µs | {:.2}× |",
                case.label,
                us(m.ours),
                us(m.theirs),
                us(m.ours) / us(m.theirs),
                us(m.fresh),
                us(m.fresh) / us(m.theirs)
            )
            .unwrap();
        }
    }
}
