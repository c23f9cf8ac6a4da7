//! Explaining an outcome: the values, in this promotion's facts, of the fact paths the rule's
//! code reads — so a developer sees why without opening the script.
//!
//! Rhai has no hook on property reads (its variable resolver sees only the top-level name), so
//! the paths come from the compiled AST ([`super::paths`]) and are evaluated after the rule
//! ran, over the same read-only values it saw. A path under a loop variable is expanded over
//! every element. This shows what the code refers to, not a trace of the branches taken.

use rhai::{Array, Dynamic, Map, Scope};
use serde::Serialize;

use super::paths::{FactPath, Seg};

/// One fact path with its value, e.g. `targets[0].triggers[1].automatic = true`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactRead {
    pub path: String,
    /// `null` for `()`.
    pub value: serde_json::Value,
}

/// How many values a result keeps (the rest are counted): a rule over every binding of a big
/// cluster would otherwise flood the report.
pub const MAX_FACTS_READ: usize = 50;
/// Expansion stops after this many values, so explaining stays cheap whatever the facts.
const MAX_VISITS: usize = 5_000;
/// Values (nested ones counted) one shown fact may have; a larger one (a rule reading all of
/// `rbac.bindings` in a big cluster) is summarised, not copied into the report.
const MAX_LEAF_NODES: usize = 1_000;

/// Whether `v` has at most `*budget` values, counting nested ones; stops counting early.
fn nodes_within(v: &Dynamic, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    if let Some(items) = v.read_lock::<Array>() {
        return items.iter().all(|i| nodes_within(i, budget));
    }
    if let Some(map) = v.read_lock::<Map>() {
        return map.values().all(|i| nodes_within(i, budget));
    }
    true
}

/// `(an array of 100000 items: too large to show)`.
fn too_large(v: &Dynamic) -> String {
    let (what, n) = if let Some(items) = v.read_lock::<Array>() {
        ("an array", items.len())
    } else if let Some(map) = v.read_lock::<Map>() {
        ("a map", map.len())
    } else {
        ("a value", 1)
    };
    format!("({what} of {n} items: too large to show)")
}

struct Found {
    indices: Vec<usize>,
    order: usize,
    read: FactRead,
}

/// The values of `paths` in `scope` (facts and the rule's params), grouped by element
/// (`targets[0]…` before `targets[1]…`), at most [`MAX_FACTS_READ`]; plus how many more there were.
pub(crate) fn facts_read(paths: &[FactPath], scope: &Scope) -> (Vec<FactRead>, usize) {
    let mut found = Vec::new();
    let mut visits = 0usize;
    for (order, p) in paths.iter().enumerate() {
        let Some(root) = scope.get(&p.root) else {
            continue;
        };
        let segs: Vec<&Seg> = p.segs.iter().map(|(s, _)| s).collect();
        let mut walk = Walk {
            order,
            found: &mut found,
            visits: &mut visits,
        };
        walk.expand(root, &segs, p.root.clone(), &mut Vec::new());
    }
    found.sort_by(|a, b| a.indices.cmp(&b.indices).then(a.order.cmp(&b.order)));
    let total = found.len();
    let kept = found
        .into_iter()
        .take(MAX_FACTS_READ)
        .map(|f| f.read)
        .collect();
    (kept, total.saturating_sub(MAX_FACTS_READ))
}

struct Walk<'a> {
    order: usize,
    found: &'a mut Vec<Found>,
    visits: &'a mut usize,
}

impl Walk<'_> {
    fn expand(&mut self, value: &Dynamic, segs: &[&Seg], path: String, indices: &mut Vec<usize>) {
        *self.visits += 1;
        if *self.visits > MAX_VISITS {
            return;
        }
        let Some((seg, rest)) = segs.split_first() else {
            let value = if nodes_within(value, &mut MAX_LEAF_NODES.clone()) {
                rhai::serde::from_dynamic::<serde_json::Value>(value)
                    .unwrap_or_else(|_| serde_json::Value::String(value.to_string()))
            } else {
                serde_json::Value::String(too_large(value))
            };
            self.found.push(Found {
                indices: indices.clone(),
                order: self.order,
                read: FactRead { path, value },
            });
            return;
        };
        match seg {
            Seg::Key { name, indexed } => {
                let Some(map) = value.read_lock::<Map>() else {
                    return;
                };
                let shown = if *indexed {
                    format!("{path}[{name:?}]")
                } else {
                    format!("{path}.{name}")
                };
                match map.get(name.as_str()) {
                    Some(v) => self.expand(v, rest, shown, indices),
                    // A label looked up by name and absent: that absence is the explanation.
                    None if *indexed && rest.is_empty() => {
                        self.expand(&Dynamic::UNIT, rest, shown, indices)
                    }
                    None => {}
                }
            }
            Seg::Each => {
                if let Some(items) = value.read_lock::<Array>() {
                    for (i, v) in items.iter().enumerate() {
                        indices.push(i);
                        self.expand(v, rest, format!("{path}[{i}]"), indices);
                        indices.pop();
                    }
                } else if let Some(map) = value.read_lock::<Map>() {
                    for (k, v) in map.iter() {
                        self.expand(v, rest, format!("{path}[{:?}]", k.as_str()), indices);
                    }
                }
            }
        }
    }
}

/// `true`, `"prod"`, `()` for null; long values cut to `max` characters.
pub fn render_value(v: &serde_json::Value, max: usize) -> String {
    let s = match v {
        serde_json::Value::Null => "()".to_string(),
        other => other.to_string(),
    };
    if s.chars().count() > max {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    } else {
        s
    }
}
