//! Running a batch: check every promotion (offline in parallel threads, live as concurrent
//! gathers sharing their reads), then hold or write the allowed ones, in the file's order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{BatchOutcome, Item, MAX_CONCURRENCY};
use crate::cluster::{self, Connection, ReadMemo};
use crate::error::Error;
use crate::gate::{self, ActRequest, CheckOptions, FactsSource, Gate, Promotion};
use crate::plan::{ActState, ActionStatus, RolloutMode};
use crate::verdict::Decision;

/// `promote`'s flags for the writes (a live batch that is not a dry run).
#[derive(Debug, Clone, Copy)]
pub struct BatchAct {
    pub rollout: RolloutMode,
    pub wait: bool,
    pub timeout: Duration,
}

/// How to run a batch.
pub struct BatchRequest<'a> {
    /// How each promotion is decided and planned (`plan` set for `promote`).
    pub opts: CheckOptions,
    /// How many promotions are checked at once (clamped to 1..=[`MAX_CONCURRENCY`]).
    pub concurrency: usize,
    /// `Some`: write (a live `promote` without `--dry-run`).
    pub act: Option<BatchAct>,
    /// `--partial`: write the allowed promotions even when others are not allowed.
    pub partial: bool,
    /// A line per write step, prefixed with the promotion.
    pub progress: &'a mut dyn FnMut(&str),
}

/// Checks every promotion, then (see the module docs of [`super`]) holds or writes. `Err`
/// only when the batch as a whole cannot run (no cluster, an unreadable snapshot); a promotion
/// whose facts cannot be gathered is an item with its error.
pub fn run(
    gate: &Gate,
    source: &FactsSource,
    promotions: Vec<Promotion>,
    req: BatchRequest<'_>,
) -> Result<BatchOutcome, Error> {
    let concurrency = req.concurrency.clamp(1, MAX_CONCURRENCY);
    match source {
        FactsSource::FactsFile(path, _) => Err(Error::Usage(format!(
            "--batch cannot be used with --facts: {} holds the facts of one promotion; use \
             --snapshot or a live cluster",
            path.display()
        ))),
        FactsSource::Snapshot(paths, limits) => {
            // Loaded once for the whole batch.
            let objects = crate::gather::snapshot::load_with(paths, limits).map_err(Error::from)?;
            let shared = FactsSource::Objects(Arc::new(objects));
            Ok(offline(gate, &shared, promotions, req, concurrency))
        }
        FactsSource::Objects(_) => Ok(offline(gate, source, promotions, req, concurrency)),
        FactsSource::Live(opts) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
            runtime.block_on(async {
                let conn = cluster::connect(opts).await?;
                live(gate, conn, promotions, req, concurrency).await
            })
        }
    }
}

/// An offline batch: the checks are pure, so they run on threads, a share of the promotions each.
fn offline(
    gate: &Gate,
    source: &FactsSource,
    promotions: Vec<Promotion>,
    req: BatchRequest<'_>,
    concurrency: usize,
) -> BatchOutcome {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = concurrency.min(cores).max(1);
    let per = promotions.len().div_ceil(workers).max(1);
    let opts = req.opts;
    let mut items: Vec<Item> = std::thread::scope(|s| {
        let handles: Vec<_> = promotions
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| {
                            let checked = gate::gather(source, p, gate.settings())
                                .map(|facts| gate.check(facts, opts));
                            item(p.clone(), checked)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    // A panicking check is a bug; the guard in main reports it.
                    vec![]
                })
            })
            .collect()
    });
    hold_if_not_writable(&mut items, &req);
    BatchOutcome { items, reads: None }
}

fn item(promotion: Promotion, checked: Result<gate::Checked, Error>) -> Item {
    Item {
        promotion,
        checked,
        acted: None,
        held: None,
    }
}

