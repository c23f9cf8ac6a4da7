//! Decision records (`check --record DIR`, `promote --record DIR`): named by their content,
//! holding the printed report and the facts, written whole, never rewritten; a record that cannot
//! be written fails the run after the report.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::backtest::{backtest_json, entries, record, CONFIG};
use crate::common::{tollgate, DEST, NOW, SOURCE};

#[test]
fn a_record_is_named_by_its_content_holds_the_report_and_is_written_whole() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("records/new");
    let (code, stdout, err) = record(&dir, "3-soaked", CONFIG);
    assert_eq!(code, 0, "{err}");
    // Created, with exactly one entry: no temporary file left behind.
    let files = entries(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let bytes = std::fs::read(&files[0]).unwrap();
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert_eq!(name, format!("{:x}.json", Sha256::digest(&bytes)));
    let r: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(r["schema"], "tollgate.record/v1");
    assert_eq!(r["tollgate_version"], env!("CARGO_PKG_VERSION"));
    assert!(r["rules_digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(time::OffsetDateTime::parse(
        r["time"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339
    )
    .is_ok());
    // The report is the one printed; the facts are those the rules saw.
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["report"], printed);
    assert_eq!(r["facts"]["schema"], "tollgate.facts/v1");
    assert_eq!(r["facts"]["promotion"]["time"], NOW);
    assert_eq!(
        r["facts"]["promotion"]["digest"],
        printed["promotion"]["digest"]
    );

    // Again: the first record is never rewritten; whatever is added is named by its content.
    let (code, _, err) = record(&dir, "3-soaked", CONFIG);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&files[0]).unwrap(), bytes);
    for f in entries(&dir) {
        let b = std::fs::read(&f).unwrap();
        let n = f.file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(n, format!("{:x}.json", Sha256::digest(&b)));
    }
}

#[test]
fn a_record_that_cannot_be_written_is_an_error_after_the_report() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let (code, stdout, err) = record(&file.join("records"), "3-soaked", CONFIG);
    assert_eq!(code, 2, "{err}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed["decision"], "allow");
    assert!(err.contains("not-a-dir/records"), "{err}");
    assert!(err.contains("the decision above was not recorded"), "{err}");
}

#[test]
fn promote_records_its_dry_run_and_backtest_replays_it() {
    let d = tempfile::tempdir().unwrap();
    let out = tollgate()
        .args(["promote", SOURCE, DEST, "--time", NOW, "-o", "json"])
        .args(["--snapshot", "examples/seed/c-manual-trigger"])
        .args(["--snapshot", "examples/pipeline/3-soaked"])
        .args(["--config", CONFIG, "--record", d.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let files = entries(d.path());
    assert_eq!(files.len(), 1);
    let r: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(r["report"]["command"], "promote");
    assert_eq!(r["report"]["dry_run"], true);
    assert_eq!(r["report"]["actions"][0]["kind"], "retag");
    let (code, v) = backtest_json(&[d.path().to_str().unwrap(), "--config", CONFIG]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["unchanged"], 1);
}
