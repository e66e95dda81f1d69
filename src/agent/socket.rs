//! The agent's socket, as a file and as a connection: where it lives, binding it (a
//! 0700 directory, a 0600 socket; a live agent refused, a stale socket replaced),
//! reading and writing within one deadline, the peer's uid, and whole frames in and out.

use super::wire::{self, HEADER, WireError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// The default directory: `$XDG_RUNTIME_DIR/octoken`; None without a runtime directory
/// (the agent then makes a fresh one, [`fresh_dir`]).
pub fn default_dir(runtime_dir: Option<&Path>) -> Option<PathBuf> {
    runtime_dir.map(|dir| dir.join("octoken"))
}

/// The prefix of [`fresh_dir`]'s names.
pub const FRESH_PREFIX: &str = "octoken-agent-";

/// A new directory of a random name in the temporary directory, made 0700 by
/// `mkdtemp(3)` as `ssh-agent` makes its own: a predictable name (`octoken-agent-UID`)
/// is one another user can make first, and then no agent could start.
pub fn fresh_dir() -> io::Result<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    let template = std::env::temp_dir().join(format!("{FRESH_PREFIX}XXXXXXXXXX"));
    let mut bytes = template.into_os_string().into_vec();
    bytes.push(0);
    // SAFETY: a NUL-terminated, writable buffer; mkdtemp replaces the X's in place.
    let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
    if made.is_null() {
        return Err(io::Error::last_os_error());
    }
    bytes.pop();
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
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
            // Only a refusal says nobody listens. A listener whose queue is full (an
            // agent stopped with clients waiting) lets the probe time out on Linux:
            // someone is there all the same. Any other failure (out of descriptors,
            // say) tells nothing, and a live agent's socket must not be removed on it.
            match connect_within(path, LIVE_PROBE) {
                Ok(_) => return Err(BindError::Live(path.to_path_buf())),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    return Err(BindError::Live(path.to_path_buf()));
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(BindError::Io {
                        path: path.to_path_buf(),
                        err,
                    });
                }
            }
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(BindError::Io {
                        path: path.to_path_buf(),
                        err,
                    });
                }
            }
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

/// How long `bind` waits to learn whether an agent listens on an existing socket.
const LIVE_PROBE: Duration = Duration::from_secs(1);

/// Connects to the socket at `path`, waiting at most `within`. std's `connect` can wait
/// forever on Linux: a listener whose queue of unaccepted connections is full (an agent
/// stopped, or stuck, while clients keep coming) makes `connect` wait for room, bounded
/// only by the socket's send timeout, which is set here before connecting. The stream
/// keeps that send timeout. A timeout is `ErrorKind::TimedOut`.
pub fn connect_within(path: &Path, within: Duration) -> io::Result<UnixStream> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: sockaddr_un is plain data, valid zeroed.
    let mut address: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    address.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    // Room for the terminating NUL, as std requires.
    if bytes.is_empty() || bytes.len() >= address.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a socket path must be 1 to {} bytes without NUL",
                address.sun_path.len() - 1
            ),
        ));
    }
    for (slot, byte) in address.sun_path.iter_mut().zip(bytes) {
        *slot = *byte as libc::c_char;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let kind = libc::SOCK_STREAM;
    // SAFETY: socket(2) with constant arguments; the descriptor is owned right after.
    let fd = unsafe { libc::socket(libc::AF_UNIX, kind, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let stream = unsafe { UnixStream::from_raw_fd(fd) };
    close_on_exec(&stream)?;
    stream.set_write_timeout(Some(within.max(Duration::from_millis(1))))?;
    // Where sun_path starts differs (macOS has a length byte before the family).
    let length = std::mem::offset_of!(libc::sockaddr_un, sun_path) + bytes.len() + 1;
    // SAFETY: address is a valid sockaddr_un of at least `length` bytes.
    let rc = unsafe {
        libc::connect(
            stream.as_raw_fd(),
            (&raw const address).cast(),
            length as libc::socklen_t,
        )
    };
    if rc != 0 {
        let err = io::Error::last_os_error();
        // Linux reports the send timeout's end as EAGAIN.
        return Err(match err.kind() {
            io::ErrorKind::WouldBlock => io::ErrorKind::TimedOut.into(),
            _ => err,
        });
    }
    Ok(stream)
}

/// Not inherited by programs octoken runs (`exec`). Linux's socket is made so
/// (SOCK_CLOEXEC); elsewhere the flag is set at once (the client has no other thread
/// that could fork meanwhile).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn close_on_exec(_: &UnixStream) -> io::Result<()> {
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn close_on_exec(stream: &UnixStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: F_SETFD on a descriptor the stream owns.
    if unsafe { libc::fcntl(stream.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The uid of the process at the other end, and its pid where the system tells
/// (SO_PEERCRED; getpeereid on the BSDs and macOS, no pid). Through `ssh -R` that is the
/// local ssh client's, that is, ours.
pub fn peer(stream: &UnixStream) -> io::Result<(u32, Option<i32>)> {
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
        Ok((cred.uid, (cred.pid > 0).then_some(cred.pid)))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let mut uid: libc::uid_t = 0;
        let mut gid: libc::gid_t = 0;
        // SAFETY: uid and gid are valid for writes.
        if unsafe { libc::getpeereid(fd, &mut uid, &mut gid) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((uid, None))
    }
}

/// A connection whose reads and writes all end by one instant: each read or write
/// waits at most the time left, so a peer sending one byte at a time still runs out of
/// time (a timeout per call would let it hold the connection forever).
pub struct Deadlined<'a> {
    stream: &'a UnixStream,
    until: Instant,
    /// The read and write timeouts last set on the socket, to skip setting them again
    /// (a syscall each).
    read_set: Option<Duration>,
    write_set: Option<Duration>,
}

impl<'a> Deadlined<'a> {
    pub fn new(stream: &'a UnixStream, within: Duration) -> Deadlined<'a> {
        Deadlined {
            stream,
            until: Instant::now() + within,
            read_set: None,
            write_set: None,
        }
    }

    /// The send timeout the socket already has ([`connect_within`] leaves one), so the
    /// first write need not set it again while it still fits the deadline.
    pub fn with_write_timeout(mut self, set: Duration) -> Deadlined<'a> {
        self.write_set = Some(set);
        self
    }

    /// The connection itself.
    pub fn get_ref(&self) -> &'a UnixStream {
        self.stream
    }

    /// The time left, set as the socket's timeout for the next read (or write) unless
    /// the one set is at most 10 ms longer: the first call sets it once, a slow peer's
    /// later calls shorten it.
    fn arm(&self, set: Option<Duration>) -> io::Result<Option<Duration>> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(set
            .is_none_or(|set| set > left + Duration::from_millis(10))
            .then_some(left))
    }
}

impl Read for Deadlined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(left) = self.arm(self.read_set)? {
            self.stream.set_read_timeout(Some(left))?;
            self.read_set = Some(left);
        }
        (&mut &*self.stream).read(buf)
    }
}

