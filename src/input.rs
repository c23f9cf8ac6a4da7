//! Bounded reads of input files: regular files only, size-capped before and while reading.

use std::fs::Metadata;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What kind of file system entry `meta` describes, for messages about non-regular files.
pub fn kind_of(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else if t.is_symlink() {
        "a symlink"
    } else {
        "not a regular file"
    }
}

/// `Err` unless `meta` is a regular file of at most `limit` bytes. Checked before opening, so a
/// FIFO (which would block the open) or a device such as `/dev/zero` is never opened.
pub fn check_regular(meta: &Metadata, limit: u64, flag: Option<&str>) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!("not a regular file ({})", kind_of(meta)));
    }
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit, flag));
    }
    Ok(())
}

/// The message for a file above its limit; `flag` is the option that raises the limit, if any.
pub fn too_large(size: u64, limit: u64, flag: Option<&str>) -> String {
    let raise = flag.map_or(String::new(), |f| format!("; raise it with {f}"));
    format!("{size} bytes, more than the limit of {limit} bytes{raise}")
}

/// Why a symlink is not followed.
pub enum LinkError {
    /// What it points to does not exist.
    Dangling,
    /// It resolves outside the directory it was found in (to this path).
    Outside(PathBuf),
    Io(std::io::Error),
}

/// Resolves a symlink and checks it stays inside `root` (a canonical path): what it leads to
/// and its metadata. Policy directories and snapshots follow links only this way.
pub fn follow_inside(path: &Path, root: &Path) -> Result<(PathBuf, Metadata), LinkError> {
    let target = path.canonicalize().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LinkError::Dangling
        } else {
            LinkError::Io(e)
        }
    })?;
    if !target.starts_with(root) {
        return Err(LinkError::Outside(target));
    }
    let meta = std::fs::metadata(&target).map_err(LinkError::Io)?;
    Ok((target, meta))
}

/// Reads a regular file of at most `limit` bytes as UTF-8 text (symlinks followed). The size
/// is checked from the metadata and again while reading, since the file may grow in between.
/// The message does not name the file: callers add it.
pub fn read_text(path: &Path, limit: u64, flag: Option<&str>) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    check_regular(&meta, limit, flag)?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit, flag));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_regular_files_and_refuses_the_rest() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.txt");
        std::fs::write(&f, "hello").unwrap();
        assert_eq!(read_text(&f, 5, None).unwrap(), "hello");
        let e = read_text(&f, 4, Some("--max-x")).unwrap_err();
        assert_eq!(
            e,
            "5 bytes, more than the limit of 4 bytes; raise it with --max-x"
        );
        let e = read_text(d.path(), 10, None).unwrap_err();
        assert!(e.contains("a directory"), "{e}");
        let e = read_text(Path::new("/dev/zero"), 10, None).unwrap_err();
        assert!(e.contains("a device"), "{e}");
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert!(read_text(&f, 5, None).unwrap_err().contains("not UTF-8"));
    }
}
