//! Finds a snapshot's files: regular files only, symlinks kept inside the root, each directory
//! walked once, sizes bounded before anything is read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{LoadLimits, SnapshotError};
use crate::input::{self, LinkError};

/// A file to read, with the size its metadata reported.
pub(super) struct Found {
    pub path: PathBuf,
    pub size: u64,
}

/// The files of one command-line path. A file named explicitly is read whatever its
/// extension; in a directory only `*.yaml|*.yml|*.json` are. Symlinks are followed only when
/// they resolve inside `root` (the path as given, canonical), and a directory reached twice
/// (e.g. through two `-> .` links) is walked once, so the walk stays linear.
pub(super) fn collect(
    root: &Path,
    limits: &LoadLimits,
    out: &mut Vec<Found>,
) -> Result<(), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: root.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(root).map_err(io)?;
    if !meta.is_dir() {
        input::check_regular(&meta, limits.max_file_bytes, Some(FILE_FLAG))
            .map_err(|m| unusable(root, m))?;
        out.push(Found {
            path: root.to_path_buf(),
            size: meta.len(),
        });
        return Ok(());
    }
    let canon = root.canonicalize().map_err(io)?;
    let mut walk = Walk {
        root: &canon,
        limits,
        visited: BTreeSet::new(),
        out,
    };
    walk.dir(root, canon.clone())
}

/// The flag that raises the per-file limit, named in messages.
pub(super) const FILE_FLAG: &str = "--max-snapshot-file-bytes";
/// The flag that raises the total limit, named in messages.
pub(super) const TOTAL_FLAG: &str = "--max-snapshot-bytes";

pub(super) fn unusable(path: &Path, message: String) -> SnapshotError {
    SnapshotError::Unusable {
        path: path.display().to_string(),
        message,
    }
}

pub(super) fn is_snapshot_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

struct Walk<'a> {
    root: &'a Path,
    limits: &'a LoadLimits,
    visited: BTreeSet<PathBuf>,
    out: &'a mut Vec<Found>,
}

impl Walk<'_> {
    /// Walks `dir` (shown as `dir`, canonically `canon`) unless it was walked already.
    fn dir(&mut self, dir: &Path, canon: PathBuf) -> Result<(), SnapshotError> {
        if !self.visited.insert(canon) {
            tracing::debug!(dir = %dir.display(), "directory already read (reached through a symlink)");
            return Ok(());
        }
        let io = |source| SnapshotError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort();
        for e in entries {
            self.entry(&e)?;
        }
        Ok(())
    }

    fn entry(&mut self, path: &Path) -> Result<(), SnapshotError> {
        let io = |source| SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let lmeta = std::fs::symlink_metadata(path).map_err(io)?;
        let (meta, canon) = if lmeta.file_type().is_symlink() {
            match input::follow_inside(path, self.root) {
                Ok((target, meta)) => (meta, target),
                Err(LinkError::Dangling) => {
                    return Err(unusable(
                        path,
                        "a dangling symlink: what it points to does not exist".into(),
                    ))
                }
                Err(LinkError::Outside(target)) => {
                    return Err(unusable(
                        path,
                        format!(
                            "a symlink that leads outside the snapshot directory {} (to {}); only links inside it are followed",
                            self.root.display(),
                            target.display()
                        ),
                    ))
                }
                Err(LinkError::Io(e)) => return Err(io(e)),
            }
        } else {
            (lmeta, path.to_path_buf())
        };
        if meta.is_dir() {
            // A real subdirectory's canonical path is its parent's plus its name; a linked
            // one was resolved above. Either way the visited set sees the true directory.
            let canon = if canon == path {
                path.canonicalize().map_err(io)?
            } else {
                canon
            };
            return self.dir(path, canon);
        }
        if !is_snapshot_file(path) {
            return Ok(());
        }
        input::check_regular(&meta, self.limits.max_file_bytes, Some(FILE_FLAG))
            .map_err(|m| unusable(path, m))?;
        self.out.push(Found {
            path: path.to_path_buf(),
            size: meta.len(),
        });
        Ok(())
    }
}
