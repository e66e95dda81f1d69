//! The agent's accept loop: a few worker threads wait in `accept()` on the listener
//! and serve one connection at a time each (no thread started per request; one more is
//! started when none is left waiting, up to the cap, and spare ones leave). The peer's
//! uid is checked on every connection before a byte is read; one request and one
//! answer each, each within a deadline for the whole frame. The main thread ends the
//! agent on `--stop`, after `--idle-timeout` without a connection, when its socket file
//! is removed or replaced, or on SIGTERM, SIGINT or SIGHUP: those are held off every
//! thread and taken here, so a refresh in progress always finishes storing what the
//! server sent before the agent exits.

use super::socket::{self, Deadlined, FrameError};
use super::wire::{self, Failure, MAX_REQUEST, MAX_RESPONSE, Request, Response};
use crate::error::exit;
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a client may take to send its whole request, and to take the whole answer.
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(5);
/// Connections served at once; more are answered "busy" at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Connections served at once for one peer process. Every client through an `ssh -R`
/// forwarding is the one local ssh client: a remote machine cannot take every slot and
/// leave the local scripts answered "busy".
pub const MAX_PER_PEER: usize = MAX_CONNECTIONS / 4;
/// Workers kept waiting in `accept()` between requests.
const SPARE: usize = 2;
/// How long in-flight requests may take to finish once the agent is told to stop.
const DRAIN: Duration = Duration::from_secs(90);

pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

pub struct Options {
    pub idle_timeout: Option<Duration>,
    /// [`CLIENT_DEADLINE`] (shorter in tests).
    pub client_deadline: Duration,
}

/// Why the agent stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Stopped,
    Idle,
    Signal(i32),
    SocketGone,
}

struct Shared {
    listener: UnixListener,
    /// Connections being served (refusals included).
    active: AtomicUsize,
    /// Worker threads alive, and those of them waiting in `accept()`.
    workers: AtomicUsize,
    waiting: AtomicUsize,
    /// Connections being served per peer pid.
    per_peer: Mutex<HashMap<i32, usize>>,
    /// `--stop` was asked; `ended`: the main thread is done, workers leave.
    stop: AtomicBool,
    ended: AtomicBool,
    /// Milliseconds after `started` of the last connection.
    last_activity: AtomicU64,
    started: Instant,
    deadline: Duration,
    handler: Handler,
}

impl Shared {
    fn touch(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_activity.fetch_max(now, Ordering::SeqCst);
    }

    fn idle_for(&self) -> Duration {
        let now = self.started.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_activity.load(Ordering::SeqCst)))
    }
}

/// Serves until one of the ends above; removes the socket file (if it is still ours).
pub fn serve(listener: UnixListener, path: &Path, options: &Options, handler: Handler) -> Ended {
    let signals = hold_termination_signals();
    let ours = identity(path);
    let shared = Arc::new(Shared {
        listener,
        active: AtomicUsize::new(0),
        workers: AtomicUsize::new(0),
        waiting: AtomicUsize::new(0),
        per_peer: Mutex::new(HashMap::new()),
        stop: AtomicBool::new(false),
        ended: AtomicBool::new(false),
        last_activity: AtomicU64::new(0),
        started: Instant::now(),
        deadline: options.client_deadline,
        handler,
    });
    for _ in 0..SPARE {
        start_worker(&shared);
    }
    let mut last_check = Instant::now();
    let ended = loop {
        if shared.stop.load(Ordering::SeqCst) {
            break Ended::Stopped;
        }
        if let Some(signal) = wait_signal(&signals, Duration::from_millis(200)) {
            break Ended::Signal(signal);
        }
        if let Some(idle) = options.idle_timeout
            && shared.active.load(Ordering::SeqCst) == 0
            && shared.idle_for() >= idle
        {
            break Ended::Idle;
        }
        if last_check.elapsed() >= Duration::from_secs(1) {
            last_check = Instant::now();
            if identity(path) != ours {
                break Ended::SocketGone;
            }
        }
    };
    shared.ended.store(true, Ordering::SeqCst);
    if identity(path) == ours {
        let _ = std::fs::remove_file(path);
    }
    // Wakes the workers waiting in accept() (Linux), and refuses whoever is still in
    // the backlog; the process ends after the drain in any case.
    // SAFETY: a valid descriptor, owned by `shared` for as long as this runs.
    unsafe { libc::shutdown(shared.listener.as_raw_fd(), libc::SHUT_RDWR) };
    let start = Instant::now();
    while shared.active.load(Ordering::SeqCst) > 0 && start.elapsed() < DRAIN {
        std::thread::sleep(Duration::from_millis(20));
    }
    ended
}

