//! Durations as people write them: parsed from flags and configuration, shown in messages.
//!
//! One place for the forms the gate accepts: `--request-timeout` takes oc's syntax (chained
//! units, fractions, a bare number of seconds); `--timeout` and `limits.rule_timeout` take a
//! whole number and one unit, each with its own units and range.

use std::time::Duration;

/// `(number, unit)` of a whole number followed by a unit (`90s` → `(90, "s")`; `45` →
/// `(45, "")`); `None` when it does not start with a whole number.
pub fn whole_with_unit(text: &str) -> Option<(u64, &str)> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    Some((num.parse().ok()?, unit))
}

/// A duration as the flags write it: `30s`, `1m30s`, `1500ms`.
pub fn show(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 != 0 {
        return format!("{ms}ms");
    }
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

/// Parses `--request-timeout` as oc does: `0` means no limit, a bare number is seconds,
/// otherwise numbers with units `ms`, `s`, `m`, `h`, possibly chained (`1m30s`, `1.5s`).
pub fn parse_request_timeout(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}`: expected a duration such as 30s, 1m or 1m30s (0: no limit)");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, after) = rest.split_at(split);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let n: f64 = num.parse().map_err(|_| bad())?;
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => {
                return Err(format!(
                    "`{text}`: unknown unit `{unit}` (use ms, s, m or h)"
                ))
            }
        };
        total += n * scale;
        rest = next;
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// `2 s`, `500 ms`, `1.5 s`: a limit in prose (rule messages).
pub fn prose(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timeouts_parse_as_oc_writes_them() {
        let ok = |t: &str| parse_request_timeout(t).unwrap();
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("45"), Duration::from_secs(45));
        assert_eq!(ok("30s"), Duration::from_secs(30));
        assert_eq!(ok("1m"), Duration::from_secs(60));
        assert_eq!(ok("1m30s"), Duration::from_secs(90));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("250ms"), Duration::from_millis(250));
        assert_eq!(ok("2h"), Duration::from_secs(7200));
        for bad in ["", "abc", "5d", "s", "-1s", "1..5s", "30 s x", "1e400h"] {
            assert!(parse_request_timeout(bad).is_err(), "{bad}");
        }
        assert!(parse_request_timeout("5d")
            .unwrap_err()
            .contains("unknown unit `d`"));
    }

    #[test]
    fn limits_are_shown_as_the_flag_writes_them() {
        assert_eq!(show(Duration::from_secs(30)), "30s");
        assert_eq!(show(Duration::from_secs(90)), "1m30s");
        assert_eq!(show(Duration::from_secs(120)), "2m");
        assert_eq!(show(Duration::from_secs(3600)), "1h");
        assert_eq!(show(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(prose(Duration::from_secs(2)), "2 s");
        assert_eq!(prose(Duration::from_millis(500)), "500 ms");
        assert_eq!(prose(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn whole_numbers_with_a_unit() {
        assert_eq!(whole_with_unit("90s"), Some((90, "s")));
        assert_eq!(whole_with_unit(" 45 "), Some((45, "")));
        assert_eq!(whole_with_unit("500ms"), Some((500, "ms")));
        assert_eq!(whole_with_unit("m"), None);
        assert_eq!(whole_with_unit("1.5m"), Some((1, ".5m")));
    }
}
