//! What a plain scalar is (null, bool, integer, float or string), decided exactly as
//! serde-saphyr 2.2 decides it for an untyped value with tollgate's options (YAML 1.1
//! booleans, no legacy octal, non-finite floats refused): its `deserialize_any` and
//! `parse_scalars` rules, mirrored step by step, are the specification here.

/// A plain scalar's type; the string itself is the scalar's text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Plain {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str,
    /// serde-saphyr refuses it (`.inf`, `.nan`, `1e999`: non-finite floats).
    Refused,
}

/// Types a plain scalar's (folded) text.
pub(super) fn resolve(s: &str) -> Plain {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return Plain::Null;
    };
    if first.is_ascii_alphabetic() {
        // Null, then YAML 1.1 booleans; every other word is a string (Rust's float parser
        // also reads `inf`/`nan`/`infinity`, but serde-saphyr keeps those as strings).
        return match s {
            "null" | "Null" | "NULL" => Plain::Null,
            _ if b.len() > 5 => Plain::Str,
            _ => {
                let is = |w: &str| s.eq_ignore_ascii_case(w);
                if is("true") || is("yes") || is("y") || is("on") {
                    Plain::Bool(true)
                } else if is("false") || is("no") || is("n") || is("off") {
                    Plain::Bool(false)
                } else {
                    Plain::Str
                }
            }
        };
    }
    if s == "~" {
        return Plain::Null;
    }
    // Only a digit, sign or dot can start a number; anything else is a string.
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Plain::Str;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    // Uppercase radix prefixes and signed NaN spellings stay strings.
    if matches!(unsigned.as_bytes(), [b'0', b'X' | b'O' | b'B', ..])
        || (unsigned.len() < s.len() && matches!(unsigned, ".nan" | ".NaN" | ".NAN"))
    {
        return Plain::Str;
    }
    if s.starts_with('-') {
        if let Some(v) = int_signed(s) {
            return Plain::I64(v);
        }
    } else if let Some(v) = int_unsigned(s) {
        return Plain::U64(v);
    }
    if matches!(
        unsigned,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF"
    ) {
        return Plain::Refused;
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Plain::F64(v),
        // An overflowing numeral (`1e999`) is refused; `inf`, `nan` and `.5e999` (no
        // leading digit) are strings.
        Ok(v) if v.is_infinite() && unsigned.as_bytes()[0].is_ascii_digit() => Plain::Refused,
        _ => Plain::Str,
    }
}

fn radix_and_digits(rest: &str) -> (u32, &str) {
    if let Some(r) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = rest.strip_prefix("0o").or_else(|| rest.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = rest.strip_prefix("0b").or_else(|| rest.strip_prefix("0B")) {
        (2, r)
    } else {
        (10, rest)
    }
}

/// Digits in `radix` with single underscores between them (none first or last).
fn digits_u128(digits: &str, radix: u32) -> Option<u128> {
    let b = digits.as_bytes();
    let mut val: u128 = 0;
    let mut saw = false;
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            if i == 0 || b[i - 1] == b'_' || i + 1 == b.len() || b[i + 1] == b'_' {
                return None;
            }
            continue;
        }
        let d = (c as char).to_digit(16)?;
        if d >= radix {
            return None;
        }
        val = val
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        saw = true;
    }
    saw.then_some(val)
}

/// `[-+]?` integer as an `i64` (serde-saphyr's `parse_int_signed`).
fn int_signed(t: &str) -> Option<i64> {
    let (neg, rest) = match t.strip_prefix('+') {
        Some(r) => (false, r),
        None => match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        },
    };
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let mag = digits_u128(digits, radix)?;
    let v: i128 = if neg {
        if mag == (i128::MAX as u128) + 1 {
            i128::MIN
        } else {
            i128::try_from(mag).ok()?.checked_neg()?
        }
    } else {
        i128::try_from(mag).ok()?
    };
    i64::try_from(v).ok()
}

/// `+?` integer as a `u64` (serde-saphyr's `parse_int_unsigned`).
fn int_unsigned(t: &str) -> Option<u64> {
    if t.starts_with('-') {
        return None;
    }
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    u64::try_from(digits_u128(digits, radix)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_typed_as_serde_saphyr_types_them() {
        use Plain::*;
        let cases: &[(&str, Plain)] = &[
            ("", Null),
            ("~", Null),
            ("NULL", Null),
            ("nULL", Str),
            ("on", Bool(true)),
            ("OFF", Bool(false)),
            ("Y", Bool(true)),
            ("yES", Bool(true)),
            ("0x1F", U64(31)),
            ("0X1F", Str),
            ("-0x1f", I64(-31)),
            ("0o17", U64(15)),
            ("0b101", U64(5)),
            ("012", F64(12.0)),
            ("-012", F64(-12.0)),
            ("+1", U64(1)),
            ("-0", I64(0)),
            ("1_000", U64(1000)),
            ("1__0", Str),
            ("1e3", F64(1000.0)),
            ("1.5", F64(1.5)),
            (".5", F64(0.5)),
            ("1.", F64(1.0)),
            (".inf", Refused),
            ("-.Inf", Refused),
            (".nan", Refused),
            ("-.nan", Str),
            ("1e999", Refused),
            (".5e999", Str),
            ("inf", Str),
            ("-inf", Str),
            ("NaN", Str),
            ("18446744073709551615", U64(u64::MAX)),
            ("18446744073709551616", F64(18446744073709551616.0)),
            ("-9223372036854775808", I64(i64::MIN)),
            ("0xFFFFFFFFFFFFFFFFFF", Str),
            ("10.0.0.1", Str),
            ("25%", Str),
            ("2024-03-06", Str),
            ("v1", Str),
            ("_1", Str),
        ];
        for (s, want) in cases {
            assert_eq!(resolve(s), *want, "{s:?}");
        }
    }
}
