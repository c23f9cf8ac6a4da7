//! Time in the facts: RFC 3339 in UTC with a `Z`, whole seconds, and hour differences.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// `2024-03-05T12:00:00Z`.
pub fn format_utc(t: OffsetDateTime) -> Result<String, time::error::Format> {
    t.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
}

pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// A timestamp as the facts show it: normalised to UTC when it parses, else as written
/// (a reader can still see it; `age_hours` will be unknown).
pub fn normalize(s: &str) -> String {
    parse(s)
        .and_then(|t| format_utc(t).ok())
        .unwrap_or_else(|| s.to_string())
}

/// Hours from `earlier` to `later` (negative if `earlier` is in the future).
pub fn hours_between(earlier: &str, later: OffsetDateTime) -> Option<f64> {
    parse(earlier).map(|e| (later - e).as_seconds_f64() / 3600.0)
}
