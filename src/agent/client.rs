//! Asking the agent: connect, send one request, read one answer, all within one
//! deadline (not one per read: a hostile forwarded socket sending a byte at a time
//! still runs out of time), so a dead or stuck agent is an error, never a hang.

use super::socket::{self, FrameError};
use super::wire::{self, MAX_REQUEST, MAX_RESPONSE, Request, Response, WireError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the answer may take: the agent's own waits are bounded (the refresh lock,
/// the token endpoint's timeouts), and this is longer than those together.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(100);

#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// Nothing at the path, or nobody listening there.
    #[error("no agent answers on {path}: {err}")]
    NoAgent { path: PathBuf, err: io::Error },
    #[error("the agent on {path} closed the connection before answering (did it stop or crash?)")]
    Closed { path: PathBuf },
    #[error("the agent on {path} did not answer within {}s", ANSWER_DEADLINE.as_secs())]
    TimedOut { path: PathBuf },
    #[error("talking to the agent on {path}: {err}")]
    Io { path: PathBuf, err: io::Error },
    #[error("the agent on {path} answered something unreadable: {err}")]
    Wire { path: PathBuf, err: WireError },
}

/// One request, one answer.
pub fn ask(path: &Path, request: &Request) -> Result<Response, AskError> {
    ask_within(path, request, ANSWER_DEADLINE)
}

pub fn ask_within(
    path: &Path,
    request: &Request,
    deadline: Duration,
) -> Result<Response, AskError> {
    let at = || path.to_path_buf();
    let frame =
        wire::encode(request, MAX_REQUEST).map_err(|err| AskError::Wire { path: at(), err })?;
    let started = std::time::Instant::now();
    let stream = socket::connect_within(path, deadline).map_err(|err| match err.kind() {
        // Someone listens but accepts nobody: a stopped or stuck agent.
        io::ErrorKind::TimedOut => AskError::TimedOut { path: at() },
        _ => AskError::NoAgent { path: at(), err },
    })?;
    // One deadline for the whole exchange, however the peer drips its bytes.
    let mut stream = socket::Deadlined::new(&stream, deadline.saturating_sub(started.elapsed()))
        .with_write_timeout(deadline);
    let failed = |err: FrameError| match err {
        FrameError::Closed => AskError::Closed { path: at() },
        FrameError::TimedOut => AskError::TimedOut { path: at() },
        FrameError::Io(err) => AskError::Io { path: at(), err },
        FrameError::Wire(err) => AskError::Wire { path: at(), err },
    };
    // An agent that refuses the connection (another uid, busy) answers and closes
    // without reading: its answer is still there to read when writing failed.
    let wrote = socket::write_frame(&mut stream, &frame);
    if wrote.is_ok() {
        await_briefly(stream.get_ref());
    }
    let body = match socket::read_frame(&mut stream, MAX_RESPONSE) {
        Ok(body) => body,
        Err(err) => return Err(failed(wrote.err().unwrap_or(err))),
    };
    wire::decode_response(&body).map_err(|err| AskError::Wire { path: at(), err })
}

/// A cached answer comes back within tens of microseconds: waiting for it with a few
/// yields, rather than asleep in `read`, spares this process a wake-up from sleep (on
/// a virtual machine, often longer than the agent's whole answer). Bounded: after
/// 200 µs the blocking read takes over, so a refresh costs no CPU while it waits.
fn await_briefly(stream: &std::os::unix::net::UnixStream) {
    use std::os::fd::AsRawFd;
    let start = std::time::Instant::now();
    let mut byte = [0u8; 1];
    while start.elapsed() < Duration::from_micros(200) {
        // SAFETY: a one-byte buffer of ours; MSG_PEEK leaves the byte for the read.
        let n = unsafe {
            libc::recv(
                stream.as_raw_fd(),
                byte.as_mut_ptr().cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if n >= 0 || std::io::Error::last_os_error().kind() != io::ErrorKind::WouldBlock {
            return;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;
    use std::time::Instant;

    /// An agent stopped (SIGSTOP, a debugger) while clients keep coming fills its queue
    /// of unaccepted connections; the next client's connect would then wait for room
    /// forever. It ends at the deadline instead.
    /// Linux only: the BSDs and macOS refuse a connection to a full queue at once.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_queue_of_a_stopped_agent_runs_out_of_time() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.sock");
        let listener = UnixListener::bind(&path).unwrap();
        // SAFETY: listen(2) on our own listening socket: a queue of one.
        assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
        let mut queued = Vec::new();
        while let Ok(stream) = socket::connect_within(&path, Duration::from_millis(50)) {
            queued.push(stream);
            assert!(queued.len() < 16, "the queue never filled");
        }
        // In a thread, so that a client that waits forever fails the test, not hangs it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let start = Instant::now();
            let asked = ask_within(&path, &Request::Stop, Duration::from_millis(200));
            let _ = tx.send((asked, start.elapsed()));
        });
        let (asked, waited) = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the client still waits to connect");
        assert!(matches!(asked, Err(AskError::TimedOut { .. })), "{asked:?}");
        assert!(waited < Duration::from_secs(1), "{waited:?}");
    }

    /// A hostile socket (forwarded from elsewhere) that answers one byte at a time, each
    /// well within the deadline: the client still gives up at the deadline.
    #[test]
    fn an_answer_dripped_a_byte_at_a_time_runs_out_of_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 64];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(&[0, 0, 0, 100]);
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(50));
                if stream.write_all(b" ").is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        let asked = ask_within(&path, &Request::Stop, Duration::from_millis(300));
        assert!(matches!(asked, Err(AskError::TimedOut { .. })), "{asked:?}");
        assert!(
            start.elapsed() < Duration::from_millis(600),
            "{:?}",
            start.elapsed()
        );
        server.join().unwrap();
    }
}
