//! Bodies that are not an AdmissionReview v1 get a 400 message naming what is wrong; the
//! modes decide what a denial does to the answer.

use serde_json::json;

use super::bodies::*;
use super::*;

fn bad(body: &[u8]) -> String {
    parse_review(body).unwrap_err().to_string()
}

fn valid() -> Value {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
           "request": {"uid": "u1", "kind": {"group": "image.openshift.io", "version": "v1", "kind": "ImageStreamTag"},
                       "resource": {"group": "image.openshift.io", "version": "v1", "resource": "imagestreamtags"},
                       "name": "simple-app:promote", "namespace": "dev", "operation": "DELETE",
                       "userInfo": {"username": "u"}}})
}

#[test]
fn bodies_that_are_not_an_admission_review_v1_are_refused_naming_the_field() {
    let r = parse_review(&serde_json::to_vec(&valid()).unwrap()).unwrap();
    assert_eq!(
        (r.uid.as_str(), r.operation.as_str(), r.namespace.as_str()),
        ("u1", "DELETE", "dev")
    );
    assert_eq!(r.user.unwrap().groups, Vec::<String>::new());

    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = valid();
        f(&mut v);
        bad(&serde_json::to_vec(&v).unwrap())
    };
    assert!(
        bad(b"not json").contains("not a JSON object"),
        "{}",
        bad(b"not json")
    );
    assert!(
        bad(b"{not json").contains("(line 1, column 2)"),
        "{}",
        bad(b"{not json")
    );
    assert!(bad(b"[]").contains("not a JSON object"));
    let e = with(&|v| v["apiVersion"] = json!("admission.k8s.io/v1beta1"));
    assert!(
        e.contains("`apiVersion` is \"admission.k8s.io/v1beta1\", expected `admission.k8s.io/v1`"),
        "{e}"
    );
    let e = with(&|v| v["kind"] = json!("ConversionReview"));
    assert!(e.contains("`kind` is \"ConversionReview\""), "{e}");
    let e = with(&|v| {
        v.as_object_mut().unwrap().remove("request");
    });
    assert!(e.contains("`request` is missing"), "{e}");
    let e = with(&|v| {
        v["request"].as_object_mut().unwrap().remove("uid");
    });
    assert!(e.contains("missing field `uid`"), "{e}");
    let e = with(&|v| v["request"]["uid"] = json!(""));
    assert!(e.contains("`request.uid` is empty"), "{e}");
    let e = with(&|v| v["request"]["operation"] = json!("PATCH"));
    assert!(e.contains("`request.operation` is \"PATCH\""), "{e}");
    let e = with(&|v| v["request"]["userInfo"]["groups"] = json!("admins"));
    assert!(e.contains("at `request.userInfo.groups`"), "{e}");
    assert!(
        e.starts_with("not an admission.k8s.io/v1 AdmissionReview: "),
        "{e}"
    );
    // Deep nesting is refused by the parser's depth limit, not by a stack overflow.
    let deep = format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","object":{}{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(
        bad(deep.as_bytes()).contains("recursion limit"),
        "{}",
        bad(deep.as_bytes())
    );
}

#[test]
fn modes_decide_what_a_denial_does_and_annotations_always_record_the_rules() {
    let gate = gate();
    let objects = seed("b-automatic-trigger");
    let (new, old) = istag_set(&objects, "promote", isimage(LATEST));
    let r = review("imagestreamtags", "UPDATE", "simple-app:promote", new, old);
    let mut dry = r.clone();
    dry.dry_run = true;
    assert_eq!(
        run(&gate, &objects, &dry),
        run(&gate, &objects, &r),
        "a dry run is judged alike"
    );
    for mode in [Mode::Enforce, Mode::Warn, Mode::Audit] {
        let a = decide(&gate, &objects, &r, mode, NOW);
        let resp = response(&a);
        assert_eq!(a.review["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(a.review["kind"], "AdmissionReview");
        assert_eq!(resp["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(a.decision, Decision::Deny, "{mode}");
        assert_eq!(resp["auditAnnotations"]["decision"], "deny", "{mode}");
        assert_eq!(
            resp["auditAnnotations"]["denied"], "prod-manual-trigger",
            "{mode}"
        );
        assert_eq!(
            resp["auditAnnotations"]["rules-digest"],
            gate.rules_digest()
        );
        assert_eq!(
            (a.resource.as_str(), a.operation.as_str()),
            ("imagestreamtags", "UPDATE")
        );
        let warnings = resp
            .get("warnings")
            .map(ToString::to_string)
            .unwrap_or_default();
        match mode {
            Mode::Enforce => {
                assert_eq!(resp["allowed"], false);
                let m = message(&a);
                assert!(
                    m.starts_with(
                        "tollgate: prod-manual-trigger: prod/dc/simple-app redeploys automatically"
                    ),
                    "{m}"
                );
            }
            Mode::Warn => {
                assert_eq!(resp["allowed"], true);
                assert!(resp.get("status").is_none());
                assert!(
                    warnings.contains("would deny): prod-manual-trigger: "),
                    "{warnings}"
                );
            }
            Mode::Audit => {
                assert_eq!(resp["allowed"], true);
                assert!(
                    resp.get("status").is_none() && warnings.is_empty(),
                    "{}",
                    a.review
                );
            }
        }
    }
    assert_eq!("warn".parse::<Mode>(), Ok(Mode::Warn));
    assert_eq!(Mode::Audit.to_string(), "audit");
    assert!("Enforce"
        .parse::<Mode>()
        .unwrap_err()
        .contains("expected enforce, warn or audit"));

    let a = fail_closed(
        &r,
        Mode::Enforce,
        "sha256:x",
        "tollgate/cache-not-ready",
        "not synced".into(),
    );
    assert_eq!(a.decision, Decision::Error);
    assert_eq!(
        message(&a),
        "tollgate: tollgate/cache-not-ready: not synced"
    );
    let a = fail_closed(
        &r,
        Mode::Audit,
        "sha256:x",
        "tollgate/cache-not-ready",
        "not synced".into(),
    );
    assert!(allowed(&a));
    assert_eq!(response(&a)["auditAnnotations"]["decision"], "error");
}

#[test]
fn messages_and_warnings_are_bounded_on_a_character_boundary() {
    let long = "é".repeat(3000);
    let b = bounded(&long, MAX_MESSAGE_BYTES);
    assert!(
        b.len() <= MAX_MESSAGE_BYTES && b.ends_with('…'),
        "{}",
        b.len()
    );
    assert_eq!(bounded("short", 10), "short");
    let j = answer::Judgement {
        decision: Decision::Deny,
        evaluated: true,
        blocking: (0..40)
            .map(|i| answer::Finding {
                rule: format!("r{i}"),
                message: long.clone(),
            })
            .collect(),
        warnings: vec![],
        outcomes: vec![],
        facts: vec![],
    };
    let r = parse_review(&serde_json::to_vec(&valid()).unwrap()).unwrap();
    let a = answer::render(&r, Mode::Enforce, "d", j.clone());
    assert!(message(&a).len() <= MAX_MESSAGE_BYTES);
    let a = answer::render(&r, Mode::Warn, "d", j);
    let w = response(&a)["warnings"].as_array().unwrap();
    assert_eq!(w.len(), MAX_WARNINGS);
    assert!(w
        .iter()
        .all(|l| l.as_str().unwrap().len() <= MAX_WARNING_BYTES));
}