/// One more worker, unless the cap is reached (the cap leaves a few over
/// [`MAX_CONNECTIONS`] to answer "busy").
fn start_worker(shared: &Arc<Shared>) {
    if shared.workers.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS + SPARE {
        shared.workers.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    let worker = Arc::clone(shared);
    let started = std::thread::Builder::new()
        .name("agent-worker".into())
        .spawn(move || work(&worker));
    if started.is_err() {
        shared.workers.fetch_sub(1, Ordering::SeqCst);
    }
}

fn work(shared: &Arc<Shared>) {
    loop {
        shared.waiting.fetch_add(1, Ordering::SeqCst);
        let accepted = shared.listener.accept();
        let still_waiting = shared.waiting.fetch_sub(1, Ordering::SeqCst) - 1;
        if shared.ended.load(Ordering::SeqCst) {
            if let Ok((stream, _)) = accepted {
                refuse(stream, "the agent is stopping", shared.deadline);
            }
            break;
        }
        let Ok((stream, _)) = accepted else {
            // Out of descriptors, say: wait a little rather than spin.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        shared.touch();
        if still_waiting == 0 {
            start_worker(shared);
        }
        {
            // Counted out even if answering panics, so an idle agent still stops.
            let _done = Done(&shared.active);
            if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                refuse(
                    stream,
                    "the agent is busy: too many connections at once",
                    shared.deadline,
                );
            } else {
                serve_one(stream, shared);
            }
        }
        if shared.waiting.load(Ordering::SeqCst) >= SPARE {
            break;
        }
    }
    shared.workers.fetch_sub(1, Ordering::SeqCst);
}

struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A slot of one peer process, given back on drop.
struct PeerSlot<'a> {
    shared: &'a Shared,
    pid: i32,
}

impl PeerSlot<'_> {
    fn take(shared: &Shared, pid: i32) -> Option<PeerSlot<'_>> {
        let mut peers = shared.per_peer.lock().unwrap_or_else(|e| e.into_inner());
        let count = peers.entry(pid).or_insert(0);
        if *count >= MAX_PER_PEER {
            return None;
        }
        *count += 1;
        Some(PeerSlot { shared, pid })
    }
}

impl Drop for PeerSlot<'_> {
    fn drop(&mut self) {
        let mut peers = self
            .shared
            .per_peer
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = peers.get_mut(&self.pid) {
            *count -= 1;
            if *count == 0 {
                peers.remove(&self.pid);
            }
        }
    }
}

fn serve_one(stream: UnixStream, shared: &Shared) {
    let deadline = shared.deadline;
    let pid = match socket::peer(&stream) {
        Ok((uid, pid)) if uid == socket::uid() => pid,
        Ok((uid, _)) => {
            return refuse(
                stream,
                &format!(
                    "the agent serves uid {} only; this connection is from uid {uid}",
                    socket::uid()
                ),
                deadline,
            );
        }
        Err(e) => {
            return refuse(
                stream,
                &format!("cannot tell who is connecting: {e}"),
                deadline,
            );
        }
    };
    let _slot = match pid {
        Some(pid) => match PeerSlot::take(shared, pid) {
            Some(slot) => Some(slot),
            None => {
                return refuse(
                    stream,
                    &format!(
                        "the agent is busy: {MAX_PER_PEER} connections of this process at once"
                    ),
                    deadline,
                );
            }
        },
        None => None,
    };
    let body = match socket::read_frame(&mut Deadlined::new(&stream, deadline), MAX_REQUEST) {
        Ok(body) => body,
        Err(FrameError::Wire(e)) => return refuse(stream, &e.to_string(), deadline),
        Err(_) => return,
    };
    let answer = match wire::decode_request(&body) {
        Ok(Request::Stop) => {
            shared.stop.store(true, Ordering::SeqCst);
            Response::Stopping {}
        }
        Ok(request) => (shared.handler)(request),
        Err(e) => failure(exit::OTHER, e.to_string()),
    };
    answer_with(&stream, &answer, deadline);
}

fn refuse(stream: UnixStream, why: &str, deadline: Duration) {
    answer_with(&stream, &failure(exit::OTHER, why.to_string()), deadline);
}

fn failure(exit: u8, message: String) -> Response {
    Response::Error(Failure {
        exit,
        message,
        hint: None,
    })
}

