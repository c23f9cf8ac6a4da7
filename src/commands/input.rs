//! Arguments → the library's inputs: the promotion, where its facts come from, the gate.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::cli::{FactsSourceArgs, FailOnArg, PolicyArgs, PromotionArgs};
use crate::cluster::{self, ConnectOptions};
use crate::error::Error;
use crate::gate::{FactsSource, Gate, Promotion};
use crate::gather::snapshot::LoadLimits;
use crate::refs::{parse_destination, parse_source, parse_target};
use crate::verdict::FailOn;

fn connect_options(src: &FactsSourceArgs) -> ConnectOptions {
    ConnectOptions {
        kubeconfig: src.kubeconfig.clone(),
        context: src.context.clone(),
        namespace: src.namespace.clone(),
        // `0`: no limit, as oc reads it.
        request_timeout: Some(src.request_timeout).filter(|d| !d.is_zero()),
    }
}

/// `--snapshot`, else `--facts`, else the live cluster.
pub fn facts_source(src: &FactsSourceArgs) -> FactsSource {
    if let Some(path) = &src.facts {
        FactsSource::FactsFile(path.clone(), src.max_snapshot_file_bytes)
    } else if !src.snapshot.is_empty() {
        let limits = LoadLimits {
            max_file_bytes: src.max_snapshot_file_bytes,
            max_total_bytes: src.max_snapshot_bytes,
        };
        FactsSource::Snapshot(src.snapshot.clone(), limits)
    } else {
        FactsSource::Live(connect_options(src))
    }
}

/// The namespace for references written without one: `-n`, else (reading a live cluster)
/// the kubeconfig context's namespace. Reads the kubeconfig, never the network.
pub(super) fn default_namespace(src: &FactsSourceArgs) -> Option<String> {
    if src.namespace.is_some() || src.facts.is_some() || !src.snapshot.is_empty() {
        return src.namespace.clone();
    }
    cluster::default_namespace(&connect_options(src))
}

pub(super) fn parse_time(text: Option<&str>) -> Result<Option<OffsetDateTime>, Error> {
    text.map(|t| {
        // RFC 3339 allows a leap second (`23:59:60`), which `time` cannot represent: read it
        // as the second before, which no age or expiry rule can tell apart.
        OffsetDateTime::parse(t, &Rfc3339)
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
            })
    })
    .transpose()
}

/// The promotion the arguments ask about.
pub fn promotion(p: &PromotionArgs, src: &FactsSourceArgs) -> Result<Promotion, Error> {
    let ns = default_namespace(src);
    let ns = ns.as_deref();
    let mut targets = p
        .targets
        .iter()
        .map(|t| parse_target(t, ns))
        .collect::<Result<Vec<_>, _>>()?;
    targets.sort();
    targets.dedup();
    // clap requires both unless `--batch` is given, and `--batch` takes another path.
    let required = || Error::Usage("SOURCE and DESTINATION are required".into());
    let source = p.source.as_deref().ok_or_else(required)?;
    let destination = p.destination.as_deref().ok_or_else(required)?;
    Ok(Promotion::cli(
        parse_source(source, ns)?,
        parse_destination(destination, ns)?,
        targets,
        p.reason.clone(),
        parse_time(src.time.as_deref())?,
    ))
}

/// The gate for `--policies` and `--config`.
pub fn gate(policy: &PolicyArgs) -> Result<Gate, Error> {
    Gate::load(&policy.policies, policy.config.as_deref())
}

pub fn fail_on(policy: &PolicyArgs) -> FailOn {
    FailOn {
        warn: policy.fail_on.contains(&FailOnArg::Warn),
        stale: policy.fail_on.contains(&FailOnArg::Stale),
    }
}
