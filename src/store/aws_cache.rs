//! The AWS credentials cache of `aws-credential`: one small 0600 JSON file per profile
//! and role, read and written through `fsutil` like the token cache, and disposable the
//! same way (a missing, corrupt, foreign or refused file reads as "no cache").
//!
//! A file names everything its credentials depend on: the profile's token endpoint and
//! client (`CacheKey`, as the token cache), and the role asked for (ARN, session name,
//! duration, which token, STS endpoint). Its name is a hash of the role, so two roles
//! never share a file; its content is compared in full, so a hash collision or a copied
//! file is never taken for the role asked. Like the token cache, it records the stamp of
//! the `config.toml` the key came from, so that the cached path can skip parsing it,
//! and the fingerprint of the token STS took, which the long way (after a login, which
//! rewrites config.toml) compares with the profile's current token.

use crate::error::Result;
use crate::fsutil::{self, FileStamp};
use crate::output;
use crate::secret::Secret;
use crate::store::cache::CacheKey;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Renew this long before `Expiration` at most: the AWS SDKs (botocore, the Java and Go
/// SDKs) refresh a `credential_process`'s credentials 15 minutes before they expire
/// (10 minutes, mandatorily), and should then get new ones, not the same again.
pub const RENEW_BEFORE: u64 = 15 * 60;

/// The longest session STS grants (a role's maximum session duration is 1 to 12 hours).
const MAX_SESSION: u64 = 12 * 3600;

/// The role a file's credentials are for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleKey {
    pub role_arn: String,
    pub session_name: String,
    /// None: the role's default duration.
    pub duration: Option<u64>,
    /// Which of the profile's tokens was the web identity: "id" or "access".
    pub token: String,
    pub sts_endpoint: String,
}

impl RoleKey {
    /// The file's name: a hash of the role, stable across runs and versions.
    pub fn file_name(&self) -> String {
        let text = serde_json::to_string(self).expect("plain data always serializes");
        let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
        let hex: String = digest.as_ref()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{hex}.json")
    }
}

/// Temporary AWS credentials, and when they were obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Unix seconds.
    pub expiration: u64,
    pub obtained_at: u64,
    /// The fingerprint (`Secret::fingerprint`) of the web identity token STS took: the
    /// long way hands out only credentials obtained with the profile's current token,
    /// so that a login as someone else never gets the last user's role session.
    pub identity: String,
}

impl AwsCredentials {
    /// Good to hand out at `now`: more than the renewal margin left (15 minutes, or half
    /// the credentials' lifetime when that is shorter), and plausible (obtained in the
    /// past, expiring within a session's longest lifetime of it; a clock set back or a
    /// hand-edited file is no cache).
    pub fn is_fresh(&self, now: u64) -> bool {
        let lifetime = self.expiration.saturating_sub(self.obtained_at);
        let margin = (lifetime / 2).min(RENEW_BEFORE);
        let plausible = self.obtained_at <= now.saturating_add(60)
            && lifetime <= MAX_SESSION + 3600
            && self.expiration > self.obtained_at;
        plausible && now.saturating_add(margin) < self.expiration
    }
}

#[derive(Serialize, Deserialize)]
struct AwsCacheFile {
    key: CacheKey,
    role: RoleKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<FileStamp>,
    credentials: AwsCredentials,
}

/// The cached credentials for this client and role, whatever their freshness.
pub fn load(path: &Path, key: &CacheKey, role: &RoleKey) -> Option<AwsCredentials> {
    let file = read(path)?;
    if &file.key != key || &file.role != role {
        output::debug(
            1,
            "ignoring the AWS credentials cache: it belongs to another client or role",
        );
        return None;
    }
    Some(file.credentials)
}

/// The cached credentials for this role when `config_file` is still the very file the
/// cache's client key was derived from (see `cache::load_if_unchanged`): the profile
/// then resolves as it did, and needs no parsing. Anything else is None.
pub fn load_if_unchanged(
    path: &Path,
    config_file: &Path,
    role: &RoleKey,
) -> Option<AwsCredentials> {
    let now = fsutil::stamp(config_file)?;
    let file = read(path)?;
    (file.config == Some(now) && &file.role == role).then_some(file.credentials)
}

fn read(path: &Path) -> Option<AwsCacheFile> {
    let bytes = match fsutil::read_private(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(e) => {
            output::debug(1, format!("ignoring the AWS credentials cache: {e}"));
            return None;
        }
    };
    match serde_json::from_slice::<AwsCacheFile>(&bytes) {
        Ok(file) => Some(file),
        Err(e) => {
            output::debug(
                1,
                format!(
                    "ignoring the corrupt AWS credentials cache {}: {e}",
                    path.display()
                ),
            );
            None
        }
    }
}

