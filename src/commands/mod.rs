//! One file per command; this module holds the steps they share (load config and rules, gather).

mod check;
mod doc;
mod facts;
mod lint;
mod promote;
mod test;

use std::path::{Path, PathBuf};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use check::{check, check_report};
pub use doc::doc;
pub use facts::facts;
pub use lint::lint;
pub use promote::promote;
pub use test::test;

use crate::cli::{FactsSourceArgs, PromotionArgs};
use crate::cluster;
use crate::config::Settings;
use crate::error::Error;
use crate::facts::{Facts, FACTS_SCHEMA};
use crate::gather::{self, PromotionRequest};
use crate::policy::{Evaluator, RuleSet};
use crate::policy_files;
use crate::refs::{parse_destination, parse_source, parse_target, ImageRef, TargetRef};

/// The parsed promotion arguments.
pub(crate) struct Request {
    pub source: ImageRef,
    pub destination: ImageRef,
    pub targets: Vec<TargetRef>,
}

pub(crate) fn parse_request(p: &PromotionArgs, ns: Option<&str>) -> Result<Request, Error> {
    let source = parse_source(&p.source, ns)?;
    let destination = parse_destination(&p.destination, ns)?;
    let mut targets = p
        .targets
        .iter()
        .map(|t| parse_target(t, ns))
        .collect::<Result<Vec<_>, _>>()?;
    targets.sort();
    targets.dedup();
    Ok(Request {
        source,
        destination,
        targets,
    })
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::File {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// `--config FILE`, else `./tollgate.yaml` when present, else the built-in defaults.
pub(crate) fn load_settings(explicit: Option<&Path>) -> Result<Settings, Error> {
    let default = Path::new("tollgate.yaml");
    let path = match explicit {
        Some(p) => p,
        None if default.is_file() => default,
        None => return Ok(Settings::default()),
    };
    let text = crate::input::read_text(path, crate::config::MAX_CONFIG_BYTES, None)
        .map_err(|e| file_error(path, e))?;
    let settings = Settings::parse(&text, &path.display().to_string())?;
    tracing::info!(config = %path.display(), "configuration loaded");
    Ok(settings)
}

/// Reads and compiles every rule (before any fact is gathered) with the evaluator's engine, so
/// one engine is built per run, and checks the configuration names only rules that exist.
pub(crate) fn load_rules(
    evaluator: &Evaluator,
    dirs: &[PathBuf],
    settings: &Settings,
) -> Result<RuleSet, Error> {
    let dirs = if dirs.is_empty() {
        vec![PathBuf::from("policies")]
    } else {
        dirs.to_vec()
    };
    let sources = policy_files::read_policy_dirs(&dirs)?;
    let rules = evaluator.compile(sources)?;
    for id in settings.rules.keys() {
        if !rules.rules().iter().any(|r| &r.id == id) {
            let known: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
            return Err(Error::Usage(format!(
                "{}: rules.{id}: no rule `{id}` in {} (rules: {})",
                settings.source.as_deref().unwrap_or("configuration"),
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                known.join(", ")
            )));
        }
    }
    tracing::info!(rules = rules.rules().len(), "rules compiled");
    Ok(rules)
}

fn parse_time(text: Option<&str>) -> Result<OffsetDateTime, Error> {
    match text {
        None => Ok(OffsetDateTime::now_utc()),
        // RFC 3339 allows a leap second (`23:59:60`), which `time` cannot represent: read it
        // as the second before, which no age or expiry rule can tell apart.
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .or_else(|e| match t.get(17..19) {
                Some("60") if t.get(16..17) == Some(":") => {
                    OffsetDateTime::parse(&format!("{}59{}", &t[..17], &t[19..]), &Rfc3339)
                }
                _ => Err(e),
            })
            .map_err(|e| {
                Error::Usage(format!(
                    "--time `{t}`: not an RFC 3339 time ({e}); example: 2024-03-05T12:00:00Z"
                ))
            }),
    }
}

/// Builds the facts from the chosen source: a snapshot, a recorded facts file, or (neither
/// given) the live cluster.
pub(crate) fn gather_facts(
    req: &Request,
    p: &PromotionArgs,
    src: &FactsSourceArgs,
    settings: &Settings,
) -> Result<Facts, Error> {
    if let Some(path) = &src.facts {
        let facts = replay(path, req, src.max_snapshot_file_bytes)?;
        if let Some(t) = &src.time {
            return Err(Error::Usage(format!("--time `{t}` cannot be used with --facts: the facts in {} were gathered at {} (their `promotion.time`); drop --time, or gather new facts with `tollgate facts --time …`", path.display(), facts.promotion.time)));
        }
        return Ok(facts);
    }
    if src.snapshot.is_empty() {
        return live_facts(req, p, src, settings);
    }
    let limits = gather::snapshot::LoadLimits {
        max_file_bytes: src.max_snapshot_file_bytes,
        max_total_bytes: src.max_snapshot_bytes,
    };
    let objects = gather::snapshot::load_with(&src.snapshot, &limits)?;
    let request = PromotionRequest {
        source: req.source.clone(),
        destination: req.destination.clone(),
        targets: req.targets.clone(),
        reason: p.reason.clone(),
        requested_by: None,
        time: parse_time(src.time.as_deref())?,
    };
    Ok(gather::build_facts(&objects, &request, settings)?)
}

pub(crate) fn connect_options(src: &FactsSourceArgs) -> cluster::ConnectOptions {
    cluster::ConnectOptions {
        kubeconfig: src.kubeconfig.clone(),
        context: src.context.clone(),
        namespace: src.namespace.clone(),
    }
}

/// The namespace for references written without one: `-n`, else (reading a live cluster)
/// the kubeconfig context's namespace. Reads the kubeconfig, never the network.
pub(crate) fn default_namespace(src: &FactsSourceArgs) -> Option<String> {
    if src.namespace.is_some() || src.facts.is_some() || !src.snapshot.is_empty() {
        return src.namespace.clone();
    }
    cluster::default_namespace(&connect_options(src))
}

/// Connects, reads the objects of the promotion, and builds the facts with the same builder
/// as a snapshot: only the fetching differs.
fn live_facts(
    req: &Request,
    p: &PromotionArgs,
    src: &FactsSourceArgs,
    settings: &Settings,
) -> Result<Facts, Error> {
    let time = parse_time(src.time.as_deref())?;
    // One thread is enough: the requests wait on the network together.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let (objects, request) = runtime.block_on(async {
        let mut conn = cluster::connect(&connect_options(src)).await?;
        let mut request = PromotionRequest {
            source: req.source.clone(),
            destination: req.destination.clone(),
            targets: req.targets.clone(),
            reason: p.reason.clone(),
            requested_by: None,
            time,
        };
        let objects = cluster::gather(&mut conn, &request, settings).await?;
        request.requested_by = conn.identity.clone();
        Ok::<_, cluster::ClusterError>((objects, request))
    })?;
    Ok(gather::build_facts(&objects, &request, settings)?)
}

