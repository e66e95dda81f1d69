//! The latest DPoP nonce (RFC 9449 8, 9) each server handed this profile, by origin: a
//! small 0600 JSON file in the cache dir. Disposable like the token cache: a missing or
//! corrupt file only costs one `use_dpop_nonce` round trip.

use crate::error::Result;
use crate::fsutil;
use crate::output;
use std::collections::BTreeMap;
use std::path::Path;

/// Nonces are short server strings; more servers than this per profile is not real use.
const MAX_SERVERS: usize = 32;

pub fn load(path: &Path) -> BTreeMap<String, String> {
    match fsutil::read_private(path) {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            output::debug(
                1,
                format!("ignoring corrupt DPoP nonces {}: {e}", path.display()),
            );
            BTreeMap::new()
        }),
        Ok(None) => BTreeMap::new(),
        Err(e) => {
            output::debug(1, format!("ignoring DPoP nonces: {e}"));
            BTreeMap::new()
        }
    }
}

/// The nonce last seen from `origin`.
pub fn get(path: &Path, origin: &str) -> Option<String> {
    load(path).remove(origin)
}

/// Records `nonce` as `origin`'s latest.
pub fn save(path: &Path, origin: &str, nonce: &str) -> Result<()> {
    let mut all = load(path);
    if all.get(origin).map(String::as_str) == Some(nonce) {
        return Ok(());
    }
    if all.len() >= MAX_SERVERS && !all.contains_key(origin) {
        all.clear();
    }
    all.insert(origin.to_string(), nonce.to_string());
    let bytes = serde_json::to_vec(&all).expect("strings always serialize");
    fsutil::write_atomic_unsynced(path, &bytes)
}
