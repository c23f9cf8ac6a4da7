//! The promotion receipt: who promoted what under which rules, written onto the spec tag.
//!
//! The annotations travel with the tag (`oc describe istag` shows them), so anyone looking at
//! production later can see that the image went through the gate and why.

use std::collections::BTreeMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const ANN_DIGEST: &str = "tollgate.io/digest";
pub const ANN_DECISION: &str = "tollgate.io/decision";
pub const ANN_RULES_DIGEST: &str = "tollgate.io/rules-digest";
pub const ANN_PROMOTED_BY: &str = "tollgate.io/promoted-by";
pub const ANN_PROMOTED_AT: &str = "tollgate.io/promoted-at";
pub const ANN_REASON: &str = "tollgate.io/reason";

/// What the gate decided, recorded on the destination tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `allow` (acting only happens on an allow, but the value is recorded as given).
    pub decision: String,
    /// `sha256:…` over the rule sources that decided (see [`crate::plan::rules_digest`]).
    pub rules_digest: String,
    /// The identity that ran the gate, when known.
    pub promoted_by: Option<String>,
    /// RFC 3339, UTC.
    pub promoted_at: String,
    /// `--reason` text, when given.
    pub reason: Option<String>,
}

impl Receipt {
    /// A receipt stamped with the current time.
    pub fn now(
        decision: &str,
        rules_digest: &str,
        promoted_by: Option<String>,
        reason: Option<String>,
    ) -> Self {
        let promoted_at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        Receipt {
            decision: decision.to_string(),
            rules_digest: rules_digest.to_string(),
            promoted_by,
            promoted_at,
            reason,
        }
    }

    /// The annotations for a promotion of `digest`; absent values are left out, not empty.
    pub fn annotations(&self, digest: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        out.insert(ANN_DIGEST.to_string(), digest.to_string());
        out.insert(ANN_DECISION.to_string(), self.decision.clone());
        out.insert(ANN_RULES_DIGEST.to_string(), self.rules_digest.clone());
        out.insert(ANN_PROMOTED_AT.to_string(), self.promoted_at.clone());
        if let Some(by) = &self.promoted_by {
            out.insert(ANN_PROMOTED_BY.to_string(), by.clone());
        }
        if let Some(reason) = &self.reason {
            out.insert(ANN_REASON.to_string(), reason.clone());
        }
        out
    }
}
