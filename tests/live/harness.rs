//! The test bench: an emulator seeded with an example state, a kubeconfig, and the CLI binary.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use tollgate_emulator::Emulator;

use crate::common::{tollgate, DEST, NOW, SOURCE};

/// An emulator seeded with one example state, and a kubeconfig for it.
pub struct Live {
    // Field order is drop order: the emulator's tasks stop before the runtime goes.
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    _rt: tokio::runtime::Runtime,
}

pub fn live(state: &str) -> Live {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(Emulator::start());
    let report = emu.seed_dir(seed_dir(state)).unwrap();
    assert!(report.skipped.is_empty(), "{state}: {report:?}");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = emu.kubeconfig(dir.path());
    Live {
        emu,
        dir,
        kubeconfig,
        _rt: rt,
    }
}

pub fn seed_dir(state: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/seed")
        .join(state)
}

impl Live {
    pub fn run(&self, command: &str, extra: &[&str]) -> Output {
        tollgate()
            .args([command, SOURCE, DEST, "--time", NOW])
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(extra)
            .output()
            .expect("runs")
    }

    pub fn check(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["--output", "json"];
        args.extend_from_slice(extra);
        let out = self.run("check", &args);
        (out.status.code().expect("exit code"), json(&out))
    }

    pub fn facts(&self, extra: &[&str]) -> Value {
        let out = self.run("facts", extra);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)
    }
}

pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        )
    })
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn snapshot_check(state: &str) -> (i32, Value) {
    let snapshot = seed_dir(state);
    let out = tollgate()
        .args(["check", SOURCE, DEST, "--time", NOW, "--output", "json"])
        .arg("--snapshot")
        .arg(&snapshot)
        .output()
        .expect("runs");
    (out.status.code().expect("exit code"), json(&out))
}
