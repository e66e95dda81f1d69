//! The agent's socket, as a file and as a connection: where it lives, binding it (a
//! 0700 directory, a 0600 socket; a live agent refused, a stale socket replaced),
//! connecting with deadlines, the peer's uid, and whole frames in and out.

use super::wire::{self, HEADER, WireError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The socket's file name in its directory.
pub const SOCKET_NAME: &str = "agent.sock";

/// Why the socket could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("an agent is already running on {0}")]
    Live(PathBuf),
    #[error("{0} exists and is not a socket")]
    NotASocket(PathBuf),
    #[error("{path}: {why}")]
    Directory { path: PathBuf, why: String },
    #[error("cannot bind {path}: {err}")]
    Io { path: PathBuf, err: io::Error },
}

/// The default directory: `$XDG_RUNTIME_DIR/octoken`, else `octoken-agent-UID` in the
/// temporary directory.
pub fn default_dir(runtime_dir: Option<&Path>) -> PathBuf {
    match runtime_dir {
        Some(dir) => dir.join("octoken"),
        None => PathBuf::from(format!("/tmp/octoken-agent-{}", uid())),
    }
}

pub fn uid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// The socket's directory: made 0700 if missing, else it must be ours and 0700 (no
/// other user may swap the socket under us).
pub fn private_dir(dir: &Path) -> Result<(), BindError> {
    let refuse = |why: String| BindError::Directory {
        path: dir.to_path_buf(),
        why,
    };
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(refuse(format!("cannot create it: {e}"))),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| refuse(e.to_string()))?;
    if !meta.is_dir() {
        return Err(refuse("not a directory".into()));
    }
    if meta.uid() != uid() {
        return Err(refuse(format!("owned by uid {}, not by us", meta.uid())));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(refuse(format!(
            "mode {:o}: other users may enter it (want 700)",
            meta.mode() & 0o777
        )));
    }
    Ok(())
}

/// Binds `path` 0600. A socket someone answers on is a live agent: refused. One nobody
/// answers on is what a killed agent left: replaced. Anything else is refused.
pub fn bind(path: &Path) -> Result<UnixListener, BindError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if UnixStream::connect(path).is_ok() {
                return Err(BindError::Live(path.to_path_buf()));
            }
            std::fs::remove_file(path).map_err(|err| BindError::Io {
                path: path.to_path_buf(),
                err,
            })?;
        }
        Ok(_) => return Err(BindError::NotASocket(path.to_path_buf())),
        Err(_) => {}
    }
    // The directory is 0700; the mode is set right after, before anyone is served.
    let listener = UnixListener::bind(path).map_err(|err| BindError::Io {
        path: path.to_path_buf(),
        err,
    })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|err| {
        BindError::Io {
            path: path.to_path_buf(),
            err,
        }
    })?;
    Ok(listener)
}

/// The uid of the process at the other end (SO_PEERCRED; getpeereid on the BSDs and
/// macOS). Through `ssh -R` that is the local ssh client's, that is, ours.
pub fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    use std::os::fd::AsRawFd;
    let fd = stream.as_raw_fd();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut cred = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: cred and len are valid for writes of the sizes given.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&raw mut cred).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(cred.uid)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let mut uid: libc::uid_t = 0;
        let mut gid: libc::gid_t = 0;
        // SAFETY: uid and gid are valid for writes.
        if unsafe { libc::getpeereid(fd, &mut uid, &mut gid) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(uid)
    }
}

/// Connects, with `timeout` for each read and write after.
pub fn connect(path: &Path, timeout: Duration) -> io::Result<UnixStream> {
    let stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

/// What went wrong reading or writing a frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection before a whole frame.
    #[error("the connection was closed")]
    Closed,
    #[error("no answer within the deadline")]
    TimedOut,
    #[error(transparent)]
    Io(io::Error),
    #[error(transparent)]
    Wire(#[from] WireError),
}

impl From<io::Error> for FrameError {
    fn from(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe => FrameError::Closed,
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => FrameError::TimedOut,
            _ => FrameError::Io(err),
        }
    }
}

/// One frame's body, at most `max` bytes (the header is checked before the body is
/// read or allocated).
pub fn read_frame(stream: &mut impl Read, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut header = [0u8; HEADER];
    stream.read_exact(&mut header)?;
    let len = wire::body_len(header, max)?;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok(body)
}

pub fn write_frame(stream: &mut impl Write, frame: &[u8]) -> Result<(), FrameError> {
    stream.write_all(frame)?;
    stream.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    #[test]
    fn the_socket_is_0600_in_a_0700_directory_it_makes() {
        let dir = dir();
        let path = dir.path().join("run/agent.sock");
        let _listener = bind(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("run")), 0o700);
    }

    #[test]
    fn a_directory_others_may_enter_is_refused() {
        let dir = dir();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = bind(&open.join("agent.sock")).unwrap_err();
        assert!(err.to_string().contains("mode 755"), "{err}");
    }

    #[test]
    fn a_live_socket_is_refused_a_stale_one_replaced_a_file_kept() {
        let dir = dir();
        let path = dir.path().join("agent.sock");
        let live = bind(&path).unwrap();
        assert!(matches!(bind(&path), Err(BindError::Live(_))));
        drop(live); // the file stays, nobody listens: stale
        assert!(path.exists());
        let _again = bind(&path).unwrap();
        let file = dir.path().join("notes.txt");
        std::fs::write(&file, "mine").unwrap();
        assert!(matches!(bind(&file), Err(BindError::NotASocket(_))));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    }

    #[test]
    fn the_peer_of_our_own_connection_is_us() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert_eq!(peer_uid(&a).unwrap(), uid());
    }

    #[test]
    fn frames_read_back_and_a_closed_peer_is_named() {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let frame = wire::encode(&wire::Request::Stop, wire::MAX_REQUEST).unwrap();
        write_frame(&mut a, &frame).unwrap();
        let body = read_frame(&mut b, wire::MAX_REQUEST).unwrap();
        assert_eq!(wire::decode_request(&body).unwrap(), wire::Request::Stop);
        a.write_all(&[0, 0, 0, 9, b'{']).unwrap();
        drop(a);
        assert!(matches!(
            read_frame(&mut b, wire::MAX_REQUEST),
            Err(FrameError::Closed)
        ));
    }
}
