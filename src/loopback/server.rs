//! The accept loop: one short-lived thread per connection, a bounded number of them.
//!
//! Each connection has its owner checked (peer.rs) once its head is in: another
//! user's is closed unanswered, its head unused. Where the system cannot tell owners apart,
//! every other local user can connect, and in any case so can a flood: nothing a client does may stop the loop or
//! grow the process. Each connection gets HEAD_DEADLINE to send its request head (read
//! with the caps in request.rs) and then one answer. At most MAX_WAITING connections
//! may be waiting for their head: a new one closes the oldest, so a flood of idle
//! sockets cannot lock out the browser, whose head follows its connect at once. Threads
//! are capped at MAX_THREADS besides, and an accept error (EMFILE, say) is waited out,
//! never fatal.

use super::Event;
use super::peer::Peers;
use super::request::{self, Refused};
use super::response::Answer;
use super::route::Router;
use crate::output;
use std::collections::VecDeque;
use std::io::Read;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How long a client has to send its whole request head, however it trickles it.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long a client may take to read the answer (a few hundred bytes).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections waiting for their head at once. A browser opens a handful.
pub const MAX_WAITING: usize = 64;
/// Connection threads at once: the waiting ones, the ones answering, and the closed
/// ones still winding down.
pub const MAX_THREADS: usize = 4 * MAX_WAITING;
/// Small: a connection thread parses one head and formats one page.
const THREAD_STACK: usize = 256 * 1024;
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const LAST_BACKOFF: Duration = Duration::from_secs(1);

struct Shared {
    router: Router,
    peers: Peers,
    events: UnboundedSender<Event>,
    threads: AtomicUsize,
    /// The connections still sending their head, oldest first, each with its number.
    waiting: Mutex<VecDeque<(u64, TcpStream)>>,
    next_id: AtomicU64,
    /// Set once the login has its answer: the loop then ends and the socket closes.
    stop: AtomicBool,
    addr: SocketAddr,
}

/// Runs the accept loop on its own thread until the router says the login is answered.
pub fn spawn(socket: TcpListener, router: Router, peers: Peers, events: UnboundedSender<Event>) {
    let addr = match socket.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            output::warn(format!("the sign-in listener has no address: {e}"));
            return;
        }
    };
    let shared = Arc::new(Shared {
        router,
        peers,
        events,
        threads: AtomicUsize::new(0),
        waiting: Mutex::new(VecDeque::new()),
        next_id: AtomicU64::new(0),
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

impl Shared {
    /// The waiting list, even if a thread panicked holding it (it holds no invariant
    /// a panic could break).
    fn waiting(&self) -> MutexGuard<'_, VecDeque<(u64, TcpStream)>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection to the waiting list, closing the oldest ones beyond the cap.
    fn wait_for_head(&self, id: u64, stream: TcpStream) {
        let mut waiting = self.waiting();
        while waiting.len() >= MAX_WAITING {
            let Some((_, oldest)) = waiting.pop_front() else {
                break;
            };
            // Its thread's read ends at once and the thread exits.
            let _ = oldest.shutdown(Shutdown::Both);
            output::debug(1, "the sign-in listener closed its oldest idle connection");
        }
        waiting.push_back((id, stream));
    }

    fn head_done(&self, id: u64) {
        self.waiting().retain(|(each, _)| *each != id);
    }
}

/// A connection's thread, counted while it lives.
struct Slot {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.head_done(self.id);
        self.shared.threads.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_one(stream: TcpStream, shared: &Arc<Shared>) {
    if shared.threads.fetch_add(1, Ordering::SeqCst) >= MAX_THREADS {
        shared.threads.fetch_sub(1, Ordering::SeqCst);
        output::debug(1, "the sign-in listener is busy: closed a connection");
        return; // dropping the stream closes it and frees its descriptor now
    }
    let slot = Slot {
        shared: Arc::clone(shared),
        id: shared.next_id.fetch_add(1, Ordering::SeqCst),
    };
    // A second handle, so the waiting list can close the connection from outside.
    let Ok(handle) = stream.try_clone() else {
        return; // out of descriptors: the slot and the stream drop, the connection closes
    };
    shared.wait_for_head(slot.id, handle);
    let spawned = std::thread::Builder::new()
        .name("loopback-conn".into())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let shared = &slot.shared;
            if let Some(event) = serve_connection(stream, shared, slot.id) {
                let _ = shared.events.send(event);
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

/// Reads one head, checks whose connection it is, answers it, closes. The event when
/// that answer ended the login's wait.
fn serve_connection(stream: TcpStream, shared: &Shared, id: u64) -> Option<Event> {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let input = Deadline {
        stream: &stream,
        until: Instant::now() + HEAD_DEADLINE,
    };
    let head = request::read_head(input);
    // Answering is bounded by the write timeout: no longer evictable.
    shared.head_done(id);
    if let Err(refused) = &head
        && refused.status().is_none()
    {
        return None; // gone, stalled or closed as the oldest: nobody to answer
    }
    // Whose connection it is, only now that there is something to answer: a scan of
    // the socket table for each of a flood of idle connections would cost real time.
    // The client is still there, waiting for its answer.
    if !shared.peers.admit(&stream) {
        // Another user's: no redirect, no callback, not even an error page.
        return None;
    }
    let (answer, event) = match head {
        Ok(head) => {
            let reply = shared.router.answer(&head);
            (reply.answer, reply.event)
        }
        Err(refused) => {
            let status = refused.status().unwrap_or(400);
            if refused != Refused::Malformed {
                output::debug(1, format!("refused an oversized request ({status})"));
            }
            (Answer::page(status, super::pages::bad_request()), None)
        }
    };
    answer.write_to(&stream);
    let _ = stream.shutdown(Shutdown::Write);
    event
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
