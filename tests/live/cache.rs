//! The admission cache against the emulator's watches: facts from the cache equal facts from a
//! snapshot of the same state, changes made through the API reach the cache, a broken or
//! expired watch keeps serving, and a kind the service account may not list keeps it unready.

use std::time::Duration;

use serde_json::json;
use time::macros::datetime;
use tollgate::cache::{watch_options, Cache};
use tollgate::cluster::{connect, ConnectOptions};
use tollgate::config::Settings;
use tollgate::facts::Facts;
use tollgate::gate::{gather, FactsSource, Promotion};
use tollgate::gather::snapshot::LoadLimits;
use tollgate::refs::{parse_destination, parse_source};
use tollgate_emulator::{res, Emulator, UserInfo};

use crate::common::{DEST, SOURCE};
use crate::harness::seed_dir;

/// A cache watching an emulator seeded with an example state.
struct Watching {
    // Field order is drop order: the watches stop, then the emulator, then the runtime.
    cache: Cache,
    emu: Emulator,
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

/// A token whose identity may list and watch everything the cache needs but image streams.
const NO_STREAMS_TOKEN: &str = "sha256~no-imagestreams";

/// `prepare` runs on the seeded emulator before the cache starts.
fn watching(state: &str, token: Option<&str>, prepare: impl FnOnce(&Emulator)) -> Watching {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(
        Emulator::builder()
            .identity(
                NO_STREAMS_TOKEN,
                UserInfo::service_account("tollgate", "cache"),
            )
            .start(),
    );
    let report = emu.seed_dir(seed_dir(state)).unwrap();
    assert!(report.skipped.is_empty(), "{state}: {report:?}");
    prepare(&emu);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = match token {
        Some(t) => emu.kubeconfig_for(dir.path(), t, "dev"),
        None => emu.kubeconfig(dir.path()),
    };
    // As `tollgate serve` builds it: the command's options without the request deadline.
    let opts = watch_options(&ConnectOptions {
        kubeconfig: Some(kubeconfig),
        ..ConnectOptions::default()
    });
    let cache = rt.block_on(async {
        let conn = connect(&opts).await.unwrap();
        Cache::start(conn.client)
    });
    Watching {
        cache,
        emu,
        _dir: dir,
        rt,
    }
}

/// Polls until `ok` holds. A generous bound on waiting, not a timing assertion: the cache
/// follows within milliseconds; the bound only turns a hang into a failure.
fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..6000 {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}: still not so after 60 s of polling");
}

fn promotion() -> Promotion {
    Promotion::cli(
        parse_source(SOURCE, None).unwrap(),
        parse_destination(DEST, None).unwrap(),
        vec![],
        None,
        Some(datetime!(2024-03-06 12:00 UTC)),
    )
}

fn facts(source: &FactsSource) -> Facts {
    gather(source, &promotion(), &Settings::default()).unwrap()
}

/// What may differ between the two sources: how discovery describes itself.
fn comparable(mut f: Facts) -> serde_json::Value {
    f.discovery = String::new();
    serde_json::to_value(f).unwrap()
}

#[test]
fn facts_from_the_cache_equal_facts_from_a_snapshot_of_the_same_state() {
    for state in [
        "a-no-pull-rights",
        "b-automatic-trigger",
        "c-manual-trigger",
        "d-tracking-alias",
    ] {
        let w = watching(state, None, |_| {});
        eventually(&format!("{state}: the cache is ready"), || w.cache.ready());
        let from_cache = facts(&FactsSource::Objects(w.cache.objects()));
        let from_snapshot = facts(&FactsSource::Snapshot(
            vec![seed_dir(state)],
            LoadLimits::default(),
        ));
        assert_eq!(
            comparable(from_cache),
            comparable(from_snapshot),
            "{state}: facts from the cache differ from the snapshot's"
        );
        let status = w.cache.status();
        assert!(
            status
                .0
                .iter()
                .all(|k| k.last_error.is_none() && k.invalid == 0),
            "{status:?}"
        );
        assert!(w
            .cache
            .counts()
            .iter()
            .any(|(k, n)| *k == "ImageStream" && *n > 0));
    }
}

#[test]
fn where_the_digest_ran_reads_the_same_from_the_cache_as_from_a_snapshot() {
    // Rollouts in stage (ReplicationControllers with their images and phases): image.seen and
    // the promotion-path rules read them; the cache keeps just what they need.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pipeline = root.join("examples/pipeline");
    let text = std::fs::read_to_string(pipeline.join("tollgate.yaml")).unwrap();
    let settings = Settings::parse(&text, "tollgate.yaml").unwrap();
    for state in ["2-soaking", "4-failed-in-stage"] {
        let stage = pipeline.join(state);
        let w = watching("c-manual-trigger", None, |emu| {
            let report = emu.seed_dir(&stage).unwrap();
            assert!(report.skipped.is_empty(), "{report:?}");
        });
        eventually(&format!("{state}: the cache is ready"), || w.cache.ready());
        let from_cache = gather(
            &FactsSource::Objects(w.cache.objects()),
            &promotion(),
            &settings,
        )
        .unwrap();
        let from_snapshot = gather(
            &FactsSource::Snapshot(
                vec![seed_dir("c-manual-trigger"), stage.clone()],
                LoadLimits::default(),
            ),
            &promotion(),
            &settings,
        )
        .unwrap();
        // Where the example has objects, the two agree; where a snapshot has none (no
        // rollouts exported for dev, no stream for prod) it says unknown, and the synced
        // cache — which listed everything — says none.
        let seen = |f: &Facts| serde_json::to_value(&f.image.seen["stage"]).unwrap();
        let stage = seen(&from_snapshot);
        assert!(
            stage["runs"].as_array().is_some_and(|r| !r.is_empty()),
            "{state}: the example shows rollouts in stage: {stage}"
        );
        assert_eq!(seen(&from_cache), stage, "{state}");
        assert_eq!(from_cache.targets, from_snapshot.targets, "{state}");
        assert_eq!(from_cache.promotion, from_snapshot.promotion, "{state}");
        let cache_seen = serde_json::to_value(&from_cache.image.seen).unwrap();
        assert_eq!(cache_seen["dev"]["runs"], json!([]), "{cache_seen}");
    }
}

