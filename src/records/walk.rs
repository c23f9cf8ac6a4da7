//! Finding the records under `backtest`'s paths: `*.json` files, recursively, symlinks followed
//! only when they stay inside the directory given; every entry that cannot be used is reported,
//! not fatal.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::input::{self, LinkError};

use super::RecordError;

/// A record file found: the path as shown, and where to read it (symlinks resolved).
#[derive(Debug, Clone)]
pub struct Found {
    pub shown: PathBuf,
    pub read: PathBuf,
}

/// The record files under `paths` (a directory is searched recursively; a file is taken as
/// one record) in a stable order, and the entries that could not be used. Hidden entries
/// (`.name`, e.g. a record still being written) and files not ending in `.json` are skipped.
pub fn find_records(paths: &[PathBuf], max_bytes: u64) -> (Vec<Found>, Vec<RecordError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    // Shared by every path given: a directory named twice, or inside another, is read once.
    let mut visited = BTreeSet::new();
    for p in paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                errors.push(RecordError::new(p, e.to_string()));
                continue;
            }
        };
        if !meta.is_dir() {
            // Named on the command line: the user's choice, read wherever it leads.
            match input::check_regular(&meta, max_bytes, Some(MAX_FLAG)) {
                Ok(()) => found.push(Found {
                    shown: p.clone(),
                    read: p.clone(),
                }),
                Err(m) => errors.push(RecordError::new(p, m)),
            }
            continue;
        }
        let root = match p.canonicalize() {
            Ok(r) => r,
            Err(e) => {
                errors.push(RecordError::new(p, e.to_string()));
                continue;
            }
        };
        let mut walk = Walk {
            root: &root,
            max_bytes,
            visited: &mut visited,
            found: &mut found,
            errors: &mut errors,
        };
        walk.dir(p, root.clone());
    }
    (found, errors)
}

const MAX_FLAG: &str = "--max-record-bytes";

struct Walk<'a> {
    root: &'a Path,
    max_bytes: u64,
    visited: &'a mut BTreeSet<PathBuf>,
    found: &'a mut Vec<Found>,
    errors: &'a mut Vec<RecordError>,
}

impl Walk<'_> {
    /// Walks `dir` (canonically `canon`) unless it was walked already (a link back to it).
    fn dir(&mut self, dir: &Path, canon: PathBuf) {
        if !self.visited.insert(canon) {
            return;
        }
        let entries = std::fs::read_dir(dir).and_then(|rd| {
            rd.map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        });
        let mut entries = match entries {
            Ok(e) => e,
            Err(e) => return self.errors.push(RecordError::new(dir, e.to_string())),
        };
        entries.sort();
        for e in entries {
            let hidden = e
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden {
                if let Err(m) = self.entry(&e) {
                    self.errors.push(RecordError::new(&e, m));
                }
            }
        }
    }

    fn entry(&mut self, path: &Path) -> Result<(), String> {
        let lmeta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
        let (meta, target) = if lmeta.file_type().is_symlink() {
            match input::follow_inside(path, self.root) {
                Ok(found) => (found.1, found.0),
                Err(LinkError::Dangling) => {
                    return Err("a dangling symlink: what it points to does not exist".into())
                }
                Err(LinkError::Outside(to)) => {
                    return Err(format!(
                        "a symlink that leads outside the record directory {} (to {}); only \
                         links inside it are followed",
                        self.root.display(),
                        to.display()
                    ))
                }
                Err(LinkError::Io(e)) => return Err(e.to_string()),
            }
        } else {
            (lmeta, path.to_path_buf())
        };
        if meta.is_dir() {
            let canon = if target == path {
                path.canonicalize().map_err(|e| e.to_string())?
            } else {
                target
            };
            self.dir(path, canon);
            return Ok(());
        }
        if path.extension().is_none_or(|x| x != "json") {
            return Ok(());
        }
        input::check_regular(&meta, self.max_bytes, Some(MAX_FLAG))?;
        self.found.push(Found {
            shown: path.to_path_buf(),
            read: target,
        });
        Ok(())
    }
}
