//! The command line (clap derive): commands and the flag groups they share. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::plan::RolloutMode;
use crate::report::OutputFormat;

/// Policy-checked image promotion for OpenShift.
///
/// tollgate gathers the facts of a promotion (the candidate image, the RBAC bindings around the
/// projects involved, the DeploymentConfigs and Deployments that consume the tag), evaluates Rhai
/// policy rules against them, and either moves the tag pinned to the checked digest or explains
/// which rules failed and how to make them pass.
///
/// Exit status: 0 allowed (and done), 1 denied by policy, 2 could not decide (bad input, a rule
/// error, unreadable cluster), 3 partly done (the tag moved but a rollout failed).
#[derive(Debug, Parser)]
#[command(
    name = "tollgate",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// More logs on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the rules for a promotion and report the decision; never writes.
    Check(CheckArgs),
    /// Evaluate, then (when allowed) retag pinned to the checked digest and roll out.
    ///
    /// On a --snapshot or --facts source, promote is always a dry run: it prints the plan.
    Promote(PromoteArgs),
    /// Print the facts document the rules would see (JSON), e.g. to write or debug a rule.
    Facts(FactsArgs),
    /// Check every rule: syntax, headers, duplicate ids, unknown functions and fact paths (file:line:col).
    Lint(LintArgs),
    /// Run the rules' test cases (`POLICY_DIR/tests/*.yaml`): expected outcomes and messages.
    ///
    /// Exit status: 0 all cases passed, 1 a case failed (or --require-tests and a rule has no
    /// case), 2 a test file or its input cannot be used.
    Test(TestArgs),
    /// Run the admission webhook: the same rules on every image write the cluster receives.
    ///
    /// A validating webhook over TLS (`POST /validate`, `GET /readyz`, `/livez`, `/metrics`) for
    /// writes to imagestreamtags, imagetags, imagestreams, imagestreammappings and
    /// imagestreamimports: a write that moves a guarded tag is evaluated as a promotion into it
    /// (docs/design/ADMISSION.md). Facts come from watches of the cluster, kept in memory. Rules,
    /// tollgate.yaml and the certificate are re-read when they change. Runs until SIGTERM.
    Serve(ServeArgs),
    /// Render the rules' `//!` headers as a Markdown reference (stdout), or keep the policy
    /// guide's generated section current (`--write`, `--check`).
    Doc(DocArgs),
    /// Replay recorded decisions (`--record DIR`) under the rules and configuration given, as
    /// of each record's time, and report the decisions and rule outcomes that would change.
    ///
    /// Directories are searched recursively for `*.json` records (hidden entries skipped;
    /// symlinks followed only inside the directory). Exit status: 0 no decision changes, 1 a
    /// decision changes, 2 a record cannot be read or its facts no longer parse (the others
    /// are still replayed and reported).
    Backtest(BacktestArgs),
}

/// What to promote.
#[derive(Debug, Args)]
pub struct PromotionArgs {
    /// The image to promote: `ns/stream:tag` or `ns/stream@sha256:…`.
    // `Option` only so that `check`/`promote` can take `--batch` instead (they relax
    // `required` with `mut_arg`); `facts` requires it.
    #[arg(value_name = "SOURCE", required = true)]
    pub source: Option<String>,

    /// The tag to move: `ns/stream:tag`.
    #[arg(value_name = "DESTINATION", required = true)]
    pub destination: Option<String>,

    /// A workload the promotion reaches: `ns/dc/name`, `ns/deploymentconfig/name` or
    /// `ns/deployment/name` (repeatable). Without it, every DeploymentConfig and Deployment whose
    /// image trigger follows DESTINATION is found.
    #[arg(long = "target", value_name = "REF")]
    pub targets: Vec<String>,

    /// Free text recorded as `promotion.reason` (and on the tag, when promoting).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Where the facts come from.
#[derive(Debug, Args)]
pub struct FactsSourceArgs {
    /// Objects exported with `oc get … -o yaml|json`: a file or a directory of them (single
    /// objects, Lists, multi-document YAML). Repeatable. Read-only.
    #[arg(long, value_name = "PATH", conflicts_with = "facts")]
    pub snapshot: Vec<PathBuf>,

