//! The shipped pack in Rego (`benches/peer/rego/`) on regorus, engine built once and reused.

use std::path::{Path, PathBuf};

use regorus::{Engine, Value};

/// `benches/peer/rego`.
pub fn policy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rego")
}

/// A regorus engine holding the pack and its data; only the input changes per evaluation.
pub struct RegoPeer {
    engine: Engine,
}

impl RegoPeer {
    /// Loads every `*.rego` of `dir` and `data.params` (the rules' params: none, as in the
    /// default configuration).
    pub fn new(dir: &Path) -> Result<Self, String> {
        let mut engine = Engine::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rego"))
            .collect();
        files.sort();
        for f in files {
            engine
                .add_policy_from_file(&f)
                .map_err(|e| format!("{}: {e}", f.display()))?;
        }
        engine
            .add_data(Value::from_json_str(r#"{"params": {}}"#).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok(RegoPeer { engine })
    }

    /// `data.tollgate.decision` over `input`: `{allowed, rules: {id: {outcome, messages}}}`.
    pub fn evaluate(&mut self, input: Value) -> Result<Value, String> {
        self.engine.set_input(input);
        self.engine
            .eval_rule("data.tollgate.decision".to_string())
            .map_err(|e| e.to_string())
    }
}

/// The facts document as regorus input.
pub fn input_of(facts_json: &str) -> Result<Value, String> {
    Value::from_json_str(facts_json).map_err(|e| e.to_string())
}
