//! Exceptions applied to denials: which exception covers which finding, and what became of
//! each exception in this run (applied, expired, stale), with notices for those expiring soon.

use serde::Serialize;
use time::Date;

use super::{Outcome, RuleVerdict};
use crate::config::Exception;

/// Exceptions within this many days of expiry get a notice, so renewals are not a surprise.
pub const EXPIRY_NOTICE_DAYS: i64 = 14;

/// The exception that turned a denial into `waived`, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    pub owner: String,
    pub reason: String,
    pub expires: String,
    /// The exception's scope: `target prod/dc/simple-app`, `digest sha256:…`, or both.
    pub scope: String,
}

/// What happened to one configured exception in this run.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionStatus {
    #[serde(flatten)]
    pub exception: Exception,
    /// `applied` (waived a denial), `expired` (past its date: no longer applies), `stale`
    /// (matched no denial in this run: the finding is gone, or the scope is wrong).
    pub status: &'static str,
    pub days_left: i64,
    /// A sentence for humans: why it is stale, that it expires soon, …
    pub note: Option<String>,
}

fn scope(e: &Exception) -> String {
    match (&e.target, &e.digest) {
        (Some(t), Some(d)) => format!("target {t}, digest {d}"),
        (Some(t), None) => format!("target {t}"),
        (None, Some(d)) => format!("digest {d}"),
        (None, None) => "nothing".into(),
    }
}

/// Whether `e` covers one message of a denial of its rule for the promoted `digest`. A target
/// scope matches when the message names the target (`prod/dc/simple-app`, as `target_ref(t)`
/// writes it); a digest scope when the promoted image is that digest; both must hold if given.
fn covers(e: &Exception, message: &str, digest: &str) -> bool {
    e.target.as_deref().is_none_or(|t| message.contains(t))
        && e.digest.as_deref().is_none_or(|d| d == digest)
}

/// Turns denials whose every message an unexpired exception covers into `waived`, and reports
/// each exception's status.
pub fn apply(
    verdicts: &mut [RuleVerdict],
    exceptions: &[Exception],
    digest: &str,
    today: Date,
) -> Vec<ExceptionStatus> {
    let mut used = vec![false; exceptions.len()];
    for v in verdicts.iter_mut().filter(|v| v.outcome == Outcome::Deny) {
        let live: Vec<usize> = (0..exceptions.len())
            .filter(|&i| exceptions[i].rule == v.id && exceptions[i].expires >= today)
            .collect();
        let mut waiver = None;
        let all = !v.messages.is_empty()
            && v.messages.iter().all(|m| {
                live.iter().any(|&i| {
                    let hit = covers(&exceptions[i], m, digest);
                    if hit && waiver.is_none() {
                        waiver = Some(i);
                    }
                    hit
                })
            });
        if all {
            for &i in &live {
                if v.messages.iter().any(|m| covers(&exceptions[i], m, digest)) {
                    used[i] = true;
                }
            }
            if let Some(i) = waiver {
                let e = &exceptions[i];
                v.outcome = Outcome::Waived;
                v.waived_by = Some(Waiver {
                    owner: e.owner.clone(),
                    reason: e.reason.clone(),
                    expires: e.expires.to_string(),
                    scope: scope(e),
                });
            }
        }
    }
    exceptions
        .iter()
        .zip(used)
        .map(|(e, used)| {
            let days_left = (e.expires - today).whole_days();
            let (status, note) = if days_left < 0 {
                (
                    "expired",
                    Some(format!(
                        "expired on {}: it no longer applies; fix the finding or renew it (owner {})",
                        e.expires, e.owner
                    )),
                )
            } else if !used {
                (
                    "stale",
                    Some(format!(
                        "matched no denial of `{}` in this run ({}): remove it if the finding is fixed",
                        e.rule,
                        scope(e)
                    )),
                )
            } else if days_left <= EXPIRY_NOTICE_DAYS {
                (
                    "applied",
                    Some(format!(
                        "expires in {days_left} day{} ({}): fix the finding or renew it (owner {})",
                        if days_left == 1 { "" } else { "s" },
                        e.expires,
                        e.owner
                    )),
                )
            } else {
                ("applied", None)
            };
            ExceptionStatus {
                exception: e.clone(),
                status,
                days_left,
                note,
            }
        })
        .collect()
}
