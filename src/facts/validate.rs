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
    let time = |field: &str, t: &str| {
        OffsetDateTime::parse(t, &Rfc3339).map(|_| ()).map_err(|e| {
            let shown: String = t.chars().take(80).collect();
            format!("`{field}`: {shown:?} is not an RFC 3339 time ({e})")
        })
    };
    time("promotion.time", &facts.promotion.time)?;
    // Rules do arithmetic on where the image has been (soak time): a time there that is not
    // one would make them fail on a replay of a crafted file, not on the cluster's facts.
    for (env, seen) in &facts.image.seen {
        for (i, t) in seen.tags.iter().flatten().enumerate() {
            for (key, v) in [("since", &t.since), ("until", &t.until)] {
                if let Some(v) = v {
                    time(&format!("image.seen.{env}.tags[{i}].{key}"), v)?;
                }
            }
        }
        for (i, r) in seen.runs.iter().flatten().enumerate() {
            for (key, v) in [("since", &r.since), ("until", &r.until)] {
                if let Some(v) = v {
                    time(&format!("image.seen.{env}.runs[{i}].{key}"), v)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::facts::sample_facts;

    #[test]
    fn a_time_in_image_seen_that_is_not_one_is_named() {
        let mut f = sample_facts();
        assert_eq!(validate(&f), Ok(()));
        let tags = f.image.seen.get_mut("dev").unwrap().tags.as_mut().unwrap();
        tags[0].until = Some("next week".into());
        let e = validate(&f).unwrap_err();
        assert!(
            e.starts_with("`image.seen.dev.tags[0].until`: \"next week\" is not an RFC 3339 time"),
            "{e}"
        );
    }
}
