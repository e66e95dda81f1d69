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

    /// The access-token cache of a profile; narrowed scope sets and resources get their
    /// own file, so a narrowed token never replaces the login's one.
    pub fn cache_file(
        &self,
        profile: &str,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> PathBuf {
        let name = match (scope, resource) {
            (None, None) => format!("{profile}.json"),
            (Some(scope), None) => format!("{profile}.scope-{}.json", scope_key(scope)),
            (scope, Some(resource)) => {
                format!("{profile}.resource-{}.json", resource_key(resource, scope))
            }
        };
        self.cache_dir.join("tokens").join(name)
    }

    /// The cache of `token --audience AUD` (token exchange), per audience, resource and
    /// scope asked with it.
    pub fn audience_cache_file(
        &self,
        profile: &str,
        audience: &str,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> PathBuf {
        let scope = scope.map(normal_scope);
        let key = short_hash(&serde_json::json!([audience, resource, scope]).to_string());
        self.cache_dir
            .join("tokens")
            .join(format!("{profile}.audience-{key}.json"))
    }

    /// The ID-token cache of a profile: in a directory of its own, so that no profile
    /// name (which may contain dots) can make it another profile's access-token cache.
    pub fn id_token_file(&self, profile: &str) -> PathBuf {
        self.cache_dir
            .join("tokens")
            .join("id")
            .join(format!("{profile}.json"))
    }

    /// The cache of `token --type id --audience AUD` (an ID token by token exchange), per
    /// audience, beside the profile's own ID token.
    pub fn audience_id_token_file(&self, profile: &str, audience: &str) -> PathBuf {
        let key = resource_key(audience, None);
        self.cache_dir
            .join("tokens")
            .join("id")
            .join(format!("{profile}.audience-{key}.json"))
    }

    /// Every cache file of a profile, narrowed ones and the ID token's included.
    pub fn cache_files(&self, profile: &str) -> Vec<PathBuf> {
        let dir = self.cache_dir.join("tokens");
        let scoped = format!("{profile}.scope-");
        let resourced = format!("{profile}.resource-");
        let audienced = format!("{profile}.audience-");
        let mut files = vec![
            self.cache_file(profile, None, None),
            self.id_token_file(profile),
        ];
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(
                entries
                    .flatten()
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.starts_with(&scoped)
                            || name.starts_with(&resourced)
                            || name.starts_with(&audienced)
                    })
                    .map(|e| e.path()),
            );
        }
        if let Ok(entries) = std::fs::read_dir(dir.join("id")) {
            files.extend(
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(&audienced))
                    .map(|e| e.path()),
            );
        }
        // `aws-credential`'s credentials, one file per role (a directory per profile, so
        // that no profile name can reach another's).
        if let Ok(entries) = std::fs::read_dir(self.aws_cache_dir(profile)) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
        files
    }

    /// The directory of a profile's AWS credentials (`aws-credential`), one file a role.
    pub fn aws_cache_dir(&self, profile: &str) -> PathBuf {
        self.cache_dir.join("aws").join(profile)
    }

    pub fn lock_file(&self, profile: &str) -> PathBuf {
        self.cache_dir.join("locks").join(format!("{profile}.lock"))
    }
}

/// A short name for a scope set: the same for "b a" and "a  b".
fn scope_key(scope: &str) -> String {
    short_hash(&normal_scope(scope))
}

/// A short name for a resource and the scope asked with it (None: the login's). The
/// fields go in as a JSON array, so no value (a scope of `*`, a line break in a
/// resource) can make two different requests one name.
fn resource_key(resource: &str, scope: Option<&str>) -> String {
    let scope = scope.map(normal_scope);
    short_hash(&serde_json::json!([resource, scope]).to_string())
}

fn normal_scope(scope: &str) -> String {
    let mut words: Vec<&str> = scope.split_whitespace().collect();
    words.sort_unstable();
    words.dedup();
    words.join(" ")
}

fn short_hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths {
            config_dir: PathBuf::from("/c"),
            data_dir: PathBuf::from("/d"),
            cache_dir: PathBuf::from("/k"),
        }
    }

    /// Different requests never share a cache file, whatever their values hold.
    #[test]
    fn narrowed_caches_of_different_requests_have_different_files() {
        let p = paths();
        assert_ne!(
            p.cache_file("w", Some("*"), Some("https://r")),
            p.cache_file("w", None, Some("https://r"))
        );
        assert_ne!(
            p.audience_cache_file("w", "a", None, Some("*")),
            p.audience_cache_file("w", "a", None, None)
        );
        assert_ne!(
            p.audience_cache_file("w", "a\nhttps://r", None, None),
            p.audience_cache_file("w", "a", None, Some("https://r"))
        );
        // The same scope in another order is the same request.
        assert_eq!(
            p.cache_file("w", Some("b a"), Some("https://r")),
            p.cache_file("w", Some("a  b"), Some("https://r"))
        );
    }
}
