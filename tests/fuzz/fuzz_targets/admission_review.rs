//! Fuzzes what `tollgate serve` does with a request body: parse it as an AdmissionReview and,
//! when it is one, decide it against the seed's objects with the shipped pack. No panic; the
//! answer always carries the request's uid and says allowed or not.
#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use tollgate::admission::{decide, parse_review, Mode};
use tollgate::gate::Gate;
use tollgate::gather::snapshot::{load_with, LoadLimits};
use tollgate::gather::{ClusterObjects, Provenance};

fn world() -> &'static (Gate, Arc<ClusterObjects>) {
    static WORLD: OnceLock<(Gate, Arc<ClusterObjects>)> = OnceLock::new();
    WORLD.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let gate = Gate::load(&[root.join("policies")], None).expect("the shipped pack loads");
        let mut objects = load_with(
            &[root.join("examples/seed/b-automatic-trigger")],
            &LoadLimits::default(),
        )
        .expect("the seed loads");
        objects.provenance = Provenance::Cluster;
        (gate, Arc::new(objects))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(review) = parse_review(data) else {
        return;
    };
    let (gate, objects) = world();
    // 2024-03-06T12:00:00Z, the seed's "now".
    let now = time::OffsetDateTime::from_unix_timestamp(1_709_726_400).expect("a valid time");
    let answer = decide(gate, objects, &review, Mode::Enforce, now);
    let response = &answer.review["response"];
    assert_eq!(response["uid"], review.uid.as_str());
    assert!(response["allowed"].is_boolean(), "{response}");
});
