//! The accept loop: one short-lived thread per connection, a bounded number of them.
//!
//! Every other local user can connect, so nothing a client does may stop the loop or
//! grow the process: each connection gets HEAD_DEADLINE to send its request head (read
//! with the caps in request.rs) and one answer; at most MAX_CONNECTIONS are served at
//! once and further ones are closed at once, so held-open sockets cannot use up the
//! process's descriptors; an accept error (EMFILE, say) is waited out, never fatal.

use super::request::{self, Refused};
use super::response::Answer;
use super::route::Router;
use crate::output;
use std::io::Read;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a client has to send its whole request head, however it trickles it.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long a client may take to read the answer (a few hundred bytes).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once. A browser opens a handful.
pub const MAX_CONNECTIONS: usize = 64;
/// Small: a connection thread parses one head and formats one page.
const THREAD_STACK: usize = 256 * 1024;
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const LAST_BACKOFF: Duration = Duration::from_secs(1);

struct Shared {
    router: Router,
    active: AtomicUsize,
    /// Set once the login has its answer: the loop then ends and the socket closes.
    stop: AtomicBool,
    addr: SocketAddr,
}

/// Runs the accept loop on its own thread until the router says the login is answered.
pub fn spawn(socket: TcpListener, router: Router) {
    let addr = match socket.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            output::warn(format!("the sign-in listener has no address: {e}"));
            return;
        }
    };
    let shared = Arc::new(Shared {
        router,
        active: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        addr,
    });
    std::thread::spawn(move || accept_loop(&socket, &shared));
}

fn accept_loop(socket: &TcpListener, shared: &Arc<Shared>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let accepted = socket.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return; // dropping the socket closes the port
        }
        match accepted {
            Ok((stream, _)) => {
                backoff = FIRST_BACKOFF;
                serve_one(stream, shared);
            }
            Err(e) => {
                // Out of descriptors, or a connection reset before it was accepted:
                // wait a little for things to free up, then accept again.
                output::debug(1, format!("the sign-in listener could not accept: {e}"));
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(LAST_BACKOFF);
            }
        }
    }
}

/// Counts a connection in while it lives.
struct Slot(Arc<Shared>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_one(stream: TcpStream, shared: &Arc<Shared>) {
    if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
        shared.active.fetch_sub(1, Ordering::SeqCst);
        output::debug(1, "the sign-in listener is busy: closed a connection");
        return; // dropping the stream closes it and frees its descriptor now
    }
    let slot = Slot(Arc::clone(shared));
    let spawned = std::thread::Builder::new()
        .name("loopback-conn".into())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let shared = &slot.0;
            if handle(stream, &shared.router) {
                shared.stop.store(true, Ordering::SeqCst);
                // The accept loop is blocked in accept(): a connection wakes it to stop.
                let _ = TcpStream::connect_timeout(&shared.addr, Duration::from_secs(1));
            }
        });
    if let Err(e) = spawned {
        // The closure, stream and slot are dropped: the connection closes, uncounted.
        output::debug(
            1,
            format!("the sign-in listener could not start a thread: {e}"),
        );
    }
}

/// Reads one head, answers it, closes. True when that answer ended the login's wait.
fn handle(stream: TcpStream, router: &Router) -> bool {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let input = Deadline {
        stream: &stream,
        until: Instant::now() + HEAD_DEADLINE,
    };
    let (answer, finished) = match request::read_head(input) {
        Ok(head) => {
            let reply = router.answer(&head);
            (reply.answer, reply.finished)
        }
        Err(refused) => {
            let Some(status) = refused.status() else {
                return false; // gone or stalled: nobody to answer
            };
            if refused != Refused::Malformed {
                output::debug(1, format!("refused an oversized request ({status})"));
            }
            (Answer::page(status, super::pages::bad_request()), false)
        }
    };
    answer.write_to(&stream);
    let _ = stream.shutdown(Shutdown::Write);
    finished
}

/// A stream whose reads all end by one instant: a read timeout alone would let a
/// client that sends a byte every few seconds hold its connection for ever.
struct Deadline<'a> {
    stream: &'a TcpStream,
    until: Instant,
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut stream = self.stream;
        stream.read(buf)
    }
}
