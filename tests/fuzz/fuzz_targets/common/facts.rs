//! What every facts document the gate accepts must satisfy, and that it survives a
//! record → replay round trip unchanged (anything a rule sees can be recorded and replayed).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tollgate::facts::{Facts, FACTS_SCHEMA};
use tollgate::refs::is_digest;

/// Panics (a finding) when accepted facts break an invariant.
pub fn check_accepted(facts: &Facts) {
    assert_eq!(facts.schema, FACTS_SCHEMA);
    let digest = |field: &str, d: &str| {
        assert!(
            is_digest(d),
            "accepted facts with a malformed {field}: {d:?}"
        );
    };
    digest("promotion.digest", &facts.promotion.digest);
    digest("image.digest", &facts.image.digest);
    assert_eq!(
        facts.promotion.digest, facts.image.digest,
        "accepted facts describe another image than the one promoted"
    );
    for h in &facts.image.source_history {
        digest("image.source_history[].digest", &h.digest);
    }
    if let Some(d) = &facts.destination.digest {
        digest("destination.digest", d);
    }
    for h in &facts.destination.history {
        digest("destination.history[].digest", &h.digest);
    }
    assert!(
        OffsetDateTime::parse(&facts.promotion.time, &Rfc3339).is_ok(),
        "accepted facts with promotion.time {:?}",
        facts.promotion.time
    );
    // Record (what `tollgate facts` writes) and replay (what `--facts` reads): the same facts.
    let recorded = match serde_json::to_string_pretty(facts) {
        Ok(text) => text,
        Err(e) => panic!("accepted facts cannot be written: {e}"),
    };
    match tollgate::gate::parse_facts_document(&recorded) {
        Ok(replayed) => assert_eq!(&replayed, facts, "facts changed on replay"),
        Err(e) => panic!("recorded facts are refused on replay: {e}\n{recorded}"),
    }
}
