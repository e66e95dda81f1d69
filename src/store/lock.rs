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
