//! Every file and directory octoken manages (config, secrets, recovery, state, cache,
//! locks) is opened here, by [`open`], and by nothing else. The rule is: trust no other
//! local user.
//!
//! - Opening never follows a symbolic link and never blocks (`O_NOFOLLOW | O_NONBLOCK |
//!   O_CLOEXEC`): a link or a FIFO planted at a managed path cannot redirect a write or
//!   hang `octoken token`.
//! - What was opened is then checked on the descriptor (fstat), not on the path, so
//!   nothing can be swapped in between: a regular file, owned by the effective user,
//!   writable by nobody else; secrets, cache, state and recovery files readable by
//!   nobody else either. The config file may be world-readable (it holds no secrets).
//! - Reads are capped at [`READ_LIMIT`]: a huge planted file is refused, not read.
//! - The directory holding a managed file, and each directory above it, must belong to
//!   the effective user or root and be writable by nobody else, unless it is sticky
//!   (like /tmp), where only an entry's owner can replace it and the descriptor check
//!   above makes sure the entries are ours.
//! - Directories are created 0700 and files 0600, set explicitly after creation, so the
//!   umask (even 000) plays no part.
//! - Atomic writes go to a temp file with a random name created with `O_EXCL`, retried on
//!   a name someone else took, then renamed over the target.
//!
//! Refusals are errors naming the path and a fix. Which of them the caller may shrug off
//! is the caller's decision: the disposable token cache treats any refusal as "no cache"
//! (see `store::cache`). On Windows, whose ACLs this does not judge, files are opened
//! plainly, as before; only the read cap applies.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The largest managed file octoken reads. Its own files are a few KiB at most.
pub const READ_LIMIT: u64 = 256 * 1024;

/// How many random temp names to try before giving up on an atomic write.
const TEMP_ATTEMPTS: usize = 8;

/// What a managed file holds, which decides how private it must be and which kind of
/// error (exit code) a refusal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Secrets, recovery, cache and state: readable and writable by the owner only.
    Private,
    /// `config.toml`: may be readable by others, never writable by them. Refusals are
    /// configuration errors (exit 3).
    Config,
    /// A lock file: holds nothing, must not be writable by others.
    Lock,
}

/// How a managed file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read an existing file.
    Read,
    /// Create a new file (`O_EXCL`), read-write, 0600.
    CreateNew,
    /// Open for reading and writing, creating it 0600 when absent (lock files).
    OpenOrCreate,
}

/// The one function through which octoken opens a file it manages. See the module
/// comment for what it guarantees. `Ok(None)`: `Read` of a file (or directory) that does
/// not exist. The parent directory must already exist for the other accesses (see
/// [`create_dir`]); it is checked in every case.
pub fn open(path: &Path, access: Access, class: Class) -> Result<Option<File>> {
    let dir = parent(path)?;
    match check_dirs(dir, class) {
        Ok(()) => {}
        Err(Missing) if access == Access::Read => return Ok(None),
        Err(Missing) => {
            return Err(Error::other(format!(
                "cannot open {}: its directory does not exist",
                path.display()
            )));
        }
        Err(Refused(e)) => return Err(e),
    }
    let (file, created) = match access {
        Access::Read => match options(Access::Read).open(path) {
            Ok(file) => (file, false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(open_error(path, class, access, e)),
        },
        Access::CreateNew => match options(Access::CreateNew).open(path) {
            Ok(file) => (file, true),
            Err(e) => return Err(open_error(path, class, access, e)),
        },
        Access::OpenOrCreate => match options(Access::CreateNew).open(path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                match options(Access::OpenOrCreate).open(path) {
                    Ok(file) => (file, false),
                    Err(e) => return Err(open_error(path, class, access, e)),
                }
            }
            Err(e) => return Err(open_error(path, class, access, e)),
        },
    };
    if created {
        set_private_mode(&file, path)?;
    }
    check_file(&file, path, class, access)?;
    Ok(Some(file))
}