/// A live batch: gathers share one connection and its memo, `concurrency` at a time; then the
/// writes, one promotion after another.
async fn live(
    gate: &Gate,
    mut conn: Connection,
    promotions: Vec<Promotion>,
    req: BatchRequest<'_>,
    concurrency: usize,
) -> Result<BatchOutcome, Error> {
    let memo = ReadMemo::new();
    conn.memo = Some(Arc::clone(&memo));
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut set = JoinSet::new();
    let n = promotions.len();
    for (i, p) in promotions.into_iter().enumerate() {
        let (gate, mut conn, permits, opts) =
            (gate.clone(), conn.clone(), permits.clone(), req.opts);
        set.spawn(async move {
            let checked = match permits.acquire_owned().await {
                Ok(_permit) => gate::gather_live(&mut conn, &p, gate.settings())
                    .await
                    .map(|facts| gate.check(facts, opts)),
                Err(e) => Err(Error::Internal(format!("batch: {e}"))),
            };
            (i, item(p, checked))
        });
    }
    let mut slots: Vec<Option<Item>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, it) = joined.map_err(|e| Error::Internal(format!("batch: a check failed: {e}")))?;
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(it);
        }
    }
    let mut items: Vec<Item> = slots.into_iter().flatten().collect();
    // Writes check their own preconditions against fresh reads.
    conn.memo = None;
    tracing::info!(
        promotions = n,
        requests = memo.requests(),
        shared = memo.hits(),
        "batch checked"
    );
    hold_if_not_writable(&mut items, &req);
    if let Some(act) = req.act {
        if writable(&items, req.partial) {
            write(gate, &conn, &mut items, act, &mut *req.progress).await;
        }
    }
    Ok(BatchOutcome {
        items,
        reads: Some((memo.requests(), memo.hits())),
    })
}

fn writable(items: &[Item], partial: bool) -> bool {
    partial || items.iter().all(|i| i.decision() == Decision::Allow)
}

/// All-or-nothing: when a promotion is not allowed (and not `--partial`), the allowed ones
/// are held too, their plans marked as not run and why.
fn hold_if_not_writable(items: &mut [Item], req: &BatchRequest<'_>) {
    if req.opts.plan.is_none() || writable(items, req.partial) {
        return;
    }
    let blocked = items
        .iter()
        .filter(|i| i.decision() != Decision::Allow)
        .count();
    let why = format!(
        "{blocked} of the batch's {} promotions {} not allowed, and a batch is all-or-nothing \
         (--partial promotes the allowed ones)",
        items.len(),
        if blocked == 1 { "is" } else { "are" }
    );
    for i in items.iter_mut().filter(|i| i.decision() == Decision::Allow) {
        hold(i, &why);
    }
}

fn hold(item: &mut Item, why: &str) {
    if let Ok(c) = &mut item.checked {
        for a in &mut c.actions {
            a.status = ActionStatus::Skipped;
            a.detail = format!("not run: {why}; would be: {}", a.detail);
        }
    }
    item.held = Some(why.to_string());
}

/// The writes of the allowed promotions, in order; the first that does not complete stops
/// the rest (held, saying which one failed).
async fn write(
    gate: &Gate,
    conn: &Connection,
    items: &mut [Item],
    act: BatchAct,
    progress: &mut dyn FnMut(&str),
) {
    let mut stopped: Option<String> = None;
    let total = items.len();
    for (index, item) in items.iter_mut().enumerate() {
        if item.decision() != Decision::Allow {
            continue;
        }
        if let Some(why) = &stopped {
            hold(item, why);
            continue;
        }
        let Ok(checked) = &item.checked else { continue };
        let name = format!("{} → {}", item.promotion.source, item.promotion.destination);
        let prefix = format!("[{}/{total}] {name}", index + 1);
        let mut step = |line: &str| progress(&format!("{prefix}: {line}"));
        let outcome = gate
            .act(
                &conn.client,
                checked,
                ActRequest {
                    rollout: act.rollout,
                    wait: act.wait,
                    timeout: act.timeout,
                    progress: &mut step,
                },
            )
            .await;
        if outcome.state != ActState::Done {
            stopped = Some(format!(
                "the batch stopped at promotion {} ({name}), which did not complete",
                index + 1
            ));
        }
        item.acted = Some(outcome);
    }
}
