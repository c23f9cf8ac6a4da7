//! SCENARIO.md end to end: `tollgate promote` through the CLI against the in-process OpenShift
//! API emulator, one step of the story after another, asserting what was (not) written.

use crate::common::rules_with;
use crate::harness::{json, live, stderr, Live};
use serde_json::Value;
use tollgate_emulator::{res, Fault, FaultRule, DEFAULT_TOKEN};

const BUILD_3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
const INSTANTIATE: &str =
    "/apis/apps.openshift.io/v1/namespaces/prod/deploymentconfigs/simple-app/instantiate";

/// Step 2 of the story: the two RoleBindings `oc policy` creates in dev.
const BINDINGS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: view, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: prod-user1}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "system:image-puller", namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:image-puller"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:serviceaccounts:prod"}]
"#;

/// Requests that change something (reviews are POSTs that change nothing).
fn writes(l: &Live) -> Vec<String> {
    l.emu
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("reviews"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn promote(l: &Live, extra: &[&str]) -> (i32, Value) {
    l.emu.reset_accounting();
    let mut args = vec!["--output", "json", "--wait", "--timeout", "60s"];
    args.extend_from_slice(extra);
    let out = l.run("promote", &args);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains(DEFAULT_TOKEN), "the token leaked:\n{all}");
    (out.status.code().unwrap(), json(&out))
}

fn prod_images(l: &Live) -> Vec<String> {
    let dc = l.emu.deployment_config("prod", "simple-app").unwrap();
    dc["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["image"].as_str().unwrap().to_string())
        .collect()
}

fn latest_version(l: &Live) -> i64 {
    let dc = l.emu.deployment_config("prod", "simple-app").unwrap();
    dc["status"]["latestVersion"].as_i64().unwrap()
}

fn set_automatic(l: &Live, on: bool) {
    l.emu
        .modify(res::DEPLOYMENTCONFIGS, "prod", "simple-app", |dc| {
            for t in dc["spec"]["triggers"].as_array_mut().unwrap() {
                if t["type"] == "ImageChange" {
                    let p = t["imageChangeParams"].as_object_mut().unwrap();
                    // `automatic: false` is omitted on save, as the real API server does.
                    if on {
                        p.insert("automatic".into(), Value::Bool(true));
                    } else {
                        p.remove("automatic");
                    }
                }
            }
        });
}

#[test]
fn the_dev_to_prod_story() {
    let l = live("a-no-pull-rights");
    let config = l.dir.path().join("warn-only.yaml");
    std::fs::write(&config, "rules:\n  prod-manual-trigger:\n    level: warn\n").unwrap();

    // 1. prod's service accounts cannot pull from dev: denied before anything moves.
    let (code, r) = promote(&l, &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(rules_with(&r, "deny"), ["target-can-pull"]);
    assert_eq!(writes(&l), Vec::<String>::new());

    // 2. The bindings of `oc policy add-role-to-…` are added; `oc new-app` made the trigger
    //    automatic: the default pack refuses a production that redeploys by itself.
    l.emu.seed_yaml(BINDINGS).unwrap();
    set_automatic(&l, true);
    let (code, r) = promote(&l, &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(rules_with(&r, "deny"), ["prod-manual-trigger"]);
    assert_eq!(writes(&l), Vec::<String>::new());

    // 3. With that rule only warning, the retag alone rolls prod out: no instantiate is sent.
    let before = latest_version(&l);
    let (code, r) = promote(&l, &["--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{r:#}\n{:#?}", writes(&l));
    let digest = r["promotion"]["digest"].as_str().unwrap().to_string();
    assert_eq!(r["execution"]["state"], "done", "{r:#}");
    let w = writes(&l);
    assert!(
        w.iter()
            .any(|x| x.contains("imagestreamtags/simple-app:promote")),
        "{w:?}"
    );
    assert!(!w.iter().any(|x| x.ends_with("/instantiate")), "{w:?}");
    assert_eq!(l.emu.count("POST", INSTANTIATE), 0);
    assert!(latest_version(&l) > before);
    assert!(
        prod_images(&l).iter().all(|i| i.ends_with(&digest)),
        "{:?}",
        prod_images(&l)
    );

    // 4. A new build lands on `latest`; prod's trigger is made manual. Now the gate retags
    //    and instantiates, waits for the rollout, and prod runs the new digest.
    l.emu.push_image(
        "dev",
        "simple-app",
        "latest",
        BUILD_3,
        serde_json::json!({"io.openshift.build.commit.id": "3333333333333333333333333333333333333333"}),
    );
    set_automatic(&l, false);
    assert!(!prod_images(&l).iter().any(|i| i.ends_with(BUILD_3)));
    let (code, r) = promote(&l, &[]);
    assert_eq!(
        code,
        0,
        "{r:#}\n{}",
        serde_json::to_string_pretty(&writes(&l)).unwrap()
    );
    assert_eq!(r["promotion"]["digest"], BUILD_3);
    assert_eq!(r["execution"]["state"], "done", "{r:#}");
    assert_eq!(l.emu.count("POST", INSTANTIATE), 1, "{:?}", writes(&l));
    let kinds: Vec<(String, String)> = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().into(),
                a["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("retag".into(), "done".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("rollout".into(), "done".into())),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("wait".into(), "done".into())), "{kinds:?}");
    assert!(
        prod_images(&l).iter().all(|i| i.ends_with(BUILD_3)),
        "{:?}",
        prod_images(&l)
    );
    let tag = l.emu.image_stream("dev", "simple-app").unwrap();
    let spec = tag["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "promote")
        .unwrap()
        .clone();
    assert_eq!(spec["from"]["kind"], "ImageStreamImage");
    assert_eq!(spec["annotations"]["tollgate.io/digest"], BUILD_3);
    assert_eq!(spec["annotations"]["tollgate.io/decision"], "allow");
    assert!(spec["annotations"]["tollgate.io/rules-digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    // 5. Promoting the same digest again is a no-op that says so.
    let (code, r) = promote(&l, &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["promotion"]["noop"], true);
    assert_eq!(writes(&l), Vec::<String>::new());
    assert_eq!(r["actions"][0]["status"], "skipped");
}

#[test]
fn a_live_dry_run_writes_nothing() {
    let l = live("c-manual-trigger");
    let (code, r) = promote(&l, &["--dry-run"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["dry_run"], true);
    assert!(r.get("execution").is_none(), "{r:#}");
    assert_eq!(writes(&l), Vec::<String>::new());
}

#[test]
fn a_failed_rollout_after_the_retag_exits_3_with_the_restore_command() {
    let l = live("c-manual-trigger");
    l.emu
        .inject(FaultRule::new("POST", INSTANTIATE, Fault::Status(500)).times(1));
    let (code, r) = promote(&l, &[]);
    assert_eq!(code, 3, "{r:#}");
    assert_eq!(r["execution"]["state"], "partial", "{r:#}");
    let restore = r["execution"]["restore_command"].as_str().unwrap();
    assert!(
        restore.starts_with("oc tag dev/simple-app@sha256:"),
        "{restore}"
    );
    // Run again: it converges — no second retag, only the rollout that was missing.
    let (code, r) = promote(&l, &[]);
    assert_eq!(code, 0, "{r:#}");
    let w = writes(&l);
    assert!(!w.iter().any(|x| x.contains("imagestreamtags")), "{w:?}");
    assert_eq!(l.emu.count("POST", INSTANTIATE), 1, "{w:?}");
}
