//! Checks a facts file read back with `--facts` makes sense before any rule sees it.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Facts;
use crate::refs::validate_digest;

/// `Err` (naming the field) when a digest is malformed, when `promotion.digest` and
/// `image.digest` differ (the rules would check one image and the gate move another), or when
/// `promotion.time` is not an RFC 3339 time. `tollgate facts` never writes such a file; a
/// hand-edited or crafted one is refused rather than evaluated.
pub fn validate(facts: &Facts) -> Result<(), String> {
    let digest = |field: &str, d: &str| validate_digest(d).map_err(|e| format!("`{field}`: {e}"));
    digest("promotion.digest", &facts.promotion.digest)?;
    digest("image.digest", &facts.image.digest)?;
    if facts.promotion.digest != facts.image.digest {
        return Err(format!(
            "`promotion.digest` ({}) and `image.digest` ({}) differ: the facts would describe another image than the one promoted",
            facts.promotion.digest, facts.image.digest
        ));
    }
    for (i, h) in facts.image.source_history.iter().enumerate() {
        digest(&format!("image.source_history[{i}].digest"), &h.digest)?;
    }
    if let Some(d) = &facts.destination.digest {
        digest("destination.digest", d)?;
    }
    for (i, h) in facts.destination.history.iter().enumerate() {
        digest(&format!("destination.history[{i}].digest"), &h.digest)?;
    }
    if let Some((_, d)) = facts.promotion.source.reference.split_once('@') {
        digest("promotion.source.ref", d)?;
    }
    let t = &facts.promotion.time;
    OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
        let shown: String = t.chars().take(80).collect();
        format!("`promotion.time`: {shown:?} is not an RFC 3339 time ({e})")
    })?;
    Ok(())
}
