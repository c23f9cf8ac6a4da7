//! Same-run comparison (issue 9): the shipped pack through the tollgate library vs the same ten
//! rules in Rego on regorus, over the same facts (the seed's, then with 1,000 and 10,000
//! generated ClusterRoleBindings). Prints the ratio tollgate/regorus per size at the end.
// Bench code: a failed unwrap is a failed run, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use tollgate::config::Settings;
use tollgate::facts::Facts;
use tollgate::policy::{Evaluator, RuleSet};
use tollgate_peer::generate::{write_snapshot, Format};
use tollgate_peer::rego::{input_of, policy_dir, RegoPeer};
use tollgate_peer::seed::{facts_of, seed_dir, shipped_pack};

struct Case {
    label: String,
    /// Shared as the gate shares them with the rules' lookups (`Gate::check` does the same).
    facts: Arc<Facts>,
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
            facts: Arc::new(facts),
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
    fn tollgate(&self, facts: &Arc<Facts>) {
        black_box(
            self.evaluator
                .evaluate_shared(&self.rules, black_box(facts), &self.settings),
        );
    }
    fn regorus(&mut self, input: &regorus::Value) {
        black_box(self.peer.evaluate(black_box(input.clone())).unwrap());
    }
}

/// Both engines in one loop, alternating, for `budget` of wall time each size: the ratio
/// printed at the end, not disturbed by the machine's drift between two criterion groups.
fn interleaved(engines: &mut Engines, case: &Case, budget: Duration) -> (Duration, Duration) {
    let (mut ours, mut theirs, mut n) = (Duration::ZERO, Duration::ZERO, 0u32);
    let start = Instant::now();
    while start.elapsed() < budget || n < 5 {
        let t = Instant::now();
        engines.tollgate(&case.facts);
        ours += t.elapsed();
        let t = Instant::now();
        engines.regorus(&case.input);
        theirs += t.elapsed();
        n += 1;
    }
    (ours / n, theirs / n)
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
        println!("\nsame-run ratio (interleaved loop, mean per evaluation):");
        println!("| facts | tollgate | regorus | tollgate/regorus |");
        println!("|---|---|---|---|");
        for case in &cases {
            let (ours, theirs) = interleaved(&mut engines, case, Duration::from_secs(3));
            println!(
                "| {} | {:.1} µs | {:.1} µs | {:.2}× |",
                case.label,
                ours.as_secs_f64() * 1e6,
                theirs.as_secs_f64() * 1e6,
                ours.as_secs_f64() / theirs.as_secs_f64()
            );
        }
    }
}
