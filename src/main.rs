//! The `tollgate` binary: parse arguments, set up logging on stderr, run, exit with the status.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use tollgate::cli::Cli;

// A snapshot or an admission cache is hundreds of thousands of small objects: glibc's malloc
// spent ~40 % of a 100k-binding check in allocation and free (perf); mimalloc halves that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tollgate::exit::{guarded, ExitStatus};

fn main() {
    // Inside the guard: a panic anywhere (argument parsing included) exits 2, not 101.
    let status = guarded(|| {
        let cli = Cli::parse();
        let serving = matches!(cli.command, tollgate::cli::Command::Serve(_));
        if !serving {
            // One command, then exit: what it built can be left to the OS (a server frees).
            tollgate::exit::ends_after_command();
        }
        let default = match cli.verbose {
            // A server logs its decisions and reloads by default.
            0 if serving => "info,kube_client=off",
            // kube's HTTP trace logs each failed request at error level ("failed with error
            // … (Connect)") before the gate's own one-line error; shown from -vv.
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
        match tollgate::run(&cli) {
            Ok(status) => status,
            Err(e) => {
                // Messages quote files, objects and server answers: neutralised like reports.
                eprintln!("error: {}", tollgate::report::escape::block(&e.to_string()));
                ExitStatus::Error
            }
        }
    });
    std::process::exit(status.code());
}
