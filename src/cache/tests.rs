//! The store logic, fed watch events by hand: readiness, atomic re-lists, slimming, and what
//! an object that cannot be decoded turns into.

use std::sync::Arc;

use kube::api::DynamicObject;
use kube::runtime::watcher::{self, Event};
use serde_json::{json, Value};

use super::*;
use crate::gather::Provenance;

fn kind(k: &str) -> usize {
    WATCHED.iter().position(|w| w.kind == k).unwrap()
}

fn obj(v: Value) -> DynamicObject {
    serde_json::from_value(v).unwrap()
}

fn send(cache: &Cache, k: &str, event: Event<DynamicObject>) {
    let i = kind(k);
    cache.apply(i, Change::decode(&WATCHED[i], event));
}

fn stream(ns: &str, name: &str) -> DynamicObject {
    obj(json!({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"tags": [{"name": "latest", "from": {"kind": "DockerImage", "name": "x"}}]},
    }))
}

/// Every kind listed once, empty except for the streams given.
fn synced(streams: &[DynamicObject]) -> Cache {
    let cache = Cache::detached();
    for w in WATCHED {
        send(&cache, w.kind, Event::Init);
        if w.kind == "ImageStream" {
            for s in streams {
                send(&cache, w.kind, Event::InitApply(s.clone()));
            }
        }
        send(&cache, w.kind, Event::InitDone);
    }
    cache
}

fn stream_names(cache: &Cache) -> Vec<String> {
    cache
        .objects()
        .streams
        .iter()
        .map(|s| format!("{}/{}", s.metadata.ns(), s.metadata.name))
        .collect()
}

#[test]
fn not_ready_until_every_kind_has_listed_once_and_then_never_again_unready() {
    let cache = Cache::detached();
    assert!(!cache.ready());
    for w in &WATCHED[..WATCHED.len() - 1] {
        send(&cache, w.kind, Event::Init);
        send(&cache, w.kind, Event::InitDone);
    }
    assert!(!cache.ready(), "one kind has not listed");
    let message = cache.status().not_ready_message().unwrap();
    assert_eq!(message, "the cache has not synced: clusterroles");

    let last = WATCHED[WATCHED.len() - 1].kind;
    send(&cache, last, Event::Init);
    send(&cache, last, Event::InitDone);
    assert!(cache.ready());
    assert_eq!(cache.status().not_ready_message(), None);

    // A broken watch re-lists: still ready, while the re-list is in progress too.
    cache.apply(kind("ImageStream"), Change::Init);
    cache
        .shared
        .stores()
        .failed(kind("ImageStream"), "watch failed: EOF".into());
    assert!(cache.ready());
    let s = &cache.status().0[kind("ImageStream")];
    assert_eq!(s.last_error.as_deref(), Some("watch failed: EOF"));
}

#[test]
fn the_not_ready_message_names_each_pending_kind_with_its_last_error() {
    let cache = Cache::detached();
    cache.shared.stores().failed(
        kind("ImageStream"),
        "list refused (403 Forbidden): the service account needs `list` and `watch` on \
         imagestreams.image.openshift.io"
            .into(),
    );
    let message = cache.status().not_ready_message().unwrap();
    assert!(
        message.starts_with(
            "the cache has not synced: imagestreams (list refused (403 Forbidden): the service \
             account needs `list` and `watch` on imagestreams.image.openshift.io), images, "
        ),
        "{message}"
    );
}

#[test]
fn a_relist_keeps_serving_the_old_store_until_it_completes_then_replaces_it_whole() {
    let cache = synced(&[stream("dev", "a"), stream("dev", "b")]);
    assert_eq!(stream_names(&cache), ["dev/a", "dev/b"]);

    send(&cache, "ImageStream", Event::Init);
    send(&cache, "ImageStream", Event::InitApply(stream("dev", "c")));
    // Half a re-list answers nothing: the last good store does.
    assert_eq!(stream_names(&cache), ["dev/a", "dev/b"]);
    assert!(cache.objects().warnings.is_empty());

    send(&cache, "ImageStream", Event::InitApply(stream("dev", "a")));
    send(&cache, "ImageStream", Event::InitDone);
    // `b` was deleted while the watch was down: gone, without a Delete event.
    assert_eq!(stream_names(&cache), ["dev/a", "dev/c"]);
}

#[test]
fn apply_and_delete_change_the_view_and_an_unchanged_cache_shares_one_view() {
    let cache = synced(&[stream("prod", "b"), stream("dev", "a")]);
    let first = cache.objects();
    assert!(
        Arc::ptr_eq(&first, &cache.objects()),
        "no change, no rebuild"
    );
    assert_eq!(first.origin, ORIGIN);
    assert_eq!(first.provenance, Provenance::Cluster);
    assert!(first.unreadable.is_empty() && first.unsearched.is_empty());
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);

    send(&cache, "ImageStream", Event::Apply(stream("dev", "z")));
    send(&cache, "ImageStream", Event::Delete(stream("prod", "b")));
    let second = cache.objects();
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(stream_names(&cache), ["dev/a", "dev/z"]);
    // The first view is untouched: a decision in flight keeps a consistent picture.
    assert_eq!(first.streams.len(), 2);
    assert_eq!(first.streams[1].metadata.name, "b");
    assert_eq!(cache.counts()[kind("ImageStream")], ("ImageStream", 2));
}

