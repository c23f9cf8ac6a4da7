//! Where the facts of a promotion come from: a snapshot, a recorded facts file, an in-memory
//! object store, or the live cluster — every object source through the one objects → facts
//! builder ([`crate::gather::build_facts`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::OffsetDateTime;

use crate::cluster::{self, ConnectOptions, Connection};
use crate::config::Settings;
use crate::error::Error;
use crate::facts::{Facts, FACTS_SCHEMA, VIA_CLI};
use crate::gather::snapshot::LoadLimits;
use crate::gather::{self, Candidate, ClusterObjects, PromotionRequest};
use crate::refs::{ImageRef, TargetRef};

/// What is asked: move `destination` to what `source` resolves to, for these targets.
#[derive(Debug, Clone)]
pub struct Promotion {
    pub source: ImageRef,
    pub destination: ImageRef,
    /// Named targets (sorted, deduplicated); empty: discover the followers of the destination.
    pub targets: Vec<TargetRef>,
    /// Free text recorded as `promotion.reason` (and on the tag when promoting).
    pub reason: Option<String>,
    /// "Now" for the rules (`--time`); `None`: the wall clock. Refused for facts files, which
    /// carry the time they were gathered at.
    pub time: Option<OffsetDateTime>,
    /// Who asks, when the asker is known up front (an admission request's user). `None` for
    /// the CLI: a live gather asks the cluster who the gate runs as; offline it is unknown.
    pub requester: Option<Requester>,
    /// `promotion.via`: [`VIA_CLI`] or [`crate::facts::VIA_ADMISSION`].
    pub via: &'static str,
    /// `promotion.alias`: the write makes the destination track another tag (admission).
    pub alias: bool,
    /// The candidate image when the request names it itself (admission: a push, an import
    /// by digest); `None`: what `source` resolves to.
    pub candidate: Option<Candidate>,
}

/// The user behind a request and their groups, as the API server authenticated them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    pub name: String,
    pub groups: Vec<String>,
}

impl Promotion {
    /// A promotion asked through the CLI (`check`, `promote`, `facts`).
    pub fn cli(
        source: ImageRef,
        destination: ImageRef,
        targets: Vec<TargetRef>,
        reason: Option<String>,
        time: Option<OffsetDateTime>,
    ) -> Promotion {
        Promotion {
            source,
            destination,
            targets,
            reason,
            time,
            requester: None,
            via: VIA_CLI,
            alias: false,
            candidate: None,
        }
    }
}

impl Promotion {
    fn request(&self) -> PromotionRequest {
        PromotionRequest {
            source: self.source.clone(),
            destination: self.destination.clone(),
            targets: self.targets.clone(),
            reason: self.reason.clone(),
            requested_by: self.requester.as_ref().map(|r| r.name.clone()),
            requested_by_groups: self.requester.as_ref().map(|r| r.groups.clone()),
            via: self.via,
            alias: self.alias,
            time: self.time.unwrap_or_else(OffsetDateTime::now_utc),
        }
    }
}

/// Where the facts come from.
#[derive(Debug, Clone)]
pub enum FactsSource {
    /// Files or directories of `oc get -o yaml|json` output, read within the limits. Read-only.
    Snapshot(Vec<PathBuf>, LoadLimits),
    /// A facts document written by `tollgate facts`, replayed as recorded; at most that many
    /// bytes. Read-only.
    FactsFile(PathBuf, u64),
    /// Objects already in memory (what a watch-fed cache holds). Read-only.
    Objects(Arc<ClusterObjects>),
    /// The live cluster through a kubeconfig or the pod's service account.
    Live(ConnectOptions),
}

impl FactsSource {
    /// Whether acting is impossible (everything but a live cluster): `promote` is a dry run.
    pub fn is_read_only(&self) -> bool {
        !matches!(self, FactsSource::Live(_))
    }
}

/// What an offline read of a source gives: the facts, or — for a live cluster, which needs a
/// connection ([`gather_live`]) — where to connect.
// Returned once and taken apart at once: boxing the facts would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Offline<'a> {
    Facts(Result<Facts, Error>),
    Live(&'a ConnectOptions),
}