    /// A facts document written earlier by `tollgate facts` (replay). Read-only.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,

    /// The kubeconfig file for a live cluster (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// The namespace for references written without one.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// The most one cluster request may take, connecting and reading the whole answer (an exec
    /// credential plugin too), e.g. `30s`, `1m`; a bare number is seconds, `0` no limit. The
    /// whole read of the cluster may take 4 times as long.
    #[arg(long, value_name = "DURATION", default_value = "30s",
          value_parser = crate::cluster::parse_request_timeout)]
    pub request_timeout: std::time::Duration,

    /// Evaluate as if the facts were gathered at this RFC 3339 time (default: now). Makes
    /// snapshot runs reproducible, e.g. for image-age. Refused with --facts (a facts file
    /// carries its own `promotion.time`). A leap second (`:60`) is read as `:59`.
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,

    /// The largest snapshot or facts file read, in bytes (default 1 GiB); a bigger one is
    /// refused before it is read.
    #[arg(long, value_name = "BYTES", default_value_t = crate::gather::snapshot::DEFAULT_MAX_FILE_BYTES)]
    pub max_snapshot_file_bytes: u64,

    /// The most bytes read over all the files of a snapshot (default 4 GiB).
    #[arg(long, value_name = "BYTES", default_value_t = crate::gather::snapshot::DEFAULT_MAX_TOTAL_BYTES)]
    pub max_snapshot_bytes: u64,
}

/// Which rules, how configured.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// A directory of rules (`<rule-id>.rhai`). Repeatable. Default: ./policies
    #[arg(long = "policies", value_name = "DIR")]
    pub policies: Vec<PathBuf>,

    /// Configuration: environments, rule levels and params. Default: ./tollgate.yaml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Make more block: `warn` (warnings), `stale` (exceptions that matched nothing).
    /// Repeatable or comma-separated.
    #[arg(long = "fail-on", value_name = "WHAT", value_delimiter = ',')]
    pub fail_on: Vec<FailOnArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Warnings block the promotion like denials.
    Warn,
    /// A configured exception that matched no denial in this run blocks (keeps the list clean).
    Stale,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format. Default: text on a terminal, json otherwise.
    #[arg(short = 'o', long, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,

    /// Write the report to this file; the terminal keeps a one-line summary.
    #[arg(long = "output-file", value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
// SOURCE and DESTINATION are required unless the promotions come from `--batch`.
#[command(
    mut_arg("source", |a| a.required(false).required_unless_present("batch")),
    mut_arg("destination", |a| a.required(false).required_unless_present("batch"))
)]
pub struct CheckArgs {
    #[command(flatten)]
    pub promotion: PromotionArgs,
    #[command(flatten)]
    pub source: FactsSourceArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Keep the decision as a record for `tollgate backtest`: `DIR/<sha256 of it>.json` with
    /// the facts, the report, the rules' digest, the version and the time (DIR is created; a
    /// record is never overwritten). A record that cannot be written makes the run exit 2.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// A release train: many promotions checked together, written all-or-nothing.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Check every promotion listed in FILE instead of SOURCE DESTINATION: a YAML list of
    /// `{source, destination, targets?: [REF…], reason?}`. One report with a section per
    /// promotion; exit status the worst of them (2 error > 3 partly done > 1 denied > 0).
    /// `promote --batch` writes nothing unless every promotion is allowed (see --partial).
    /// Not with --facts (a facts file holds one promotion).
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["source", "destination", "targets", "reason"])]
    pub batch: Option<PathBuf>,

    /// With --batch: how many promotions are gathered and checked at once (1–64). Reads shared
    /// between promotions (bindings, roles, streams, workloads) are made once per batch.
    /// Default 32: each promotion waits for two round trips of a few requests of its own, so a
    /// large train is bound by latency; 32 keeps at most ~160 requests in flight.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub check: CheckArgs,

    /// Print what would be done (the plan) and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// After the retag: `auto` instantiates only targets that will not roll out by themselves,
    /// `always` every target, `never` none.
    #[arg(long, value_enum, default_value_t = RolloutMode::Auto, value_name = "MODE")]
    pub rollout: RolloutMode,

    /// Follow each rollout until it completes or fails, then confirm the promoted digest runs.
    #[arg(long)]
    pub wait: bool,

    /// How long --wait waits, e.g. `90s`, `10m`.
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub timeout: String,

    /// With --batch: promote the allowed promotions even when others are denied or could not
    /// be decided (those are reported and left alone; the exit status is still theirs).
    #[arg(long)]
    pub partial: bool,
}

