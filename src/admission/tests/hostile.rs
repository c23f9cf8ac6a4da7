//! Hostile requests: every field of real request bodies replaced by each JSON type in turn
//! either fails to parse with a message or gets an answer with the request's uid — never a
//! panic.

use serde_json::json;

use super::bodies::*;
use super::*;

/// JSON pointers of every value under `v`, `v` itself included.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = k.replace('~', "~0").replace('/', "~1");
                pointers(x, format!("{at}/{key}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn body(resource: &str, op: &str, name: &str, object: Value, old: Value) -> Value {
    let r = review(resource, op, name, object.clone(), old.clone());
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
           "request": {"uid": r.uid, "resource": {"group": r.group, "version": "v1", "resource": r.resource},
                       "name": r.name, "namespace": r.namespace, "operation": r.operation,
                       "userInfo": {"username": "u", "groups": ["g"]},
                       "object": object, "oldObject": old}})
}

#[test]
fn any_field_of_any_type_gets_a_400_or_an_answer_never_a_panic() {
    let gate = gate();
    let objects = seed("b-automatic-trigger");
    let (new, old) = istag_set(&objects, "promote", isimage(LATEST));
    let mut moved = stream(&objects);
    moved["spec"]["tags"][0]["from"] = isimage(LATEST);
    let bodies = [
        body("imagestreamtags", "UPDATE", "simple-app:promote", new, old),
        body(
            "imagestreams",
            "UPDATE",
            "simple-app",
            moved,
            stream(&objects),
        ),
        body(
            "imagestreammappings",
            "CREATE",
            "simple-app",
            mapping("promote", NEW),
            Value::Null,
        ),
        body(
            "imagestreamimports",
            "CREATE",
            "simple-app",
            import(
                json!([{"from": {"kind": "DockerImage", "name": format!("q.io/a@{NEW}")}, "to": {"name": "promote"}}]),
            ),
            Value::Null,
        ),
    ];
    let mut answered = 0;
    for original in bodies {
        // The control: unharmed, each of these moves the followed tag and is denied.
        let r = parse_review(&serde_json::to_vec(&original).unwrap()).unwrap();
        assert!(!allowed(&run(&gate, &objects, &r)), "{}", r.resource);
        let mut paths = Vec::new();
        pointers(&original, String::new(), &mut paths);
        for path in paths.iter().filter(|p| !p.contains("/dockerImageLayers/")) {
            for replacement in [json!(null), json!(-1), json!("x"), json!([]), json!({})] {
                let mut v = original.clone();
                match v.pointer_mut(path) {
                    Some(slot) => *slot = replacement,
                    None => v = replacement,
                }
                let Ok(r) = parse_review(&serde_json::to_vec(&v).unwrap()) else {
                    continue;
                };
                let a = run(&gate, &objects, &r);
                assert_eq!(response(&a)["uid"], json!(r.uid));
                answered += 1;
            }
        }
    }
    assert!(answered > 100, "{answered}");
}
