//! Writing a record: encoded once, named by the SHA-256 of its bytes, written atomically and
//! never over another file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::facts::Facts;
use crate::report::Report;

use super::RECORD_SCHEMA;

#[derive(Serialize)]
struct RecordOut<'a> {
    schema: &'static str,
    time: String,
    tollgate_version: &'static str,
    rules_digest: &'a str,
    facts: &'a Facts,
    report: &'a Report,
}

/// The bytes of the record of one decision made at `time` (pretty JSON: records are read by
/// auditors, not only by `backtest`).
pub fn encode(
    facts: &Facts,
    report: &Report,
    rules_digest: &str,
    time: OffsetDateTime,
) -> Result<Vec<u8>, String> {
    let time = time
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(time)
        .format(&Rfc3339)
        .map_err(|e| e.to_string())?;
    let record = RecordOut {
        schema: RECORD_SCHEMA,
        time,
        tollgate_version: env!("CARGO_PKG_VERSION"),
        rules_digest,
        facts,
        report,
    };
    let mut bytes = serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` as `dir/<sha256 of bytes>.json` (creating `dir`) and returns that path. The
/// file appears whole or not at all: written to a temporary file in `dir`, synced, then linked
/// under its name, which fails rather than replace a file (the same name holds the same bytes:
/// already recorded). Where hard links are not supported it is renamed instead, which may only
/// replace identical content. The message of an `Err` does not name `dir`: callers add it.
pub fn write_record(dir: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    let name = format!("{:x}.json", Sha256::digest(bytes));
    let path = dir.join(&name);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the directory: {e}"))?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Ok(path);
    }
    let temp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    let placed = write_synced(&temp, bytes).and_then(|()| place(&temp, &path));
    // The temporary name is gone either way (linked: a second name; renamed: already gone).
    let _ = std::fs::remove_file(&temp);
    placed?;
    // The new directory entry is durable only once the directory itself is synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

fn write_synced(temp: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(|e| format!("cannot create {}: {e}", temp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", temp.display()))
}

fn place(temp: &Path, path: &Path) -> Result<(), String> {
    match std::fs::hard_link(temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) => std::fs::rename(temp, path).map_err(|e| {
            format!(
                "cannot rename {} to {}: {e}",
                temp.display(),
                path.display()
            )
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn named_by_content_written_once_no_temporary_left() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("a/b");
        let p = write_record(&dir, b"{\"x\": 1}\n").unwrap();
        let want = format!("{:x}.json", Sha256::digest(b"{\"x\": 1}\n"));
        assert_eq!(p.file_name().unwrap().to_str().unwrap(), want);
        assert_eq!(std::fs::read(&p).unwrap(), b"{\"x\": 1}\n");
        // The same content again: the same file, untouched.
        let before = std::fs::metadata(&p).unwrap().modified().unwrap();
        assert_eq!(write_record(&dir, b"{\"x\": 1}\n").unwrap(), p);
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), before);
        write_record(&dir, b"{\"x\": 2}\n").unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    }

    #[test]
    fn an_unwritable_place_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("f");
        std::fs::write(&file, "").unwrap();
        let e = write_record(&file.join("sub"), b"{}").unwrap_err();
        assert!(e.contains("cannot create the directory"), "{e}");
    }
}