#[derive(Debug, Args)]
pub struct FactsArgs {
    #[command(flatten)]
    pub promotion: PromotionArgs,
    #[command(flatten)]
    pub source: FactsSourceArgs,

    /// Configuration (environments), as for check. Default: ./tollgate.yaml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Rule directories. Default: ./policies
    #[arg(value_name = "POLICY_DIR")]
    pub dirs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rule directories; each one's test cases are in its `tests/` folder. Default: ./policies
    #[arg(value_name = "POLICY_DIR")]
    pub dirs: Vec<PathBuf>,

    /// Fail (exit 1) when a rule has no test case.
    #[arg(long)]
    pub require_tests: bool,
}

#[derive(Debug, Args)]
pub struct DocArgs {
    /// Rule directories. Default: ./policies
    #[arg(value_name = "POLICY_DIR")]
    pub dirs: Vec<PathBuf>,

    /// Exit 1 when the guide's generated section differs from the rules (for CI).
    #[arg(long, conflicts_with = "write")]
    pub check: bool,

    /// Rewrite the guide's generated section from the rules.
    #[arg(long)]
    pub write: bool,

    /// The guide holding the generated section. Default: README.md in the first POLICY_DIR.
    #[arg(long, value_name = "FILE")]
    pub readme: Option<PathBuf>,
}

/// How `serve` acts on a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Deny the write.
    Enforce,
    /// Allow the write; each denial becomes a warning the client prints.
    Warn,
    /// Allow silently; only record (metrics, logs, audit annotations). To roll the gate out.
    Audit,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service
    /// account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// The address to listen on (TLS).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub listen: std::net::SocketAddr,

    /// The serving certificate chain (PEM); re-read when it changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,

    /// The serving certificate's private key (PEM); re-read when it changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,

    /// enforce: deny; warn: allow and warn; audit: allow and only record.
    #[arg(long, value_enum, default_value_t = ModeArg::Enforce, value_name = "MODE")]
    pub mode: ModeArg,

    /// The longest one decision may take before the write is denied for want of one; keep it
    /// below the webhook's timeoutSeconds so the client hears why. E.g. `8s`, `500ms`.
    #[arg(long, value_name = "DURATION", default_value = "8s",
          value_parser = crate::cluster::parse_request_timeout)]
    pub decision_timeout: std::time::Duration,

    /// The largest AdmissionReview body read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_request_bytes: usize,

    /// How often rule files, tollgate.yaml and the certificate are checked for changes.
    #[arg(long, value_name = "DURATION", default_value = "5s",
          value_parser = crate::cluster::parse_request_timeout)]
    pub reload_interval: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Record directories (searched recursively) or record files.
    #[arg(value_name = "RECORD_DIR", required = true)]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Report format: text, json or markdown. Default: text on a terminal, json otherwise.
    #[arg(short = 'o', long, value_name = "FORMAT")]
    pub output: Option<crate::report::BacktestFormat>,

    /// The largest record read, in bytes (default 256 MiB); a bigger one is reported as
    /// unreadable before it is read.
    #[arg(long, value_name = "BYTES", default_value_t = crate::records::DEFAULT_MAX_RECORD_BYTES)]
    pub max_record_bytes: u64,
}
