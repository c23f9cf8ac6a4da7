//! What the shipped pack's YAML cases (`policies/tests/*.yaml`, run by `tollgate test`) cannot
//! say: the rules' ids are unique and each header documents the rule and its fix. What each
//! rule decides is tested there only.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tollgate::policy::compile;
use tollgate::policy_files::read_policy_dirs;

#[test]
fn ids_are_unique_and_every_rule_is_documented() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let rules = compile(read_policy_dirs(&[dir]).unwrap()).unwrap();
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), rules.len());
    for r in &rules {
        assert!(!r.title.is_empty(), "{} has no title", r.id);
        assert!(!r.description.is_empty(), "{} has no description", r.id);
        let fix = r.fix.as_deref().unwrap_or_default();
        assert!(
            fix.contains("oc ") || fix.contains("--reason"),
            "{} fix: {fix:?}",
            r.id
        );
    }
}
