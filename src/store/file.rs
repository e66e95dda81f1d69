//! Secrets in a 0600 file inside a 0700 directory, for machines without a keyring
//! (servers, sensor nodes, cron without a desktop session). Chosen explicitly with
//! `--store file`; never a silent fallback.

use crate::error::Result;
use crate::fsutil;
use crate::store::{SecretStore, StoredSecrets};
use std::path::PathBuf;

pub struct FileStore {
    path: PathBuf,
    profile: String,
}

impl FileStore {
    pub fn new(path: PathBuf, profile: &str) -> Self {
        FileStore {
            path,
            profile: profile.to_string(),
        }
    }
}

impl SecretStore for FileStore {
    fn load(&self) -> Result<Option<StoredSecrets>> {
        let Some(bytes) = fsutil::read_private(&self.path)? else {
            return Ok(None);
        };
        let fix = format!(
            "move {} away and run `{}` again",
            self.path.display(),
            crate::error::login_command(&self.profile)
        );
        StoredSecrets::from_bytes(&bytes, &self.path.display().to_string(), &fix).map(Some)
    }

    fn save(&self, secrets: &StoredSecrets) -> Result<()> {
        fsutil::write_atomic(&self.path, &secrets.to_bytes(), true)
    }

    fn delete(&self) -> Result<()> {
        fsutil::remove(&self.path)
    }
}
