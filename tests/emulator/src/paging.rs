//! LIST pagination (`limit` / `continue`), as the apiserver pages a list for clients such as
//! kube's watcher (which asks for pages of 500).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::types::meta_str;

/// The token names where the next page starts and the resourceVersion of the first page, which
/// every later page reports too (a client that watches from it then sees every change since).
fn encode(rv: &str, ns: &str, name: &str) -> String {
    format!("{rv}/{ns}/{name}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode(token: &str) -> Option<(String, String, String)> {
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let mut parts = text.splitn(3, '/');
    let (rv, ns, name) = (parts.next()?, parts.next()?, parts.next()?);
    Some((rv.to_string(), ns.to_string(), name.to_string()))
}

/// Pages `items` (ordered by namespace/name) into a list body: `metadata.continue` and
/// `remainingItemCount` when more remain. `rv` is the store's current resourceVersion.
pub fn page_list(
    mut items: Vec<Value>,
    query: &BTreeMap<String, String>,
    rv: String,
    kind: String,
    api_version: String,
) -> ApiResult<Value> {
    let mut list_rv = rv;
    if let Some(token) = query.get("continue").filter(|t| !t.is_empty()) {
        let (first_rv, ns, name) = decode(token).ok_or_else(|| {
            ApiError::bad_request(format!("continue key is not valid: {token:?}"))
        })?;
        items.retain(|i| {
            (meta_str(i, "namespace"), meta_str(i, "name")) > (ns.as_str(), name.as_str())
        });
        list_rv = first_rv;
    }
    let limit = match query.get("limit").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(s) => Some(
            s.parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("limit: invalid value {s:?}")))?,
        ),
    };
    let mut meta = json!({ "resourceVersion": list_rv });
    if let Some(limit) = limit.filter(|l| items.len() > *l) {
        let remaining = items.len() - limit;
        items.truncate(limit);
        if let Some(last) = items.last() {
            meta["continue"] = json!(encode(
                &list_rv,
                meta_str(last, "namespace"),
                meta_str(last, "name")
            ));
            meta["remainingItemCount"] = json!(remaining);
        }
    }
    Ok(json!({ "kind": kind, "apiVersion": api_version, "metadata": meta, "items": items }))
}
