//! Reads a document whose `items` are a List's objects one item at a time: each item is parsed
//! into its own value, decoded into its slim type and dropped, so a big export never exists as
//! one value tree (memory per object, not per file).
//!
//! This is the fast path only. Whenever it meets anything unusual — an error of any kind, an
//! `items` key in a document that turns out not to be a List, an item the gate cannot read — it
//! gives up, and the caller reads the file the plain way ([`super::parse`] then
//! [`super::sink`]), which produces the same objects or the same error as always. So every
//! message and limit stays exactly what the plain path says, and this path needs no error text.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::decode::{decode_object, Pos, Read};
use crate::gather::strict_json::StrictValue;

/// One document of a file, as the fast path read it.
pub(super) enum Doc {
    /// Not a List with `items` (a single object, an empty document, `kind: List` without
    /// items): the whole value, read as the plain path reads it.
    Whole(Value),
    /// A List's items, already decoded, in order.
    List(Vec<Read>),
}

/// Why the fast path gave up; never shown (the plain path says what is wrong).
const GIVE_UP: &str = "not for the fast path";

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object or List")
    }
    // An empty YAML document: the plain path drops it too.
    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Whole(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Whole(Value::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut rest = Map::new();
        let mut items: Option<Vec<Read>> = None;
        let mut saw_items = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                if saw_items {
                    return Err(de::Error::custom(GIVE_UP));
                }
                saw_items = true;
                items = map.next_value::<Option<Items>>()?.map(|i| i.0);
                continue;
            }
            let StrictValue(v) = map.next_value()?;
            if rest.insert(key, v).is_some() {
                return Err(de::Error::custom(GIVE_UP));
            }
        }
        if !saw_items {
            return Ok(Doc::Whole(Value::Object(rest)));
        }
        // Items were read before the kind could be known (`items` sorts before `kind`): only a
        // `…List` uses them as objects; anything else is the plain path's to judge.
        match rest.get("kind").and_then(Value::as_str) {
            Some(kind) if kind.ends_with("List") => Ok(Doc::List(items.unwrap_or_default())),
            _ => Err(de::Error::custom(GIVE_UP)),
        }
    }
}

/// A List's `items`, each decoded as soon as it is read.
struct Items(Vec<Read>);

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Items;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(StrictValue(v)) = seq.next_element()? {
            if !v.is_object() {
                return Err(de::Error::custom(GIVE_UP));
            }
            // The file's name and the position only matter for an error, which the plain
            // path will report.
            match decode_object(v, "", Pos::default()) {
                Ok(read) => out.push(read),
                Err(_) => return Err(de::Error::custom(GIVE_UP)),
            }
        }
        Ok(Items(out))
    }
}
