//! Realistic ClusterRoleBindings, and snapshots of a seed state grown by N of them.
//!
//! The mix follows what a large OpenShift cluster holds: most cluster bindings give operator
//! service accounts their own ClusterRoles; some give teams non-pulling roles (self-provisioner,
//! basic-user); a fifth give users or groups a role that can pull (`view`, `cluster-reader`),
//! so `rbac.pullers` grows with them as it would on a real cluster.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use serde_json::{json, Value};

/// One generated binding: name, role, subjects as `(kind, name, namespace)`.
pub struct Crb {
    pub name: String,
    pub role: &'static str,
    pub custom_role: Option<String>,
    pub subjects: Vec<(&'static str, String, Option<String>)>,
}

impl Crb {
    fn role_name(&self) -> &str {
        self.custom_role.as_deref().unwrap_or(self.role)
    }
}

/// The `i`-th generated ClusterRoleBinding (deterministic).
pub fn crb(i: usize) -> Crb {
    let n = format!("{i:06}");
    match i % 20 {
        // 60 %: an operator's service account bound to the operator's own ClusterRole.
        0..=11 => Crb {
            name: format!("operator-{n}-manager"),
            role: "",
            custom_role: Some(format!("operator-{n}-manager-role")),
            subjects: vec![(
                "ServiceAccount",
                "controller-manager".into(),
                Some(format!("operator-{n}")),
            )],
        },
        // 20 %: teams allowed to create projects, or basic users.
        12..=15 => Crb {
            name: format!("team-{n}-self-provisioners"),
            role: if i % 2 == 0 {
                "self-provisioner"
            } else {
                "basic-user"
            },
            custom_role: None,
            subjects: vec![("Group", format!("team-{n}"), None)],
        },
        // 15 %: a user who may view the whole cluster (can pull).
        16..=18 => Crb {
            name: format!("user-{n}-view"),
            role: "view",
            custom_role: None,
            subjects: vec![("User", format!("user-{n}"), None)],
        },
        // 5 %: auditors (a group and a robot account) reading everything (can pull).
        _ => Crb {
            name: format!("auditors-{n}"),
            role: "cluster-reader",
            custom_role: None,
            subjects: vec![
                ("Group", format!("auditors-{n}"), None),
                (
                    "ServiceAccount",
                    "audit-bot".into(),
                    Some(format!("audit-{n}")),
                ),
            ],
        },
    }
}

fn uid(i: usize) -> String {
    format!(
        "6f1c{i:08x}-0000-4000-8000-{:012x}",
        i.wrapping_mul(2_654_435_761)
    )
}

/// The binding as `oc get clusterrolebinding -o json` writes it.
pub fn crb_json(i: usize) -> Value {
    let b = crb(i);
    let subjects: Vec<Value> = b
        .subjects
        .iter()
        .map(|(kind, name, ns)| {
            let mut s = json!({"kind": kind, "name": name});
            match ns {
                Some(ns) => s["namespace"] = json!(ns),
                None => s["apiGroup"] = json!("rbac.authorization.k8s.io"),
            }
            s
        })
        .collect();
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {
            "creationTimestamp": "2024-02-01T10:00:00Z",
            "name": b.name,
            "resourceVersion": format!("{}", 100_000 + i),
            "uid": uid(i),
        },
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": b.role_name()},
        "subjects": subjects,
    })
}

/// Appends the binding as one item of an `oc get … -o yaml` List.
pub fn crb_yaml(i: usize, out: &mut String) {
    let b = crb(i);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRoleBinding\n  metadata:\n    creationTimestamp: \"2024-02-01T10:00:00Z\"\n    name: {}\n    resourceVersion: \"{}\"\n    uid: {}\n  roleRef:\n    apiGroup: rbac.authorization.k8s.io\n    kind: ClusterRole\n    name: {}\n  subjects:\n",
        b.name,
        100_000 + i,
        uid(i),
        b.role_name()
    );
    for (kind, name, ns) in &b.subjects {
        match ns {
            Some(ns) => {
                let _ = write!(
                    out,
                    "  - kind: {kind}\n    name: {name}\n    namespace: {ns}\n"
                );
            }
            None => {
                let _ = write!(
                    out,
                    "  - apiGroup: rbac.authorization.k8s.io\n    kind: {kind}\n    name: {name}\n"
                );
            }
        }
    }
}

/// How the generated bindings are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One `cluster/generated.json` List holding all of them.
    JsonList,
    /// `cluster/generated-NNNN.yaml` Lists of at most this many each.
    YamlLists(usize),
}

/// Copies the seed state `seed` to `out` and adds `n` generated ClusterRoleBindings.
pub fn write_snapshot(seed: &Path, out: &Path, n: usize, format: Format) -> io::Result<()> {
    copy_dir(seed, out)?;
    let cluster = out.join("cluster");
    fs::create_dir_all(&cluster)?;
    match format {
        Format::JsonList => {
            let items: Vec<Value> = (0..n).map(crb_json).collect();
            let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
            fs::write(cluster.join("generated.json"), serde_json::to_vec(&list)?)?;
        }
        Format::YamlLists(per_file) => {
            let per_file = per_file.max(1);
            for (f, start) in (0..n).step_by(per_file).enumerate() {
                let mut text = String::from(
                    "# oc get clusterrolebindings -o yaml (generated)\napiVersion: v1\nitems:\n",
                );
                for i in start..(start + per_file).min(n) {
                    crb_yaml(i, &mut text);
                }
                text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
                fs::write(cluster.join(format!("generated-{f:04}.yaml")), text)?;
            }
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The YAML and JSON writers describe the same binding.
    #[test]
    fn yaml_and_json_agree() {
        for i in [0, 12, 13, 16, 19] {
            let mut y = String::new();
            crb_yaml(i, &mut y);
            let j = crb_json(i);
            let name = j["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(y.contains(&format!("name: {name}\n")), "{y}");
            let role = j["roleRef"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(y.contains(&format!("    name: {role}\n")), "{y}");
            assert_eq!(
                y.matches("  - ").count(),
                j["subjects"].as_array().map_or(0, Vec::len)
            );
        }
    }

    /// About a fifth of the bindings can pull: the mix the module comment promises.
    #[test]
    fn a_fifth_can_pull() {
        let pulling = (0..1000)
            .filter(|i| matches!(crb(*i).role, "view" | "cluster-reader"))
            .count();
        assert_eq!(pulling, 200);
    }
}
