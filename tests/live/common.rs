//! What the CLI tests share: the seed promotion, a pinned "now", and the binary to run.

use assert_cmd::Command;
use serde_json::Value;

pub const SOURCE: &str = "dev/simple-app:latest";
pub const DEST: &str = "dev/simple-app:promote";
/// A fixed "now" (the day after the seed's 2.0 build) so image-age does not drift.
pub const NOW: &str = "2024-03-06T12:00:00Z";

/// The `tollgate` binary, run from the crate root with no inherited log or cluster settings.
pub fn tollgate() -> Command {
    let mut c = Command::cargo_bin("tollgate").expect("binary is built");
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .env_remove("KUBECONFIG");
    c
}

/// The ids of the rules with `outcome` in a JSON report, sorted.
pub fn rules_with(report: &Value, outcome: &str) -> Vec<String> {
    let mut ids: Vec<String> = report["rules"]
        .as_array()
        .expect("rules array")
        .iter()
        .filter(|r| r["outcome"] == outcome)
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}