/// The facts of `promotion` from an offline source, without a runtime.
pub fn gather_offline<'a>(
    source: &'a FactsSource,
    promotion: &Promotion,
    settings: &Settings,
) -> Offline<'a> {
    Offline::Facts(match source {
        FactsSource::Snapshot(paths, limits) => gather::snapshot::load_with(paths, limits)
            .map_err(Error::from)
            .and_then(|objects| {
                let facts = build(&objects, promotion, promotion.request(), settings);
                // Every object of the snapshot, freed one by one, for a command about to end.
                crate::exit::release(objects);
                facts
            }),
        FactsSource::Objects(objects) => build(objects, promotion, promotion.request(), settings),
        FactsSource::FactsFile(path, max_bytes) => replay(path, *max_bytes, promotion),
        FactsSource::Live(opts) => return Offline::Live(opts),
    })
}

fn build(
    objects: &ClusterObjects,
    promotion: &Promotion,
    request: PromotionRequest,
    settings: &Settings,
) -> Result<Facts, Error> {
    let candidate = promotion.candidate.as_ref();
    Ok(gather::build_facts_with(
        objects, &request, settings, candidate,
    )?)
}

/// Reads what the facts need from the live cluster (who we are included) and builds them.
pub async fn gather_live(
    conn: &mut Connection,
    promotion: &Promotion,
    settings: &Settings,
) -> Result<Facts, Error> {
    let mut request = promotion.request();
    let objects = cluster::gather(conn, &request, settings).await?;
    if promotion.requester.is_none() {
        request.requested_by = conn.identity.clone();
        request.requested_by_groups = conn.groups.clone();
    }
    build(&objects, promotion, request, settings)
}

/// The facts of `promotion` from any source (a live cluster in a runtime of its own): what
/// `tollgate facts` prints.
pub fn gather(
    source: &FactsSource,
    promotion: &Promotion,
    settings: &Settings,
) -> Result<Facts, Error> {
    let opts = match gather_offline(source, promotion, settings) {
        Offline::Facts(facts) => return facts,
        Offline::Live(opts) => opts,
    };
    super::run::block_on(async {
        let mut conn = cluster::connect(opts).await?;
        gather_live(&mut conn, promotion, settings).await
    })?
}

