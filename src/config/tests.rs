//! Parsing and validating `tollgate.yaml`: environments, levels, limits and exceptions.

use super::*;

#[test]
fn defaults_map_prod_and_production() {
    let s = Settings::default();
    assert_eq!(s.environment_of("prod"), "prod");
    assert_eq!(s.environment_of("production"), "prod");
    assert_eq!(s.environment_of("dev"), "dev");
}

#[test]
fn configured_environments_win() {
    let s = Settings::parse(
        "environments:\n  prod:\n    namespaces: [shop-live]\n  staging:\n    namespaces: [shop-stage]\nrules:\n  image-age:\n    level: warn\n    params: {max_age_days: 14}\n",
        "tollgate.yaml",
    )
    .unwrap();
    assert_eq!(s.environment_of("shop-live"), "prod");
    assert_eq!(s.environment_of("shop-stage"), "staging");
    assert_eq!(s.rule("image-age").level, Some(Level::Warn));
    assert_eq!(s.rule("image-age").params["max_age_days"], 14);
}

#[test]
fn unknown_keys_and_bad_levels_are_errors() {
    let e = Settings::parse("rules:\n  x:\n    levle: warn\n", "t.yaml").unwrap_err();
    assert!(e.to_string().contains("levle"), "{e}");
    let e = Settings::parse("rules:\n  x:\n    level: block\n", "t.yaml").unwrap_err();
    assert!(e.to_string().starts_with("t.yaml:"), "{e}");
    let e = Settings::parse(
        "environments:\n  a: {namespaces: [x]}\n  b: {namespaces: [x]}\n",
        "t.yaml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("two environments"), "{e}");
}

#[test]
fn rule_timeout_is_validated() {
    assert_eq!(
        Settings::default().limits.rule_timeout,
        DEFAULT_RULE_TIMEOUT
    );
    let s = Settings::parse("limits:\n  rule_timeout: 500ms\n", "t.yaml").unwrap();
    assert_eq!(s.limits.rule_timeout, Duration::from_millis(500));
    let s = Settings::parse("limits: {rule_timeout: 1m}\n", "t.yaml").unwrap();
    assert_eq!(s.limits.rule_timeout, Duration::from_secs(60));
    for (bad, says) in [
        ("2", "not a duration"),
        ("2 h", "not a duration"),
        ("1.5s", "not a duration"),
        ("0s", "outside the allowed range"),
        ("11m", "outside the allowed range"),
    ] {
        let e = Settings::parse(&format!("limits: {{rule_timeout: \"{bad}\"}}\n"), "t.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.yaml: limits.rule_timeout: ") && e.contains(says),
            "{bad}: {e}"
        );
    }
    let e = Settings::parse("limits: {timeout: 2s}\n", "t.yaml").unwrap_err();
    assert!(e.to_string().contains("timeout"), "{e}");
}

#[test]
fn exceptions_are_validated() {
    let today = time::macros::date!(2024 - 03 - 06);
    let ok = "exceptions:\n  - rule: prod-manual-trigger\n    target: prod/deploymentconfig/simple-app\n    reason: r\n    owner: o\n    expires: 2024-04-01\n";
    let s = Settings::parse_at(ok, "t.yaml", today).unwrap();
    assert_eq!(
        s.exceptions[0].target.as_deref(),
        Some("prod/dc/simple-app")
    );
    let long = ok.replace("2024-04-01", "2024-12-01");
    let e = Settings::parse_at(&long, "t.yaml", today).unwrap_err();
    assert!(e.to_string().contains("more than the maximum of 90"), "{e}");
    let e = Settings::parse_at(
        &format!("exceptions_max_days: 300\n{long}"),
        "t.yaml",
        today,
    );
    assert!(e.is_ok(), "{e:?}");
    let e = Settings::parse_at(&ok.replace("    owner: o\n", ""), "t.yaml", today).unwrap_err();
    assert!(
        e.to_string().contains("exceptions[0].owner: missing"),
        "{e}"
    );
    let e = Settings::parse_at(
        &ok.replace("    target: prod/deploymentconfig/simple-app\n", ""),
        "t.yaml",
        today,
    )
    .unwrap_err();
    assert!(e.to_string().contains("missing scope"), "{e}");
    let e = Settings::parse_at(&ok.replace("2024-04-01", "April"), "t.yaml", today).unwrap_err();
    assert!(e.to_string().contains("not a date"), "{e}");
    let upper = format!(
        "exceptions:\n  - rule: r\n    digest: sha256:{}\n    reason: r\n    owner: o\n    expires: 2024-04-01\n",
        "AB".repeat(32)
    );
    let e = Settings::parse_at(&upper, "t.yaml", today).unwrap_err();
    assert!(e.to_string().contains("64 lowercase hex digits"), "{e}");
}

