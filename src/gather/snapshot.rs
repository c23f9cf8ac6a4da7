//! Loads a snapshot: files exported with `oc get … -o yaml|json` into [`ClusterObjects`].
//!
//! A path is a file or a directory (walked recursively, sorted, `*.yaml|*.yml|*.json`). A file
//! holds one object, a `List`, or several YAML documents. Unknown kinds are skipped; a file that
//! does not parse, or an object of a known kind that cannot be read, is an error naming the file,
//! the object and the line or field, because a half-read snapshot would give wrong facts.
//! Files are found by [`walk`] (regular files, symlinks inside the root, sizes bounded) and
//! parsed by [`parse`] (strict JSON, bounded YAML).

mod decode;
mod fast_rbac;
mod fast_yaml;
mod parse;
mod sink;
mod stream;
mod walk;

use parse::Parsed;
use sink::add_parsed;
pub use sink::{load_text, Sink};

use std::path::PathBuf;

use thiserror::Error;

use super::objects::{ClusterObjects, Provenance};

/// Why a snapshot cannot be used.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot path {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: not valid {format}: {message}")]
    Syntax {
        file: String,
        line: u64,
        column: u64,
        format: &'static str,
        message: String,
    },
    #[error("{file}: {object}: field `{field}`: {message}")]
    Invalid {
        file: String,
        object: String,
        field: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Unusable { path: String, message: String },
    #[error("{object} is in the snapshot twice with different contents: {first} and {second}; keep only the current export of it (which one is current cannot be told)")]
    Conflict {
        object: String,
        first: String,
        second: String,
    },
    #[error("snapshot {paths}: {detail}; export objects with e.g. `oc get is,istag,dc,rolebindings -n dev -o yaml > dev.yaml`")]
    Empty { paths: String, detail: String },
}

/// Bounds on what a snapshot may make the gate read; the defaults are far above a
/// 300,000-binding export (about 350 MB of JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadLimits {
    /// The largest single file read, in bytes (`--max-snapshot-file-bytes`).
    pub max_file_bytes: u64,
    /// The most bytes read over all files of the snapshot (`--max-snapshot-bytes`).
    pub max_total_bytes: u64,
}

/// 1 GiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
/// 4 GiB.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 4 << 30;

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
        }
    }
}

/// The fast YAML reader checked against serde-saphyr on `text`, for the differential fuzz
/// target: `Ok(true)` when it read the text and both agree, `Ok(false)` when it left the text
/// to serde-saphyr, `Err` saying what differs.
#[doc(hidden)]
pub fn fast_yaml_agrees(text: &str) -> Result<bool, String> {
    fast_yaml::differential(text)
}

/// Below this many bytes in all, a snapshot's files are parsed on the calling thread: starting
/// threads (and their allocator heaps) costs more than parsing a few small files; it was 1.2 ms
/// of the seed's 6.9 ms `check --snapshot` (BENCHMARKS.md, "Start-up").
const PARALLEL_MIN_BYTES: u64 = 256 * 1024;

/// Loads every object the gate reads from the given files and directories, with the default
/// [`LoadLimits`].
pub fn load(paths: &[PathBuf]) -> Result<ClusterObjects, SnapshotError> {
    load_with(paths, &LoadLimits::default())
}

/// Loads every object the gate reads from the given files and directories.
pub fn load_with(paths: &[PathBuf], limits: &LoadLimits) -> Result<ClusterObjects, SnapshotError> {
    load_files(paths, limits, PARALLEL_MIN_BYTES)
}

/// [`load_with`], parsing in parallel from `parallel_min_bytes` in all (tests run both ways).
fn load_files(
    paths: &[PathBuf],
    limits: &LoadLimits,
    parallel_min_bytes: u64,
) -> Result<ClusterObjects, SnapshotError> {
    let mut files = Vec::new();
    for p in paths {
        walk::collect(p, limits, &mut files)?;
    }
    let mut sink = Sink::default();
    let mut total: u64 = 0;
    // Files are read and parsed a few at a time in parallel (parsing is most of a big
    // snapshot's cost), then added in order, so duplicates and errors are reported as a
    // sequential read would; only one batch's parsed documents are alive at once.
    let small = files.iter().map(|f| f.size).sum::<u64>() < parallel_min_bytes;
    let workers = if small {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    };
    for batch in files.chunks(workers) {
        for f in batch {
            // Checked from the metadata before reading, and below from what was actually read.
            total = total.saturating_add(f.size);
            if total > limits.max_total_bytes {
                return Err(over_total(f, total, limits));
            }
        }
        let parsed: Vec<Result<(u64, Parsed), SnapshotError>> = if batch.len() < 2 {
            batch.iter().map(|f| read_and_parse(f, limits)).collect()
        } else {
            parse_in_parallel(batch, limits)
        };
        for (f, result) in batch.iter().zip(parsed) {
            let (read, docs) = result?;
            // The metadata may have understated the file (it grew): count what was read.
            total = total.saturating_sub(f.size).saturating_add(read);
            if total > limits.max_total_bytes {
                return Err(over_total(f, total, limits));
            }
            add_parsed(docs, &f.path.display().to_string(), &mut sink)?;
        }
    }
    let shown = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if sink.objects.is_empty() {
        let detail = if files.is_empty() {
            "no .yaml, .yml or .json files found".to_string()
        } else if sink.skipped.is_empty() {
            format!("{} file(s) but no objects in them", files.len())
        } else {
            format!(
                "{} file(s) but none of the kinds the gate reads (found only: {})",
                files.len(),
                sink.skipped.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        return Err(SnapshotError::Empty {
            paths: shown,
            detail,
        });
    }
    sink.objects.origin = format!("snapshot {shown}");
    sink.objects.provenance = Provenance::Snapshot;
    tracing::debug!(
        objects = sink.objects.len(),
        files = files.len(),
        "snapshot loaded"
    );
    Ok(sink.objects)
}

/// Reads and parses one batch of files, a thread each, results in the batch's order.
fn parse_in_parallel(
    batch: &[walk::Found],
    limits: &LoadLimits,
) -> Vec<Result<(u64, Parsed), SnapshotError>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = batch
            .iter()
            .map(|f| s.spawn(move || read_and_parse(f, limits)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(SnapshotError::Unusable {
                        path: "snapshot".into(),
                        message: "internal error: a parser thread panicked".into(),
                    })
                })
            })
            .collect()
    })
}

fn over_total(f: &walk::Found, size: u64, limits: &LoadLimits) -> SnapshotError {
    walk::unusable(
        &f.path,
        format!(
            "the snapshot's files add up to {size} bytes here, more than the limit of {} bytes; raise it with {}",
            limits.max_total_bytes,
            walk::TOTAL_FLAG
        ),
    )
}

/// Reads one file (bounded) and parses its documents: (bytes read, documents). The text is
/// dropped before the objects are added.
fn read_and_parse(f: &walk::Found, limits: &LoadLimits) -> Result<(u64, Parsed), SnapshotError> {
    let text = crate::input::read_text(&f.path, limits.max_file_bytes, Some(walk::FILE_FLAG))
        .map_err(|m| walk::unusable(&f.path, m))?;
    let docs = parse::parse_file(&text, &f.path.display().to_string())?;
    Ok((text.len() as u64, docs))
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;

#[cfg(test)]
mod stream_tests;
