//! Where secrets live (keyring or file), plus the non-secret local state: the
//! access-token cache, per-profile state, and the refresh lock.
//!
//! Contract (after cargo's credential providers): `load` is Ok(None) when nothing is
//! stored; every real failure is an error. Nothing falls back silently to another store.

pub mod aws_cache;
pub mod cache;
pub mod dpop_nonce;
pub mod file;
pub mod id_cache;
pub mod keyring;
pub mod lock;
pub mod redis;
pub mod seal;
pub mod state;

use crate::config::StoreKind;
use crate::error::{Error, Result};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// What a profile keeps secret. Small on purpose: Windows caps a credential at 2560 bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSecrets {
    /// Format version; an unknown one is refused rather than guessed at.
    pub v: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// A DPoP profile's private key: PKCS#8, base64url (about 200 characters for P-256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<Secret>,
}

pub const SECRETS_FORMAT: u32 = 1;

impl StoredSecrets {
    pub fn new(refresh_token: Option<Secret>, client_secret: Option<Secret>) -> Self {
        StoredSecrets {
            v: SECRETS_FORMAT,
            refresh_token,
            client_secret,
            dpop_key: None,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("plain strings always serialize")
    }

    /// Parses a stored payload; `where_` names the place for the error message.
    pub fn from_bytes(bytes: &[u8], where_: &str, fix: &str) -> Result<Self> {
        let unknown = || {
            Error::storage(
                format!("the secret stored in {where_} is in an unknown format"),
                fix.to_string(),
            )
        };
        let parsed: StoredSecrets = serde_json::from_slice(bytes).map_err(|_| unknown())?;
        if parsed.v != SECRETS_FORMAT {
            return Err(unknown());
        }
        Ok(parsed)
    }
}

pub trait SecretStore {
    /// Checks, without writing, that the store can be used now (reached, unlocked, its
    /// directory creatable): `login` asks before a person spends time signing in.
    fn probe(&self) -> Result<()>;
    fn load(&self) -> Result<Option<StoredSecrets>>;
    fn save(&self, secrets: &StoredSecrets) -> Result<()>;
    /// Deletes the secrets; deleting nothing is fine.
    fn delete(&self) -> Result<()>;
}

/// Where a profile's secrets are, as `settings` resolved it.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub kind: StoreKind,
    /// The file store's file.
    pub secret_file: PathBuf,
    /// The deadline of one keyring call.
    pub keyring_timeout: Duration,
    /// Test setting OCTOKEN_TEST_FAIL_SECRET_WRITES.
    pub fail_writes: bool,
    /// DBUS_SESSION_BUS_ADDRESS, for the keyring's hints (Linux).
    pub session_bus: Option<String>,
    /// The shared store of `--store redis`.
    pub redis: Option<redis::RedisOptions>,
    /// The clock of the run (the shared store records when it was written).
    pub now: u64,
}

/// The one constructor of a profile's secret store.
pub fn open(profile: &str, options: &StoreOptions) -> Box<dyn SecretStore> {
    let store: Box<dyn SecretStore> = match options.kind {
        StoreKind::Keyring => Box::new(keyring::KeyringStore::new(
            profile,
            options.keyring_timeout,
            options.session_bus.clone(),
        )),
        StoreKind::File => Box::new(file::FileStore::new(options.secret_file.clone(), profile)),
        StoreKind::Redis => match &options.redis {
            Some(redis) => Box::new(redis::RedisStore::new(redis.clone(), options.now)),
            None => Box::new(Unconfigured),
        },
    };
    if options.fail_writes {
        return Box::new(FailingWrites(store));
    }
    store
}

/// Test setting OCTOKEN_TEST_FAIL_SECRET_WRITES: a store whose writes fail (as a full
/// disk or a keyring that locks mid-run would), which root cannot simulate with chmod.
struct FailingWrites(Box<dyn SecretStore>);

impl SecretStore for FailingWrites {
    fn probe(&self) -> Result<()> {
        self.0.probe()
    }
    fn load(&self) -> Result<Option<StoredSecrets>> {
        self.0.load()
    }
    fn save(&self, _: &StoredSecrets) -> Result<()> {
        Err(Error::storage(
            "writing secrets failed (test setting)",
            "unset OCTOKEN_TEST_FAIL_SECRET_WRITES",
        ))
    }
    fn delete(&self) -> Result<()> {
        self.0.delete()
    }
}

/// A `redis` profile whose Redis settings are missing (a hand-edited config.toml).
struct Unconfigured;

impl Unconfigured {
    fn error() -> Error {
        Error::config(
            "the profile's store is redis but it names no Redis server",
            Some("run `octoken login --store redis --redis-url redis://HOST:PORT/DB ...`".into()),
        )
    }
}

impl SecretStore for Unconfigured {
    fn probe(&self) -> Result<()> {
        Err(Self::error())
    }
    fn load(&self) -> Result<Option<StoredSecrets>> {
        Err(Self::error())
    }
    fn save(&self, _: &StoredSecrets) -> Result<()> {
        Err(Self::error())
    }
    fn delete(&self) -> Result<()> {
        Err(Self::error())
    }
}