fn answer_with(stream: &UnixStream, answer: &Response, deadline: Duration) {
    let frame = wire::encode(answer, MAX_RESPONSE)
        .or_else(|e| wire::encode(&failure(exit::OTHER, e.to_string()), MAX_RESPONSE));
    if let Ok(frame) = frame {
        let _ = socket::write_frame(&mut Deadlined::new(stream, deadline), &frame);
    }
}

/// The socket file's device and inode: another file there is not ours to remove.
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Blocks SIGTERM, SIGINT and SIGHUP in this thread and every thread it starts after;
/// `serve` takes them. Call it before saying the agent is ready (and `serve` does).
pub fn hold_termination_signals() -> libc::sigset_t {
    // SAFETY: the set is initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// A termination signal taken within `within`, or None.
fn wait_signal(set: &libc::sigset_t, within: Duration) -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        let timeout = libc::timespec {
            tv_sec: within.as_secs() as libc::time_t,
            tv_nsec: within.subsec_nanos() as libc::c_long,
        };
        // SAFETY: valid set, a null info pointer, a valid timeout.
        let signal = unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &timeout) };
        (signal > 0).then_some(signal)
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::thread::sleep(within);
        // SAFETY: sigpending writes the set; sigwait then takes a pending signal at once.
        unsafe {
            let mut pending: libc::sigset_t = std::mem::zeroed();
            libc::sigpending(&mut pending);
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                if libc::sigismember(&pending, signal) == 1 && libc::sigismember(set, signal) == 1 {
                    let mut taken = 0;
                    libc::sigwait(set, &mut taken);
                    return Some(taken);
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;

    const DEADLINE: Duration = Duration::from_millis(400);

    /// An agent serving on a socket in a new directory, answering every token request
    /// with an error; stopped (and joined) by `stop`.
    struct Running {
        path: std::path::PathBuf,
        _dir: tempfile::TempDir,
        thread: Option<std::thread::JoinHandle<Ended>>,
    }

    impl Running {
        fn start() -> Running {
            let dir = tempfile::tempdir().unwrap();
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
            let path = dir.path().join("agent.sock");
            let listener = socket::bind(&path).unwrap();
            let handler: Handler = Arc::new(|_| failure(exit::OTHER, "no profiles here".into()));
            let at = path.clone();
            let thread = std::thread::spawn(move || {
                let options = Options {
                    idle_timeout: None,
                    client_deadline: DEADLINE,
                };
                serve(listener, &at, &options, handler)
            });
            Running {
                path,
                _dir: dir,
                thread: Some(thread),
            }
        }

        fn answer(&self, stream: &mut UnixStream) -> String {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            String::from_utf8_lossy(answer.get(4..).unwrap_or_default()).into_owned()
        }

        fn stop(mut self) -> Ended {
            let mut stream = UnixStream::connect(&self.path).unwrap();
            let frame = wire::encode(&Request::Stop, MAX_REQUEST).unwrap();
            stream.write_all(&frame).unwrap();
            assert!(self.answer(&mut stream).contains("stopping"));
            self.thread.take().unwrap().join().unwrap()
        }
    }

    #[test]
    /// Before: a timeout per read() let a client sending a byte every 3 s keep its
    /// connection (and 256 of them the whole agent) forever.
    fn a_client_dripping_its_request_is_dropped_at_the_deadline() {
        let agent = Running::start();
        let mut drip = UnixStream::connect(&agent.path).unwrap();
        drip.write_all(&[0, 0, 0, 100]).unwrap();
        let start = Instant::now();
        let mut dropped = None;
        while start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
            if drip.write_all(b" ").is_err() {
                dropped = Some(start.elapsed());
                break;
            }
        }
        let dropped = dropped.expect("the dripping client kept its connection");
        assert!(dropped < DEADLINE * 3, "dropped after {dropped:?}");
        assert_eq!(agent.stop(), Ended::Stopped);
    }

    #[test]
    fn one_process_gets_at_most_its_share_of_connections() {
        let agent = Running::start();
        let silent: Vec<UnixStream> = (0..MAX_PER_PEER)
            .map(|_| UnixStream::connect(&agent.path).unwrap())
            .collect();
        std::thread::sleep(Duration::from_millis(100));
        let mut one_more = UnixStream::connect(&agent.path).unwrap();
        let answer = agent.answer(&mut one_more);
        assert!(answer.contains("connections of this process"), "{answer}");
        drop(silent);
        assert_eq!(agent.stop(), Ended::Stopped);
    }
}