/// Reads a facts document written by `tollgate facts` and checks it is for this promotion.
fn replay(path: &Path, req: &Request, max_bytes: u64) -> Result<Facts, Error> {
    let text = crate::input::read_text(path, max_bytes, Some("--max-snapshot-file-bytes"))
        .map_err(|e| file_error(path, e))?;
    let value = gather::strict_json::from_str(&text).map_err(|e| {
        file_error(
            path,
            format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
        )
    })?;
    let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema != FACTS_SCHEMA {
        return Err(file_error(
            path,
            format!("not a facts document: `schema` is `{schema}`, expected `{FACTS_SCHEMA}` (write one with `tollgate facts`)"),
        ));
    }
    let facts: Facts = serde_path_to_error::deserialize(value)
        .map_err(|e| file_error(path, format!("at `{}`: {}", e.path(), e.inner())))?;
    crate::facts::validate::validate(&facts).map_err(|e| file_error(path, e))?;
    let (want_src, want_dst) = (req.source.to_string(), req.destination.to_string());
    if facts.promotion.source.reference != want_src
        || facts.promotion.destination.reference != want_dst
    {
        return Err(file_error(
            path,
            format!(
                "these facts are for {} → {}, not {want_src} → {want_dst}",
                facts.promotion.source.reference, facts.promotion.destination.reference
            ),
        ));
    }
    if !req.targets.is_empty() {
        let mut have: Vec<String> = facts.targets.iter().map(|t| t.display_ref()).collect();
        let mut want: Vec<String> = req.targets.iter().map(|t| t.to_string()).collect();
        have.sort();
        want.sort();
        if have != want {
            return Err(file_error(
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
