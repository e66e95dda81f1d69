//! Careful file writing and reading for everything octoken keeps on disk: atomic
//! replace (temp file, fsync, rename, fsync the directory) and, for secret files,
//! owner-only permissions that are checked again on every read.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` so that a reader sees the old or the new content, never
/// a mix, and a crash leaves one of the two on disk. Private files are 0600 in a 0700
/// directory.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::other(format!("{} has no directory", path.display())))?;
    create_dir(dir, private)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = open_new(&tmp, private).map_err(|e| Error::io("create", &tmp, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("write", &tmp, e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| Error::io("replace", path, e))?;
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

pub fn create_dir(dir: &Path, private: bool) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    #[cfg(not(unix))]
    let _ = private;
    builder
        .create(dir)
        .map_err(|e| Error::io("create the directory", dir, e))
}

fn open_new(path: &Path, private: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // create_new (O_EXCL) also refuses to follow a link planted at the temp path.
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)
}

/// Makes a rename durable. Not possible (nor needed) on Windows, where directories
/// cannot be opened as files.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Reads a file that holds secrets: None when absent; refused when it is a symlink, not
/// a regular file, or readable by anyone but its owner.
pub fn read_private(path: &Path) -> Result<Option<Vec<u8>>> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("inspect", path, e)),
    };
    let refuse = |why: &str, fix: String| {
        Err(Error::storage(
            format!("refusing to read {}: {why}", path.display()),
            fix,
        ))
    };
    if meta.file_type().is_symlink() {
        return refuse(
            "it is a symbolic link",
            "replace the link with the file itself".into(),
        );
    }
    if !meta.is_file() {
        return refuse("it is not a regular file", "remove it".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return refuse(
                &format!("its permissions {mode:03o} let other users read it"),
                format!("run `chmod 600 {}`", path.display()),
            );
        }
    }
    fs::read(path)
        .map(Some)
        .map_err(|e| Error::io("read", path, e))
}

/// The permission bits of a file others can read, when they can (never on Windows,
/// whose ACLs this does not judge).
pub fn readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Removes a file; absent is fine.
pub fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}
