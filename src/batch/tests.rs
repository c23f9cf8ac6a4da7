//! The batch file's strictness and how a batch's exit status is combined.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::exit::ExitStatus::{Allowed, Denied, Error as Errored, Partial};

fn err(text: &str) -> String {
    parse(text, "train.yaml").unwrap_err().to_string()
}

#[test]
fn a_batch_file_lists_promotions_with_optional_targets_and_reason() {
    let entries = parse(
        "- source: dev/a:latest\n  destination: prod/a:release\n  targets: [prod/dc/a]\n  reason: train 42\n- {source: dev/b:latest, destination: prod/b:release}\n",
        "train.yaml",
    )
    .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].targets, vec!["prod/dc/a".to_string()]);
    assert_eq!(entries[0].reason.as_deref(), Some("train 42"));
    assert!(entries[1].targets.is_empty() && entries[1].reason.is_none());
    let ps = promotions(&entries, "train.yaml", None, None).unwrap();
    assert_eq!(ps[1].destination.to_string(), "prod/b:release");
    assert_eq!(ps[0].targets[0].to_string(), "prod/dc/a");
}

#[test]
fn bad_batch_files_are_refused_naming_the_entry_and_key() {
    let e = err("- source: dev/a:latest\n  destination: prod/a:release\n- source: dev/b:latest\n  destinaton: prod/b:release\n");
    assert!(
        e.contains("train.yaml") && e.contains("entry 2") && e.contains("unknown key `destinaton`"),
        "{e}"
    );
    let e = err("- source: dev/a:latest\n");
    assert!(
        e.contains("entry 1") && e.contains("`destination` is missing"),
        "{e}"
    );
    let e = err("- source: dev/a:latest\n  destination: 7\n");
    assert!(
        e.contains("`destination` must be a string, not a number"),
        "{e}"
    );
    let e = err("- {source: dev/a:latest, destination: prod/a:r, targets: prod/dc/a}\n");
    assert!(e.contains("`targets` must be a list"), "{e}");
    assert!(err("[]\n").contains("no promotions"));
    assert!(err("source: dev/a:latest\n").contains("not a list"));
    let e = err("- source: dev/a:latest\n  source: dev/b:latest\n  destination: prod/a:r\n");
    assert!(
        e.contains("source") && e.to_lowercase().contains("duplicate"),
        "{e}"
    );
    assert!(err("- [unclosed\n").contains("not a YAML batch file"));
}

#[test]
fn two_promotions_of_one_tag_are_refused() {
    let entries = parse(
        "- {source: dev/a:latest, destination: prod/a:release}\n- {source: dev/b:latest, destination: prod/b:release}\n- {source: dev/c:latest, destination: prod/a:release}\n",
        "t.yaml",
    )
    .unwrap();
    let e = promotions(&entries, "t.yaml", None, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("entry 3") && e.contains("prod/a:release") && e.contains("entry 1"),
        "{e}"
    );
    // A bad reference names its entry too.
    let entries = parse(
        "- {source: a:latest, destination: prod/a:release}\n",
        "t.yaml",
    )
    .unwrap();
    let e = promotions(&entries, "t.yaml", None, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("entry 1"), "{e}");
}

#[test]
fn the_worst_status_wins_error_over_partial_over_deny() {
    assert_eq!(worst([Allowed, Denied, Allowed]), Denied);
    assert_eq!(worst([Denied, Partial]), Partial);
    assert_eq!(worst([Partial, Errored, Denied]), Errored);
    assert_eq!(worst([]), Allowed);
}
