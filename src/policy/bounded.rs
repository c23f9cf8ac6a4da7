//! Replacements for Rhai functions whose single call walks a whole array or map (formatting,
//! `contains`/`in`): bounded in output and checking the rule's deadline as they go.
//!
//! One such call is one engine operation however large the value, so the deadline checked
//! between operations cannot stop it: formatting `rbac.bindings` with 1,000 bindings took
//! about 60 ms per call in a debug build (Rhai formats each element through a function call),
//! and a loop of them ran for minutes. These do the same work natively, stop writing at the
//! string limit, and ask the clock every few thousand elements.

use std::fmt::{self, Write};

use rhai::{Array, Dynamic, Engine, EvalAltResult, FuncRegistration, ImmutableString, Map};

use super::engine::MAX_STRING_SIZE;
use super::sink::{deadline_passed, limit_error};

/// Elements (or bytes written, / 64) between two reads of the clock inside one call.
const CLOCK_EVERY: usize = 4096;

/// Registers the replacements; functions registered on the engine take precedence over the
/// packages' versions.
pub(crate) fn register(engine: &mut Engine) {
    // Pure: they only read their first argument, so Rhai lets them take a read-only fact by
    // reference (a non-pure function is refused on a constant and Rhai falls back to its own
    // unbounded formatting).
    let pure = |name: &str| FuncRegistration::new(name).with_purity(true);
    for name in ["to_string", "to_debug", "print", "debug"] {
        pure(name).register_into_engine(engine, |a: &mut Array| format_bounded("", &*a));
        pure(name).register_into_engine(engine, |m: &mut Map| format_bounded("#", &*m));
    }
    pure("contains").register_into_engine(engine, |a: &mut Array, v: Dynamic| contains(a, &v));
}

/// A `fmt::Write` that stops once it holds more than [`MAX_STRING_SIZE`] bytes or the deadline
/// has passed.
struct Capped {
    out: String,
    next_check: usize,
}

impl Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.out.push_str(s);
        if self.out.len() > MAX_STRING_SIZE {
            return Err(fmt::Error);
        }
        if self.out.len() >= self.next_check {
            self.next_check = self.out.len() + CLOCK_EVERY * 64;
            if deadline_passed().is_some() {
                return Err(fmt::Error);
            }
        }
        Ok(())
    }
}

/// The value formatted as Rhai formats arrays and maps (`[1, "a"]`, `#{"k": ()}`), cut short
/// past the string limit or the deadline. Not an error: for `${…}` Rhai would swallow it and
/// format the value itself, unbounded. A cut result is longer than the limit, so the engine's
/// own size check fails the rule; after the deadline, the next operation does.
fn format_bounded(prefix: &str, v: &dyn fmt::Debug) -> ImmutableString {
    let mut w = Capped {
        out: String::new(),
        next_check: CLOCK_EVERY * 64,
    };
    // An error only means "stopped early"; what was written is the answer.
    let _ = write!(w, "{prefix}{v:?}");
    w.out.into()
}

/// `v` as Rhai displays it, cut short as [`format_bounded`] does (a rule passing a whole fact
/// to `deny`).
pub(crate) fn display_bounded(v: &Dynamic) -> String {
    let mut w = Capped {
        out: String::new(),
        next_check: CLOCK_EVERY * 64,
    };
    let _ = write!(w, "{v}");
    w.out
}

/// `array.contains(value)` and `value in array`, with Rhai's `==` for the value types facts
/// and rules hold.
fn contains(a: &Array, v: &Dynamic) -> Result<bool, Box<EvalAltResult>> {
    for (i, item) in a.iter().enumerate() {
        if i % CLOCK_EVERY == CLOCK_EVERY - 1 {
            if let Some(why) = deadline_passed() {
                return Err(limit_error(why));
            }
        }
        if equal(item, v) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Rhai's `==` on unit, booleans, numbers, characters, strings, arrays and maps (numbers of
/// different kinds compare by value, as Rhai's operators do); anything else is unequal.
fn equal(a: &Dynamic, b: &Dynamic) -> bool {
    if let (Some(x), Some(y)) = (a.read_lock::<Array>(), b.read_lock::<Array>()) {
        return x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q));
    }
    if let (Some(x), Some(y)) = (a.read_lock::<Map>(), b.read_lock::<Map>()) {
        return x.len() == y.len()
            && x.iter()
                .all(|(k, p)| y.get(k.as_str()).is_some_and(|q| equal(p, q)));
    }
    if let (Ok(x), Ok(y)) = (a.as_immutable_string_ref(), b.as_immutable_string_ref()) {
        return *x == *y;
    }
    if let (Ok(x), Ok(y)) = (a.as_int(), b.as_int()) {
        return x == y;
    }
    let num = |d: &Dynamic| {
        d.as_float()
            .ok()
            .or_else(|| d.as_int().ok().map(|i| i as f64))
    };
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (a.as_char(), b.as_char()) {
        return x == y;
    }
    a.is_unit() && b.is_unit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_follows_rhai() {
        let arr = |v: Vec<Dynamic>| Dynamic::from_array(v);
        let s = |t: &str| Dynamic::from(t.to_string());
        assert!(equal(&s("a"), &s("a")));
        assert!(!equal(&s("a"), &s("b")));
        assert!(equal(&Dynamic::from(1_i64), &Dynamic::from(1.0_f64)));
        assert!(!equal(&Dynamic::from(1_i64), &s("1")));
        assert!(equal(&Dynamic::UNIT, &Dynamic::UNIT));
        assert!(!equal(&Dynamic::UNIT, &Dynamic::FALSE));
        assert!(equal(
            &arr(vec![s("x"), Dynamic::UNIT]),
            &arr(vec![s("x"), Dynamic::UNIT])
        ));
        assert!(!equal(&arr(vec![s("x")]), &arr(vec![s("x"), s("y")])));
        let mut m = Map::new();
        m.insert("k".into(), s("v"));
        let mut n = m.clone();
        assert!(equal(
            &Dynamic::from_map(m.clone()),
            &Dynamic::from_map(n.clone())
        ));
        n.insert("k".into(), s("w"));
        assert!(!equal(&Dynamic::from_map(m), &Dynamic::from_map(n)));
    }

    #[test]
    fn formatting_stops_at_the_string_limit() {
        let big: Array = vec![Dynamic::from("x".repeat(1024)); 100_000];
        let cut = format_bounded("", &big);
        assert!(
            cut.len() > MAX_STRING_SIZE && cut.len() < 2 * MAX_STRING_SIZE,
            "{}",
            cut.len()
        );
        let small: Array = vec![Dynamic::from(1_i64), Dynamic::from("a")];
        assert_eq!(format_bounded("", &small).as_str(), "[1, \"a\"]");
        let mut m = Map::new();
        m.insert("k".into(), Dynamic::UNIT);
        assert_eq!(format_bounded("#", &m).as_str(), "#{\"k\": ()}");
    }
}
