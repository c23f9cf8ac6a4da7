//! Lenient field decoders: exported YAML is written by many tools, so accept what they write.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Renders a scalar as the string a Kubernetes API would have stored.
///
/// Why: label and annotation values are strings on the server, but an unquoted `version: 1` or
/// `build-date: 2015-12-23` in a hand-edited export reaches us as a number or a date-like scalar.
pub fn scalar_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A `map[string]string` that may be `null` (Go writes nil maps as `null`) or hold non-string scalars.
pub fn string_map<'de, D>(d: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw: Option<BTreeMap<String, Value>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| (k.clone(), scalar_to_string(v)))
        .collect())
}

/// A list that Go may serialise as `null`.
pub fn null_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A string field that a YAML writer may have left unquoted (a timestamp, a number).
pub fn opt_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let v: Option<Value> = Option::deserialize(d)?;
    Ok(match v {
        None | Some(Value::Null) => None,
        Some(v) => Some(scalar_to_string(&v)),
    })
}

/// A boolean that is sometimes written as the string `"true"`/`"false"` (e.g. `status: "True"`).
pub fn opt_bool<'de, D>(d: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    let v: Option<Value> = Option::deserialize(d)?;
    Ok(match v {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// A string map that may be `null`, kept as `None` (for fields without `omitempty` upstream,
/// so writing the object back sends the `null` it had).
pub fn opt_string_map<'de, D>(d: D) -> Result<Option<BTreeMap<String, String>>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw: Option<BTreeMap<String, Value>> = Option::deserialize(d)?;
    Ok(raw.map(|m| {
        m.iter()
            .map(|(k, v)| (k.clone(), scalar_to_string(v)))
            .collect()
    }))
}
