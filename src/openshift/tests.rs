//! The types against real (and source-derived) fixtures, 3.x and 4.x forms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;

fn docs(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text).unwrap()
}

fn one<T: DeserializeOwned>(text: &str) -> T {
    let v = docs(text).remove(0);
    serde_json::from_value(v).unwrap()
}

fn items(text: &str) -> Vec<Value> {
    docs(text)
        .remove(0)
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap()
}

#[test]
fn imagestream_3x_with_unquoted_timestamps() {
    let s: ImageStream = one(include_str!("testdata/imagestream.docs-3x.yaml"));
    assert_eq!(s.metadata.name, "origin-ruby-sample");
    assert_eq!(s.metadata.ns(), "test");
    assert!(s.spec.tags.is_empty());
    let latest = s.latest_event("latest").unwrap();
    assert_eq!(latest.created.as_deref(), Some("2017-09-02T10:15:09Z"));
    assert!(latest.image.starts_with("sha256:909de62d"));
    assert_eq!(s.status_tag("latest").unwrap().items.len(), 2);
    assert!(s.metadata.extra.contains_key("uid"));
}

#[test]
fn imagestream_4x_list_and_after_oc_tag() {
    let list = items(include_str!("testdata/imagestream-list.4x-crc.yaml"));
    let s: ImageStream = serde_json::from_value(list[0].clone()).unwrap();
    assert_eq!(
        s.status.docker_image_repository.as_deref(),
        Some("image-registry.openshift-image-registry.svc:5000/my-kafka-project/openshift-kie-springboot")
    );
    let s: ImageStream =
        serde_json::from_str(include_str!("testdata/synth.imagestream.after-oc-tag.json")).unwrap();
    let promote = s.spec_tag("promote").unwrap();
    assert!(
        promote.annotations().is_empty(),
        "annotations: null reads as empty"
    );
    assert_eq!(promote.from.as_ref().unwrap().kind, "ImageStreamImage");
    assert!(!promote.is_tracking());
    assert_eq!(promote.reference_policy.as_ref().unwrap().kind, "Source");
    assert!(s
        .find_event(&s.latest_event("latest").unwrap().image)
        .is_some());
    // a PUT must not drop what we do not model
    let back = serde_json::to_value(&s).unwrap();
    assert_eq!(back["spec"]["lookupPolicy"]["local"], false);
    assert_eq!(
        back["spec"]["tags"][0]["importPolicy"]["importMode"],
        "Legacy"
    );
}

#[test]
fn imagestreamtag_carries_image_metadata() {
    let t: ImageStreamTag = serde_json::from_str(include_str!(
        "testdata/synth.imagestreamtag.GET-response.json"
    ))
    .unwrap();
    assert!(t.tag.is_none(), "tag: null for a pushed tag");
    let md = t.image.docker_image_metadata.as_ref().unwrap();
    assert_eq!(md.created.as_deref(), Some("2024-01-02T09:59:00Z"));
    assert_eq!(md.architecture.as_deref(), Some("amd64"));
    assert_eq!(md.size, Some(123456789));
    let labels = &md.config.as_ref().unwrap().labels;
    assert_eq!(labels["io.openshift.build.commit.ref"], "main");
    assert_eq!(
        t.image.metadata.annotations["openshift.io/image.managed"],
        "true"
    );
}

#[test]
fn image_4x_oci_and_s2i_mapping_labels() {
    let i: Image = serde_json::from_str(include_str!("testdata/image.4x-oci-tekton.json")).unwrap();
    assert!(i.metadata.name.starts_with("sha256:210578ab"));
    assert_eq!(
        i.metadata.annotations["io.openshift.build.commit.id"],
        "16ef25d531ce169f5ae36990ef7b050920d2a395"
    );
    assert_eq!(i.docker_image_metadata.unwrap().size, Some(316923595));
    // 3.x-era S2I labels, unquoted `build-date: 2015-12-23` and `Created`
    let m = docs(include_str!("testdata/imagestreammapping.docs-s2i.yaml")).remove(0);
    let i: Image = serde_json::from_value(m["image"].clone()).unwrap();
    let md = i.docker_image_metadata.unwrap();
    assert_eq!(md.created.as_deref(), Some("2016-01-29T13:40:00Z"));
    let labels = md.config.unwrap().labels;
    assert_eq!(labels["build-date"], "2015-12-23");
    assert_eq!(
        labels["io.openshift.build.commit.id"],
        "00cadc392d39d5ef9117cbc8a31db0889eedd442"
    );
}