fn options(access: Access) -> OpenOptions {
    let mut options = OpenOptions::new();
    match access {
        Access::Read => options.read(true),
        Access::CreateNew => options.read(true).write(true).create_new(true),
        Access::OpenOrCreate => options.read(true).write(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .mode(0o600);
    }
    options
}

/// 0600 whatever the umask was (the mode given to open(2) is masked by it).
fn set_private_mode(file: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("set the permissions of", path, e))?;
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

fn open_error(path: &Path, class: Class, access: Access, err: std::io::Error) -> Error {
    #[cfg(unix)]
    match err.raw_os_error() {
        // O_NOFOLLOW on a link: ELOOP on Linux and macOS, EMLINK on the BSDs.
        Some(libc::ELOOP) | Some(libc::EMLINK) => {
            return refuse(
                class,
                access,
                path,
                "it is a symbolic link",
                "replace the link with the file itself, or remove it".into(),
            );
        }
        // A FIFO opened for writing with no reader, or a device without its driver.
        Some(libc::ENXIO) => {
            return refuse(
                class,
                access,
                path,
                "it is not a regular file",
                remove_it(path),
            );
        }
        _ => {}
    }
    let _ = class;
    let action = if access == Access::Read {
        "open"
    } else {
        "create"
    };
    Error::io(action, path, err)
}

fn remove_it(path: &Path) -> String {
    format!("remove {} (octoken recreates it)", path.display())
}

fn refuse(class: Class, access: Access, path: &Path, why: &str, fix: String) -> Error {
    let verb = if access == Access::Read {
        "read"
    } else {
        "use"
    };
    let message = format!("refusing to {verb} {}: {why}", path.display());
    match class {
        Class::Config => Error::config(message, Some(fix)),
        Class::Private | Class::Lock => Error::storage(message, fix),
    }
}

/// The checks on an opened descriptor: type, owner, mode.
fn check_file(file: &File, path: &Path, class: Class, access: Access) -> Result<()> {
    let meta = file.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if !meta.is_file() {
        return Err(refuse(
            class,
            access,
            path,
            "it is not a regular file",
            remove_it(path),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = euid();
        if meta.uid() != me {
            return Err(refuse(
                class,
                access,
                path,
                &format!("it belongs to uid {}, not to you (uid {me})", meta.uid()),
                format!(
                    "remove it if you did not put it there; never share octoken's directories with other users ({})",
                    path.parent().unwrap_or(path).display()
                ),
            ));
        }
        let mode = meta.mode() & 0o7777;
        let forbidden = match class {
            Class::Private => 0o077,
            Class::Config | Class::Lock => 0o022,
        };
        if mode & forbidden != 0 {
            let who = if mode & forbidden & 0o022 != 0 {
                "write"
            } else {
                "read"
            };
            return Err(refuse(
                class,
                access,
                path,
                &format!(
                    "its permissions {:03o} let other users {who} it",
                    mode & 0o777
                ),
                format!("run `chmod 600 {}`", path.display()),
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn parent(path: &Path) -> Result<&Path> {
    match path.parent() {
        Some(p) if p.as_os_str().is_empty() => Ok(Path::new(".")),
        Some(p) => Ok(p),
        None => Err(Error::other(format!("{} has no directory", path.display()))),
    }
}

enum DirProblem {
    Missing,
    Refused(Error),
}
use DirProblem::{Missing, Refused};

/// The directory and every directory above it: each must exist, belong to the effective
/// user or root, and be writable by nobody else unless it is sticky. A symbolic link on
/// the way must belong to the effective user or root too.
fn check_dirs(dir: &Path, class: Class) -> std::result::Result<(), DirProblem> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let absolute = absolute(dir).map_err(|e| Refused(Error::io("find", dir, e)))?;
        let me = euid();
        let mut current = PathBuf::new();
        for component in absolute.components() {
            current.push(component);
            let link = match fs::symlink_metadata(&current) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Missing),
                Err(e) => return Err(Refused(Error::io("inspect", &current, e))),
            };
            let meta = if link.file_type().is_symlink() {
                if link.uid() != me && link.uid() != 0 {
                    return Err(Refused(refuse_dir(
                        class,
                        &current,
                        &format!("it is a symbolic link that belongs to uid {}", link.uid()),
                    )));
                }
                match fs::metadata(&current) {
                    Ok(m) => m,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Missing),
                    Err(e) => return Err(Refused(Error::io("inspect", &current, e))),
                }
            } else {
                link
            };
            if !meta.is_dir() {
                return Err(Refused(refuse_dir(
                    class,
                    &current,
                    "it is not a directory",
                )));
            }
            if meta.uid() != me && meta.uid() != 0 {
                return Err(Refused(refuse_dir(
                    class,
                    &current,
                    &format!("it belongs to uid {}, not to you (uid {me})", meta.uid()),
                )));
            }
            let mode = meta.mode();
            let sticky = mode & 0o1000 != 0;
            if mode & 0o022 != 0 && !sticky {
                return Err(Refused(refuse_dir(
                    class,
                    &current,
                    &format!(
                        "its permissions {:03o} let other users replace what is in it",
                        mode & 0o777
                    ),
                )));
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = class;
        match fs::metadata(dir) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Missing),
            Err(e) => Err(Refused(Error::io("inspect", dir, e))),
        }
    }
}

#[cfg(unix)]
fn absolute(dir: &Path) -> std::io::Result<PathBuf> {
    if dir.is_absolute() {
        Ok(dir.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(dir))
    }
}

#[cfg(unix)]
fn refuse_dir(class: Class, dir: &Path, why: &str) -> Error {
    let message = format!("refusing to use the directory {}: {why}", dir.display());
    let fix = "keep octoken's files in directories only you can write (e.g. `chmod go-w` them, or point OCTOKEN_*_DIR elsewhere)".to_string();
    match class {
        Class::Config => Error::config(message, Some(fix)),
        Class::Private | Class::Lock => Error::storage(message, fix),
    }
}

/// Replaces `path` with `bytes` so that a reader sees the old or the new content, never
/// a mix, and a crash leaves one of the two on disk. Every file is written 0600 in a
/// 0700 directory; `private` is kept for the callers' sake and decides only which kind
/// of error (config or storage) a refusal is.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let class = if private {
        Class::Private
    } else {
        Class::Config
    };
    replace(path, bytes, class, true)
}

/// [`write_atomic`] for what a crash may lose: caches and state (the access and ID
/// token caches, nonces, the refresh history). Readers see the old or the new content,
/// as there, but nothing is flushed to disk: after a power cut the file may hold the
/// old content or none, which every reader of these files takes for "absent" (a
/// refresh more, at worst). Two fsyncs fewer per file, on the refresh path.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(path, bytes, Class::Private, false)
}

