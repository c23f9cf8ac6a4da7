//! Release trains against the emulator through the CLI: reads shared across a batch, nothing
//! written when one promotion is denied, `--partial` writing the allowed ones, and a write
//! that fails midway reported as partly done (exit 3) naming what moved and what did not.

use serde_json::Value;
use tollgate_emulator::{Fault, FaultRule};

use crate::common::{tollgate, NOW};
use crate::harness::{json, live, stderr, Live};

const PROMOTE: &str = "- source: dev/simple-app:latest\n  destination: dev/simple-app:promote\n";
/// Allowed with a warning (nothing follows the new tag): denied with `--fail-on warn`.
const OTHER: &str = "- source: dev/simple-app:latest\n  destination: dev/simple-app:other\n";
const THIRD: &str = "- source: dev/simple-app:latest\n  destination: dev/simple-app:third\n";
const CLUSTER_ROLE_BINDINGS: &str = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";

fn batch(l: &Live, command: &str, entries: &[&str], extra: &[&str]) -> (i32, Value, String) {
    let file = l.dir.path().join("train.yaml");
    std::fs::write(&file, entries.concat()).unwrap();
    let out = tollgate()
        .args([command, "--batch"])
        .arg(&file)
        .arg("--kubeconfig")
        .arg(&l.kubeconfig)
        .args(["--time", NOW, "--output", "json"])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code().unwrap(), json(&out), stderr(&out))
}

/// The tag's digest in the emulator's `dev/simple-app` stream, if the tag exists.
fn tag(l: &Live, name: &str) -> Option<String> {
    let is = l.emu.image_stream("dev", "simple-app").unwrap();
    is["status"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["tag"] == name)
        .and_then(|t| t["items"][0]["image"].as_str())
        .map(str::to_string)
}

