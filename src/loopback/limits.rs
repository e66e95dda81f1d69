//! The open-files limit, raised for the length of a login.
//!
//! Many systems start programs with a soft RLIMIT_NOFILE of 1024 and a much higher hard
//! limit. The listener caps its own connections, but a login also holds sockets to the
//! provider, the store and the runtime's own files: the soft limit is raised to the
//! hard one so a connection flood at the listener cannot starve them of descriptors.

/// Raises the soft open-files limit to the hard limit. Best effort: on failure the old
/// limit stays, and the listener's connection cap still holds.
#[cfg(unix)]
pub fn raise_open_files() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into the rlimit it is given, which lives here.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    #[allow(unused_mut)]
    let mut target = limit.rlim_max;
    // macOS refuses a soft limit above OPEN_MAX even when the hard limit is unlimited.
    #[cfg(target_os = "macos")]
    {
        target = target.min(libc::OPEN_MAX as libc::rlim_t);
    }
    if limit.rlim_cur >= target {
        return;
    }
    limit.rlim_cur = target;
    // SAFETY: setrlimit only reads the rlimit it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        crate::output::debug(1, "could not raise the open-files limit");
    }
}

#[cfg(not(unix))]
pub fn raise_open_files() {}
