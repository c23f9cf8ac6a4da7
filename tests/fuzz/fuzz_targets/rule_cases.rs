//! Fuzzes rule test files (`rule_tests::spec::parse`, what `tollgate test` reads): no panic;
//! accepted cases have at least one expectation, `unchecked` only on overrides, and an inline
//! config that is JSON.
#![no_main]

use std::path::Path;

use tollgate::rule_tests::spec::{parse, Input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A directory that does not exist, so no `base-facts.json` is found next to the file and
    // a run never depends on the machine's files.
    let dir = Path::new("/nonexistent-tollgate-fuzz/tests");
    let path = dir.join("fuzz.yaml");
    let Ok(spec) = parse(&path, text) else {
        return;
    };
    assert_eq!(spec.path, path);
    for case in &spec.cases {
        assert!(
            !case.expect.is_empty(),
            "accepted a case with no expectation"
        );
        if case.unchecked {
            assert!(matches!(case.input, Input::Overrides { .. }));
        }
        if let Some(config) = &case.config {
            assert!(
                serde_json::from_str::<serde_json::Value>(config).is_ok(),
                "a case's config is not JSON: {config}"
            );
        }
    }
});
