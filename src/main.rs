//! The `tollgate` binary: parse arguments, set up logging on stderr, run, exit with the status.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use tollgate::cli::Cli;
use tollgate::exit::ExitStatus;

fn main() {
    let cli = Cli::parse();
    // kube's HTTP trace logs each failed request at error level ("failed with error …
    // (Connect)") before the gate's own one-line error; shown from -vv.
    let default = match cli.verbose {
        0 => "warn,kube_client=off",
        1 => "info,kube_client=off",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(tollgate::cluster::redact::RedactedStderr)
        .with_target(false)
        .init();
    let status = match tollgate::run(&cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("error: {e}");
            ExitStatus::Error
        }
    };
    std::process::exit(status.code());
}
