//! Each resource and operation of ADMISSION.md's table, guarded and unguarded.

use serde_json::json;

use super::bodies::*;
use super::*;

fn annotations(a: &Answer) -> &Value {
    &response(a)["auditAnnotations"]
}

fn assert_allowed_at_once(a: &Answer) {
    assert!(allowed(a), "{}", a.review);
    assert!(!a.evaluated, "{}", a.review);
    assert_eq!(a.decision, Decision::Allow);
    assert!(response(a).get("status").is_none(), "{}", a.review);
    assert_eq!(annotations(a)["decision"], "allow");
    assert_eq!(annotations(a)["denied"], "");
}

fn assert_refused_at_once(a: &Answer, rule: &str) {
    assert!(!allowed(a), "{}", a.review);
    assert!(!a.evaluated);
    assert_eq!(a.denied, [rule]);
    assert_eq!(response(a)["status"]["code"], 403);
    assert_eq!(response(a)["status"]["reason"], "Forbidden");
    assert!(
        message(a).starts_with(&format!("tollgate: {rule}: ")),
        "{}",
        message(a)
    );
}

#[test]
fn an_unguarded_tag_and_a_metadata_only_update_are_allowed_at_once() {
    let objects = seed("b-automatic-trigger");
    let (new, old) = istag_set(&objects, "latest", isimage(OLD));
    let r = review("imagestreamtags", "UPDATE", "simple-app:latest", new, old);
    assert_allowed_at_once(&run(&gate(), &objects, &r));

    let old = istag(&objects, "promote");
    let mut new = old.clone();
    new["metadata"]["annotations"] = json!({"note": "only this"});
    new["tag"]["annotations"] = json!({"tollgate.io/reason": "nothing moves"});
    let r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);
    assert_allowed_at_once(&run(&gate(), &objects, &r));
}

#[test]
fn an_alias_is_evaluated_and_no_tracking_tags_denies_it() {
    let objects = seed("c-manual-trigger");
    let (mut new, old) = istag_set(&objects, "promote", istag_ref("latest"));
    new["tag"]["annotations"] = json!({"tollgate.io/reason": "follow latest"});
    let r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);
    let a = run(&gate(), &objects, &r);
    assert!(a.evaluated && !allowed(&a));
    assert_eq!(a.denied, ["no-tracking-tags"]);
    assert!(
        message(&a).starts_with("tollgate: no-tracking-tags: "),
        "{}",
        message(&a)
    );
    let j = judge(&gate(), &objects, None, &r, NOW);
    let p = &j.facts[0].promotion;
    assert!(p.alias);
    assert_eq!(p.source.reference, "dev/simple-app:latest");
    assert_eq!(
        p.digest, LATEST,
        "an alias's candidate is what the tracked tag has now"
    );
    assert_eq!(p.reason.as_deref(), Some("follow latest"));
}

#[test]
fn imagetags_are_read_like_imagestreamtags() {
    let objects = seed("b-automatic-trigger");
    let tag = json!({"kind": "ImageTag", "apiVersion": "image.openshift.io/v1",
        "metadata": {"name": "simple-app:promote", "namespace": "dev"},
        "spec": {"name": "promote", "from": isimage(LATEST)}});
    let r = review(
        "imagetags",
        "CREATE",
        "simple-app:promote",
        tag.clone(),
        Value::Null,
    );
    let a = run(&gate(), &objects, &r);
    assert!(a.evaluated);
    assert_eq!(a.denied, ["prod-manual-trigger"]);
    let r = review(
        "imagetags",
        "DELETE",
        "simple-app:promote",
        Value::Null,
        tag,
    );
    assert_refused_at_once(&run(&gate(), &objects, &r), GUARDED_DELETE);
}

#[test]
fn an_image_stream_update_evaluates_every_tag_it_moves() {
    let gate = gate_with("admission:\n  guarded_tags: [dev/simple-app:candidate]\n");
    let objects = seed("c-manual-trigger");
    let old = stream(&objects);
    let mut new = old.clone();
    new["spec"]["tags"][0]["from"] = isimage(LATEST);
    new["spec"]["tags"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "candidate", "from": istag_ref("latest")}));
    let r = review("imagestreams", "UPDATE", "simple-app", new, old);
    let a = run(&gate, &objects, &r);
    let j = judge(&gate, &objects, None, &r, NOW);
    let moved: Vec<_> = j
        .facts
        .iter()
        .map(|f| f.promotion.destination.reference.as_str())
        .collect();
    assert_eq!(
        moved,
        ["dev/simple-app:promote", "dev/simple-app:candidate"]
    );
    assert!(a.evaluated && !allowed(&a));
    assert_eq!(
        a.denied,
        ["no-tracking-tags"],
        "promote alone passes; the alias does not"
    );
    assert_eq!(a.outcomes.len(), 2 * gate.rules().rules().len());
}

