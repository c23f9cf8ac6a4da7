//! `in_window(time, window)`: whether a time falls in a freeze window — fixed (`start`/`end`,
//! RFC 3339) or weekly in a time zone (`weekly_start: "Fri 16:00"`, `weekly_end`,
//! `time_zone`) — with jiff and its compiled-in time-zone database, so rules stay short scripts.
//!
//! Documented for rule authors in `policies/README.md`; keep the two in step.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use rhai::{Dynamic, Engine, EvalAltResult, Map};

/// Keys a window map may have; anything else is a typo and an error (fail closed).
const KEYS: [&str; 7] = [
    "start",
    "end",
    "weekly_start",
    "weekly_end",
    "time_zone",
    "reason",
    "name",
];

/// A window that holds a time: what a rule needs to name it in a denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub name: String,
    pub reason: Option<String>,
    pub starts: Timestamp,
    pub ends: Timestamp,
}

/// Registers `in_window` on the policy engine.
pub(crate) fn register(engine: &mut Engine) {
    engine.register_fn(
        "in_window",
        |time: Dynamic, window: Dynamic| -> Result<Dynamic, Box<EvalAltResult>> {
            let time = time.into_immutable_string().map_err(|t| {
                format!("in_window: the time must be an RFC 3339 string, got {t}")
            })?;
            let map = window
                .try_cast::<Map>()
                .ok_or("in_window: the window must be a map such as #{start: \"2024-12-20T00:00:00Z\", end: \"2025-01-06T00:00:00Z\"}")?;
            let window = parse_window(&map).map_err(|m| format!("in_window: {m}"))?;
            let at = parse_timestamp(&time, "the time").map_err(|m| format!("in_window: {m}"))?;
            Ok(match window.holding(at).map_err(|m| format!("in_window: {m}"))? {
                None => Dynamic::UNIT,
                Some(hit) => {
                    let mut m = Map::new();
                    m.insert("name".into(), hit.name.into());
                    m.insert(
                        "reason".into(),
                        hit.reason.map_or(Dynamic::UNIT, Dynamic::from),
                    );
                    m.insert("starts".into(), hit.starts.to_string().into());
                    m.insert("ends".into(), hit.ends.to_string().into());
                    Dynamic::from_map(m)
                }
            })
        },
    );
}

/// A validated window.
#[derive(Debug, Clone)]
pub enum Window {
    Fixed {
        start: Timestamp,
        end: Timestamp,
        name: Option<String>,
        reason: Option<String>,
    },
    Weekly {
        start: (Weekday, Time),
        end: (Weekday, Time),
        zone: TimeZone,
        zone_name: String,
        name: Option<String>,
        reason: Option<String>,
    },
}

fn text(map: &Map, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None => Ok(None),
        Some(v) if v.is_unit() => Ok(None),
        Some(v) => v
            .clone()
            .into_immutable_string()
            .map(|s| Some(s.to_string()))
            .map_err(|t| format!("`{key}` must be a string, not {t}")),
    }
}

fn parse_timestamp(s: &str, what: &str) -> Result<Timestamp, String> {
    s.trim().parse::<Timestamp>().map_err(|_| {
        format!(
            "{what} `{s}` is not an RFC 3339 time with an offset (like 2024-12-20T16:00:00+01:00)"
        )
    })
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// `Fri 16:00`: a weekday and a 24-hour time.
fn weekly_point(s: &str, key: &str) -> Result<(Weekday, Time), String> {
    let bad = |why: &str| format!("`{key}`: `{s}` {why} (like \"Fri 16:00\")");
    let mut parts = s.split_whitespace();
    let (Some(day), Some(at), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("is not a weekday and a time"));
    };
    let day = weekday(day).ok_or_else(|| bad("does not start with a weekday (Mon … Sun)"))?;
    let (h, m) = at.split_once(':').ok_or_else(|| bad("has no HH:MM time"))?;
    let num = |v: &str| -> Option<i8> {
        (v.len() == 2 && v.bytes().all(|b| b.is_ascii_digit()))
            .then(|| v.parse().ok())
            .flatten()
    };
    let time = match (num(h), num(m)) {
        (Some(h), Some(m)) => Time::new(h, m, 0, 0).ok(),
        _ => None,
    }
    .ok_or_else(|| bad("has no valid HH:MM time (00:00 to 23:59)"))?;
    Ok((day, time))
}

