//! Keeps the README true: its configuration parses, and every `tollgate …` command it shows
//! uses only commands and flags the binary accepts.

use std::collections::BTreeSet;

use crate::common::tollgate;

pub fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// Fenced blocks of one language, in order.
pub fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut out = vec![];
    // (language, body) of the fence we are in, if any.
    let mut open: Option<(String, String)> = None;
    for line in text.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (open.take(), fence) {
            (None, Some(l)) => open = Some((l.trim().to_string(), String::new())),
            (Some((l, body)), Some(_)) => {
                if l == lang {
                    out.push(body);
                }
            }
            (Some((l, mut body)), None) => {
                body.push_str(line);
                body.push('\n');
                open = Some((l, body));
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn the_configuration_example_is_valid() {
    let yaml = &blocks(&readme(), "yaml")[0];
    let settings = tollgate::config::Settings::parse(yaml, "README.md").unwrap();
    assert_eq!(settings.environment_of("shop-live"), "prod");
}

#[test]
fn every_command_shown_uses_real_flags() {
    let text = readme();
    let mut checked = 0;
    for block in blocks(&text, "sh").iter().chain(blocks(&text, "").iter()) {
        for line in block.lines() {
            let line = line.trim();
            let Some(rest) = line
                .strip_prefix("tollgate ")
                .or_else(|| line.strip_prefix("cargo run -- "))
            else {
                continue;
            };
            let mut words = rest.split_whitespace();
            let command = words.next().unwrap();
            let help = tollgate().args([command, "--help"]).output().unwrap();
            assert!(
                help.status.success(),
                "`{command}` is not a command: {line}"
            );
            let help = String::from_utf8(help.stdout).unwrap();
            let code = rest.split(" #").next().unwrap();
            let flags: BTreeSet<&str> = code
                .split(|c: char| c.is_whitespace() || c == '|')
                .map(|w| w.trim_start_matches('['))
                .filter(|w| w.starts_with("--"))
                .map(|w| w.trim_end_matches(['.', ']']).split('=').next().unwrap())
                .collect();
            for flag in flags {
                assert!(
                    help.contains(flag),
                    "`{flag}` is not a flag of `{command}`: {line}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "found only {checked} commands in the README");
}

#[test]
fn the_ci_examples_parse_and_use_real_flags() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci");
    for name in ["tekton-task.yaml", "github-actions.yaml", "Jenkinsfile"] {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        if name.ends_with(".yaml") {
            let doc: serde_json::Value = serde_saphyr::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"));
            assert!(doc.is_object(), "{name}");
        }
        let commands: BTreeSet<&str> = ["check", "promote"]
            .into_iter()
            .filter(|c| text.contains(&format!("tollgate {c}")))
            .collect();
        assert!(!commands.is_empty(), "{name} runs no tollgate command");
        let helps: Vec<String> = commands
            .iter()
            .map(|c| {
                let out = tollgate().args([c, "--help"]).output().unwrap();
                String::from_utf8(out.stdout).unwrap()
            })
            .collect();
        let flags: BTreeSet<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            // The examples install tollgate with cargo; those flags are cargo's.
            .filter(|w| !["--path", "--locked"].contains(w))
            .collect();
        for flag in flags {
            assert!(
                helps.iter().any(|h| h.contains(flag)),
                "{name}: `{flag}` is not a flag of tollgate {commands:?}"
            );
        }
    }
}
