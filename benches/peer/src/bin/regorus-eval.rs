//! The minimal regorus evaluator the whole-process comparison runs: policy dir + facts JSON in,
//! the decision JSON out; exit 0 allowed, 1 blocked, 2 could not evaluate.

use std::path::PathBuf;
use std::process::ExitCode;

use tollgate_peer::rego::{input_of, RegoPeer};

fn run(dir: &str, facts: &str) -> Result<bool, String> {
    let mut peer = RegoPeer::new(&PathBuf::from(dir))?;
    let text = std::fs::read_to_string(facts).map_err(|e| format!("{facts}: {e}"))?;
    let decision = peer.evaluate(input_of(&text)?)?;
    let json = decision.to_json_str().map_err(|e| e.to_string())?;
    // The decision is this tool's output (`print!` is reserved for the CLI's reports).
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{json}").map_err(|e| e.to_string())?;
    Ok(decision["allowed"] == regorus::Value::Bool(true))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(facts)) = (args.first(), args.get(1)) else {
        eprintln!("usage: regorus-eval POLICY_DIR FACTS_JSON");
        return ExitCode::from(2);
    };
    match run(dir, facts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("regorus-eval: {e}");
            ExitCode::from(2)
        }
    }
}
