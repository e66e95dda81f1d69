//! One refresh at a time per profile, across processes: an advisory lock on a lock file
//! that holds nothing (never on the secret file itself). The OS drops the lock when its
//! holder exits, so a crashed holder never blocks anyone. The file is opened through
//! `fsutil::open_lock`: never through a link, never blocking on a FIFO, 0600, ours.

use crate::error::{Error, Result};
use crate::fsutil;
use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

pub struct ProfileLock {
    _file: File,
}

impl ProfileLock {
    /// Waits up to `timeout` for the lock.
    pub fn acquire(path: &Path, timeout: Duration) -> Result<ProfileLock> {
        let file = fsutil::open_lock(path)?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(ProfileLock { _file: file }),
                Err(TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Temporary {
                        message: format!(
                            "another octoken process has been refreshing this profile for over {}s",
                            timeout.as_secs()
                        ),
                        hint: format!(
                            "try again; if it persists, look for a hung process holding {}",
                            path.display()
                        ),
                    });
                }
                Err(TryLockError::Error(e)) => {
                    return Err(Error::io("lock", path, e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
        dir.path().join("locks/default.lock")
    }

    #[test]
    fn a_free_lock_is_taken_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let _held = ProfileLock::acquire(&lock_path(&dir), Duration::ZERO).unwrap();
        assert!(start.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn a_held_lock_times_out_after_the_deadline_with_a_temporary_error() {
        let dir = tempfile::tempdir().unwrap();
        let _held = ProfileLock::acquire(&lock_path(&dir), Duration::ZERO).unwrap();
        let start = Instant::now();
        let err = ProfileLock::acquire(&lock_path(&dir), Duration::from_millis(300))
            .err()
            .expect("the lock is held");
        let waited = start.elapsed();
        assert_eq!(err.exit_code(), crate::error::exit::TEMPORARY);
        assert!(err.to_string().contains("another octoken process"), "{err}");
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        // Polling stays frequent (at most 100 ms apart), so the deadline is not overrun.
        assert!(waited < Duration::from_millis(700), "{waited:?}");
    }

    #[test]
    fn a_released_lock_is_taken_by_the_next_waiter_soon() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(&dir);
        let held = ProfileLock::acquire(&path, Duration::ZERO).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(held);
        });
        let start = Instant::now();
        let _next = ProfileLock::acquire(&path, Duration::from_secs(5)).unwrap();
        let waited = start.elapsed();
        release.join().unwrap();
        assert!(waited >= Duration::from_millis(100), "{waited:?}");
        assert!(waited < Duration::from_millis(400), "{waited:?}");
    }
}