fn facts_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Facts {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Parses and validates the text of a facts document written by `tollgate facts` (strict
/// JSON, the facts schema, [`crate::facts::validate::validate`]); `Err` is a message without
/// the file's name, which the caller adds.
pub fn parse_facts_document(text: &str) -> Result<Facts, String> {
    // Decoded straight into `Facts` when it is well formed (no value tree: duplicate keys are
    // refused by a pass that builds nothing); anything else is read the value way below, which
    // words every error.
    if let Some(facts) = facts_typed(text) {
        return Ok(facts);
    }
    let value = gather::strict_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    facts_from_value(value)
}

/// The typed path of [`parse_facts_document`]: every check of [`facts_from_value`], no message.
fn facts_typed(text: &str) -> Option<Facts> {
    gather::unique_keys::check(text).ok()?;
    let facts: Facts = serde_json::from_str(text).ok()?;
    typed_facts_acceptable(&facts).then_some(facts)
}

/// What [`facts_from_value`] checks of facts decoded by some other way: the schema and the
/// validation (a decision record's typed reader asks the same).
pub(crate) fn typed_facts_acceptable(facts: &Facts) -> bool {
    facts.schema == FACTS_SCHEMA && crate::facts::validate::validate(facts).is_ok()
}

/// [`parse_facts_document`] from a parsed JSON value (a decision record holds one).
pub fn facts_from_value(value: serde_json::Value) -> Result<Facts, String> {
    let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema != FACTS_SCHEMA {
        return Err(format!("not a facts document: `schema` is `{schema}`, expected `{FACTS_SCHEMA}` (write one with `tollgate facts`)"));
    }
    let facts: Facts = serde_path_to_error::deserialize(value)
        .map_err(|e| format!("at `{}`: {}", e.path(), e.inner()))?;
    crate::facts::validate::validate(&facts)?;
    Ok(facts)
}

/// Reads a facts document written by `tollgate facts` and checks it is for this promotion.
fn replay(path: &Path, max_bytes: u64, promotion: &Promotion) -> Result<Facts, Error> {
    let text = crate::input::read_text(path, max_bytes, Some("--max-snapshot-file-bytes"))
        .map_err(|e| facts_error(path, e))?;
    let facts = parse_facts_document(&text).map_err(|e| facts_error(path, e))?;
    if promotion.time.is_some() {
        return Err(Error::Usage(format!(
            "--time cannot be used with --facts: the facts in {} were gathered at {} (their \
             `promotion.time`); drop --time, or gather new facts with `tollgate facts --time …`",
            path.display(),
            facts.promotion.time
        )));
    }
    let (want_src, want_dst) = (
        promotion.source.to_string(),
        promotion.destination.to_string(),
    );
    if facts.promotion.source.reference != want_src
        || facts.promotion.destination.reference != want_dst
    {
        return Err(facts_error(
            path,
            format!(
                "these facts are for {} → {}, not {want_src} → {want_dst}",
                facts.promotion.source.reference, facts.promotion.destination.reference
            ),
        ));
    }
    if !promotion.targets.is_empty() {
        let mut have: Vec<String> = facts.targets.iter().map(|t| t.display_ref()).collect();
        let mut want: Vec<String> = promotion.targets.iter().map(|t| t.to_string()).collect();
        have.sort();
        want.sort();
        if have != want {
            return Err(facts_error(
                path,
                format!(
                    "the facts' targets are [{}], not [{}]",
                    have.join(", "),
                    want.join(", ")
                ),
            ));
        }
    }
    Ok(facts)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Found by the `snapshot_yaml` fuzz target (docs/FUZZING.md): serde_json's default float
    /// parser may be one unit in the last place off, so `age_hours` written by `tollgate facts`
    /// came back different with `--facts`. Record → replay must give the same facts. (In
    /// `cargo test` the dev-dependency jsonschema turns `float_roundtrip` on anyway; the fuzz
    /// crate, built without dev-dependencies, is what caught it and keeps checking it.)
    #[test]
    fn recorded_facts_replay_exactly_floats_included() {
        let mut facts = crate::facts::sample_facts();
        for age in [
            26.996666666666663,
            0.1 + 0.2,
            1e-300,
            123_456.789_012_345_67,
        ] {
            facts.image.age_hours = Some(age);
            let recorded = serde_json::to_string_pretty(&facts).unwrap();
            let replayed = parse_facts_document(&recorded).unwrap();
            assert_eq!(
                replayed.image.age_hours.map(f64::to_bits),
                Some(age.to_bits())
            );
            assert_eq!(replayed, facts);
        }
    }

    /// Both ways of reading a facts document agree: what the typed path accepts, the value
    /// path accepts as the same facts; what one refuses, so does the other.
    #[test]
    fn the_typed_and_value_paths_agree() {
        let facts = crate::facts::sample_facts();
        let good = serde_json::to_string_pretty(&facts).unwrap();
        let value_path = |t: &str| {
            facts_from_value(gather::strict_json::from_str(t).map_err(|e| e.to_string())?)
        };
        assert_eq!(facts_typed(&good), Some(value_path(&good).unwrap()));
        let bad = [
            good.replacen("tollgate.facts/v1", "tollgate.facts/v0", 1),
            good.replacen('{', "{\"schema\": \"tollgate.facts/v1\",", 1),
            good.replacen('{', "{\"extra\": 1,", 1),
            good.replacen("sha256:", "sha256:zz", 1),
            good[..good.len() / 2].to_string(),
        ];
        for t in &bad {
            assert_eq!(facts_typed(t), None, "{t:.80}");
            assert!(value_path(t).is_err(), "{t:.80}");
            assert!(parse_facts_document(t).is_err());
        }
    }

    #[test]
    fn a_facts_document_with_a_bad_digest_is_refused_naming_the_field() {
        let mut facts = crate::facts::sample_facts();
        facts.image.source_history[0].digest = "sha256:zz".into();
        let text = serde_json::to_string(&facts).unwrap();
        let e = parse_facts_document(&text).unwrap_err();
        assert!(e.contains("image.source_history[0].digest"), "{e}");
    }
}