#[test]
fn what_the_facts_never_read_is_dropped_before_storing() {
    let cache = synced(&[]);
    send(
        &cache,
        "Image",
        Event::Apply(obj(json!({
            "apiVersion": "image.openshift.io/v1", "kind": "Image",
            "metadata": {"name": "sha256:aa", "managedFields": [{"manager": "x"}],
                         "uid": "u", "annotations": {"a": "1"}},
            "dockerImageLayers": [{"name": "sha256:l", "size": 1}],
            "dockerImageManifest": "{…}",
            "dockerImageMetadata": {"Created": "2024-03-05T10:00:00Z",
                "Config": {"Labels": {"l": "v"}, "Env": ["A=b"]}, "ContainerConfig": {}},
            "signatures": [{"metadata": {"name": "sig"}, "type": "atomic", "content": "AAAA"}],
        }))),
    );
    send(
        &cache,
        "DeploymentConfig",
        Event::Apply(obj(json!({
            "apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig",
            "metadata": {"name": "app", "namespace": "prod", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{…}", "keep": "me"}},
            "spec": {"replicas": 1, "strategy": {"type": "Rolling"},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": {
                    "volumes": [], "containers": [{"name": "c", "image": "i", "env": []}]}},
                "triggers": [{"type": "ImageChange", "imageChangeParams": {
                    "automatic": true, "containerNames": ["c"],
                    "from": {"kind": "ImageStreamTag", "name": "s:t", "uid": "x"}}}]},
        }))),
    );
    let o = cache.objects();
    let image = serde_json::to_value(&o.images[0]).unwrap();
    assert_eq!(
        image,
        json!({
            "metadata": {"name": "sha256:aa", "annotations": {"a": "1"}},
            "dockerImageReference": null,
            "dockerImageMetadata": {"Created": "2024-03-05T10:00:00Z",
                "Config": {"Labels": {"l": "v"}}, "Architecture": null, "Os": null, "Size": null},
            "signatures": [{"metadata": {"name": "sig"}, "type": "atomic", "issuedBy": null,
                "issuedTo": null, "created": null}],
        })
    );
    let dc = serde_json::to_value(&o.dcs[0]).unwrap();
    assert_eq!(
        dc,
        json!({
            "metadata": {"name": "app", "namespace": "prod", "annotations": {"keep": "me"}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}},
                "triggers": [{"type": "ImageChange", "imageChangeParams": {
                    "automatic": true, "containerNames": ["c"],
                    "from": {"kind": "ImageStreamTag", "name": "s:t"}}}]},
        })
    );
}

#[test]
fn an_object_that_cannot_be_decoded_is_said_unknown_never_silently_absent() {
    let cache = synced(&[]);
    // No `roleRef`; a trigger without `from`.
    send(
        &cache,
        "RoleBinding",
        Event::Apply(obj(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "pullers", "namespace": "dev"}, "subjects": [],
        }))),
    );
    send(
        &cache,
        "DeploymentConfig",
        Event::Apply(obj(json!({
            "apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig",
            "metadata": {"name": "app", "namespace": "prod"},
            "spec": {"triggers": [{"type": "ImageChange", "imageChangeParams": {}}]},
        }))),
    );
    let o = cache.objects();
    assert!(o.rolebindings.is_empty() && o.dcs.is_empty());
    assert_eq!(
        o.unreadable.iter().collect::<Vec<_>>(),
        ["rolebindings in dev"]
    );
    assert_eq!(o.unsearched, ["deploymentconfigs prod/app (unreadable)"]);
    assert!(
        o.warnings
            .iter()
            .any(|w| w.contains("DeploymentConfig prod/app")
                && w.contains("spec.triggers[0].imageChangeParams")),
        "{:?}",
        o.warnings
    );
    let status = &cache.status().0[kind("RoleBinding")];
    assert_eq!((status.objects, status.invalid), (1, 1));

    // Fixed by the next update: readable again.
    send(
        &cache,
        "RoleBinding",
        Event::Apply(obj(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "pullers", "namespace": "dev"},
            "roleRef": {"kind": "ClusterRole", "name": "system:image-puller"}, "subjects": [],
        }))),
    );
    let o = cache.objects();
    assert!(o.unreadable.is_empty());
    assert_eq!(o.rolebindings.len(), 1);
}

