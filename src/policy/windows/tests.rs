//! Freeze windows: fixed and weekly, across time zones and daylight-saving changes, and the
//! errors a bad window gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn window(pairs: &[(&str, &str)]) -> Result<Window, String> {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert((*k).into(), (*v).into());
    }
    parse_window(&m)
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn berlin_weekend() -> Window {
    window(&[
        ("weekly_start", "Fri 16:00"),
        ("weekly_end", "Mon 08:00"),
        ("time_zone", "Europe/Berlin"),
    ])
    .unwrap()
}

#[test]
fn a_fixed_window_holds_from_its_start_until_its_end() {
    let w = window(&[
        ("start", "2024-12-20T00:00:00+01:00"),
        ("end", "2025-01-06T00:00:00+01:00"),
        ("reason", "holidays"),
    ])
    .unwrap();
    assert_eq!(w.holding(at("2024-12-19T22:59:59Z")).unwrap(), None);
    let hit = w.holding(at("2024-12-19T23:00:00Z")).unwrap().unwrap();
    assert_eq!(hit.ends.to_string(), "2025-01-05T23:00:00Z");
    assert_eq!(hit.reason.as_deref(), Some("holidays"));
    assert!(hit.name.contains("2024-12-19T23:00:00Z"), "{}", hit.name);
    assert_eq!(w.holding(at("2025-01-05T23:00:00Z")).unwrap(), None);
}

#[test]
fn a_weekly_window_follows_the_local_clock() {
    let w = berlin_weekend();
    // Winter (UTC+1): Friday 16:00 in Berlin is 15:00 UTC.
    assert_eq!(w.holding(at("2024-03-08T14:59:00Z")).unwrap(), None);
    let hit = w.holding(at("2024-03-08T15:00:00Z")).unwrap().unwrap();
    assert_eq!(hit.starts.to_string(), "2024-03-08T15:00:00Z");
    assert_eq!(hit.ends.to_string(), "2024-03-11T07:00:00Z");
    assert!(hit.name.contains("Fri 16:00 – Mon 08:00 (Europe/Berlin)"));
    // Sunday and Monday morning are inside; Monday 08:00 local is out; midweek is out.
    assert!(w.holding(at("2024-03-10T12:00:00Z")).unwrap().is_some());
    assert!(w.holding(at("2024-03-11T06:59:00Z")).unwrap().is_some());
    assert_eq!(w.holding(at("2024-03-11T07:00:00Z")).unwrap(), None);
    assert_eq!(w.holding(at("2024-03-13T12:00:00Z")).unwrap(), None);
    // The weekend the clocks go forward (31 March 2024): it opens at UTC+1 and closes at UTC+2.
    let hit = w.holding(at("2024-03-31T12:00:00Z")).unwrap().unwrap();
    assert_eq!(hit.starts.to_string(), "2024-03-29T15:00:00Z");
    assert_eq!(hit.ends.to_string(), "2024-04-01T06:00:00Z");
}

#[test]
fn a_window_that_wraps_the_week_and_one_within_a_day() {
    // Opens Monday, closes Friday of the same week.
    let w = window(&[
        ("weekly_start", "Monday 09:30"),
        ("weekly_end", "fri 17:00"),
        ("time_zone", "UTC"),
    ])
    .unwrap();
    assert!(w.holding(at("2024-03-06T00:00:00Z")).unwrap().is_some());
    assert_eq!(w.holding(at("2024-03-09T00:00:00Z")).unwrap(), None);
    // Same weekday, end before start: open almost the whole week.
    let w = window(&[
        ("weekly_start", "Wed 12:00"),
        ("weekly_end", "Wed 11:00"),
        ("time_zone", "UTC"),
    ])
    .unwrap();
    let hit = w.holding(at("2024-03-06T11:30:00Z")).unwrap();
    assert_eq!(hit, None, "the hour between end and start is open");
    let hit = w.holding(at("2024-03-06T10:00:00Z")).unwrap().unwrap();
    assert_eq!(hit.starts.to_string(), "2024-02-28T12:00:00Z");
}

#[test]
fn a_bad_window_is_an_error_naming_the_key() {
    for (pairs, says) in [
        (
            vec![
                ("weekly_start", "Fri 16:00"),
                ("weekly_end", "Mon 08:00"),
                ("time_zone", "Europe/Berln"),
            ],
            "`time_zone`: `Europe/Berln` is not a time zone",
        ),
        (
            vec![
                ("weekly_start", "Fry 16:00"),
                ("weekly_end", "Mon 08:00"),
                ("time_zone", "UTC"),
            ],
            "`weekly_start`: `Fry 16:00` does not start with a weekday",
        ),
        (
            vec![
                ("weekly_start", "Fri 25:00"),
                ("weekly_end", "Mon 08:00"),
                ("time_zone", "UTC"),
            ],
            "valid HH:MM",
        ),
        (
            vec![
                ("weekly_start", "Fri 16:00"),
                ("weekly_end", "Fri 16:00"),
                ("time_zone", "UTC"),
            ],
            "would be empty",
        ),
        (
            vec![
                ("start", "2025-01-06T00:00:00Z"),
                ("end", "2024-12-20T00:00:00Z"),
            ],
            "`end` 2024-12-20T00:00:00Z is not after `start`",
        ),
        (
            vec![("start", "2024-12-20"), ("end", "2025-01-06T00:00:00Z")],
            "`start` `2024-12-20` is not an RFC 3339 time",
        ),
        (vec![("start", "2024-12-20T00:00:00Z")], "needs either"),
        (
            vec![
                ("start", "2024-12-20T00:00:00Z"),
                ("end", "2025-01-06T00:00:00Z"),
                ("time_zone", "UTC"),
            ],
            "not both",
        ),
        (vec![("stat", "x")], "unknown key `stat`"),
    ] {
        let e = window(&pairs).unwrap_err();
        assert!(e.contains(says), "{pairs:?}: {e}");
    }
}