/// Validates a window map (from a rule's params): every error names the key.
pub fn parse_window(map: &Map) -> Result<Window, String> {
    if let Some(k) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "unknown key `{k}` in a window (keys: {})",
            KEYS.join(", ")
        ));
    }
    let name = text(map, "name")?;
    let reason = text(map, "reason")?;
    let fixed = (text(map, "start")?, text(map, "end")?);
    let weekly = (
        text(map, "weekly_start")?,
        text(map, "weekly_end")?,
        text(map, "time_zone")?,
    );
    match (fixed, weekly) {
        ((Some(s), Some(e)), (None, None, None)) => {
            let start = parse_timestamp(&s, "`start`")?;
            let end = parse_timestamp(&e, "`end`")?;
            if end <= start {
                return Err(format!("`end` {e} is not after `start` {s}"));
            }
            Ok(Window::Fixed {
                start,
                end,
                name,
                reason,
            })
        }
        ((None, None), (Some(s), Some(e), Some(z))) => {
            let start = weekly_point(&s, "weekly_start")?;
            let end = weekly_point(&e, "weekly_end")?;
            if start == end {
                return Err(format!(
                    "`weekly_start` and `weekly_end` are both `{s}`: the window would be empty"
                ));
            }
            let zone = TimeZone::get(&z).map_err(|_| {
                format!("`time_zone`: `{z}` is not a time zone of the IANA database (like Europe/Berlin or UTC)")
            })?;
            Ok(Window::Weekly {
                start,
                end,
                zone,
                zone_name: z,
                name,
                reason,
            })
        }
        _ => Err(
            "a window needs either `start` and `end` (RFC 3339), or `weekly_start`, `weekly_end` and `time_zone`, and not both"
                .into(),
        ),
    }
}

/// The last day on or before `from` (walking back at most a week and a day) that is `day`.
fn at_or_before(from: Date, day: Weekday) -> Result<Date, String> {
    let mut d = from;
    for _ in 0..8 {
        if d.weekday() == day {
            return Ok(d);
        }
        d = d.yesterday().map_err(|e| e.to_string())?;
    }
    Err("no such weekday within a week".into())
}

fn zoned(d: Date, t: Time, zone: &TimeZone) -> Result<Zoned, String> {
    // A time skipped by a daylight-saving change resolves as jiff's `compatible` rule does:
    // the same wall time after the change, as most calendars do.
    d.to_datetime(t)
        .to_zoned(zone.clone())
        .map_err(|e| e.to_string())
}

impl Window {
    /// The window's occurrence holding `at`, if any.
    pub fn holding(&self, at: Timestamp) -> Result<Option<Hit>, String> {
        match self {
            Window::Fixed {
                start,
                end,
                name,
                reason,
            } => Ok((*start <= at && at < *end).then(|| Hit {
                name: name
                    .clone()
                    .unwrap_or_else(|| format!("the freeze from {start} to {end}")),
                reason: reason.clone(),
                starts: *start,
                ends: *end,
            })),
            Window::Weekly {
                start: (sd, st),
                end: (ed, et),
                zone,
                zone_name,
                name,
                reason,
            } => {
                // The latest start at or before `at`, then the first end after that start.
                let local = at.to_zoned(zone.clone());
                let mut day = at_or_before(local.date(), *sd)?;
                let mut opens = zoned(day, *st, zone)?;
                if opens.timestamp() > at {
                    let week_before = day
                        .checked_sub(jiff::Span::new().days(7))
                        .map_err(|e| e.to_string())?;
                    day = week_before;
                    opens = zoned(day, *st, zone)?;
                }
                // The end is within a week of the start (they differ): eight days bound it.
                let mut end_day = day;
                let mut closes = None;
                for _ in 0..8 {
                    if end_day.weekday() == *ed {
                        let c = zoned(end_day, *et, zone)?;
                        if c.timestamp() > opens.timestamp() {
                            closes = Some(c);
                            break;
                        }
                    }
                    end_day = end_day.tomorrow().map_err(|e| e.to_string())?;
                }
                let closes = closes.ok_or("the window's end is not within a week of its start")?;
                let show = |(d, t): (Weekday, Time)| {
                    format!("{} {:02}:{:02}", short(d), t.hour(), t.minute())
                };
                Ok((at < closes.timestamp()).then(|| Hit {
                    name: name.clone().unwrap_or_else(|| {
                        format!(
                            "the weekly freeze {} – {} ({zone_name})",
                            show((*sd, *st)),
                            show((*ed, *et))
                        )
                    }),
                    reason: reason.clone(),
                    starts: opens.timestamp(),
                    ends: closes.timestamp(),
                }))
            }
        }
    }
}

fn short(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

#[cfg(test)]
mod tests;
