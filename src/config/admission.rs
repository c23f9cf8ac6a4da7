//! `admission:` in `tollgate.yaml`: which tags `tollgate serve` guards and whether a guarded
//! tag may be deleted (docs/design/ADMISSION.md, "What counts as a promotion here").

use serde::Deserialize;

use crate::refs::{is_dns_label, parse_destination, ImageRef};

/// Environments guarded without configuration: a tag followed by a workload in one of these
/// is a promotion into production, whoever moves it.
pub const DEFAULT_GUARDED_ENVIRONMENTS: [&str; 2] = ["prod", "production"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdmission {
    guarded_environments: Option<Vec<String>>,
    #[serde(default)]
    guarded_tags: Vec<String>,
    #[serde(default)]
    allow_delete: bool,
}

/// What `serve` guards, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionSettings {
    /// Environments whose workloads' followed tags are guarded.
    pub guarded_environments: Vec<String>,
    /// Tags guarded whatever follows them (`ns/stream:tag`), sorted.
    pub guarded_tags: Vec<ImageRef>,
    /// Whether deleting a guarded tag is allowed (default: denied — the next rollout of every
    /// workload that follows it would fail).
    pub allow_delete: bool,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        AdmissionSettings {
            guarded_environments: DEFAULT_GUARDED_ENVIRONMENTS.map(String::from).to_vec(),
            guarded_tags: vec![],
            allow_delete: false,
        }
    }
}

impl AdmissionSettings {
    pub fn guards_environment(&self, environment: &str) -> bool {
        self.guarded_environments.iter().any(|e| e == environment)
    }

    /// Whether configuration names this tag.
    pub fn names_tag(&self, namespace: &str, stream: &str, tag: &str) -> bool {
        self.guarded_tags
            .iter()
            .any(|r| r.namespace == namespace && r.stream == stream && r.tag() == Some(tag))
    }
}

/// Validates the raw section; errors name the key (`admission.guarded_tags[1]: …`).
pub(super) fn admission(raw: RawAdmission) -> Result<AdmissionSettings, String> {
    let guarded_environments = match raw.guarded_environments {
        None => AdmissionSettings::default().guarded_environments,
        Some(list) => {
            for (i, e) in list.iter().enumerate() {
                if e.trim().is_empty() {
                    return Err(format!(
                        "admission.guarded_environments[{i}]: an environment name is empty"
                    ));
                }
            }
            list
        }
    };
    let mut guarded_tags = raw
        .guarded_tags
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let r = parse_destination(t, None)
                .map_err(|e| format!("admission.guarded_tags[{i}]: {e}"))?;
            if !is_dns_label(&r.namespace) {
                return Err(format!(
                    "admission.guarded_tags[{i}]: `{}` is not a valid namespace name",
                    r.namespace
                ));
            }
            Ok(r)
        })
        .collect::<Result<Vec<_>, String>>()?;
    guarded_tags.sort_by_key(|r| r.to_string());
    guarded_tags.dedup();
    Ok(AdmissionSettings {
        guarded_environments,
        guarded_tags,
        allow_delete: raw.allow_delete,
    })
}
