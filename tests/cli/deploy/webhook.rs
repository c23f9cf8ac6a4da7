//! The ValidatingWebhookConfiguration: the five image resources with the operations
//! ADMISSION.md's table needs, fail closed, v1 reviews, the Service as endpoint, and match
//! conditions that leave out exactly the gate's own and the platform's namespaces.

use std::collections::BTreeSet;

use k8s_openapi::api::admissionregistration::v1::{
    ValidatingWebhook, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::Service;

use super::Manifests;

fn webhook(m: &Manifests) -> (ValidatingWebhookConfiguration, ValidatingWebhook) {
    let config = m.one::<ValidatingWebhookConfiguration>();
    let mut hooks = config.webhooks.clone().unwrap_or_default();
    assert_eq!(hooks.len(), 1, "one webhook for the five resources");
    (config, hooks.remove(0))
}

/// ADMISSION.md, "What the API server sends": resource → operations that can move a tag.
const EXPECTED: [(&str, &[&str]); 5] = [
    ("imagestreamtags", &["CREATE", "UPDATE", "DELETE"]),
    ("imagetags", &["CREATE", "UPDATE", "DELETE"]),
    // DELETE of a stream removes its guarded tags with it (ADMISSION.md lists tag deletes).
    ("imagestreams", &["CREATE", "UPDATE", "DELETE"]),
    ("imagestreammappings", &["CREATE"]),
    ("imagestreamimports", &["CREATE"]),
];

#[test]
fn the_webhook_matches_the_five_image_resources_with_the_operations_that_move_tags() {
    let m = Manifests::load();
    let (_, hook) = webhook(&m);
    let mut matched = BTreeSet::new();
    for rule in hook.rules.unwrap_or_default() {
        assert!(matches!(
            rule.scope.as_deref(),
            None | Some("Namespaced") | Some("*")
        ));
        for group in rule.api_groups.unwrap_or_default() {
            for version in rule.api_versions.clone().unwrap_or_default() {
                for resource in rule.resources.clone().unwrap_or_default() {
                    for op in rule.operations.clone().unwrap_or_default() {
                        matched.insert((group.clone(), version.clone(), resource.clone(), op));
                    }
                }
            }
        }
    }
    let expected: BTreeSet<(String, String, String, String)> = EXPECTED
        .iter()
        .flat_map(|(resource, ops)| {
            ops.iter().map(|op| {
                let s = |x: &str| x.to_string();
                (s("image.openshift.io"), s("v1"), s(resource), s(op))
            })
        })
        .collect();
    assert_eq!(matched, expected);
    // Selectors would narrow the match silently; the conditions below say what is left out.
    assert!(hook.namespace_selector.is_none() && hook.object_selector.is_none());
}

#[test]
fn the_webhook_fails_closed_speaks_v1_and_calls_the_service_with_an_injected_ca() {
    let m = Manifests::load();
    let (config, hook) = webhook(&m);
    assert_eq!(hook.failure_policy.as_deref(), Some("Fail"));
    assert_eq!(hook.side_effects, "None");
    assert_eq!(hook.admission_review_versions, ["v1"]);
    let timeout = hook.timeout_seconds.expect("timeoutSeconds set");
    assert!((1..=10).contains(&timeout), "timeoutSeconds {timeout}");
    // The API server requires a fully qualified webhook name; users see it in refusals.
    assert!(hook.name.split('.').count() >= 3, "{}", hook.name);
    let annotations = config.metadata.annotations.unwrap_or_default();
    assert_eq!(
        annotations
            .get("service.beta.openshift.io/inject-cabundle")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(
        hook.client_config.ca_bundle, None,
        "the service CA injects it"
    );
    assert_eq!(hook.client_config.url, None);
    let target = hook.client_config.service.expect("a service endpoint");
    let service = m.one::<Service>();
    assert_eq!(Some(&target.name), service.metadata.name.as_ref());
    assert_eq!(target.namespace, m.namespace());
    assert_eq!(target.path.as_deref(), Some("/validate"));
    let port = service.spec.unwrap().ports.unwrap()[0].port;
    assert_eq!(target.port.unwrap_or(443), port);
}

/// One match condition, in the only shapes examples/deploy uses:
/// `[!has(request.namespace) || ]request.namespace != "X"` and
/// `[!has(request.namespace) || ]!request.namespace.startsWith("X")`.
/// `namespace` is `None` for a request without one. `Err`: a CEL evaluation error (reading an
/// absent field, which `failurePolicy: Fail` turns into a refusal) or a shape not understood.
fn eval(expression: &str, namespace: Option<&str>) -> Result<bool, String> {
    let (guarded, condition) = match expression.strip_prefix("!has(request.namespace) || ") {
        Some(rest) => (true, rest),
        None => (false, expression),
    };
    let Some(ns) = namespace else {
        return if guarded {
            Ok(true)
        } else {
            Err(format!("no such key: namespace, in `{expression}`"))
        };
    };
    let quoted = |s: &str| s.strip_prefix('"')?.strip_suffix('"').map(str::to_string);
    if let Some(x) = condition
        .strip_prefix("request.namespace != ")
        .and_then(quoted)
    {
        return Ok(ns != x);
    }
    if let Some(x) = condition
        .strip_prefix("!request.namespace.startsWith(")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(quoted)
    {
        return Ok(!ns.starts_with(&x));
    }
    Err(format!(
        "a match condition of a shape this test cannot evaluate (extend `eval`): {expression}"
    ))
}

#[test]
fn the_match_conditions_leave_out_the_gate_and_the_platform_namespaces_only() {
    let m = Manifests::load();
    let (_, hook) = webhook(&m);
    let conditions = hook.match_conditions.unwrap_or_default();
    assert!(!conditions.is_empty());
    let sent = |ns: Option<&str>| -> bool {
        conditions.iter().all(|c| {
            eval(&c.expression, ns)
                .unwrap_or_else(|e| panic!("condition {} fails on {ns:?}: {e}", c.name))
        })
    };
    let gate = m.namespace();
    for left_out in [
        gate.as_str(),
        "openshift-config",
        "openshift-image-registry",
        "kube-system",
        "kube-public",
        "kube-node-lease",
    ] {
        assert!(!sent(Some(left_out)), "{left_out} must be left out");
    }
    for asked in [
        "dev",
        "prod",
        "default",
        "openshift",
        "kubernetes-dashboard",
        "team-openshift-apps",
        "tollgate-demo",
    ] {
        assert!(sent(Some(asked)), "{asked} must be sent to the gate");
    }
    assert!(
        sent(None),
        "a request without a namespace must be sent to the gate"
    );
}

#[test]
fn the_evaluator_refuses_what_it_does_not_understand() {
    assert_eq!(eval(r#"request.namespace != "a""#, Some("a")), Ok(false));
    assert!(eval(r#"request.namespace != "a""#, None).is_err());
    let e = eval(r#"request.namespace == "a""#, Some("a")).unwrap_err();
    assert!(e.contains("cannot evaluate"), "{e}");
}