fn replace(path: &Path, bytes: &[u8], class: Class, sync: bool) -> Result<()> {
    let dir = parent(path)?;
    create_dir(dir, class)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let (mut file, tmp) = create_temp(dir, name, class)?;
    let result = (|| {
        file.write_all(bytes)
            .and_then(|()| if sync { file.sync_all() } else { Ok(()) })
            .map_err(|e| Error::io("write", &tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| Error::io("replace", path, e))?;
        if sync {
            sync_dir(dir);
        }
        Ok(())
    })();
    drop(file);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A new temp file next to the target, under a name nobody can guess: another user
/// who pre-creates names cannot make the write fail, nor read or replace it.
fn create_temp(dir: &Path, name: &str, class: Class) -> Result<(File, PathBuf)> {
    let mut last = None;
    for _ in 0..TEMP_ATTEMPTS {
        let tmp = dir.join(format!(".{name}.{}.tmp", random_hex()?));
        match open(&tmp, Access::CreateNew, class) {
            Ok(Some(file)) => return Ok((file, tmp)),
            Ok(None) => unreachable!("only reads answer None"),
            // The name is taken (by chance, or by someone guessing): draw another.
            Err(e) if fs::symlink_metadata(&tmp).is_ok() => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

fn random_hex() -> Result<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 12];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::other("the system random generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Creates `dir` and any missing parents, each 0700 whatever the umask, then checks it
/// and everything above it (see the module comment); `class` decides the kind of error.
pub fn create_dir(dir: &Path, class: Class) -> Result<()> {
    let mut missing = Vec::new();
    let mut current = dir;
    while fs::symlink_metadata(current).is_err() {
        missing.push(current);
        match current.parent() {
            Some(p) if !p.as_os_str().is_empty() => current = p,
            _ => break,
        }
    }
    for d in missing.into_iter().rev() {
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(d) {
            Ok(()) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    // The mode given to mkdir(2) is masked by the umask.
                    fs::set_permissions(d, fs::Permissions::from_mode(0o700))
                        .map_err(|e| Error::io("set the permissions of", d, e))?;
                }
            }
            // Another octoken made it meanwhile: the check below judges it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("create the directory", d, e)),
        }
    }
    match check_dirs(dir, class) {
        Ok(()) => Ok(()),
        Err(Missing) => Err(Error::other(format!(
            "cannot create the directory {}: it vanished",
            dir.display()
        ))),
        Err(Refused(e)) => Err(e),
    }
}

/// Makes a rename durable. Not possible (nor needed) on Windows, where directories
/// cannot be opened as files.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(d) = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(dir)
        {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Reads a managed file of `class`: None when absent; refused (see the module comment)
/// when it is a link, not a regular file, not ours, too open, or over [`READ_LIMIT`].
pub fn read(path: &Path, class: Class) -> Result<Option<Vec<u8>>> {
    Ok(read_stamped(path, class)?.map(|(bytes, _)| bytes))
}

/// Which version of a file was read: device, inode, size, and the modification and
/// change times to the nanosecond. A rewrite (octoken's own writes rename a new inode into
/// place), an edit in place, a `chmod` or a `touch` each give another stamp; the change
/// time cannot be set back by anyone but root. None where the platform has no inodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStamp {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        Some(FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn of(_: &fs::Metadata) -> Option<FileStamp> {
        None
    }
}

/// The stamp of what is at `path` now, without following a link, opening or reading it:
/// one `lstat`. For comparing with the stamp of a version read earlier through [`open`]:
/// an equal stamp is that same file, unchanged; anything else (absent, a link, another
/// file) is None or unequal.
pub fn stamp(path: &Path) -> Option<FileStamp> {
    FileStamp::of(&fs::symlink_metadata(path).ok()?)
}

/// [`read`], and the stamp of the version read (taken from the open descriptor, so it
/// belongs to exactly these bytes).
pub fn read_stamped(path: &Path, class: Class) -> Result<Option<(Vec<u8>, Option<FileStamp>)>> {
    let Some(file) = open(path, Access::Read, class)? else {
        return Ok(None);
    };
    let too_big = || {
        refuse(
            class,
            Access::Read,
            path,
            &format!("it is larger than {} KiB", READ_LIMIT / 1024),
            remove_it(path),
        )
    };
    let meta = file.metadata().map_err(|e| Error::io("inspect", path, e))?;
    let size = meta.len();
    if size > READ_LIMIT {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(READ_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, e))?;
    if bytes.len() as u64 > READ_LIMIT {
        return Err(too_big());
    }
    // A file that grew or shrank while it was read is not the version the stamp names.
    let stamp = FileStamp::of(&meta).filter(|_| bytes.len() as u64 == size);
    Ok(Some((bytes, stamp)))
}

/// Reads a file that holds secrets (or cache, state, recovery): [`read`] with
/// [`Class::Private`].
pub fn read_private(path: &Path) -> Result<Option<Vec<u8>>> {
    read(path, Class::Private)
}

/// Opens (creating 0600 when absent) a lock file, in a 0700 directory.
pub fn open_lock(path: &Path) -> Result<File> {
    create_dir(parent(path)?, Class::Lock)?;
    Ok(open(path, Access::OpenOrCreate, Class::Lock)?.expect("only reads answer None"))
}

/// Why a file the user hands in (a key, a secret) cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum UserFileError {
    #[error("{0}")]
    Io(std::io::Error),
    #[error("it is not a regular file")]
    NotRegular,
    #[error("it is larger than {} KiB", .limit / 1024)]
    TooBig { limit: u64 },
    /// Another user could replace what it says (a trust anchor, a key).
    #[error(
        "it belongs to uid {owner}, not to you (uid {me}) or root: that user could change it (copy it to a file of yours)"
    )]
    NotYours { owner: u32, me: u32 },
    #[error("its permissions {mode:03o} let other users change it (`chmod go-w` it)")]
    WritableByOthers { mode: u32 },
}

