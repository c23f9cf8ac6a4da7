//! Watches as kube's `watcher` uses them: list then watch, bookmarks, break and 410 recovery, RBAC.

use futures::StreamExt;
use kube::runtime::watcher::{watcher, Config, Event};

use super::*;

const DCS: &str = "/apis/apps.openshift.io/v1/deploymentconfigs";

fn dc_api(client: kube::Client) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("apps.openshift.io", "v1", "DeploymentConfig");
    Api::all_with(
        client,
        &ApiResource::from_gvk_with_plural(&gvk, "deploymentconfigs"),
    )
}

fn describe(e: &Result<Event<DynamicObject>, kube::runtime::watcher::Error>) -> String {
    let name = |o: &DynamicObject| o.metadata.name.clone().unwrap_or_default();
    match e {
        Ok(Event::Init) => "Init".into(),
        Ok(Event::InitApply(o)) => format!("InitApply({})", name(o)),
        Ok(Event::InitDone) => "InitDone".into(),
        Ok(Event::Apply(o)) => format!("Apply({})", name(o)),
        Ok(Event::Delete(o)) => format!("Delete({})", name(o)),
        Err(e) => format!("Err({e})"),
    }
}

/// Runs kube's watcher on DeploymentConfigs in the background (so it re-watches on its own, as
/// a cache does); its events arrive described, in order.
fn spawn_watcher(emu: &Emulator) -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut events = watcher(dc_api(emu.client()), Config::default()).boxed();
    tokio::spawn(async move {
        while let Some(e) = events.next().await {
            if tx.send(describe(&e)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Reads events until one is described as `want`; returns every description seen on the way.
async fn until(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>, want: &str) -> Vec<String> {
    let mut seen = Vec::new();
    // A generous bound so a missing event fails the test instead of hanging it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !seen.iter().any(|s| s == want) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => seen.push(e),
            Ok(None) => panic!("watch stream ended; saw {seen:?}"),
            Err(_) => panic!("no {want} event; saw {seen:?}"),
        }
    }
    seen
}

fn label(dc: &mut Value, value: &str) {
    dc["metadata"]["labels"] = json!({ "touched": value });
}

#[tokio::test]
async fn the_watcher_lists_then_follows_changes_and_deletes() {
    let emu = seeded().await;
    let mut events = spawn_watcher(&emu);
    let init = until(&mut events, "InitDone").await;
    assert_eq!(
        init,
        [
            "Init",
            "InitApply(manual-app)",
            "InitApply(simple-app)",
            "InitDone"
        ]
    );
    emu.modify(res::DEPLOYMENTCONFIGS, "prod", "manual-app", |dc| {
        label(dc, "one")
    });
    let seen = until(&mut events, "Apply(manual-app)").await;
    assert!(
        !seen.iter().any(|s| s.starts_with("Init")),
        "no re-list: {seen:?}"
    );
    call(&emu.client(), "DELETE", &format!("{DC}/manual-app"), None)
        .await
        .unwrap();
    until(&mut events, "Delete(manual-app)").await;
    // The watch request carried the list's resourceVersion and asked for bookmarks.
    let watches: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path == DCS && r.query.contains("watch=true"))
        .collect();
    assert!(!watches.is_empty());
    assert!(
        watches[0].query.contains("allowWatchBookmarks=true")
            && watches[0].query.contains("resourceVersion="),
        "{:?}",
        watches[0].query
    );
}

#[tokio::test]
async fn after_a_broken_watch_the_watcher_resumes_without_relisting() {
    let emu = seeded().await;
    let mut events = spawn_watcher(&emu);
    until(&mut events, "InitDone").await;
    let watches = || {
        emu.requests()
            .iter()
            .filter(|r| r.path == DCS && r.query.contains("watch=true"))
            .count()
    };
    assert!(wait_until(Duration::from_secs(10), || watches() == 1).await);
    emu.break_watches();
    assert!(
        wait_until(Duration::from_secs(10), || watches() >= 2).await,
        "the watcher watched again"
    );
    emu.modify(res::DEPLOYMENTCONFIGS, "prod", "simple-app", |dc| {
        label(dc, "while-broken")
    });
    let seen = until(&mut events, "Apply(simple-app)").await;
    assert!(
        !seen.iter().any(|s| s.starts_with("Init")),
        "no re-list: {seen:?}"
    );
}

#[tokio::test]
async fn an_expired_history_makes_the_watcher_relist() {
    let emu = seeded().await;
    let mut events = spawn_watcher(&emu);
    until(&mut events, "InitDone").await;
    emu.expire_watch_history();
    emu.break_watches();
    let seen = until(&mut events, "InitDone").await;
    assert!(
        seen.iter()
            .any(|s| s.contains("410") || s.contains("too old")),
        "the re-watch got 410 Expired: {seen:?}"
    );
    assert_eq!(seen.iter().filter(|s| *s == "Init").count(), 1, "{seen:?}");
    emu.modify(res::DEPLOYMENTCONFIGS, "prod", "manual-app", |dc| {
        label(dc, "after-relist")
    });
    until(&mut events, "Apply(manual-app)").await;
}

/// One raw watch request that ends by itself (`timeoutSeconds`): its JSON lines.
async fn raw_watch(client: &kube::Client, query: &str) -> (u16, Vec<Value>) {
    let req = http::Request::get(format!("{DCS}?watch=true&{query}"))
        .body(kube::client::Body::empty())
        .unwrap();
    let res = client.send(req).await.unwrap();
    let code = res.status().as_u16();
    let bytes = res.into_body().collect_bytes().await.unwrap();
    let lines = String::from_utf8_lossy(&bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (code, lines)
}

#[tokio::test]
async fn a_watch_replays_history_ends_with_a_bookmark_and_answers_410_when_too_old() {
    let emu = seeded().await;
    let client = emu.client();
    let list = call(&client, "GET", DCS, None).await.unwrap();
    let rv: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    emu.modify(res::DEPLOYMENTCONFIGS, "prod", "manual-app", |dc| {
        label(dc, "x")
    });
    let (code, lines) = raw_watch(
        &client,
        &format!("resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=1"),
    )
    .await;
    assert_eq!(code, 200);
    let first = &lines[0];
    assert_eq!(first["type"], "MODIFIED");
    assert_eq!(first["object"]["kind"], "DeploymentConfig");
    assert_eq!(first["object"]["metadata"]["labels"]["touched"], "x");
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "BOOKMARK", "{lines:?}");
    let now = emu.resource_version();
    assert_eq!(last["object"]["metadata"]["resourceVersion"], now.as_str());
    assert_eq!(last["object"]["kind"], "DeploymentConfig");

    emu.expire_watch_history();
    let (code, lines) = raw_watch(&client, &format!("resourceVersion={rv}&timeoutSeconds=1")).await;
    assert_eq!(code, 200);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["type"], "ERROR");
    assert_eq!(lines[0]["object"]["code"], 410);
    assert_eq!(lines[0]["object"]["reason"], "Expired");
    // A fresh list's resourceVersion is watchable again; without one, the current objects
    // come first as ADDED.
    let (_, lines) = raw_watch(&client, "timeoutSeconds=1").await;
    let added: Vec<_> = lines
        .iter()
        .filter(|l| l["type"] == "ADDED")
        .map(|l| l["object"]["metadata"]["name"].clone())
        .collect();
    assert_eq!(added, [json!("manual-app"), json!("simple-app")]);
}

#[tokio::test]
async fn watching_needs_the_watch_verb() {
    let emu = Emulator::builder()
        .identity("lister", UserInfo::service_account("ci", "lister"))
        .start()
        .await;
    emu.seed_yaml(DEV_PROD).unwrap();
    emu.seed_yaml(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: dc-lister }
rules:
- apiGroups: [apps.openshift.io]
  resources: [deploymentconfigs]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: dc-lister }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: dc-lister }
subjects:
- { kind: ServiceAccount, name: lister, namespace: ci }
"#,
    )
    .unwrap();
    emu.set_enforce_rbac(true);
    let client = emu.client_as("lister");
    call(&client, "GET", DCS, None).await.unwrap();
    let (code, body) = send(&client, "GET", &format!("{DCS}?watch=true"), None).await;
    assert_eq!(code, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot watch resource \"deploymentconfigs\""),
        "{body}"
    );
}
