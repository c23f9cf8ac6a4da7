//! The Containerfile, read statically (no container engine runs in the tests): a Rust build
//! stage, a UBI micro runtime holding only the binary and the default pack, a non-root user,
//! and the entrypoint, port and arguments the Deployment relies on.

use serde_json::Value;

use super::{workload, Manifests};

/// The image name deployment.yaml uses; kustomization.yaml's `images:` maps it to a registry.
pub const IMAGE_NAME: &str = "tollgate";
const BINARY: &str = "/usr/local/bin/tollgate";
const PACK: &str = "/usr/share/tollgate/policies";

fn root_file(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[derive(Debug)]
struct Stage {
    from: String,
    alias: Option<String>,
    /// (keyword upper-cased, the rest of the instruction)
    instructions: Vec<(String, String)>,
}

/// Instructions grouped by stage; continuation lines joined, comments dropped.
fn stages(text: &str) -> Vec<Stage> {
    let mut logical = vec![];
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    assert!(
        current.is_empty(),
        "the Containerfile ends in a continuation"
    );
    let mut out: Vec<Stage> = vec![];
    for line in logical {
        let (keyword, rest) = line.split_once(' ').unwrap_or((&line, ""));
        let keyword = keyword.to_ascii_uppercase();
        let rest = rest.trim().to_string();
        if keyword == "FROM" {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let alias = match words.as_slice() {
                [_] => None,
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => panic!("FROM {rest}"),
            };
            out.push(Stage {
                from: words[0].to_string(),
                alias,
                instructions: vec![],
            });
        } else {
            let stage = out
                .last_mut()
                .expect("an instruction before the first FROM");
            stage.instructions.push((keyword, rest));
        }
    }
    out
}

fn exec_form(stage: &Stage, keyword: &str) -> Vec<String> {
    let all: Vec<&String> = stage
        .instructions
        .iter()
        .filter(|(k, _)| k == keyword)
        .map(|(_, r)| r)
        .collect();
    assert_eq!(all.len(), 1, "one {keyword}");
    let v: Value = serde_json::from_str(all[0])
        .unwrap_or_else(|e| panic!("{keyword} must be in exec form (a JSON array): {e}"));
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_build_stage_builds_the_locked_release_binary_and_stages_only_it_and_the_pack() {
    let stages = stages(&root_file("Containerfile"));
    assert_eq!(stages.len(), 2, "{stages:?}");
    let build = &stages[0];
    assert_eq!(build.alias.as_deref(), Some("build"));
    assert!(
        build.from.starts_with("docker.io/library/rust:"),
        "{}",
        build.from
    );
    let runs: Vec<&str> = build
        .instructions
        .iter()
        .filter(|(k, _)| k == "RUN")
        .flat_map(|(_, r)| r.split("&&"))
        .map(str::trim)
        .collect();
    assert!(
        runs.contains(&"cargo build --release --locked --bin tollgate"),
        "{runs:?}"
    );
    // What leaves the stage is what lands in /out: the binary and the rules, nothing else.
    let mut copies: Vec<&str> = runs
        .iter()
        .copied()
        .filter(|r| r.starts_with("cp "))
        .collect();
    copies.sort();
    assert_eq!(
        copies,
        [
            "cp policies/*.rhai /out/policies/",
            "cp policies/lib/*.rhai /out/policies/lib/",
            "cp target/release/tollgate /out/tollgate",
        ]
    );
}

#[test]
fn the_runtime_is_ubi_micro_with_the_binary_and_the_pack_as_a_non_root_user() {
    let stages = stages(&root_file("Containerfile"));
    let runtime = stages.last().unwrap();
    assert!(
        runtime
            .from
            .starts_with("registry.access.redhat.com/ubi9/ubi-micro"),
        "{}",
        runtime.from
    );
    let mut copies = vec![];
    for (keyword, rest) in &runtime.instructions {
        match keyword.as_str() {
            "COPY" => copies.push(rest.as_str()),
            "LABEL" | "USER" | "EXPOSE" | "ENTRYPOINT" | "CMD" => {}
            // No RUN (ubi-micro has no shell), no ADD, no ENV or VOLUME nobody asked for.
            other => panic!("the runtime stage has {other} {rest}"),
        }
    }
    assert_eq!(
        copies,
        [
            format!("--from=build /out/tollgate {BINARY}"),
            format!("--from=build /out/policies {PACK}"),
        ]
    );
    let users: Vec<&str> = runtime
        .instructions
        .iter()
        .filter(|(k, _)| k == "USER")
        .map(|(_, r)| r.as_str())
        .collect();
    let uid: u32 = users
        .last()
        .expect("a USER")
        .parse()
        .expect("a numeric UID");
    assert_ne!(uid, 0, "the image runs as a non-root user");
    let labels = runtime.instructions.iter().filter(|(k, _)| k == "LABEL");
    assert!(labels.count() >= 1);
}

#[test]
fn the_entrypoint_port_and_default_arguments_are_those_the_deployment_uses() {
    let stages = stages(&root_file("Containerfile"));
    let runtime = stages.last().unwrap();
    assert_eq!(exec_form(runtime, "ENTRYPOINT"), [BINARY]);
    let cmd = workload::serve_flags(&exec_form(runtime, "CMD"));
    assert_eq!(cmd["--policies"], PACK, "the default pack the image holds");

    let m = Manifests::load();
    let exposed: Vec<&str> = runtime
        .instructions
        .iter()
        .filter(|(k, _)| k == "EXPOSE")
        .map(|(_, r)| r.as_str())
        .collect();
    assert_eq!(exposed, [workload::listen_port(&m).to_string()]);

    // The Deployment runs this image: its name is the one kustomization.yaml rewrites.
    let k: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(format!("{}/kustomization.yaml", super::DIR)).unwrap(),
    )
    .unwrap();
    let images = k["images"]
        .as_array()
        .expect("kustomization.yaml sets the image");
    assert!(
        images
            .iter()
            .any(|i| i["name"] == IMAGE_NAME && i["newName"].is_string()),
        "{images:?}"
    );
}

#[test]
fn the_build_context_leaves_out_build_output_and_history() {
    let ignore = root_file(".dockerignore");
    let entries: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for wanted in ["target", "**/target", ".git"] {
        assert!(entries.contains(&wanted), "{wanted} missing: {entries:?}");
    }
}
