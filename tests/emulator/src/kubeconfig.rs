//! Writes a kubeconfig pointing at the emulator, as `oc login` would leave one.

use std::path::{Path, PathBuf};

/// `<dir>/kubeconfig` with one context `emulator` (server = `url`, bearer `token`, namespace `ns`).
pub fn write(dir: &Path, url: &str, token: &str, ns: &str) -> std::io::Result<PathBuf> {
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: emulator
  cluster:
    server: {url}
contexts:
- name: emulator
  context:
    cluster: emulator
    namespace: {ns}
    user: tollgate
current-context: emulator
preferences: {{}}
users:
- name: tollgate
  user:
    token: {token}
"
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text)?;
    Ok(path)
}
