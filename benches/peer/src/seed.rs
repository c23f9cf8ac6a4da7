//! The seed promotion's facts and outcomes through the tollgate library, as `tollgate check` does.

use std::path::{Path, PathBuf};

use tollgate::config::Settings;
use tollgate::facts::Facts;
use tollgate::gather::{self, PromotionRequest};
use tollgate::policy::{Evaluator, RuleSet};
use tollgate::policy_files::read_policy_dirs;
use tollgate::refs::{parse_destination, parse_source};

/// The repository root (this crate lives in `benches/peer`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `examples/seed/<name>`.
pub fn seed_dir(name: &str) -> PathBuf {
    root().join("examples/seed").join(name)
}

/// The four seed states, in order.
pub const SEEDS: [&str; 4] = [
    "a-no-pull-rights",
    "b-automatic-trigger",
    "c-manual-trigger",
    "d-tracking-alias",
];

/// The seed's promotion (`dev/simple-app:latest` → `dev/simple-app:promote`, now pinned to
/// 2024-03-06T12:00Z as the seed README does).
pub fn request() -> Result<PromotionRequest, String> {
    Ok(PromotionRequest {
        source: parse_source("dev/simple-app:latest", None).map_err(|e| e.to_string())?,
        destination: parse_destination("dev/simple-app:promote", None)
            .map_err(|e| e.to_string())?,
        targets: vec![],
        reason: None,
        requested_by: None,
        requested_by_groups: None,
        via: tollgate::facts::VIA_CLI,
        alias: false,
        time: time::macros::datetime!(2024-03-06 12:00 UTC),
    })
}

/// The facts of the seed promotion over a snapshot (a directory of `oc get` exports).
pub fn facts_of(snapshot: &Path) -> Result<Facts, String> {
    let objects = gather::snapshot::load(&[snapshot.to_path_buf()]).map_err(|e| e.to_string())?;
    gather::build_facts(&objects, &request()?, &Settings::default()).map_err(|e| e.to_string())
}

/// The shipped pack, compiled with the evaluator's engine (as `check` does).
pub fn shipped_pack(evaluator: &Evaluator) -> Result<RuleSet, String> {
    let sources = read_policy_dirs(&[root().join("policies")]).map_err(|e| e.to_string())?;
    evaluator.compile(sources).map_err(|e| e.to_string())
}
