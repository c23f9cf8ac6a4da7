//! The static shape of the facts (docs/design/POLICY-API.md): which keys exist where, derived from the
//! serde types by serialising a fully populated sample, so it cannot drift from the code.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::paths::Seg;
use super::rule::INJECTED_NAMES;
use crate::facts::{sample_facts, Signature};

/// Maps whose keys are data, not API: any key may be read (absent ones are `()` or an error at
/// run time, depending on how they are read).
pub(crate) const OPEN_MAPS: [&str; 5] = [
    "image.labels",
    "image.seen",
    "image.annotations",
    "params",
    "environments",
];

/// The facts' shape: every fact name to a sample value whose objects hold every key and whose
/// lists hold one element merging all the sample's elements.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut facts = sample_facts();
        // The sample has no signature; the schema needs one element to know their keys.
        facts.image.signatures = Some(vec![Signature {
            kind: Some("AtomicImageSignature".into()),
            issued_by: Some("CN=sample".into()),
            issued_to: Some("CN=sample".into()),
            created: Some("2024-03-05T09:00:00Z".into()),
        }]);
        let doc = serde_json::to_value(&facts).unwrap_or(Value::Null);
        let mut out = Map::new();
        for name in INJECTED_NAMES {
            let v = doc.get(name).cloned().unwrap_or(Value::Object(Map::new()));
            out.insert(name.to_string(), merged(v));
        }
        Value::Object(out)
    })
}

/// Lists become one element holding the union of their elements' keys (the first trigger may
/// have `from: ()`, the second a map).
fn merged(v: Value) -> Value {
    match v {
        Value::Array(items) => {
            let one = items.into_iter().map(merged).reduce(merge);
            Value::Array(one.into_iter().collect())
        }
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, merged(v))).collect()),
        other => other,
    }
}

fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let joined = match a.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                a.insert(k, joined);
            }
            Value::Object(a)
        }
        (Value::Array(a), Value::Array(b)) => {
            Value::Array(a.into_iter().chain(b).reduce(merge).into_iter().collect())
        }
        (Value::Null, b) => b,
        (a, _) => a,
    }
}

/// Why a path does not exist in the facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unknown {
    /// Index of the offending step.
    pub at: usize,
    pub message: String,
}

/// Checks a path against the schema; `None` when it exists or cannot be judged statically
/// (open maps, `()` samples, method results).
pub(crate) fn check(root: &str, segs: &[&Seg]) -> Option<Unknown> {
    let mut node = schema().get(root)?;
    let mut shown = root.to_string();
    for (i, seg) in segs.iter().enumerate() {
        if OPEN_MAPS.contains(&shown.as_str()) {
            return None;
        }
        match (node, seg) {
            (Value::Object(m), Seg::Key { name, .. }) => match m.get(name) {
                Some(next) => node = next,
                None => {
                    let mut message = format!("`{shown}` has no key `{name}`");
                    if let Some(s) = super::diagnostics::nearest(name, m.keys().map(String::as_str))
                    {
                        message.push_str(&format!("; did you mean `{s}`?"));
                    }
                    message.push_str(" (keys: docs/design/POLICY-API.md, or `tollgate facts`)");
                    return Some(Unknown { at: i, message });
                }
            },
            (Value::Array(a), Seg::Each) => node = a.first()?,
            (
                Value::Array(_),
                Seg::Key {
                    name,
                    indexed: false,
                },
            ) if name == "len" => return None,
            (Value::Array(_), Seg::Key { name, .. }) => {
                return Some(Unknown {
                    at: i,
                    message: format!(
                        "`{shown}` is a list, not a map: it has no key `{name}` (index it, or loop: `for x in {shown} {{ x.{name} }}`)"
                    ),
                });
            }
            // Scalars (string getters like `.len`), `()` samples, maps indexed by a variable.
            _ => return None,
        }
        shown = super::paths::render(root, segs[..=i].iter().copied());
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key {
            name: k.into(),
            indexed: false,
        }
    }

    #[test]
    fn documented_keys_exist() {
        for path in [
            vec!["promotion", "destination", "ref"],
            vec!["image", "build", "commit"],
            vec!["image", "signatures", "[]", "issued_by"],
            vec!["destination", "from", "kind"],
            vec!["targets", "[]", "triggers", "[]", "from", "name"],
            vec!["targets", "[]", "triggers", "[]", "type"],
            vec!["targets", "[]", "pull_grants", "[]", "binding"],
            vec!["rbac", "bindings", "[]", "subjects", "[]", "kind"],
            vec!["rbac", "pullers", "[]", "via"],
            vec!["image", "labels", "anything"],
            vec!["params", "anything"],
            vec!["environments", "prod", "whatever"],
        ] {
            let segs: Vec<Seg> = path[1..]
                .iter()
                .map(|s| if *s == "[]" { Seg::Each } else { key(s) })
                .collect();
            let refs: Vec<&Seg> = segs.iter().collect();
            assert_eq!(check(path[0], &refs), None, "{path:?}");
        }
    }

    #[test]
    fn typos_are_found_with_a_suggestion() {
        let seg = key("digset");
        let u = check("image", &[&seg]).unwrap();
        assert!(u.message.contains("did you mean `digest`"), "{}", u.message);
        let (a, b) = (key("destination"), key("reff"));
        let u = check("promotion", &[&a, &b]).unwrap();
        assert_eq!(u.at, 1);
        assert!(
            u.message
                .contains("`promotion.destination` has no key `reff`"),
            "{}",
            u.message
        );
    }
}