#[test]
fn removing_a_guarded_tag_from_a_stream_or_deleting_it_is_refused_unless_allowed() {
    let objects = seed("c-manual-trigger");
    let old = stream(&objects);
    let mut new = old.clone();
    new["spec"]["tags"] = json!([]);
    let r = review("imagestreams", "UPDATE", "simple-app", new, old);
    assert_refused_at_once(&run(&gate(), &objects, &r), GUARDED_DELETE);
    let permissive = gate_with("admission:\n  allow_delete: true\n");
    assert_allowed_at_once(&run(&permissive, &objects, &r));

    let r = review(
        "imagestreamtags",
        "DELETE",
        "simple-app:promote",
        Value::Null,
        istag(&objects, "promote"),
    );
    let a = run(&gate(), &objects, &r);
    assert_refused_at_once(&a, GUARDED_DELETE);
    assert!(
        message(&a).contains("admission.allow_delete"),
        "{}",
        message(&a)
    );
    assert_eq!(a.decision, Decision::Deny);
    assert_allowed_at_once(&run(&permissive, &objects, &r));

    let r = review(
        "imagestreamtags",
        "DELETE",
        "simple-app:latest",
        Value::Null,
        istag(&objects, "latest"),
    );
    assert_allowed_at_once(&run(&gate(), &objects, &r));
    // Where promote tracks latest, deleting latest breaks promote's followers too.
    let objects = seed("d-tracking-alias");
    let a = run(&gate(), &objects, &r);
    assert_refused_at_once(&a, GUARDED_DELETE);
    assert!(
        message(&a).contains("guarded dev/simple-app:promote tracks it"),
        "{}",
        message(&a)
    );
    let r = review(
        "imagestreams",
        "DELETE",
        "simple-app",
        Value::Null,
        stream(&objects),
    );
    assert_refused_at_once(&run(&gate(), &objects, &r), GUARDED_DELETE);
}

#[test]
fn a_push_is_evaluated_with_the_pushed_image_and_moves_the_aliases_that_track_its_tag() {
    let objects = seed("d-tracking-alias");
    let r = review(
        "imagestreammappings",
        "CREATE",
        "simple-app",
        mapping("latest", NEW),
        Value::Null,
    );
    let a = run(&gate(), &objects, &r);
    assert!(a.evaluated);
    assert!(
        a.denied.contains(&"no-tracking-tags".to_string()),
        "{:?}",
        a.denied
    );
    let j = judge(&gate(), &objects, None, &r, NOW);
    let f = &j.facts[0];
    assert_eq!(f.promotion.destination.reference, "dev/simple-app:promote");
    assert_eq!(
        f.promotion.source.reference,
        format!("dev/simple-app@{NEW}")
    );
    assert_eq!(f.promotion.source.tag, None);
    assert_eq!(f.promotion.digest, NEW);
    assert_eq!(
        f.image.created.as_deref(),
        Some("2024-03-06T10:00:00Z"),
        "from the mapping's image"
    );
    assert_eq!(
        f.image.build.as_ref().unwrap().commit.as_deref(),
        Some("abc123")
    );

    // Where promote is pinned, a push into latest moves nothing guarded; one into promote does.
    let objects = seed("b-automatic-trigger");
    assert_allowed_at_once(&run(&gate(), &objects, &r));
    let r = review(
        "imagestreammappings",
        "CREATE",
        "simple-app",
        mapping("promote", NEW),
        Value::Null,
    );
    assert_eq!(run(&gate(), &objects, &r).denied, ["prod-manual-trigger"]);
}

