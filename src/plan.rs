//! What `promote` does for an allowed promotion and how it ended (pure data): the planned
//! actions, the execution state after acting, and the digest of the rules that decided.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::exit::ExitStatus;
use crate::facts::{Facts, Target};
use crate::refs::short_digest as short;

/// How `promote` rolls targets out after the retag (docs/design/CLI.md `--rollout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RolloutMode {
    /// Instantiate only the targets that will not roll out by themselves.
    #[default]
    Auto,
    /// Instantiate every target.
    Always,
    /// Retag only.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    Retag,
    Rollout,
    Wait,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    Planned,
    Done,
    Skipped,
    Failed,
}

/// One step of a promotion, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub kind: ActionKind,
    pub target: String,
    pub status: ActionStatus,
    pub detail: String,
}

/// How acting ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum ActState {
    /// Everything asked for was done (or already so).
    Done,
    /// Nothing was changed (a precondition failed, or the retag was refused): exit 2.
    Aborted { why: String },
    /// The tag is at the new digest but a rollout or the wait failed: exit 3. `restore_command`
    /// moves the destination back (`None` when the previous digest is unknown).
    Partial {
        why: String,
        restore_command: Option<String>,
    },
}

impl ActState {
    /// The exit status of docs/design/CLI.md for a final state.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ActState::Done => ExitStatus::Allowed,
            ActState::Aborted { .. } => ExitStatus::Error,
            ActState::Partial { .. } => ExitStatus::Partial,
        }
    }
}

/// `sha256:<hex>` over `(rule id, source)` pairs, order-independent, so the same rule set
/// always yields the same digest whichever order the files were read in.
pub fn rules_digest<'a>(rules: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = rules.into_iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    for (id, source) in sorted {
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        h.update((id.len() as u64).to_be_bytes());
        h.update(id.as_bytes());
        h.update((source.len() as u64).to_be_bytes());
        h.update(source.as_bytes());
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The steps of an allowed promotion, all `planned` or `skipped` (with why).
pub fn plan(facts: &Facts, rollout: RolloutMode, wait: bool) -> Vec<Action> {
    let dest = &facts.promotion.destination.reference;
    let digest = &facts.promotion.digest;
    let mut actions = vec![if facts.promotion.noop {
        Action {
            kind: ActionKind::Retag,
            target: dest.clone(),
            status: ActionStatus::Skipped,
            detail: format!("{dest} already points at {digest}: nothing to move"),
        }
    } else {
        let was = match &facts.destination.digest {
            Some(d) => format!(" (now {})", short(d)),
            None if facts.destination.exists == Some(false) => " (new tag)".to_string(),
            None => String::new(),
        };
        Action {
            kind: ActionKind::Retag,
            target: dest.clone(),
            status: ActionStatus::Planned,
            detail: format!("{dest} → {digest}{was}"),
        }
    }];
    for t in &facts.targets {
        actions.push(rollout_action(facts, t, rollout));
    }
    if wait {
        for t in &facts.targets {
            actions.push(Action {
                kind: ActionKind::Wait,
                target: t.display_ref(),
                status: ActionStatus::Planned,
                detail: format!("follow the rollout, then confirm it runs {}", short(digest)),
            });
        }
    }
    actions
}

fn runs_digest(t: &Target, digest: &str) -> bool {
    let consumed: Vec<_> = t.containers.iter().filter(|c| c.triggered).collect();
    !consumed.is_empty()
        && consumed
            .iter()
            .all(|c| c.image.ends_with(&format!("@{digest}")))
}

fn rollout_action(facts: &Facts, t: &Target, mode: RolloutMode) -> Action {
    let target = t.display_ref();
    let digest = &facts.promotion.digest;
    let skipped = |detail: String| Action {
        kind: ActionKind::Rollout,
        target: target.clone(),
        status: ActionStatus::Skipped,
        detail,
    };
    let planned = |detail: String| Action {
        kind: ActionKind::Rollout,
        target: target.clone(),
        status: ActionStatus::Planned,
        detail,
    };
    if mode == RolloutMode::Never {
        return skipped("--rollout never: the tag moves, the target is left alone".into());
    }
    if facts.promotion.noop && runs_digest(t, digest) {
        return skipped(format!("already runs {}", short(digest)));
    }
    if mode == RolloutMode::Auto && t.will_roll_out_automatically && !facts.promotion.noop {
        return skipped("rolls out by itself: its image trigger is automatic".into());
    }
    let consumes = t.triggers.iter().any(|x| x.consumes_promotion);
    match t.kind.as_str() {
        "DeploymentConfig" => planned(if consumes {
            "instantiate (latest: true, force: true): the manual trigger picks up the new image"
                .into()
        } else {
            "instantiate (latest: true, force: true); note: no trigger follows the destination tag, so the image does not change".into()
        }),
        _ => {
            let containers: Vec<&str> = t
                .triggers
                .iter()
                .filter(|x| x.consumes_promotion)
                .flat_map(|x| x.containers.iter().map(String::as_str))
                .collect();
            if containers.is_empty() {
                skipped("no trigger follows the destination tag: nothing to update".into())
            } else {
                planned(format!(
                    "set image of container {} to the promoted digest {}",
                    containers.join(", "),
                    short(digest)
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::sample_facts;

    #[test]
    fn manual_dc_is_instantiated_after_the_retag() {
        let f = sample_facts();
        let a = plan(&f, RolloutMode::Auto, false);
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].kind, a[0].status),
            (ActionKind::Retag, ActionStatus::Planned)
        );
        assert!(a[0].detail.contains(&f.promotion.digest));
        assert_eq!(
            (a[1].kind, a[1].status),
            (ActionKind::Rollout, ActionStatus::Planned)
        );
        assert!(a[1].detail.starts_with("instantiate"));
        assert_eq!(a[1].target, "prod/dc/simple-app");
    }

    #[test]
    fn automatic_targets_are_not_rolled_out_twice() {
        let mut f = sample_facts();
        f.targets[0].will_roll_out_automatically = true;
        let a = plan(&f, RolloutMode::Auto, true);
        assert_eq!(a[1].status, ActionStatus::Skipped);
        assert_eq!(a[2].kind, ActionKind::Wait);
        assert_eq!(
            plan(&f, RolloutMode::Always, false)[1].status,
            ActionStatus::Planned
        );
        assert_eq!(
            plan(&f, RolloutMode::Never, false)[1].status,
            ActionStatus::Skipped
        );
    }

    #[test]
    fn noop_skips_the_retag() {
        let mut f = sample_facts();
        f.promotion.noop = true;
        let digest = f.promotion.digest.clone();
        f.targets[0].containers[0].image = format!("registry/dev/simple-app@{digest}");
        let a = plan(&f, RolloutMode::Auto, false);
        assert_eq!(a[0].status, ActionStatus::Skipped);
        assert_eq!(a[1].status, ActionStatus::Skipped);
    }
}
