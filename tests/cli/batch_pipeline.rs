//! The release train of examples/pipeline/README.md: its commands, run exactly as the README
//! shows them, give the decisions, exit codes and plans it says.

use serde_json::Value;

use crate::common::tollgate;
use crate::readme::blocks;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pipeline/README.md");

/// The `sh` block of the README's release-train section.
fn train_block() -> String {
    let text = std::fs::read_to_string(README).unwrap();
    let (_, section) = text.split_once("## A release train").unwrap();
    let section = section.split("\n## ").next().unwrap();
    blocks(section, "sh").into_iter().next().unwrap()
}

/// One `tollgate …` line of the block: its words with `$VAR`s expanded, and its comment.
struct Command {
    args: Vec<String>,
    comment: String,
}

/// The block's `VAR="…"` assignments applied to its `tollgate …` lines, as a shell would.
fn commands(block: &str) -> Vec<Command> {
    let mut vars: Vec<(String, String)> = vec![];
    let mut out = vec![];
    for line in block.lines() {
        let (code, comment) = line.split_once(" #").unwrap_or((line, ""));
        if let Some((name, value)) = code.split_once("=\"") {
            vars.push((
                name.to_string(),
                value.trim_end().trim_end_matches('"').into(),
            ));
            continue;
        }
        let Some(rest) = code.trim().strip_prefix("tollgate ") else {
            continue;
        };
        let mut args = vec![];
        for word in rest.split_whitespace() {
            match word.strip_prefix('$') {
                Some(var) => {
                    let (_, value) = vars.iter().find(|(n, _)| n == var).unwrap();
                    args.extend(value.split_whitespace().map(str::to_string));
                }
                None => args.push(word.to_string()),
            }
        }
        out.push(Command {
            args,
            comment: comment.trim().to_string(),
        });
    }
    out
}

/// Each promotion's decision and its plan's action statuses.
fn promotions(doc: &Value) -> Vec<(String, Vec<String>)> {
    doc["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let statuses = p["actions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x["status"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            (p["decision"].as_str().unwrap().to_string(), statuses)
        })
        .collect()
}

#[test]
fn the_pipeline_train_decides_as_its_readme_says() {
    let block = train_block();
    let cmds = commands(&block);
    assert_eq!(cmds.len(), 4, "{block}");
    let mut outcomes = vec![];
    for c in &cmds {
        let out = tollgate().args(&c.args).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "{:?}: not JSON ({e}): {stdout}\n{}",
                c.args,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let code = out.status.code().unwrap();
        // The comment says the batch's decision and exit status: `# ALLOW, exit 0: …`.
        let (decision, rest) = c.comment.split_once(", exit ").unwrap();
        let decision = decision.trim_start_matches('#').trim().to_lowercase();
        let exit: i32 = rest.split(':').next().unwrap().parse().unwrap();
        assert_eq!(code, exit, "{:?}\n{doc:#}", c.args);
        assert_eq!(doc["decision"], decision.as_str(), "{:?}", c.args);
        assert_eq!(doc["exit_code"], exit, "{:?}", c.args);
        assert_eq!(doc["summary"]["written"], 0, "a snapshot is never written");
        outcomes.push(promotions(&doc));
    }
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let allow = "allow".to_string();
    let deny = "deny".to_string();
    // Soaked: both allowed (checks carry no plan).
    assert_eq!(
        outcomes[0],
        vec![(allow.clone(), vec![]), (allow.clone(), vec![])]
    );
    // Soaking: simple-app denied, simple-api allowed on its own.
    assert_eq!(
        outcomes[1],
        vec![(deny.clone(), vec![]), (allow.clone(), vec![])]
    );
    // All-or-nothing: simple-api's plan is held as well.
    let held = s(&["skipped", "skipped"]);
    assert_eq!(
        outcomes[2],
        vec![(deny.clone(), held.clone()), (allow.clone(), held.clone())]
    );
    // --partial: simple-api's plan stands, simple-app's is not run.
    assert_eq!(
        outcomes[3],
        vec![(deny, held), (allow, s(&["planned", "planned"]))]
    );
}

#[test]
fn the_train_file_names_both_apps_of_the_release() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/pipeline/train.yaml"
    ))
    .unwrap();
    let entries = tollgate::batch::parse(&text, "train.yaml").unwrap();
    let promotions = tollgate::batch::promotions(&entries, "train.yaml", None, None).unwrap();
    let moves: Vec<String> = promotions
        .iter()
        .map(|p| format!("{} → {}", p.source, p.destination))
        .collect();
    assert_eq!(
        moves,
        [
            "dev/simple-app:latest → dev/simple-app:promote",
            "dev/simple-api:latest → dev/simple-api:promote"
        ]
    );
}