#[test]
fn an_import_by_digest_is_evaluated_and_one_by_tag_is_refused_at_once() {
    let objects = seed("c-manual-trigger");
    let spec = format!("quay.io/example/simple-app@{NEW}");
    let body =
        import(json!([{"from": {"kind": "DockerImage", "name": spec}, "to": {"name": "promote"}}]));
    let r = review(
        "imagestreamimports",
        "CREATE",
        "simple-app",
        body,
        Value::Null,
    );
    let a = run(&gate(), &objects, &r);
    assert!(a.evaluated, "{}", a.review);
    let j = judge(&gate(), &objects, None, &r, NOW);
    let f = &j.facts[0];
    assert_eq!(f.promotion.source.reference, spec);
    assert_eq!(f.promotion.digest, NEW);
    assert_eq!(f.image.reference.as_deref(), Some(spec.as_str()));
    assert_eq!(
        f.image.created, None,
        "no metadata before the import: unknown, not guessed"
    );
    assert!(allowed(&a), "{}", a.review);
    let w = response(&a)["warnings"].to_string();
    assert!(
        w.contains("tollgate: build-provenance: "),
        "unknown metadata warns: {w}"
    );

    let by_tag = import(
        json!([{"from": {"kind": "DockerImage", "name": "quay.io/example/simple-app:2.1"},
                                "to": {"name": "promote"}}]),
    );
    let r = review(
        "imagestreamimports",
        "CREATE",
        "simple-app",
        by_tag.clone(),
        Value::Null,
    );
    let a = run(&gate(), &objects, &r);
    assert_refused_at_once(&a, UNPINNED);
    assert!(message(&a).contains("by digest"), "{}", message(&a));

    // Two unpinnable images in one import: both named, the rule listed once.
    let mut two = by_tag.clone();
    let second = json!({"from": {"kind": "DockerImage", "name": "quay.io/example/simple-app:2.2"}, "to": {"name": "promote"}});
    two["spec"]["images"].as_array_mut().unwrap().push(second);
    let r = review(
        "imagestreamimports",
        "CREATE",
        "simple-app",
        two,
        Value::Null,
    );
    let a = run(&gate(), &objects, &r);
    assert_eq!(a.denied, [UNPINNED]);
    assert!(
        message(&a).contains(":2.1 by tag") && message(&a).contains(":2.2 by tag"),
        "{}",
        message(&a)
    );

    let mut not_stored = by_tag.clone();
    not_stored["spec"]["import"] = json!(false);
    let r = review(
        "imagestreamimports",
        "CREATE",
        "simple-app",
        not_stored,
        Value::Null,
    );
    assert_allowed_at_once(&run(&gate(), &objects, &r));
    let mut unguarded = by_tag;
    unguarded["spec"]["images"][0]["to"]["name"] = json!("latest");
    let r = review(
        "imagestreamimports",
        "CREATE",
        "simple-app",
        unguarded,
        Value::Null,
    );
    assert_allowed_at_once(&run(&gate(), &objects, &r));
}

#[test]
fn a_candidate_the_stream_never_held_fails_closed_with_the_reason() {
    let objects = seed("c-manual-trigger");
    let (new, old) = istag_set(&objects, "promote", isimage(NEW));
    let r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);
    let a = run(&gate(), &objects, &r);
    assert!(!allowed(&a));
    assert_eq!(a.decision, Decision::Error);
    assert_eq!(a.denied, [FACTS_ERROR]);
    assert!(
        message(&a).contains("is not in the history"),
        "{}",
        message(&a)
    );
}

#[test]
fn a_deployment_trigger_guards_its_tag_paused_or_not_in_guarded_environments_only() {
    for (ns, guarded) in [("prod", true), ("staging", false)] {
        let mut objects = (*seed("c-manual-trigger")).clone();
        objects.deployments.push(serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": ns, "annotations": {"image.openshift.io/triggers":
                r#"[{"from":{"kind":"ImageStreamTag","name":"simple-app:live","namespace":"dev"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image","paused":true}]"#}},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "x"}]}}}
        })).unwrap());
        let objects = Arc::new(objects);
        let live = json!({"metadata": {"name": "simple-app:live", "namespace": "dev"},
                          "tag": {"name": "live", "from": isimage(LATEST)}});
        let r = review(
            "imagestreamtags",
            "CREATE",
            "simple-app:live",
            live,
            Value::Null,
        );
        let a = run(&gate(), &objects, &r);
        assert_eq!(a.evaluated, guarded, "{ns}: {}", a.review);
    }
}

#[test]
fn other_resources_subresources_and_operations_are_allowed_at_once() {
    let objects = seed("b-automatic-trigger");
    let (new, old) = istag_set(&objects, "promote", isimage(LATEST));
    let mut r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);
    assert!(
        !allowed(&run(&gate(), &objects, &r)),
        "the control: this write is denied"
    );
    for change in 0..3 {
        let mut other = r.clone();
        match change {
            0 => other.resource = "deploymentconfigs".into(),
            1 => other.sub_resource = "status".into(),
            _ => other.operation = "CONNECT".into(),
        }
        assert_allowed_at_once(&run(&gate(), &objects, &other));
    }
    r.object =
        Some(json!({"metadata": {"name": "simple-app:promote"}, "tag": {"from": "not an object"}}));
    let a = run(&gate(), &objects, &r);
    assert_refused_at_once(&a, UNREADABLE);
    assert_eq!(a.decision, Decision::Error);
    assert!(
        message(&a).contains("request.object at `tag.from`"),
        "{}",
        message(&a)
    );
}
