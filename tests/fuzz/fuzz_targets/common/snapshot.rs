//! Feeds one snapshot file's text through the loader's own per-file path
//! (`gather::snapshot::load_text`) and, when accepted, checks the objects and the facts built
//! from them.

use time::macros::datetime;
use tollgate::config::Settings;
use tollgate::gather::snapshot::{load_text, Sink};
use tollgate::gather::{build_facts, ClusterObjects, PromotionRequest};
use tollgate::openshift::ObjectMeta;
use tollgate::refs::{parse_destination, parse_source};

use super::facts;

/// `file` names the input; its extension makes it JSON or YAML, as for `--snapshot`.
pub fn check(data: &[u8], file: &str) {
    // The loader reads files as UTF-8 text and refuses anything else before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sink = Sink::default();
    if load_text(text, file, &mut sink).is_err() {
        return;
    }
    let objects = sink.objects();
    let metas = metas(objects);
    for (namespaced, m) in &metas {
        assert!(!m.name.is_empty(), "accepted an object without a name");
        if *namespaced {
            assert!(
                m.namespace.as_deref().is_some_and(|n| !n.is_empty()),
                "accepted a namespaced object `{}` without a namespace",
                m.name
            );
        }
    }
    // The same file exported twice holds the same objects: accepted, nothing added.
    let count = metas.len();
    if let Err(e) = load_text(text, file, &mut sink) {
        panic!("a file accepted once is refused the second time: {e}");
    }
    assert_eq!(
        metas_len(sink.objects()),
        count,
        "a file read twice added objects"
    );
    // The objects → facts builder must not panic on whatever the loader accepted, and facts
    // it builds must be ones `--facts` would accept back.
    let (Ok(source), Ok(destination)) = (
        parse_source("dev/simple-app:latest", None),
        parse_destination("dev/simple-app:promote", None),
    ) else {
        panic!("the fixed promotion does not parse");
    };
    let request = PromotionRequest {
        source,
        destination,
        targets: vec![],
        reason: None,
        requested_by: None,
        requested_by_groups: None,
        via: tollgate::facts::VIA_CLI,
        alias: false,
        time: datetime!(2024-03-06 12:00 UTC),
    };
    if let Ok(built) = build_facts(sink.objects(), &request, &Settings::default()) {
        facts::check_accepted(&built);
    }
}

fn metas_len(o: &ClusterObjects) -> usize {
    metas(o).len()
}

/// Every object's metadata, with whether its kind lives in a namespace.
fn metas(o: &ClusterObjects) -> Vec<(bool, &ObjectMeta)> {
    let mut out: Vec<(bool, &ObjectMeta)> = vec![];
    out.extend(o.streams.iter().map(|x| (true, &x.metadata)));
    out.extend(o.istags.iter().map(|x| (true, &x.metadata)));
    out.extend(o.isimages.iter().map(|x| (true, &x.metadata)));
    out.extend(o.images.iter().map(|x| (false, &x.metadata)));
    out.extend(o.dcs.iter().map(|x| (true, &x.metadata)));
    out.extend(o.deployments.iter().map(|x| (true, &x.metadata)));
    out.extend(o.rcs.iter().map(|x| (true, &x.metadata)));
    out.extend(o.rolebindings.iter().map(|x| (true, &x.metadata)));
    out.extend(o.clusterrolebindings.iter().map(|x| (false, &x.metadata)));
    out.extend(o.clusterroles.iter().map(|x| (false, &x.metadata)));
    out.extend(o.roles.iter().map(|x| (true, &x.metadata)));
    out
}
