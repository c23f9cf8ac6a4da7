//! TEMPORARY stand-in for the admission decisions (helper branch `adm` replaces it).
#![allow(dead_code, unused_variables)]
use std::sync::Arc;

use crate::gate::Gate;
use crate::gather::ClusterObjects;
use crate::verdict::Decision;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Warn,
    Audit,
}
impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        })
    }
}
#[derive(Debug, Clone)]
pub struct Review {
    pub uid: String,
}
#[derive(Debug)]
pub struct BadReview(pub String);
impl std::fmt::Display for BadReview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub struct Answer {
    pub uid: String,
    pub review: serde_json::Value,
    pub decision: Decision,
    pub evaluated: bool,
    pub denied: Vec<String>,
    pub outcomes: Vec<(String, &'static str)>,
    pub resource: String,
    pub operation: String,
}
pub const NOT_READY: &str = "tollgate/cache-ready";
pub const UNDECIDED: &str = "tollgate/decided";
pub fn parse_review(body: &[u8]) -> Result<Review, BadReview> {
    Err(BadReview("todo".into()))
}
pub fn decide(
    gate: &Gate,
    objects: &Arc<ClusterObjects>,
    review: &Review,
    mode: Mode,
    now: time::OffsetDateTime,
) -> Answer {
    refuse(review, gate, UNDECIDED, "todo")
}
pub fn refuse(review: &Review, gate: &Gate, id: &str, message: &str) -> Answer {
    Answer {
        uid: review.uid.clone(),
        review: serde_json::Value::Null,
        decision: Decision::Deny,
        evaluated: false,
        denied: vec![id.into()],
        outcomes: vec![],
        resource: String::new(),
        operation: String::new(),
    }
}
