//! Process hygiene against a neighbour with the same uid and against crash dumps: no
//! core dumps (they would carry the refresh token), not dumpable (other same-uid
//! processes cannot read `/proc/<pid>/mem`), and the termination signals held off
//! while a rotated refresh token exists only in memory.

/// At start, before any secret is read. Failures are ignored: hardening is best effort
/// and never a reason not to run.
pub fn harden() {
    #[cfg(unix)]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads a valid rlimit struct.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &none);
        }
    }
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes plain integers.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    #[cfg(target_os = "macos")]
    // SAFETY: ptrace(PT_DENY_ATTACH) takes plain integers and a null address.
    unsafe {
        libc::ptrace(libc::PT_DENY_ATTACH, 0, std::ptr::null_mut(), 0);
    }
}

/// What Rust's start-up does that octoken relies on, for the Linux binary, which skips
/// it (src/main.rs). Descriptors 0-2 are opened on /dev/null when closed, so that no
/// file octoken opens later becomes its stdout and receives a token meant for a pipe.
/// SIGPIPE is ignored, so that a closed pipe is an error octoken sees (EPIPE) rather
/// than a silent death mid-way through storing a rotated token.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn start_without_rust_runtime() {
    for fd in 0..3 {
        // SAFETY: fcntl(F_GETFD) on a plain integer descriptor reads its flags only.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
        // open() returns the lowest free descriptor: this one, since those below it are
        // open by now.
        // SAFETY: a NUL-terminated path and plain flags.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } != fd {
            // As Rust's start-up does: running on without them is not safe.
            std::process::abort();
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN involves no handler code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// While alive, SIGINT, SIGTERM and SIGHUP wait (Ctrl-C, a cron or systemd timeout, a
/// closed terminal): the refresh they would interrupt finishes storing its answer first.
/// Dropping it lets a pending signal act as usual (exit 130/143/129).
pub struct HoldSignals {
    #[cfg(unix)]
    previous: libc::sigset_t,
}

impl HoldSignals {
    pub fn new() -> HoldSignals {
        #[cfg(unix)]
        // SAFETY: the sets are initialised by sigemptyset before use; pthread_sigmask
        // only reads `held` and writes `previous`.
        unsafe {
            let mut held: libc::sigset_t = std::mem::zeroed();
            let mut previous: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut held);
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(&mut held, signal);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &held, &mut previous);
            HoldSignals { previous }
        }
        #[cfg(not(unix))]
        HoldSignals {}
    }
}

impl Drop for HoldSignals {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: restores the mask saved in `new`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut());
        }
    }
}
