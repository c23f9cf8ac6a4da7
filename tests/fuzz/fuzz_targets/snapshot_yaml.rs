//! Fuzzes one `--snapshot` file read as YAML: no panic; accepted objects are named, and build facts that replay.
#![no_main]

#[path = "common/facts.rs"]
mod facts;
#[path = "common/snapshot.rs"]
mod snapshot;

libfuzzer_sys::fuzz_target!(|data: &[u8]| snapshot::check(data, "fuzz/snapshot.yaml"));
