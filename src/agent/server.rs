//! The agent's accept loop: one thread per connection (bounded), the peer's uid checked
//! on every connection before a byte is read, one request and one answer each, with
//! deadlines. It ends on `--stop`, after `--idle-timeout` without a connection, when
//! its socket file is removed or replaced, or on SIGTERM, SIGINT or SIGHUP: those are
//! held off every thread and taken here, so a refresh in progress always finishes
//! storing what the server sent before the agent exits.

use super::socket::{self, FrameError};
use super::wire::{self, Failure, MAX_REQUEST, MAX_RESPONSE, Request, Response};
use crate::error::exit;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a client may take to send its request, and to take the answer.
pub const CLIENT_DEADLINE: Duration = Duration::from_secs(5);
/// Connections served at once; more are answered "busy" at once.
pub const MAX_CONNECTIONS: usize = 256;
/// How long in-flight requests may take to finish once the agent is told to stop.
const DRAIN: Duration = Duration::from_secs(90);

pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

pub struct Options {
    pub idle_timeout: Option<Duration>,
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
    active: AtomicUsize,
    stop: AtomicBool,
    handler: Handler,
}

/// Serves until one of the ends above; removes the socket file (if it is still ours).
pub fn serve(listener: UnixListener, path: &Path, options: &Options, handler: Handler) -> Ended {
    let signals = hold_termination_signals();
    let ours = identity(path);
    let shared = Arc::new(Shared {
        active: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        handler,
    });
    let mut last_activity = Instant::now();
    let mut last_check = Instant::now();
    let ended = loop {
        if shared.stop.load(Ordering::SeqCst) {
            break Ended::Stopped;
        }
        if let Some(signal) = pending_signal(&signals) {
            break Ended::Signal(signal);
        }
        if let Some(idle) = options.idle_timeout
            && shared.active.load(Ordering::SeqCst) == 0
            && last_activity.elapsed() >= idle
        {
            break Ended::Idle;
        }
        if last_check.elapsed() >= Duration::from_secs(1) {
            last_check = Instant::now();
            if identity(path) != ours {
                break Ended::SocketGone;
            }
        }
        if !readable(&listener, 200) {
            continue;
        }
        let Ok((stream, _)) = listener.accept() else {
            continue;
        };
        last_activity = Instant::now();
        if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            refuse(stream, "the agent is busy: too many connections at once");
            continue;
        }
        let worker = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("agent-connection".into())
            .spawn(move || {
                // Counted out even if answering panics, so an idle agent still stops.
                let _done = Done(&worker.active);
                serve_one(stream, &worker);
            });
        if spawned.is_err() {
            shared.active.fetch_sub(1, Ordering::SeqCst);
        }
    };
    drop(listener);
    if identity(path) == ours {
        let _ = std::fs::remove_file(path);
    }
    let start = Instant::now();
    while shared.active.load(Ordering::SeqCst) > 0 && start.elapsed() < DRAIN {
        std::thread::sleep(Duration::from_millis(20));
    }
    ended
}

struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_one(mut stream: UnixStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(CLIENT_DEADLINE));
    let _ = stream.set_write_timeout(Some(CLIENT_DEADLINE));
    match socket::peer_uid(&stream) {
        Ok(uid) if uid == socket::uid() => {}
        Ok(uid) => {
            return refuse(
                stream,
                &format!(
                    "the agent serves uid {} only; this connection is from uid {uid}",
                    socket::uid()
                ),
            );
        }
        Err(e) => return refuse(stream, &format!("cannot tell who is connecting: {e}")),
    }
    let body = match socket::read_frame(&mut stream, MAX_REQUEST) {
        Ok(body) => body,
        Err(FrameError::Wire(e)) => return refuse(stream, &e.to_string()),
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
    answer_with(&mut stream, &answer);
}

fn refuse(mut stream: UnixStream, why: &str) {
    let _ = stream.set_write_timeout(Some(CLIENT_DEADLINE));
    answer_with(&mut stream, &failure(exit::OTHER, why.to_string()));
}

fn failure(exit: u8, message: String) -> Response {
    Response::Error(Failure {
        exit,
        message,
        hint: None,
    })
}

fn answer_with(stream: &mut UnixStream, answer: &Response) {
    let frame = wire::encode(answer, MAX_RESPONSE)
        .or_else(|e| wire::encode(&failure(exit::OTHER, e.to_string()), MAX_RESPONSE));
    if let Ok(frame) = frame {
        let _ = socket::write_frame(stream, &frame);
    }
}

/// The socket file's device and inode: another file there is not ours to remove.
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Whether a connection waits, within `millis`.
fn readable(listener: &UnixListener, millis: i32) -> bool {
    let mut fd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let rc = unsafe { libc::poll(&mut fd, 1, millis) };
    rc > 0 && fd.revents & libc::POLLIN != 0
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

fn pending_signal(set: &libc::sigset_t) -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid set, a null info pointer, a valid timeout.
        let signal = unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &zero) };
        (signal > 0).then_some(signal)
    }
    #[cfg(not(target_os = "linux"))]
    {
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
