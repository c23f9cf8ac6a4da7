//! A duplicate-key check over JSON text that builds no value, so a document can then be decoded
//! straight into its typed form and still be refused when an object repeats a key.
//!
//! [`super::strict_json`] refuses duplicates while it builds a `serde_json::Value`; for a
//! document that is decoded into typed structs right after (a decision record, a facts file),
//! that tree is pure overhead — about half of replaying a record (`perf`, BENCHMARKS.md). This
//! pass walks the same text with serde_json's parser, compares keys borrowed from the text, and
//! keeps nothing. Nesting is bounded by serde_json's recursion limit, as for every parse.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// `Ok` when `text` is one JSON value whose objects never repeat a key; otherwise the error
/// [`super::strict_json::from_str`] would give (same wording; serde_json adds line and column).
pub fn check(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<Unique>(text).map(|_| ())
}

/// Any JSON value, checked and dropped.
struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

/// An object key, borrowed from the text unless it holds an escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// Objects this small are checked by comparing with each earlier key: cheaper than hashing,
/// and most objects of a facts document have fewer keys than this.
const LINEAR: usize = 16;

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i128<E>(self, _: i128) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u128<E>(self, _: u128) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_none<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Unique, D::Error> {
        Unique::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        // Past `LINEAR` keys a set, so a hostile object of a million keys stays linear.
        let mut many: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            map.next_value::<Unique>()?;
            let repeated = match &mut many {
                Some(set) => !set.insert(key.clone()),
                None if few.contains(&key) => true,
                None => {
                    few.push(key.clone());
                    if few.len() > LINEAR {
                        many = Some(std::mem::take(&mut few).into_iter().collect());
                    }
                    false
                }
            };
            if repeated {
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}` in an object"
                )));
            }
        }
        Ok(Unique)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every verdict and message agrees with the value-building strict parser.
    #[test]
    fn agrees_with_strict_json() {
        let many: String = (0..40)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let texts = [
            r#"{"a":[1,-2,3.5,null,true,"x"],"b":{"c":{}}}"#.to_string(),
            "{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2}}".to_string(),
            r#"{"a\u0062":1,"ab":2}"#.to_string(),
            r#"[{"x":1},{"x":1}]"#.to_string(),
            format!("{{{many}}}"),
            format!("{{{many},\"k39\":0}}"),
            format!("{{{many},\"k3\":0}}"),
            "{\"a\":1,\"a\"".to_string(),
            "[1,2".to_string(),
            "{} x".to_string(),
            "[".repeat(100_000),
        ];
        for t in &texts {
            let strict = crate::gather::strict_json::from_str(t);
            let fast = check(t);
            match (&strict, &fast) {
                (Ok(_), Ok(())) => {}
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{t:.60}"),
                _ => panic!("disagree on {t:.60}: {strict:?} vs {fast:?}"),
            }
        }
    }
}