#[test]
fn deploymentconfigs_3x_and_4x() {
    let dc: DeploymentConfig = one(include_str!("testdata/deploymentconfig.mysql-3x.yaml"));
    assert_eq!(dc.spec.triggers.len(), 2);
    let p = dc.spec.triggers[1].image_change_params.as_ref().unwrap();
    assert!(p.is_automatic());
    assert_eq!(p.container_names, ["mysql"]);
    assert_eq!(p.from.namespace_or("x"), "dbinit");
    let st = dc.status.as_ref().unwrap();
    assert_eq!(st.latest_version, Some(1));
    assert_eq!(
        dc.condition("Progressing").unwrap().reason.as_deref(),
        Some("NewReplicationControllerAvailable")
    );
    assert_eq!(dc.spec.template.spec.service_account(), "default");

    let dc: DeploymentConfig = one(include_str!(
        "testdata/deploymentconfig.wildfly-4x-after-rollout-latest.yaml"
    ));
    assert_eq!(dc.status.as_ref().unwrap().latest_version, Some(10));
    assert!(dc.spec.template.spec.containers[0]
        .image
        .as_deref()
        .unwrap()
        .contains("@sha256:"));

    // an input manifest: no namespace, no image, `from` without namespace
    let dc: DeploymentConfig = one(include_str!(
        "testdata/deploymentconfig.origin-deployment-trigger.input.yaml"
    ));
    let p = dc.spec.triggers[0].image_change_params.as_ref().unwrap();
    assert_eq!(p.from.namespace_or("prod"), "prod");
    assert_eq!(dc.spec.template.spec.containers[0].image, None);
}

#[test]
fn automatic_absent_means_false() {
    let dc: DeploymentConfig = one(
        "kind: DeploymentConfig\nmetadata: {name: x, namespace: prod}\nspec:\n  triggers:\n  - type: ImageChange\n    imageChangeParams:\n      containerNames: [x]\n      from: {name: 'x:promote'}\n",
    );
    let p = dc.spec.triggers[0].image_change_params.as_ref().unwrap();
    assert_eq!(p.automatic, None);
    assert!(!p.is_automatic());
    assert_eq!(p.from_kind(), "ImageStreamTag");
}

#[test]
fn deployment_with_trigger_annotation() {
    let d: Deployment = one(include_str!(
        "testdata/synth.deployment.image-trigger-annotation.yaml"
    ));
    assert_eq!(d.spec.paused, Some(false));
    let t = d.image_triggers().unwrap();
    assert!(t.rejected.is_none());
    assert_eq!(
        t.entries[0].from.as_ref().unwrap().name,
        "simple-app:promote"
    );
    assert!(t.entries[0].fires());
}

#[test]
fn rolebindings_and_cluster_roles() {
    let bs: Vec<RoleBinding> = docs(include_str!("testdata/synth.rolebindings.oc-policy.yaml"))
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    assert_eq!(bs.len(), 4);
    assert_eq!(bs[0].role_ref.name, "view");
    assert_eq!(bs[1].subjects[0].kind, "Group");
    assert_eq!(bs[2].subjects[0].namespace.as_deref(), Some("prod"));

    let roles: Vec<ClusterRole> = items(include_str!(
        "testdata/clusterroles.image-and-apps.subset.yaml"
    ))
    .into_iter()
    .map(|v| serde_json::from_value(v).unwrap())
    .collect();
    let pulls = |n: &str| {
        roles
            .iter()
            .find(|r| r.metadata.name == n)
            .unwrap()
            .allows_pull("simple-app")
    };
    assert!(pulls("system:image-puller"));
    assert!(pulls("registry-viewer"));
    assert!(!pulls("system:openshift:aggregate-to-view"));
}

#[test]
fn replication_controller_phase() {
    let rc: ReplicationController = one(
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: simple-app-3\n  namespace: prod\n  annotations:\n    openshift.io/deployment.phase: Running\n",
    );
    assert_eq!(rc.phase(), Some("Running"));
}