impl Write for Deadlined<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(left) = self.arm(self.write_set)? {
            self.stream.set_write_timeout(Some(left))?;
            self.write_set = Some(left);
        }
        (&mut &*self.stream).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
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

    /// A listener that accepts nobody and whose queue is full: what a stopped agent
    /// becomes once enough clients wait. The connections made to fill it are returned.
    #[cfg(target_os = "linux")]
    fn full_listener(path: &Path) -> (UnixListener, Vec<UnixStream>) {
        use std::os::fd::AsRawFd;
        let listener = UnixListener::bind(path).unwrap();
        // Listening again changes the queue's length: 0 admits one waiting connection.
        // SAFETY: listen(2) on our own listening socket.
        assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
        let mut queued = Vec::new();
        while let Ok(stream) = connect_within(path, Duration::from_millis(50)) {
            queued.push(stream);
            assert!(queued.len() < 16, "the queue never filled");
        }
        (listener, queued)
    }

    /// Linux only: the BSDs and macOS refuse a connection to a full queue at once.
    #[cfg(target_os = "linux")]
    #[test]
    fn connecting_to_a_full_queue_times_out_and_counts_as_live() {
        let dir = dir();
        let path = dir.path().join("agent.sock");
        let (_listener, queued) = full_listener(&path);
        assert!(!queued.is_empty());
        let start = Instant::now();
        let err = connect_within(&path, Duration::from_millis(200)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
        // A second agent must not take the socket of one that is stopped, not dead.
        assert!(matches!(bind(&path), Err(BindError::Live(_))));
    }

    #[test]
    fn connecting_names_a_missing_socket_and_refuses_a_path_too_long() {
        let dir = dir();
        let missing = connect_within(&dir.path().join("none.sock"), Duration::from_secs(1));
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
        let long = dir.path().join("x".repeat(200));
        let refused = connect_within(&long, Duration::from_secs(1)).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn the_peer_of_our_own_connection_is_us() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert_eq!(peer(&a).unwrap(), (uid(), Some(std::process::id() as i32)));
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

    /// A peer that sends its frame one byte at a time, each well within the deadline,
    /// still runs out of time: the deadline is the whole frame's, not each read's.
    #[test]
    fn a_dripping_peer_runs_out_of_time_for_the_whole_frame() {
        let (a, b) = UnixStream::pair().unwrap();
        let dripper = std::thread::spawn(move || {
            let mut a = a;
            let _ = a.write_all(&[0, 0, 0, 100]);
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(50));
                if a.write_all(b" ").is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        let read = read_frame(
            &mut Deadlined::new(&b, Duration::from_millis(300)),
            wire::MAX_REQUEST,
        );
        assert!(matches!(read, Err(FrameError::TimedOut)), "{read:?}");
        assert!(
            start.elapsed() < Duration::from_millis(600),
            "{:?}",
            start.elapsed()
        );
        drop(b);
        dripper.join().unwrap();
    }

    #[test]
    fn a_fresh_directory_is_private_and_new_each_time() {
        let one = fresh_dir().unwrap();
        let two = fresh_dir().unwrap();
        assert_ne!(one, two);
        let name = one.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(FRESH_PREFIX) && name.len() == FRESH_PREFIX.len() + 10);
        assert_eq!(std::fs::metadata(&one).unwrap().mode() & 0o777, 0o700);
        std::fs::remove_dir(one).unwrap();
        std::fs::remove_dir(two).unwrap();
    }
}
