//! The ID-token cache: one small 0600 JSON file per profile beside the access-token
//! cache, with the same key (token endpoint and client) and the same rule: a missing,
//! corrupt or foreign file is ignored and rewritten on the next refresh.

use crate::access_token::IdToken;
use crate::error::Result;
use crate::fsutil;
use crate::output;
use crate::store::cache::CacheKey;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct IdCacheFile {
    key: CacheKey,
    token: IdToken,
}

pub fn load(path: &Path, key: &CacheKey) -> Option<IdToken> {
    let bytes = match fsutil::read_private(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(e) => {
            output::debug(1, format!("ignoring the ID token cache: {e}"));
            return None;
        }
    };
    match serde_json::from_slice::<IdCacheFile>(&bytes) {
        Ok(file) if &file.key == key => Some(file.token),
        Ok(_) => {
            output::debug(
                1,
                "ignoring the ID token cache: it belongs to another client",
            );
            None
        }
        Err(e) => {
            output::debug(
                1,
                format!(
                    "ignoring the corrupt ID token cache {}: {e}",
                    path.display()
                ),
            );
            None
        }
    }
}

pub fn save(path: &Path, key: &CacheKey, token: &IdToken) -> Result<()> {
    let file = IdCacheFile {
        key: key.clone(),
        token: token.clone(),
    };
    let bytes = serde_json::to_vec(&file).expect("plain data always serializes");
    fsutil::write_atomic_unsynced(path, &bytes)
}
