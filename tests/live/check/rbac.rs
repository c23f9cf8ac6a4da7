//! With RBAC enforced: the roles in `examples/rbac/` are enough, and namespace-only rights degrade gracefully.

use std::path::Path;

use crate::harness::{live, Live};
use tollgate_emulator::Emulator;

/// Binds a ClusterRole of `examples/rbac/tollgate-clusterroles.yaml` to the gate's service
/// account: cluster-wide (`ns` None) or in one namespace.
fn bind(emu: &Emulator, role: &str, ns: Option<&str>) {
    let (kind, meta) = match ns {
        None => ("ClusterRoleBinding", format!("name: {role}")),
        Some(ns) => ("RoleBinding", format!("name: {role}\n  namespace: {ns}")),
    };
    let yaml = format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  {meta}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}
subjects:
- {{kind: ServiceAccount, name: tollgate, namespace: ci}}
"
    );
    emu.seed_yaml(&yaml).unwrap();
}

fn enforcing(state: &str) -> Live {
    let l = live(state);
    let roles =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/rbac/tollgate-clusterroles.yaml");
    l.emu.seed_file(roles).unwrap();
    l.emu.set_enforce_rbac(true);
    l
}

#[test]
fn with_rbac_enforced_the_documented_roles_are_enough() {
    let l = enforcing("c-manual-trigger");
    bind(&l.emu, "tollgate-check", None);
    let (code, report) = l.check(&[]);
    assert_eq!(code, 0, "{report:#}");
    let facts = l.facts(&[]);
    assert_eq!(
        facts["rbac"]["unreadable"],
        serde_json::json!([]),
        "{facts:#}"
    );
    assert_eq!(facts["warnings"], serde_json::json!([]), "{facts:#}");
    assert_eq!(facts["targets"][0]["can_pull"], true);
    assert_eq!(facts["rbac"]["promoter_can_tag"], false);

    bind(&l.emu, "tollgate-promote", Some("dev"));
    bind(&l.emu, "tollgate-promote", Some("prod"));
    let facts = l.facts(&[]);
    assert_eq!(facts["rbac"]["promoter_can_tag"], true, "{facts:#}");
    assert_eq!(facts["rbac"]["promoter_can_roll_out"], true, "{facts:#}");
}

#[test]
fn with_namespace_rights_only_discovery_uses_configured_namespaces_and_local_reviews() {
    let l = enforcing("c-manual-trigger");
    bind(&l.emu, "tollgate-check", Some("dev"));
    bind(&l.emu, "tollgate-check", Some("prod"));
    let config = l.dir.path().join("tollgate.yaml");
    std::fs::write(&config, "environments:\n  prod:\n    namespaces: [prod]\n").unwrap();
    let config = config.to_str().unwrap().to_string();
    let facts = l.facts(&["--config", &config]);
    assert_eq!(
        facts["rbac"]["unreadable"],
        serde_json::json!(["clusterrolebindings"]),
        "{facts:#}"
    );
    assert_eq!(facts["targets"][0]["name"], "simple-app", "{facts:#}");
    assert_eq!(facts["targets"][0]["can_pull"], true, "{facts:#}");
    let warnings = facts["warnings"].to_string();
    assert!(
        warnings.contains("cannot list deploymentconfigs in all namespaces"),
        "{warnings}"
    );
    assert!(warnings.contains("only in dev, prod"), "{warnings}");
    assert_eq!(
        facts["discovery_complete"], true,
        "configured environments say where to look"
    );
    assert!(
        warnings.contains("grant `list clusterrolebindings` (cluster-wide)"),
        "{warnings}"
    );
    // The cluster-wide review was refused; the local one in dev answered.
    assert_eq!(
        l.emu.count(
            "POST",
            "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews"
        ),
        1
    );
    let (code, report) = l.check(&["--config", &config]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn discovery_that_could_not_look_everywhere_denies_and_says_the_way_out() {
    // The case: edit-like rights in dev and prod, no cluster-wide list, no
    // tollgate.yaml, no --target. Discovery now also looks in `prod`, but a follower could
    // live anywhere: the gate must not allow on a search it knows to be partial.
    let l = enforcing("c-manual-trigger");
    bind(&l.emu, "tollgate-check", Some("dev"));
    bind(&l.emu, "tollgate-check", Some("prod"));
    let facts = l.facts(&[]);
    assert_eq!(facts["discovery_complete"], false, "{facts:#}");
    assert_eq!(
        facts["targets"][0]["name"], "simple-app",
        "prod was searched"
    );
    let (code, report) = l.check(&[]);
    assert_eq!(code, 1, "{report:#}");
    let first = &report["rules"][0];
    assert_eq!(first["id"], "tollgate/discovery-complete", "{report:#}");
    assert_eq!(first["outcome"], "deny");
    let message = first["messages"][0].as_str().unwrap();
    assert!(
        message.contains(
            "could not list deploymentconfigs in namespaces other than dev, prod, production"
        ),
        "{message}"
    );
    let fix = first["fix"].as_str().unwrap();
    assert!(
        fix.contains("--target") && fix.contains("environments:"),
        "{fix}"
    );

    // Either way out makes the search complete, and the rules decide again.
    let (code, report) = l.check(&["--target", "prod/dc/simple-app"]);
    assert_eq!(code, 0, "{report:#}");
    let config = l.dir.path().join("tollgate.yaml");
    std::fs::write(&config, "environments:\n  prod:\n    namespaces: [prod]\n").unwrap();
    let (code, report) = l.check(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_refused_history_read_leaves_image_seen_unknown_and_names_the_permission() {
    let l = enforcing("c-manual-trigger");
    bind(&l.emu, "tollgate-check", Some("dev"));
    bind(&l.emu, "tollgate-check", Some("prod"));
    let config = l.dir.path().join("tollgate.yaml");
    std::fs::write(
        &config,
        "environments:\n  stage: {namespaces: [stage]}\n  prod: {namespaces: [prod], after: stage}\n",
    )
    .unwrap();
    let facts = l.facts(&["--config", config.to_str().unwrap()]);
    let seen = &facts["image"]["seen"];
    assert_eq!(
        seen["stage"],
        serde_json::json!({"tags": null, "runs": null}),
        "unknown, not empty: {facts:#}"
    );
    assert_eq!(seen["prod"]["runs"], serde_json::json!([]), "{facts:#}");
    let warnings = facts["warnings"].to_string();
    for needed in [
        "cannot list replicationcontrollers in stage (forbidden)",
        "grant `list replicasets` in stage",
        "grant `list imagestreams` in stage",
    ] {
        assert!(warnings.contains(needed), "{needed}: {warnings}");
    }
}