/// Reads a file the user named (not one octoken manages: a CA file, a client key or
/// certificate, a client secret): links are followed (mounted secrets and
/// /etc/ssl/certs entries are links), but what they lead to is checked on the opened
/// descriptor: a regular file (opened without blocking on a FIFO), no larger than
/// [`READ_LIMIT`], owned by the effective user or root and writable by nobody else.
/// Whoever can change a trust anchor or a key can read the tokens it protects, so such
/// a file is refused, not warned about. Returns the bytes and the permission bits when
/// others may read it (a warning for a key, nothing for a certificate).
pub fn read_user_file(path: &Path) -> std::result::Result<(Vec<u8>, Option<u32>), UserFileError> {
    read_user_file_up_to(path, READ_LIMIT)
}

/// The largest CA file read: a system bundle is about 220 KiB, and one with a
/// company's roots added may pass [`READ_LIMIT`].
pub const CA_READ_LIMIT: u64 = 4 * 1024 * 1024;

/// [`read_user_file`] with another size limit (a CA bundle's, [`CA_READ_LIMIT`]).
pub fn read_user_file_up_to(
    path: &Path,
    limit: u64,
) -> std::result::Result<(Vec<u8>, Option<u32>), UserFileError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = options.open(path).map_err(UserFileError::Io)?;
    let meta = file.metadata().map_err(UserFileError::Io)?;
    if !meta.is_file() {
        return Err(UserFileError::NotRegular);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = euid();
        if meta.uid() != me && meta.uid() != 0 {
            return Err(UserFileError::NotYours {
                owner: meta.uid(),
                me,
            });
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o022 != 0 {
            return Err(UserFileError::WritableByOthers { mode });
        }
    }
    if meta.len() > limit {
        return Err(UserFileError::TooBig { limit });
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(UserFileError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(UserFileError::TooBig { limit });
    }
    #[cfg(unix)]
    let open_to_others = {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    };
    #[cfg(not(unix))]
    let open_to_others = None;
    Ok((bytes, open_to_others))
}

/// Removes a file; absent is fine. unlink(2) never follows a link.
pub fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn tempdir() -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix("octoken-fsutil-")
            .tempdir()
            .unwrap()
    }

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    fn message(err: Error) -> String {
        format!("{err} / {}", err.hint().unwrap_or_default())
    }

    #[test]
    fn absent_files_and_directories_read_as_none() {
        let dir = tempdir();
        assert!(
            read_private(&dir.path().join("nope.json"))
                .unwrap()
                .is_none()
        );
        let deep = dir.path().join("a/b/c.json");
        assert!(read(&deep, Class::Config).unwrap().is_none());
    }

    #[test]
    fn writes_create_0700_directories_and_0600_files_and_read_back() {
        let dir = tempdir();
        let path = dir.path().join("x/y/state.json");
        write_atomic(&path, b"{}", false).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("x")), 0o700);
        assert_eq!(mode(&dir.path().join("x/y")), 0o700);
        assert_eq!(read_private(&path).unwrap().unwrap(), b"{}");
        write_atomic(&path, b"[]", true).unwrap();
        assert_eq!(read_private(&path).unwrap().unwrap(), b"[]");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("x/y"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp file left: {leftovers:?}");
    }

    #[test]
    fn temp_names_are_unpredictable() {
        let a = random_hex().unwrap();
        assert_eq!(a.len(), 24);
        assert_ne!(a, random_hex().unwrap());
    }

    #[test]
    fn a_symbolic_link_is_refused_and_not_followed() {
        let dir = tempdir();
        let target = dir.path().join("target");
        fs::write(&target, b"secret").unwrap();
        chmod(&target, 0o600);
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = read_private(&link).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
        assert!(err.to_string().contains("symbolic link"), "{err}");

        let lock_target = dir.path().join("lock-target");
        let lock = dir.path().join("p.lock");
        std::os::unix::fs::symlink(&lock_target, &lock).unwrap();
        let err = open_lock(&lock).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!lock_target.exists(), "nothing created through the link");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempdir();
        let fifo = dir.path().join("cache.json");
        mkfifo(&fifo);
        let err = read_private(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = open_lock(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = read(&fifo, Class::Config).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::CONFIG);
    }

    #[test]
    fn modes_are_judged_by_class() {
        let dir = tempdir();
        let path = dir.path().join("f");
        fs::write(&path, b"x").unwrap();
        chmod(&path, 0o644);
        let err = read_private(&path).unwrap_err();
        assert!(message(err).contains("let other users read it"));
        assert!(
            read(&path, Class::Config).unwrap().is_some(),
            "config may be 0644"
        );
        chmod(&path, 0o664);
        let err = read(&path, Class::Config).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::CONFIG);
        assert!(message(err).contains("chmod 600"));
        let err = open_lock(&path).unwrap_err();
        assert!(
            err.to_string().contains("let other users write it"),
            "{err}"
        );
    }

    #[test]
    fn a_file_over_the_cap_is_refused_unread() {
        let dir = tempdir();
        let path = dir.path().join("state.json");
        let file = File::create(&path).unwrap();
        file.set_len(3 << 30).unwrap();
        chmod(&path, 0o600);
        let err = read_private(&path).unwrap_err();
        assert!(err.to_string().contains("larger than 256 KiB"), "{err}");
        file.set_len(READ_LIMIT).unwrap();
        assert_eq!(
            read_private(&path).unwrap().unwrap().len() as u64,
            READ_LIMIT
        );
    }

    #[test]
    fn directories_others_can_write_are_refused_unless_sticky() {
        let dir = tempdir();
        let shared = dir.path().join("shared");
        fs::create_dir(&shared).unwrap();
        chmod(&shared, 0o777);
        let path = shared.join("tokens/default.json");
        let err = write_atomic(&path, b"{}", true).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
        assert!(err.to_string().contains("let other users replace"), "{err}");
        assert!(read_private(&path).is_err() || !path.exists());
        chmod(&shared, 0o1777);
        write_atomic(&path, b"{}", true).unwrap();
        chmod(&shared, 0o775);
        let err = read(&dir.path().join("shared/config.toml"), Class::Config).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::CONFIG);
    }

    #[test]
    fn lock_files_are_created_0600_and_reopened() {
        let dir = tempdir();
        let path = dir.path().join("locks/p.lock");
        drop(open_lock(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("locks")), 0o700);
        drop(open_lock(&path).unwrap());
    }

    #[test]
    fn links_on_the_way_dangling_looping_or_foreign() {
        let dir = tempdir();
        // A dangling link where a directory should be: nothing there yet (a read finds
        // no file), not an error.
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("gone")).unwrap();
        let through = dir.path().join("gone/default.json");
        assert!(
            open(&through, Access::Read, Class::Private)
                .unwrap()
                .is_none()
        );
        // A link loop is an error, not "absent".
        std::os::unix::fs::symlink(dir.path().join("loop"), dir.path().join("loop")).unwrap();
        let looped = dir.path().join("loop/default.json");
        assert!(open(&looped, Access::Read, Class::Private).is_err());
        // A link of another user on the way is refused (root only can give one away).
        if euid() == 0 {
            std::fs::create_dir(dir.path().join("real")).unwrap();
            let link = dir.path().join("theirs");
            std::os::unix::fs::symlink(dir.path().join("real"), &link).unwrap();
            std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
            let err = open(&link.join("default.json"), Access::Read, Class::Private).unwrap_err();
            assert!(
                err.to_string()
                    .contains("symbolic link that belongs to uid 65534"),
                "{err}"
            );
        }
    }

    #[test]
    fn only_a_read_may_find_no_directory() {
        let dir = tempdir();
        let path = dir.path().join("missing/default.json");
        assert!(open(&path, Access::Read, Class::Private).unwrap().is_none());
        for access in [Access::CreateNew, Access::OpenOrCreate] {
            let err = open(&path, access, Class::Private).unwrap_err();
            assert!(
                err.to_string().contains("its directory does not exist"),
                "{err}"
            );
        }
    }

    #[test]
    #[allow(clippy::print_stderr)] // a test saying why it cannot run here
    fn files_and_directories_of_another_user_are_refused() {
        if euid() != 0 {
            eprintln!("skipped: needs root to give files to another user");
            return;
        }
        let chown = |p: &Path| std::os::unix::fs::lchown(p, Some(65534), Some(65534)).unwrap();
        let dir = tempdir();
        let path = dir.path().join("default.json");
        fs::write(&path, b"{}").unwrap();
        chmod(&path, 0o600);
        chown(&path);
        let err = read_private(&path).unwrap_err();
        assert!(err.to_string().contains("belongs to uid 65534"), "{err}");
        assert!(open_lock(&path).is_err());

        let theirs = dir.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        chown(&theirs);
        let err = write_atomic(&theirs.join("x.json"), b"{}", true).unwrap_err();
        assert!(err.to_string().contains("the directory"), "{err}");
        assert!(err.to_string().contains("belongs to uid 65534"), "{err}");
    }

    #[test]
    fn a_users_file_others_can_change_is_refused_after_following_links() {
        let dir = tempdir();
        let path = dir.path().join("ca.pem");
        fs::write(&path, b"pem").unwrap();
        for (mode, open_to_others) in [(0o600, None), (0o640, Some(0o640)), (0o444, Some(0o444))] {
            chmod(&path, mode);
            let (bytes, seen) = read_user_file(&path).unwrap();
            assert_eq!((bytes.as_slice(), seen), (&b"pem"[..], open_to_others));
        }
        let link = dir.path().join("link.pem");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        for mode in [0o666, 0o620, 0o602, 0o660] {
            chmod(&path, mode);
            for p in [&path, &link] {
                let err = read_user_file(p).unwrap_err();
                assert!(
                    matches!(err, UserFileError::WritableByOthers { mode: m } if m == mode),
                    "{mode:o}: {err}"
                );
                assert!(err.to_string().contains(&format!("{mode:03o}")), "{err}");
            }
        }
        chmod(&path, 0o644);
        assert!(
            read_user_file(&link).is_ok(),
            "a link to a good file is fine"
        );
        // Sizes: the usual cap, or the one asked for.
        let big = dir.path().join("bundle.pem");
        fs::write(&big, vec![b'x'; READ_LIMIT as usize + 1]).unwrap();
        chmod(&big, 0o644);
        assert!(matches!(
            read_user_file(&big),
            Err(UserFileError::TooBig { limit: READ_LIMIT })
        ));
        assert!(read_user_file_up_to(&big, CA_READ_LIMIT).is_ok());
        assert!(read_user_file_up_to(&big, READ_LIMIT + 1).is_ok());
        assert!(read_user_file_up_to(&big, READ_LIMIT).is_err());
    }

    #[test]
    #[allow(clippy::print_stderr)] // a test saying why it cannot run here
    fn a_users_file_of_another_user_is_refused_even_through_a_link_of_ours() {
        if euid() != 0 {
            eprintln!("skipped: needs root to give files to another user");
            return;
        }
        let dir = tempdir();
        let path = dir.path().join("key.pem");
        fs::write(&path, b"pem").unwrap();
        chmod(&path, 0o600);
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        let link = dir.path().join("link.pem");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        for p in [&path, &link] {
            let err = read_user_file(p).unwrap_err();
            assert!(
                matches!(
                    err,
                    UserFileError::NotYours {
                        owner: 65534,
                        me: 0
                    }
                ),
                "{err}"
            );
            assert!(err.to_string().contains("uid 65534"), "{err}");
        }
        // Root's files are trusted like ours (system CA bundles are root's).
        std::os::unix::fs::chown(&path, Some(0), Some(0)).unwrap();
        assert!(read_user_file(&link).is_ok());
    }
}
