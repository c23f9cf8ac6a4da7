//! The `tollgate` binary: parse arguments, set up logging on stderr, run, exit with the status.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use tollgate::cli::Cli;
use tollgate::exit::{guarded, ExitStatus};

fn main() {
    // Inside the guard: a panic anywhere (argument parsing included) exits 2, not 101.
    let status = guarded(|| {
        let cli = Cli::parse();
        let default = match cli.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        };
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .init();
        match tollgate::run(&cli) {
            Ok(status) => status,
            Err(e) => {
                eprintln!("error: {e}");
                ExitStatus::Error
            }
        }
    });
    std::process::exit(status.code());
}