/// `config`: the stamp of the config.toml `key` was derived from, if known.
pub fn save(
    path: &Path,
    key: &CacheKey,
    role: &RoleKey,
    config: Option<FileStamp>,
    credentials: &AwsCredentials,
) -> Result<()> {
    let file = AwsCacheFile {
        key: key.clone(),
        role: role.clone(),
        config,
        credentials: credentials.clone(),
    };
    let bytes = serde_json::to_vec(&file).expect("plain data always serializes");
    fsutil::write_atomic_unsynced(path, &bytes)
}

/// A temporary STS failure, kept beside a role's credentials so that the runs waiting
/// for the lock meanwhile take it as their answer instead of asking again, one after
/// the other, a server that has just failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Unix seconds.
    pub failed_at: u64,
    /// The error, as shown (STS's words made inert, our secrets taken out).
    pub message: String,
}

/// Where the failure beside `path` (a role's credentials file) is kept.
fn failure_path(path: &Path) -> std::path::PathBuf {
    path.with_extension("failed")
}

pub fn load_failure(path: &Path) -> Option<Failure> {
    let bytes = fsutil::read_private(&failure_path(path)).ok()??;
    serde_json::from_slice(&bytes).ok()
}

pub fn save_failure(path: &Path, failure: &Failure) -> Result<()> {
    let bytes = serde_json::to_vec(failure).expect("plain data always serializes");
    fsutil::write_atomic_unsynced(&failure_path(path), &bytes)
}

pub fn clear_failure(path: &Path) -> Result<()> {
    fsutil::remove(&failure_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(obtained_at: u64, expiration: u64) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "ASIAEXAMPLE0000000".into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration,
            obtained_at,
            identity: "fp".into(),
        }
    }

    #[test]
    fn credentials_are_renewed_fifteen_minutes_or_half_their_life_early() {
        let now = 1_000_000;
        // One hour: fresh until 15 minutes are left.
        assert!(creds(now, now + 3600).is_fresh(now + 2699));
        assert!(!creds(now, now + 3600).is_fresh(now + 2700));
        // 15 minutes (STS's shortest): fresh for the first half.
        assert!(creds(now, now + 900).is_fresh(now + 449));
        assert!(!creds(now, now + 900).is_fresh(now + 450));
        // Implausible: obtained in the future, or living beyond any session.
        assert!(!creds(now + 3600, now + 7200).is_fresh(now));
        assert!(!creds(now, now + 30 * 86400).is_fresh(now));
        assert!(!creds(now, now).is_fresh(now));
    }

    #[test]
    fn a_file_is_taken_only_for_its_client_and_role() {
        let dir = tempfile::tempdir().unwrap();
        let key = CacheKey {
            token_url: "https://id.example.com/token".into(),
            client_id: "cli".into(),
        };
        let role = RoleKey {
            role_arn: "arn:aws:iam::123456789012:role/ci".into(),
            session_name: "octoken-default".into(),
            duration: None,
            token: "id".into(),
            sts_endpoint: "https://sts.amazonaws.com".into(),
        };
        let path = dir.path().join("aws/default").join(role.file_name());
        let saved = creds(1, 3601);
        save(&path, &key, &role, None, &saved).unwrap();
        assert_eq!(load(&path, &key, &role), Some(saved.clone()));
        let other_role = RoleKey {
            session_name: "other".into(),
            ..role.clone()
        };
        assert_ne!(other_role.file_name(), role.file_name());
        assert_eq!(load(&path, &key, &other_role), None);
        let other_client = CacheKey {
            client_id: "other".into(),
            ..key.clone()
        };
        assert_eq!(load(&path, &other_client, &role), None);
        // Without a config stamp, the short way never answers.
        assert_eq!(load_if_unchanged(&path, &dir.path().join("x"), &role), None);
        // A failure is kept beside it, and cleared.
        let failure = Failure {
            failed_at: 5,
            message: "STS endpoint answered HTTP 503".into(),
        };
        save_failure(&path, &failure).unwrap();
        assert_eq!(load_failure(&path), Some(failure));
        assert_eq!(load(&path, &key, &role), Some(saved.clone()));
        clear_failure(&path).unwrap();
        assert_eq!(load_failure(&path), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
