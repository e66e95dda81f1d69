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
