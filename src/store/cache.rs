//! The access-token cache: one small 0600 JSON file per profile. It is disposable: a
//! missing, corrupt or foreign cache is ignored (and rewritten on the next refresh).
//! Reading it touches neither the keyring nor the network; that is the fast path.
//!
//! Any file `fsutil` refuses at the cache path (a link, a FIFO, a file another user
//! owns or can read or write, one over the read cap, one in a directory others can
//! write) reads as "no cache", with a `-v` line saying why: such a file is never handed
//! out as a token. The refresh that follows then needs the lock, whose checks are errors
//! (exit 6), so a cache directory shared with another user still fails clearly.

use crate::access_token::AccessToken;
use crate::error::Result;
use crate::fsutil;
use crate::output;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which server and client a cached token came from, so a token is never handed out
/// for a profile whose issuer or client changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheKey {
    pub token_url: String,
    pub client_id: String,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    key: CacheKey,
    token: AccessToken,
}

pub fn load(path: &Path, key: &CacheKey) -> Option<AccessToken> {
    let bytes = match fsutil::read_private(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(e) => {
            output::debug(1, format!("ignoring the token cache: {e}"));
            return None;
        }
    };
    match serde_json::from_slice::<CacheFile>(&bytes) {
        Ok(file) if &file.key == key => Some(file.token),
        Ok(_) => {
            output::debug(1, "ignoring the token cache: it belongs to another client");
            None
        }
        Err(e) => {
            output::debug(
                1,
                format!("ignoring the corrupt token cache {}: {e}", path.display()),
            );
            None
        }
    }
}

pub fn save(path: &Path, key: &CacheKey, token: &AccessToken) -> Result<()> {
    let file = CacheFile {
        key: key.clone(),
        token: token.clone(),
    };
    let bytes = serde_json::to_vec(&file).expect("plain data always serializes");
    fsutil::write_atomic_unsynced(path, &bytes)
}

pub fn remove(path: &Path) -> Result<()> {
    fsutil::remove(path)
}
