//! Writes a seed state plus N generated ClusterRoleBindings, for the scale curve (issue 9).
//!
//! `gen-snapshot OUT_DIR N json|yaml [PER_FILE] [SEED_DIR]`: `json` writes one List,
//! `yaml` Lists of PER_FILE (default 2000) bindings per file. SEED_DIR defaults to
//! `examples/seed/c-manual-trigger`.

use std::path::PathBuf;
use std::process::ExitCode;

use tollgate_peer::generate::{write_snapshot, Format};
use tollgate_peer::seed::seed_dir;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen-snapshot OUT_DIR N json|yaml [PER_FILE] [SEED_DIR]";
    let (Some(out), Some(n), Some(fmt)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let Ok(n) = n.replace('_', "").parse::<usize>() else {
        eprintln!("N must be a number\n{usage}");
        return ExitCode::from(2);
    };
    let per_file = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let format = match fmt.as_str() {
        "json" => Format::JsonList,
        "yaml" => Format::YamlLists(per_file),
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let seed = args
        .get(4)
        .map(PathBuf::from)
        .unwrap_or_else(|| seed_dir("c-manual-trigger"));
    match write_snapshot(&seed, &PathBuf::from(out), n, format) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-snapshot: {e}");
            ExitCode::from(2)
        }
    }
}