pub(crate) fn trigger_automatic(cache: &Cache) -> Option<bool> {
    let o = cache.objects();
    let dc = o.dc("prod", "simple-app")?;
    dc.spec
        .triggers
        .iter()
        .find_map(|t| t.image_change_params.as_ref())
        .map(|p| p.is_automatic())
}

/// Another client edits the image trigger of `prod/simple-app`.
pub(crate) fn set_automatic(emu: &Emulator, automatic: bool) {
    emu.modify(res::DEPLOYMENTCONFIGS, "prod", "simple-app", |dc| {
        for t in dc["spec"]["triggers"].as_array_mut().unwrap() {
            if t["type"] == "ImageChange" {
                t["imageChangeParams"]["automatic"] = json!(automatic);
            }
        }
    });
}

#[test]
fn changes_through_the_api_reach_the_cache_and_a_broken_watch_keeps_serving() {
    let w = watching("b-automatic-trigger", None, |_| {});
    eventually("the cache is ready", || w.cache.ready());
    assert_eq!(trigger_automatic(&w.cache), Some(true));

    // Another client sets the trigger to manual.
    set_automatic(&w.emu, false);
    eventually("the manual trigger is seen", || {
        trigger_automatic(&w.cache) == Some(false)
    });

    // The API server restarts: every watch ends; the cache keeps answering, then follows on.
    w.emu.break_watches();
    assert!(w.cache.ready());
    assert_eq!(trigger_automatic(&w.cache), Some(false));
    set_automatic(&w.emu, true);
    eventually("the trigger set back to automatic is seen", || {
        assert!(
            w.cache.ready(),
            "a broken watch never makes the cache unready"
        );
        trigger_automatic(&w.cache) == Some(true)
    });

    // The history is gone (410 Expired): the cache re-lists, and sees a binding deleted
    // meanwhile, without ever answering from a half-filled store.
    let bindings = w.cache.objects().rolebindings.len();
    assert!(bindings > 0);
    let binding = w.cache.objects().rolebindings[0].metadata.clone();
    let lists = || {
        w.emu
            .requests()
            .iter()
            .filter(|r| {
                r.path == "/apis/rbac.authorization.k8s.io/v1/rolebindings"
                    && !r.query.contains("watch=")
            })
            .count()
    };
    let listed = lists();
    w.emu.expire_watch_history();
    w.emu.break_watches();
    let (ns, name) = (binding.ns().to_string(), binding.name.clone());
    w.rt.block_on(async {
        let client = w.emu.client();
        let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
            client,
            &ns,
            &kube::api::ApiResource {
                group: "rbac.authorization.k8s.io".into(),
                version: "v1".into(),
                api_version: "rbac.authorization.k8s.io/v1".into(),
                kind: "RoleBinding".into(),
                plural: "rolebindings".into(),
            },
        );
        api.delete(&name, &Default::default()).await.unwrap();
    });
    eventually("the deleted RoleBinding is gone from the cache", || {
        let o = w.cache.objects();
        assert!(w.cache.ready());
        assert!(
            o.rolebindings.len() >= bindings - 1,
            "never a half-filled store"
        );
        o.rolebindings.len() == bindings - 1
    });
    assert!(lists() > listed, "the RoleBindings were listed again");
    assert!(!w
        .cache
        .objects()
        .rolebindings
        .iter()
        .any(|b| b.metadata.ns() == ns && b.metadata.name == name));
}

#[test]
fn a_kind_the_service_account_may_not_list_keeps_the_cache_unready_and_says_why() {
    // Everything the cache watches but image streams, granted cluster-wide.
    let rules: Vec<_> = tollgate::cache::WATCHED
        .iter()
        .filter(|k| k.resource != "imagestreams")
        .map(|k| json!({"apiGroups": [k.group], "resources": [k.resource], "verbs": ["list", "watch"]}))
        .collect();
    let grant = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "cache-but-streams"}, "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "cache-but-streams"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cache-but-streams"},
         "subjects": [{"kind": "ServiceAccount", "namespace": "tollgate", "name": "cache"}]},
    ]});
    let w = watching("c-manual-trigger", Some(NO_STREAMS_TOKEN), |emu| {
        emu.seed_yaml(&grant.to_string()).unwrap();
        emu.set_enforce_rbac(true);
    });
    eventually("the refused list is reported", || {
        let status = w.cache.status();
        let others_synced = status
            .0
            .iter()
            .filter(|k| k.resource != "imagestreams")
            .all(|k| k.synced);
        others_synced
            && status
                .0
                .iter()
                .any(|k| k.resource == "imagestreams" && k.last_error.is_some())
    });
    assert!(!w.cache.ready());
    let message = w.cache.status().not_ready_message().unwrap();
    assert_eq!(
        message,
        "the cache has not synced: imagestreams (list refused (403 Forbidden): the service \
         account needs `list` and `watch` on imagestreams.image.openshift.io)"
    );
}
