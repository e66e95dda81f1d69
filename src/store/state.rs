//! Per-profile facts that are not secret but must outlive the cache: when the last
//! refresh succeeded (keepalive, idle-limit warnings) and which refresh token the server
//! rejected (by fingerprint, never the token).

use crate::error::Result;
use crate::fsutil;
use crate::output;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_at: Option<u64>,
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
        fsutil::write_atomic(path, &bytes, true)
    }
}