#[test]
fn kinds_not_synced_yet_make_the_facts_unknown_rather_than_empty() {
    let cache = Cache::detached();
    send(&cache, "ImageStream", Event::Init);
    send(&cache, "ImageStream", Event::InitApply(stream("dev", "a")));
    send(&cache, "ImageStream", Event::InitDone);
    let o = cache.objects();
    assert!(o.unreadable.contains("clusterrolebindings"));
    assert!(o.unreadable.contains("rolebindings in dev"));
    assert!(o
        .unsearched
        .contains(&"deploymentconfigs (the cache has not synced)".to_string()));
    assert!(o
        .warnings
        .contains(&"the cache has not synced rolebindings yet".to_string()));
}

#[test]
fn a_refused_list_names_the_right_the_service_account_needs() {
    let status =
        kube::core::Status::failure("imagestreams is forbidden", "Forbidden").with_code(403);
    let e = watcher::Error::InitialListFailed(kube::Error::Api(Box::new(status)));
    assert_eq!(
        watch::describe(&WATCHED[kind("ImageStream")], &e),
        "list refused (403 Forbidden): the service account needs `list` and `watch` on \
         imagestreams.image.openshift.io"
    );
    let e = watcher::Error::WatchFailed(kube::Error::Api(Box::new(
        kube::core::Status::failure("boom", "InternalError").with_code(500),
    )));
    assert_eq!(
        watch::describe(&WATCHED[kind("ReplicationController")], &e),
        "watch stream failed: 500 InternalError: boom"
    );
}

#[test]
fn watch_options_drop_only_the_request_deadline() {
    let opts = ConnectOptions {
        context: Some("c".into()),
        ..ConnectOptions::default()
    };
    let w = watch_options(&opts);
    assert_eq!(w.request_timeout, None);
    assert_eq!(w.context.as_deref(), Some("c"));
}

/// The two copies behind the views must agree after any interleaving of changes, readers
/// holding views, deferred and forced publications.
#[test]
fn both_copies_stay_in_step_whatever_readers_hold() {
    use std::collections::BTreeMap;
    let mut stores = Stores::default();
    let i = kind("ImageStream");
    let w = &WATCHED[i];
    let tagged = |name: &str, step: usize| {
        let mut s = stream("dev", name);
        s.data["spec"]["tags"][0]["name"] = json!(format!("t{step}"));
        s
    };
    let mut model: BTreeMap<String, String> = BTreeMap::new();
    let mut held = Vec::new();
    let mut seed: u64 = 7;
    for step in 0..300 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let name = format!("s{}", (seed >> 33) % 13);
        if (seed >> 20) % 4 == 0 {
            stores.apply(i, Change::decode(w, Event::Delete(stream("dev", &name))));
            model.remove(&name);
        } else {
            stores.apply(i, Change::decode(w, Event::Apply(tagged(&name, step))));
            model.insert(name, format!("t{step}"));
        }
        match (seed >> 40) % 5 {
            0 => held.push(stores.read()),
            1 => held.clear(),
            _ => {}
        }
        let published = stores.publish((seed >> 45) % 7 == 0);
        assert!(published || !held.is_empty(), "only a held view defers");
    }
    held.clear();
    let seen = |stores: &Stores| -> BTreeMap<String, String> {
        stores
            .read()
            .streams
            .iter()
            .map(|s| (s.metadata.name.clone(), s.spec.tags[0].name.clone()))
            .collect()
    };
    assert!(stores.publish(false));
    assert!(!stores.has_pending());
    assert_eq!(seen(&stores), model);
    // One more change brings the other copy forward: it must agree too.
    stores.apply(i, Change::decode(w, Event::Apply(tagged("s0", 999))));
    model.insert("s0".into(), "t999".into());
    assert!(stores.publish(false));
    assert_eq!(seen(&stores), model);
}

#[test]
fn the_end_of_a_list_that_never_started_changes_nothing() {
    let cache = synced(&[stream("dev", "a")]);
    send(&cache, "ImageStream", Event::InitDone);
    assert_eq!(stream_names(&cache), ["dev/a"]);
    let fresh = Cache::detached();
    send(&fresh, "ImageStream", Event::InitDone);
    assert!(!fresh.status().0[kind("ImageStream")].synced);
}

#[test]
fn ready_only_once_a_view_with_every_kind_is_published() {
    let cache = Cache::detached();
    let shared = &cache.shared;
    let held = cache.objects();
    // One publication makes the held view the spare one.
    shared.apply(kind("Role"), Change::Init);
    shared.apply(kind("Role"), Change::InitDone);
    assert!(shared.publish(false));
    for (i, w) in WATCHED.iter().enumerate() {
        shared.apply(i, Change::Init);
        if w.kind == "ImageStream" {
            shared.apply(i, Change::decode(w, Event::InitApply(stream("dev", "a"))));
        }
        shared.apply(i, Change::InitDone);
    }
    assert!(cache.status().ready(), "every kind has listed");
    assert!(!shared.publish(false), "a reader holds the spare view");
    assert!(
        !cache.ready(),
        "not ready while the view lacks what was listed"
    );
    assert!(cache.objects().streams.is_empty());
    drop(held);
    assert!(shared.publish(false));
    assert!(cache.ready());
    assert_eq!(stream_names(&cache), ["dev/a"]);
}
