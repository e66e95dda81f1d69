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
use crate::fsutil::{self, FileStamp};
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
    /// The version of config.toml the key was derived from (see [`load_if_unchanged`]).
    /// Absent in caches written before it existed, and where the platform has no stamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<FileStamp>,
    token: AccessToken,
}

/// A cached token, and the version of config.toml it was cached under.
pub struct Cached {
    pub token: AccessToken,
    pub config: Option<FileStamp>,
}

pub fn load(path: &Path, key: &CacheKey) -> Option<Cached> {
    let file = read(path)?;
    if &file.key != key {
        output::debug(1, "ignoring the token cache: it belongs to another client");
        return None;
    }
    Some(Cached {
        token: file.token,
        config: file.config,
    })
}

/// The cached token, when config.toml is still the very file (same stamp) that the
/// cache's key was derived from: then the profile it would resolve to is the one the
/// token was cached under, and `token` needs neither to parse config.toml nor to check
/// its endpoints again (they were checked when it was read). Anything else, including a
/// config.toml that was edited, replaced, touched or chmod-ed, is None: the caller then
/// resolves the profile the long way, with every check.
pub fn load_if_unchanged(path: &Path, config_file: &Path) -> Option<AccessToken> {
    let now = fsutil::stamp(config_file)?;
    let file = read(path)?;
    (file.config == Some(now)).then_some(file.token)
}

fn read(path: &Path) -> Option<CacheFile> {
    let bytes = match fsutil::read_private(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(e) => {
            output::debug(1, format!("ignoring the token cache: {e}"));
            return None;
        }
    };
    match serde_json::from_slice::<CacheFile>(&bytes) {
        Ok(file) => Some(file),
        Err(e) => {
            output::debug(
                1,
                format!("ignoring the corrupt token cache {}: {e}", path.display()),
            );
            None
        }
    }
}

/// `config`: the stamp of the config.toml `key` was derived from, if known.
pub fn save(
    path: &Path,
    key: &CacheKey,
    config: Option<FileStamp>,
    token: &AccessToken,
) -> Result<()> {
    let file = CacheFile {
        key: key.clone(),
        config,
        token: token.clone(),
    };
    let bytes = serde_json::to_vec(&file).expect("plain data always serializes");
    fsutil::write_atomic_unsynced(path, &bytes)
}

pub fn remove(path: &Path) -> Result<()> {
    fsutil::remove(path)
}
