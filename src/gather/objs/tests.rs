use super::*;

fn stream(ns: &str, name: &str, note: &str) -> ImageStream {
    let mut s = ImageStream::default();
    s.metadata.name = name.into();
    s.metadata.namespace = Some(ns.into());
    // Which read it came from: tells a kept object from a hidden one of the same name.
    s.metadata.resource_version = Some(note.into());
    s
}

fn seen(o: &Objs<ImageStream>) -> Vec<String> {
    o.iter()
        .map(|s| {
            format!(
                "{}/{}@{}",
                s.metadata.ns(),
                s.metadata.name,
                s.metadata.resource_version.as_deref().unwrap_or("")
            )
        })
        .collect()
}

/// The list a gatherer built before parts were shared: every object copied into one `Vec`,
/// a new one kept only when no object of its namespace and name is there yet.
fn model_push_new(v: &mut Vec<ImageStream>, items: &[ImageStream]) {
    for s in items {
        let key = (s.metadata.ns(), s.metadata.name.as_str());
        if !v
            .iter()
            .any(|o| (o.metadata.ns(), o.metadata.name.as_str()) == key)
        {
            v.push(s.clone());
        }
    }
}

#[test]
fn a_shared_list_is_walked_after_the_own_objects_without_what_they_already_hold() {
    let mut o: Objs<ImageStream> = Objs::default();
    o.push(stream("dev", "b", "get"));
    let list = Shared::new(vec![
        stream("dev", "a", "list"),
        stream("dev", "b", "list"),
        stream("dev", "c", "list"),
        stream("dev", "a", "list-again"),
    ]);
    o.push_shared_new(Arc::clone(&list));
    o.push(stream("prod", "z", "later"));
    assert_eq!(
        seen(&o),
        ["dev/b@get", "dev/a@list", "dev/c@list", "prod/z@later"]
    );
    assert_eq!(o.len(), 4);
    // Nothing was copied: the list is the one shared.
    assert_eq!(Arc::strong_count(&list), 2);
    // Slice access sees the same objects, in the same order.
    let names: Vec<&str> = o
        .as_slice()
        .iter()
        .map(|s| s.metadata.name.as_str())
        .collect();
    assert_eq!(names, ["b", "a", "c", "z"]);
}

#[test]
fn a_list_of_another_namespace_hides_nothing_and_push_new_skips_what_is_there() {
    let mut o: Objs<ImageStream> = Objs::default();
    o.push_shared_new(Shared::new(vec![stream("dev", "a", "1")]));
    o.push_shared_new(Shared::new(vec![stream("prod", "a", "2")]));
    o.push_shared_new(Shared::new(vec![
        stream("dev", "a", "3"),
        stream("dev", "b", "3"),
    ]));
    o.push_new(stream("prod", "a", "4"));
    o.push_new(stream("prod", "b", "4"));
    assert_eq!(seen(&o), ["dev/a@1", "prod/a@2", "dev/b@3", "prod/b@4"]);
    assert!(o.contains("dev", "b") && !o.contains("stage", "a"));
    // A list with nothing new adds no part.
    o.push_shared_new(Shared::new(vec![stream("dev", "a", "5")]));
    assert_eq!(o.len(), 4);
}

#[test]
fn mutating_folds_the_shared_parts_into_a_copy_and_leaves_the_list_alone() {
    let list = Shared::new(vec![stream("dev", "a", "list"), stream("dev", "b", "list")]);
    let mut o: Objs<ImageStream> = Objs::default();
    o.push_shared(Arc::clone(&list));
    let copy = o.clone();
    o.retain(|s| s.metadata.name != "a");
    o.push(stream("dev", "c", "own"));
    assert_eq!(seen(&o), ["dev/b@list", "dev/c@own"]);
    assert_eq!(seen(&copy), ["dev/a@list", "dev/b@list"]);
    assert_eq!(list.items().len(), 2);
}

#[test]
fn landing_reads_in_any_order_gives_what_copying_into_one_vec_gave() {
    // A small deterministic generator: the same cases on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for case in 0..300 {
        let mut o: Objs<ImageStream> = Objs::default();
        let mut model: Vec<ImageStream> = Vec::new();
        for step in 0..next(6) + 1 {
            let note = format!("{case}.{step}");
            let mut items = Vec::new();
            for _ in 0..next(5) {
                let ns = ["dev", "prod", "stage"][next(3) as usize];
                let name = ["a", "b", "c", "d"][next(4) as usize];
                items.push(stream(ns, name, &note));
            }
            match next(3) {
                0 => {
                    for s in &items {
                        o.push_new(s.clone());
                    }
                }
                1 => o.push_shared_new(Shared::new(items.clone())),
                _ => {
                    // Plain pushes keep everything, as `Vec::extend` did.
                    o.extend(items.clone());
                    model.extend(items);
                    continue;
                }
            }
            model_push_new(&mut model, &items);
        }
        let want: Vec<String> = seen(&Objs::from(model));
        assert_eq!(seen(&o), want, "case {case}");
        assert_eq!(o.len(), want.len(), "case {case}");
    }
}

fn with_history(ns: &str, name: &str, note: &str, images: &[&str]) -> ImageStream {
    let mut s = stream(ns, name, note);
    let items: Vec<serde_json::Value> = images
        .iter()
        .map(|i| serde_json::json!({"image": i, "dockerImageReference": "", "generation": 1}))
        .collect();
    s.status = serde_json::from_value(serde_json::json!({"tags": [{"tag": "t", "items": items}]}))
        .unwrap();
    s
}

#[test]
fn naming_a_digest_gives_what_a_filtered_walk_gives_in_the_same_order() {
    let mut o: Objs<ImageStream> = Objs::default();
    o.push(with_history("dev", "b", "get", &["d1"]));
    o.push_shared_new(Shared::new(vec![
        with_history("dev", "a", "list", &["d1", "d2", "d1"]),
        with_history("dev", "b", "list", &["d1"]),
        with_history("dev", "c", "list", &["d3"]),
        with_history("dev", "e", "list", &["d2"]),
    ]));
    o.push(with_history("prod", "z", "later", &["d2"]));
    o.push_shared_new(Shared::new(vec![with_history(
        "stage",
        "y",
        "list",
        &["d1"],
    )]));
    for digest in ["d1", "d2", "d3", "d4"] {
        let walked: Vec<String> = o
            .iter()
            .filter(|s| s.digests().contains(&digest))
            .map(|s| format!("{}/{}", s.metadata.ns(), s.metadata.name))
            .collect();
        let named: Vec<String> = o
            .naming(digest)
            .map(|s| format!("{}/{}", s.metadata.ns(), s.metadata.name))
            .collect();
        assert_eq!(named, walked, "{digest}");
    }
    let d1: Vec<String> = o.naming("d1").map(|s| s.metadata.name.clone()).collect();
    assert_eq!(
        d1,
        ["b", "a", "y"],
        "the stream read by name is kept, its list copy hidden"
    );
}
