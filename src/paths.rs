//! Where octoken keeps things: config (profiles), data (file secrets, state), cache
//! (access tokens, locks). Each can be overridden through the environment.

use crate::env;
use crate::error::{Error, Result};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl Paths {
    pub fn resolve() -> Result<Paths> {
        let dirs = directories::ProjectDirs::from("", "", "octoken");
        let pick = |var: &str, default: Option<PathBuf>| {
            env::path(var).or(default).ok_or_else(|| {
                Error::config(
                    "no home directory to keep octoken's files in",
                    Some(format!("set {var}")),
                )
            })
        };
        Ok(Paths {
            config_dir: pick(
                env::OCTOKEN_CONFIG_DIR,
                dirs.as_ref().map(|d| d.config_dir().to_path_buf()),
            )?,
            data_dir: pick(
                env::OCTOKEN_DATA_DIR,
                dirs.as_ref().map(|d| d.data_dir().to_path_buf()),
            )?,
            cache_dir: pick(
                env::OCTOKEN_CACHE_DIR,
                dirs.as_ref().map(|d| d.cache_dir().to_path_buf()),
            )?,
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn secret_file(&self, profile: &str) -> PathBuf {
        self.data_dir
            .join("secrets")
            .join(format!("{profile}.json"))
    }

    pub fn recovery_file(&self, profile: &str) -> PathBuf {
        self.data_dir
            .join("secrets")
            .join(format!("{profile}.recovery.json"))
    }

    pub fn state_file(&self, profile: &str) -> PathBuf {
        self.data_dir.join("state").join(format!("{profile}.json"))
    }

    pub fn cache_file(&self, profile: &str) -> PathBuf {
        self.cache_dir
            .join("tokens")
            .join(format!("{profile}.json"))
    }

    pub fn lock_file(&self, profile: &str) -> PathBuf {
        self.cache_dir.join("locks").join(format!("{profile}.lock"))
    }
}
