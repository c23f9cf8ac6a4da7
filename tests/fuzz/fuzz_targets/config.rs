//! Fuzzes `tollgate.yaml` parsing (`Settings::parse_at`, what `Settings::parse` runs with
//! today's date): no panic; accepted settings keep the promises the file format makes.
#![no_main]

use time::macros::date;
use tollgate::config::{Settings, DEFAULT_EXCEPTIONS_MAX_DAYS};
use tollgate::refs::{is_digest, is_dns_label, parse_target};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A fixed "today", so a finding replays the same way on any day.
    let today = date!(2026 - 12 - 01);
    let Ok(settings) = Settings::parse_at(text, "fuzz/tollgate.yaml", today) else {
        return;
    };
    assert_eq!(settings.source.as_deref(), Some("fuzz/tollgate.yaml"));
    for (env, e) in &settings.environments {
        assert!(!env.trim().is_empty(), "accepted an empty environment name");
        for ns in &e.namespaces {
            assert!(is_dns_label(ns), "accepted namespace {ns:?}");
            // A namespace is in one environment only, so it maps back to this one.
            assert_eq!(&settings.environment_of(ns), env, "namespace {ns:?}");
        }
    }
    // The file may raise the maximum; only the default is known without reading it again.
    let max_days = if text.contains("exceptions_max_days") {
        i64::MAX
    } else {
        DEFAULT_EXCEPTIONS_MAX_DAYS
    };
    for x in &settings.exceptions {
        for (field, v) in [
            ("rule", &x.rule),
            ("reason", &x.reason),
            ("owner", &x.owner),
        ] {
            assert!(
                !v.trim().is_empty(),
                "accepted an exception with an empty {field}"
            );
        }
        assert!(
            x.target.is_some() || x.digest.is_some(),
            "accepted an exception without a scope"
        );
        if let Some(d) = &x.digest {
            assert!(is_digest(d), "accepted exception digest {d:?}");
        }
        if let Some(t) = &x.target {
            // Stored normalised: parsing it again gives it back unchanged.
            match parse_target(t, None) {
                Ok(again) => assert_eq!(&again.to_string(), t),
                Err(e) => panic!("stored exception target {t:?} does not parse: {e}"),
            }
        }
        assert!(
            (x.expires - today).whole_days() <= max_days,
            "accepted an exception expiring {} with at most {max_days} days",
            x.expires
        );
    }
});