fn writes(l: &Live) -> Vec<String> {
    l.emu
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("reviews"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_live_batch_is_checked_with_reads_shared_between_its_promotions() {
    let l = live("c-manual-trigger");
    let (code, doc, err) = batch(&l, "check", &[PROMOTE, OTHER, THIRD], &[]);
    assert_eq!(code, 0, "{doc:#}\n{err}");
    assert_eq!(doc["summary"]["allowed"], 3);
    let digests: Vec<&Value> = doc["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["promotion"]["digest"])
        .collect();
    assert!(digests.iter().all(|d| d == &digests[0] && d.is_string()));
    // Three promotions, one list of the cluster's bindings and one who-am-I.
    assert_eq!(l.emu.count("GET", CLUSTER_ROLE_BINDINGS), 1);
    assert_eq!(
        l.emu
            .count("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews"),
        1
    );
    // The source stream is every promotion's source and destination stream: read once.
    assert_eq!(
        l.emu.count(
            "GET",
            "/apis/image.openshift.io/v1/namespaces/dev/imagestreams/simple-app"
        ),
        1
    );
    assert!(writes(&l).is_empty(), "{:?}", writes(&l));
    // Shared reads decide as a check of its own does: same rules, outcomes and messages.
    let (single_code, single) = l.check(&[]);
    assert_eq!(single_code, 0);
    let outcomes = |r: &Value| -> Vec<(Value, Value, Value)> {
        r["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["id"].clone(), v["outcome"].clone(), v["messages"].clone()))
            .collect()
    };
    assert_eq!(outcomes(&doc["promotions"][0]), outcomes(&single));
    assert_eq!(doc["promotions"][0]["promotion"], single["promotion"]);
    assert_eq!(doc["promotions"][0]["warnings"], single["warnings"]);
}

#[test]
fn nothing_is_written_when_one_promotion_of_the_batch_is_denied() {
    let l = live("c-manual-trigger");
    let before = tag(&l, "promote");
    let (code, doc, err) = batch(&l, "promote", &[PROMOTE, OTHER], &["--fail-on", "warn"]);
    assert_eq!(code, 1, "{doc:#}\n{err}");
    assert_eq!(doc["dry_run"], true);
    assert!(doc.get("execution").is_none(), "{doc:#}");
    assert!(writes(&l).is_empty(), "{:?}", writes(&l));
    assert_eq!(tag(&l, "promote"), before);
    assert_eq!(tag(&l, "other"), None);
    let held = &doc["promotions"][0]["actions"][0];
    assert_eq!(held["status"], "skipped");
    assert!(held["detail"].as_str().unwrap().contains("all-or-nothing"));
}

#[test]
fn partial_writes_the_allowed_promotions_and_exits_denied() {
    let l = live("c-manual-trigger");
    let (code, doc, err) = batch(
        &l,
        "promote",
        &[OTHER, PROMOTE],
        &["--fail-on", "warn", "--partial"],
    );
    assert_eq!(code, 1, "{doc:#}\n{err}");
    let digest = doc["promotions"][1]["promotion"]["digest"]
        .as_str()
        .unwrap();
    assert_eq!(tag(&l, "promote").as_deref(), Some(digest));
    assert_eq!(tag(&l, "other"), None, "the denied promotion was written");
    assert_eq!(doc["execution"]["state"], "done");
    assert_eq!(doc["execution"]["written"][0], "dev/simple-app:promote");
    assert_eq!(doc["promotions"][1]["execution"]["state"], "done");
    assert_eq!(doc["promotions"][0]["decision"], "deny");
}

#[test]
fn an_allowed_batch_is_written_in_order_each_tag_pinned_to_its_checked_digest() {
    let l = live("c-manual-trigger");
    let (code, doc, err) = batch(&l, "promote", &[PROMOTE, OTHER], &[]);
    assert_eq!(code, 0, "{doc:#}\n{err}");
    let digest = doc["promotions"][0]["promotion"]["digest"]
        .as_str()
        .unwrap();
    assert_eq!(tag(&l, "promote").as_deref(), Some(digest));
    assert_eq!(tag(&l, "other").as_deref(), Some(digest));
    assert_eq!(doc["execution"]["state"], "done");
    assert_eq!(doc["summary"]["written"], 2);
}

#[test]
fn a_write_that_fails_midway_is_reported_partly_done_naming_what_moved() {
    let l = live("c-manual-trigger");
    l.emu.inject(FaultRule::new(
        "PUT",
        "/apis/image.openshift.io/v1/namespaces/dev/imagestreamtags/simple-app:other",
        Fault::Status(500),
    ));
    let (code, doc, err) = batch(&l, "promote", &[PROMOTE, OTHER, THIRD], &[]);
    assert_eq!(code, 3, "{doc:#}\n{err}");
    let x = &doc["execution"];
    assert_eq!(x["state"], "partial", "{doc:#}");
    assert_eq!(x["written"], serde_json::json!(["dev/simple-app:promote"]));
    assert_eq!(
        x["not_written"],
        serde_json::json!(["dev/simple-app:other", "dev/simple-app:third"])
    );
    assert!(
        x["why"].as_str().unwrap().contains("dev/simple-app:other"),
        "{x}"
    );
    assert!(tag(&l, "promote").is_some());
    assert_eq!(tag(&l, "other"), None);
    assert_eq!(
        tag(&l, "third"),
        None,
        "the batch went on after a failed write"
    );
    // The third promotion says it was not run, and why.
    let held = &doc["promotions"][2]["actions"][0];
    assert_eq!(held["status"], "skipped");
    assert!(
        held["detail"]
            .as_str()
            .unwrap()
            .contains("stopped at promotion 2"),
        "{held}"
    );
    assert_ne!(doc["decision"], "error");
}

/// The pipeline example (dev → stage → prod, two apps) in the emulator, and a batch whose
/// promotions share namespaces, streams and rollouts: each promotion's facts — targets,
/// `image.seen`, bindings, warnings, everything — are those a gather of it alone gives.
#[test]
fn each_promotion_of_a_batch_has_the_facts_of_a_check_of_its_own() {
    let l = live("c-manual-trigger");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pipeline");
    for dir in ["simple-api", "3-soaked"] {
        let report = l.emu.seed_dir(root.join(dir)).unwrap();
        assert!(report.skipped.is_empty(), "{report:?}");
    }
    let train = "\
- {source: dev/simple-app:latest, destination: dev/simple-app:promote}
- {source: dev/simple-api:latest, destination: dev/simple-api:promote}
- {source: dev/simple-app:latest, destination: dev/simple-app:other}
- {source: dev/simple-api:latest, destination: stage/simple-api:live}
- {source: dev/simple-app:latest, destination: dev/simple-app:hotfix, targets: [prod/dc/simple-app]}
";
    for concurrency in [1, 8] {
        let pairs = crate::crate_api::batch_and_single_facts(
            &l.kubeconfig,
            train,
            &root.join("tollgate.yaml"),
            concurrency,
        );
        assert_eq!(pairs.len(), 5);
        for (i, (batch, single)) in pairs.iter().enumerate() {
            assert_eq!(batch, single, "promotion {i}, concurrency {concurrency}");
        }
        // The case is not empty: histories of several namespaces, with entries.
        let seen = &pairs[1].0["image"]["seen"];
        assert!(
            !seen["stage"]["runs"].as_array().unwrap().is_empty(),
            "{seen:#}"
        );
        assert!(
            !seen["dev"]["tags"].as_array().unwrap().is_empty(),
            "{seen:#}"
        );
        assert_eq!(pairs[4].0["targets"][0]["name"], "simple-app");
    }
}
