//! Per-profile facts that are not secret but must outlive the cache: when the last
//! refresh succeeded (keepalive, idle-limit warnings), which refresh token the server
//! rejected (by fingerprint, never the token) and, for a fleet, the highest version of
//! the shared entry this host has used (an older one put back is refused).

use crate::error::Result;
use crate::fsutil;
use crate::output;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A refresh that failed for a temporary reason, and until when every process holds off
/// asking the server again (one failure answers all waiters; a struggling provider is
/// not stampeded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    /// Unix seconds of the failure.
    pub failed_at: u64,
    /// Unix seconds before which no process asks the server (but `refresh` by hand).
    pub until: u64,
    /// What failed, one line, for the messages of the processes that hold off.
    pub reason: String,
    /// Consecutive temporary failures; the backoff grows with them.
    pub failures: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// The highest fencing number `v` of the fleet's shared entry this host has read
    /// (opened) or committed: a lower one is a rollback (store/redis/codec.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_version: Option<u64>,
}

impl State {
    /// The state, or a fresh one when absent or unreadable (it only informs).
    pub fn load(path: &Path) -> State {
        match fsutil::read_private(path) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                output::debug(1, format!("ignoring corrupt state {}: {e}", path.display()));
                State::default()
            }),
            Ok(None) => State::default(),
            Err(e) => {
                output::debug(1, format!("ignoring state: {e}"));
                State::default()
            }
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec(self).expect("plain data always serializes");
        fsutil::write_atomic_unsynced(path, &bytes)
    }
}