#[test]
fn admission_guards_prod_by_default_and_takes_tags_and_environments() {
    let d = Settings::parse("", "t.yaml").unwrap();
    assert!(d.admission.guards_environment("prod"));
    assert!(d.admission.guards_environment("production"));
    assert!(!d.admission.guards_environment("stage"));
    assert!(!d.admission.allow_delete);

    let s = Settings::parse(
        "admission:\n  guarded_environments: [stage]\n  guarded_tags: [dev/app:promote, dev/app:promote]\n  allow_delete: true\n",
        "t.yaml",
    )
    .unwrap();
    assert!(s.admission.guards_environment("stage"));
    assert!(
        !s.admission.guards_environment("prod"),
        "configuration decides"
    );
    assert!(s.admission.names_tag("dev", "app", "promote"));
    assert!(!s.admission.names_tag("dev", "app", "latest"));
    assert_eq!(s.admission.guarded_tags.len(), 1);
    assert!(s.admission.allow_delete);

    for (text, want) in [
        (
            "admission:\n  guarded_tags: [app:promote]\n",
            "admission.guarded_tags[0]",
        ),
        (
            "admission:\n  guarded_tags: [dev/app@sha256:x]\n",
            "admission.guarded_tags[0]",
        ),
        (
            "admission:\n  guarded_environments: ['']\n",
            "admission.guarded_environments[0]",
        ),
        ("admission:\n  guard: [x]\n", "unknown field"),
    ] {
        let e = Settings::parse(text, "t.yaml").unwrap_err().to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
}

#[test]
fn environments_in_order() {
    let s = Settings::parse(
        "environments:\n  dev: {namespaces: [dev]}\n  stage: {namespaces: [stage], after: dev}\n  prod: {namespaces: [prod], after: stage}\n",
        "t.yaml",
    )
    .unwrap();
    assert_eq!(s.previous_environment("prod"), Some("stage"));
    assert_eq!(s.previous_environment("stage"), Some("dev"));
    assert_eq!(s.previous_environment("dev"), None);
    assert_eq!(s.previous_environment("unconfigured"), None);
}

#[test]
fn a_bad_order_is_named() {
    for (yaml, says) in [
        (
            "environments:\n  prod: {after: stagee}\n  stage: {}\n",
            "t.yaml: environments.prod.after: `stagee` is not a configured environment (environments: prod, stage)",
        ),
        (
            "environments:\n  prod: {after: prod}\n",
            "environments.prod.after: an environment cannot come after itself",
        ),
        (
            "environments:\n  a: {after: c}\n  b: {after: a}\n  c: {after: b}\n",
            "environments.a.after: the order loops (a after c after b after a)",
        ),
        (
            "environments:\n  prod: {after: [stage]}\n  stage: {}\n",
            "after",
        ),
    ] {
        let e = Settings::parse(yaml, "t.yaml").unwrap_err().to_string();
        assert!(e.contains(says), "{yaml}: {e}");
    }
    // A chain that ends is no loop, however long.
    let s = Settings::parse(
        "environments:\n  a: {}\n  b: {after: a}\n  c: {after: b}\n  d: {after: c}\n",
        "t.yaml",
    )
    .unwrap();
    assert_eq!(s.previous_environment("d"), Some("c"));
}
