//! The agent's copy of each profile's cached access token, so that a cached answer costs
//! two `statx` calls (config.toml and the cache file) instead of resolving the paths,
//! checking their directories, reading and parsing the file. A copy is used only while
//! both files are the very files it was read from ([`FileStamp`]: device, inode, size,
//! mtime, ctime): a refresh (by the agent or by a local `octoken`), a new login, a
//! `logout`, a `chmod` or an edit of config.toml each replace or touch one of them, and
//! the next request reads them again.

use crate::access_token::AccessToken;
use crate::fsutil::{self, FileStamp};
use crate::settings::Global;
use crate::store::cache;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

struct Kept {
    config_file: PathBuf,
    cache_file: PathBuf,
    config: FileStamp,
    cache: FileStamp,
    token: AccessToken,
}

#[derive(Default)]
pub struct Memo {
    kept: Mutex<HashMap<String, Kept>>,
}

impl Memo {
    /// The kept token of `profile`, if both its files are unchanged.
    pub fn get(&self, profile: &str) -> Option<AccessToken> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let kept = kept.get(profile)?;
        let unchanged = fsutil::stamp(&kept.cache_file) == Some(kept.cache)
            && fsutil::stamp(&kept.config_file) == Some(kept.config);
        unchanged.then(|| kept.token.clone())
    }

    /// The profile's cached token read from its file (`cache::load_if_unchanged`), kept
    /// when the file was the same before and after the read.
    pub fn load(&self, global: &Global) -> Option<AccessToken> {
        let paths = &global.paths;
        let config_file = paths.config_file();
        let cache_file = paths.cache_file(&global.profile, None, None);
        let before = fsutil::stamp(&cache_file);
        let config = fsutil::stamp(&config_file);
        let token = cache::load_if_unchanged(&cache_file, &config_file)?;
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        match (before, config) {
            (Some(cache), Some(config))
                if fsutil::stamp(&cache_file) == Some(cache)
                    && fsutil::stamp(&config_file) == Some(config) =>
            {
                kept.insert(
                    global.profile.clone(),
                    Kept {
                        config_file,
                        cache_file,
                        config,
                        cache,
                        token: token.clone(),
                    },
                );
            }
            _ => {
                kept.remove(&global.profile);
            }
        }
        Some(token)
    }
}
