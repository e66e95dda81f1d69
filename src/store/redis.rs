//! The shared store of a fleet (`--store redis`): one identity's secrets and its latest
//! access token in Redis (or Valkey), where every host of the fleet reads them, and the
//! primitives that keep the fleet to one refresh per expiry:
//!
//! - a lease: `SET <ns>:lease <owner> NX PX <ttl>` with a random owner token; only the
//!   owner extends or releases it (Lua scripts compare the owner first), so a host that
//!   dies holding it delays the others by at most the lease time;
//! - a fencing number: the entry's `v`, read with the refresh token and checked by the
//!   commit script, which writes the new refresh token only if `v` is still the one
//!   that was read. A holder whose lease expired while it was paused can never
//!   overwrite a newer token: its commit finds a newer `v` and writes nothing.
//!
//! Layout, all under `octoken:<namespace>:`:
//! - `entry` (hash): `v` (fencing number), `secrets` (refresh token and client secret),
//!   `client` (the client's non-secret settings, for `login --attach`), `access` (the
//!   fleet's latest access token), `refreshed_at` (unix seconds), `refreshed_by`;
//! - `lease` (string with a TTL): the refreshing host's owner token.
//!
//! With a store key (`store::seal`) every value but `v`, `refreshed_at` and
//! `refreshed_by` is sealed, so a dump of the database holds no usable token.
//!
//! The connection is made on first use (the cached `token` path never makes one), with
//! the configured timeout on connecting and on every reply.

use crate::access_token::AccessToken;
use crate::config::Grant;
use crate::error::{Error, Result};
use crate::oauth::AuthMethod;
use crate::secret::Secret;
use crate::store::seal::{self, SealKey};
use crate::store::{SecretStore, StoredSecrets};
use serde::{Deserialize, Serialize};
use std::cell::{OnceCell, RefCell};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a fleet's shared entry is, as `settings` resolved it.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// `redis://` or `rediss://` URL, without a password.
    pub url: String,
    /// OCTOKEN_REDIS_PASSWORD; never saved in config.toml.
    pub password: Option<Secret>,
    /// A 0600 file holding the password, read when connecting (the env wins).
    pub password_file: Option<PathBuf>,
    pub namespace: String,
    pub lease: Duration,
    /// The deadline of connecting and of each reply.
    pub timeout: Duration,
    /// `WAIT <n>` for this many replicas after each commit (0: no WAIT).
    pub wait_replicas: u32,
    /// `--store-key-file`: seal every value written.
    pub key_file: Option<PathBuf>,
    /// Extra trusted CA certificates (PEM) for `rediss://`.
    pub ca_file: Option<PathBuf>,
}

/// The client's settings as the fleet shares them: what a host attaching needs besides
/// the secrets. Nothing secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedClient {
    pub issuer: Option<String>,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub scope: String,
    pub grant: Grant,
    pub token_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_url: Option<String>,
    // What a sender-constrained or key-based client needs besides: hosts that joined
    // before these existed read them as absent (serde defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// The DPoP key's algorithm: the key itself is in the (sealed) shared secrets, so
    /// every host signs proofs for the one bound token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop: Option<crate::oauth::dpop::DpopAlg>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mtls_endpoint_aliases: bool,
    /// private_key_jwt: how the key is named and used; each host has its own copy of
    /// the key file (never shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_alg: Option<crate::oauth::client_key::ClientKeyAlg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_aud: Option<crate::oauth::client_key::AssertionAudience>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// What a commit found.
#[derive(Debug, PartialEq, Eq)]
pub enum Commit {
    /// Written; the entry's new fencing number.
    Done(u64),
    /// The entry moved on since it was read (another host committed): nothing written.
    Fenced,
}

/// The fleet's view for `status`.
#[derive(Debug, Default)]
pub struct FleetStatus {
    pub exists: bool,
    pub version: u64,
    pub refreshed_at: Option<u64>,
    pub refreshed_by: Option<String>,
    /// The lease holder and the milliseconds its lease has left.
    pub lease: Option<(String, u64)>,
    pub sealed_with: Option<String>,
}

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

const EXTEND: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// KEYS[1] entry; ARGV: expected v, secrets, access ('' keeps the one there: a
/// narrower scope's token is not the fleet's), refreshed_at, by.
const COMMIT: &str = r"
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then
  return -1
end
local n = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', n, 'secrets', ARGV[2], 'refreshed_at', ARGV[4], 'refreshed_by', ARGV[5])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'access', ARGV[3])
end
return n";

/// KEYS[1] entry; ARGV: v the token belongs to, access. Publishes an access token only
/// while the entry is still at that version.
const PUBLISH: &str = r"
if (redis.call('HGET', KEYS[1], 'v') or '0') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'access', ARGV[2])
return 1";

pub struct Shared {
    options: RedisOptions,
    conn: RefCell<Option<redis::Connection>>,
    key: OnceCell<Option<SealKey>>,
}

impl Shared {
    pub fn new(options: RedisOptions) -> Shared {
        Shared {
            options,
            conn: RefCell::new(None),
            key: OnceCell::new(),
        }
    }

    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    pub fn entry_key(&self) -> String {
        format!("octoken:{}:entry", self.options.namespace)
    }

    pub fn lease_key(&self) -> String {
        format!("octoken:{}:lease", self.options.namespace)
    }

    /// Where the fleet's backoff after a temporary failure lives (issue: one failure
    /// answers the whole fleet); it expires by itself when the backoff ends.
    pub fn backoff_key(&self) -> String {
        format!("octoken:{}:backoff", self.options.namespace)
    }

    /// The fleet's recorded backoff, if one runs.
    pub fn backoff(&self) -> Result<Option<crate::store::state::Backoff>> {
        let key = self.backoff_key();
        let text: Option<String> = self.with("reading the fleet's backoff", |c| {
            redis::cmd("GET").arg(&key).query(c)
        })?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Records a backoff for every host; Redis drops it when it ends.
    pub fn set_backoff(&self, backoff: &crate::store::state::Backoff, ttl: Duration) -> Result<()> {
        let key = self.backoff_key();
        let text = serde_json::to_string(backoff).expect("plain data");
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.with("recording the fleet's backoff", |c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&text)
                .arg("PX")
                .arg(ms)
                .query::<()>(c)
        })
    }

    /// The first success clears the fleet's backoff.
    pub fn clear_backoff(&self) -> Result<()> {
        let key = self.backoff_key();
        self.with("clearing the fleet's backoff", |c| {
            redis::cmd("DEL").arg(&key).query::<()>(c)
        })
    }

    /// Where the store is, for messages: the URL without credentials, and the namespace.
    pub fn describe(&self) -> String {
        format!(
            "{} (namespace {})",
            self.options.url, self.options.namespace
        )
    }

    fn seal_key(&self) -> Result<Option<&SealKey>> {
        if let Some(key) = self.key.get() {
            return Ok(key.as_ref());
        }
        let key = match &self.options.key_file {
            Some(path) => Some(SealKey::load(path)?),
            None => None,
        };
        let _ = self.key.set(key);
        Ok(self.key.get().and_then(Option::as_ref))
    }

    /// Runs `f` on the connection, connecting first if needed. A failed call drops the
    /// connection (the next call reconnects).
    fn with<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let mut slot = self.conn.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.connect().map_err(|e| self.error(what, &e))?);
        }
        let conn = slot.as_mut().expect("connected just above");
        let result = f(conn);
        if result.is_err() {
            *slot = None;
        }
        result.map_err(|e| self.error(what, &e))
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let o = &self.options;
        let mut url = url::Url::parse(&o.url).map_err(|e| {
            redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "invalid URL",
                e.to_string(),
            ))
        })?;
        let from_file = match (&o.password, &o.password_file) {
            (None, Some(path)) => Some(self.password_file(path)?),
            _ => None,
        };
        if let Some(password) = o.password.as_ref().or(from_file.as_ref()) {
            let _ = url.set_password(Some(password.expose()));
        }
        let client = if url.scheme() == "rediss" || url.scheme() == "valkeys" {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let root_cert = match &o.ca_file {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    redis::RedisError::from((
                        redis::ErrorKind::InvalidClientConfig,
                        "cannot read the CA file",
                        format!("{}: {e}", path.display()),
                    ))
                })?),
                None => None,
            };
            redis::Client::build_with_tls(
                url.as_str(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert,
                },
            )?
        } else {
            redis::Client::open(url.as_str())?
        };
        let conn = client.get_connection_with_timeout(o.timeout)?;
        conn.set_read_timeout(Some(o.timeout))?;
        conn.set_write_timeout(Some(o.timeout))?;
        Ok(conn)
    }

    fn password_file(&self, path: &std::path::Path) -> redis::RedisResult<Secret> {
        let bad = |why: String| {
            redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "cannot use the password file",
                format!("{}: {why}", path.display()),
            ))
        };
        match crate::fsutil::read_private(path) {
            Ok(Some(bytes)) => String::from_utf8(bytes)
                .map(|p| Secret::new(p.trim()))
                .map_err(|_| bad("not UTF-8".into())),
            Ok(None) => Err(bad("it does not exist".into())),
            Err(e) => Err(bad(e.to_string())),
        }
    }

    /// Unreachable or slow: temporary (exit 5). Refused credentials or settings: a
    /// configuration error. Anything else the server says: a storage error.
    fn error(&self, what: &str, err: &redis::RedisError) -> Error {
        let message = format!("Redis at {}: {what}: {err}", self.describe());
        // rustls reports certificate failures as I/O errors; they are not temporary.
        if err.to_string().contains("invalid peer certificate") {
            return Error::config(
                message,
                Some("if Redis uses a private CA, pass --ca-file PEM".into()),
            );
        }
        if err.is_timeout()
            || err.is_io_error()
            || err.is_connection_refusal()
            || err.is_connection_dropped()
        {
            return Error::Temporary {
                message,
                hint: "this is temporary: nothing was changed; check that Redis runs and is reachable, then try again".into(),
            };
        }
        let refused = matches!(err.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM"));
        match err.kind() {
            _ if refused => Error::config(
                message,
                Some(format!(
                    "check the user in the Redis URL, the password ({} or --redis-password-file) and the user's ACL (keys octoken:*)",
                    crate::env::OCTOKEN_REDIS_PASSWORD
                )),
            ),
            redis::ErrorKind::AuthenticationFailed => Error::config(
                message,
                Some(format!(
                    "check the user in the Redis URL and the password ({} or --redis-password-file)",
                    crate::env::OCTOKEN_REDIS_PASSWORD
                )),
            ),
            redis::ErrorKind::InvalidClientConfig => {
                Error::config(message, Some("check --redis-url and --ca-file".into()))
            }
            _ => Error::storage(message, "check the Redis server's log and settings"),
        }
    }

    fn place(&self, field: &str) -> String {
        format!("{}/{field}", self.entry_key())
    }

    /// A value as written: sealed when a key is set, else as is.
    fn encode(&self, field: &str, plain: &[u8]) -> Result<String> {
        Ok(match self.seal_key()? {
            Some(key) => key.seal(&self.place(field), plain),
            None => String::from_utf8_lossy(plain).into_owned(),
        })
    }

    fn decode(&self, field: &str, stored: &str) -> Result<Vec<u8>> {
        let key = self.seal_key()?;
        match (seal::sealed_key_id(stored), key) {
            (None, None) => Ok(stored.as_bytes().to_vec()),
            (Some(id), None) => Err(Error::config(
                format!(
                    "the shared entry in {} is encrypted (key {id}) and no key file is set",
                    self.describe()
                ),
                Some("pass the fleet's key with --store-key-file PATH".into()),
            )),
            (None, Some(_)) => Err(Error::storage(
                format!(
                    "the shared entry in {} is not encrypted although a key file is set: refusing to trust it",
                    self.describe()
                ),
                "log in again with --store-key-file to write a sealed entry".to_string(),
            )),
            (Some(_), Some(key)) => key.open(&self.place(field), stored).ok_or_else(|| {
                Error::config(
                    format!(
                        "the shared entry's {field} in {} does not open with key {}",
                        self.describe(),
                        key.id()
                    ),
                    Some("use the key file the fleet logged in with (--store-key-file)".into()),
                )
            }),
        }
    }

    fn secrets_from(&self, stored: &str) -> Result<StoredSecrets> {
        let plain = self.decode("secrets", stored)?;
        StoredSecrets::from_bytes(
            &plain,
            &self.describe(),
            "log in again (`octoken login --store redis ...`) to rewrite the shared entry",
        )
    }

    /// Connects and checks the server answers and the key file (if any) loads.
    pub fn probe(&self) -> Result<()> {
        self.seal_key()?;
        self.with("PING", |c| redis::cmd("PING").query::<String>(c))
            .map(|_| ())
    }

    /// The secrets and the fencing number they were read at.
    pub fn load_versioned(&self) -> Result<(u64, Option<StoredSecrets>)> {
        let key = self.entry_key();
        let (v, secrets): (Option<u64>, Option<String>) = self.with("reading the entry", |c| {
            redis::cmd("HMGET")
                .arg(&key)
                .arg("v")
                .arg("secrets")
                .query(c)
        })?;
        let secrets = secrets.map(|s| self.secrets_from(&s)).transpose()?;
        Ok((v.unwrap_or(0), secrets))
    }

    /// The fleet's latest access token, if any.
    pub fn access(&self) -> Result<Option<AccessToken>> {
        let key = self.entry_key();
        let value: Option<String> = self.with("reading the access token", |c| {
            redis::cmd("HGET").arg(&key).arg("access").query(c)
        })?;
        let Some(value) = value else {
            return Ok(None);
        };
        let plain = self.decode("access", &value)?;
        Ok(serde_json::from_slice(&plain).ok())
    }

    pub fn client(&self) -> Result<Option<SharedClient>> {
        let key = self.entry_key();
        let value: Option<String> = self.with("reading the client", |c| {
            redis::cmd("HGET").arg(&key).arg("client").query(c)
        })?;
        let Some(value) = value else {
            return Ok(None);
        };
        let plain = self.decode("client", &value)?;
        serde_json::from_slice(&plain).map(Some).map_err(|_| {
            Error::storage(
                format!(
                    "the shared client in {} is in an unknown format",
                    self.describe()
                ),
                "log in again on one host to rewrite it".to_string(),
            )
        })
    }

    /// A new lineage (login): the secrets and the client, the fencing number moved on so
    /// a holder of the previous lineage can commit nothing over it. Returns the new `v`.
    pub fn start_lineage(
        &self,
        secrets: &StoredSecrets,
        client: Option<&SharedClient>,
        now: u64,
    ) -> Result<u64> {
        let key = self.entry_key();
        let sealed = self.encode("secrets", &secrets.to_bytes())?;
        let client = client
            .map(|c| self.encode("client", &serde_json::to_vec(c).expect("plain data")))
            .transpose()?;
        let by = holder_name();
        let (v,): (u64,) = self.with("writing the entry", |c| {
            let mut pipe = redis::pipe();
            pipe.atomic()
                .cmd("HSET")
                .arg(&key)
                .arg("secrets")
                .arg(&sealed)
                .arg("refreshed_at")
                .arg(now)
                .arg("refreshed_by")
                .arg(&by)
                .ignore()
                .cmd("HDEL")
                .arg(&key)
                .arg("access")
                .ignore();
            if let Some(client) = &client {
                pipe.cmd("HSET")
                    .arg(&key)
                    .arg("client")
                    .arg(client)
                    .ignore();
            }
            pipe.cmd("HINCRBY").arg(&key).arg("v").arg(1);
            pipe.query(c)
        })?;
        Ok(v)
    }

    /// Writes the refreshed secrets and access token if the entry is still at
    /// `expected` (the fencing check), in one script.
    pub fn commit(
        &self,
        expected: u64,
        secrets: &StoredSecrets,
        access: Option<&AccessToken>,
        now: u64,
    ) -> Result<Commit> {
        let key = self.entry_key();
        let sealed = self.encode("secrets", &secrets.to_bytes())?;
        let access = match access {
            Some(a) => self.encode("access", &serde_json::to_vec(a).expect("plain data"))?,
            None => String::new(),
        };
        let by = holder_name();
        let n: i64 = self.with("committing the refreshed token", |c| {
            redis::Script::new(COMMIT)
                .key(&key)
                .arg(expected)
                .arg(&sealed)
                .arg(&access)
                .arg(now)
                .arg(&by)
                .invoke(c)
        })?;
        Ok(match u64::try_from(n) {
            Ok(v) => Commit::Done(v),
            Err(_) => Commit::Fenced,
        })
    }

    /// Writes the client's shared settings (a login); returns the entry's version.
    pub fn write_client(&self, client: &SharedClient) -> Result<u64> {
        let key = self.entry_key();
        let value = self.encode("client", &serde_json::to_vec(client).expect("plain data"))?;
        let (v,): (Option<u64>,) = self.with("writing the client", |c| {
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(&key)
                .arg("client")
                .arg(&value)
                .ignore()
                .cmd("HGET")
                .arg(&key)
                .arg("v")
                .query(c)
        })?;
        Ok(v.unwrap_or(0))
    }

    /// Publishes an access token for entry version `v` (after a login).
    pub fn publish_access(&self, v: u64, access: &AccessToken) -> Result<()> {
        let key = self.entry_key();
        let sealed = self.encode("access", &serde_json::to_vec(access).expect("plain data"))?;
        self.with("publishing the access token", |c| {
            redis::Script::new(PUBLISH)
                .key(&key)
                .arg(v)
                .arg(&sealed)
                .invoke::<i64>(c)
        })
        .map(|_| ())
    }

    /// `WAIT <n> <timeout>` after a commit; the replicas that acknowledged it.
    pub fn wait_replicas(&self) -> Result<Option<(u32, u32)>> {
        let n = self.options.wait_replicas;
        if n == 0 {
            return Ok(None);
        }
        let ms = u64::try_from(self.options.timeout.as_millis()).unwrap_or(u64::MAX);
        // WAIT blocks up to its own timeout; the reply deadline is that plus a margin.
        let acked: u32 = self.with("waiting for replicas", |c| {
            c.set_read_timeout(Some(self.options.timeout * 2))?;
            let acked = redis::cmd("WAIT").arg(n).arg(ms).query(c);
            c.set_read_timeout(Some(self.options.timeout))?;
            acked
        })?;
        Ok(Some((acked, n)))
    }

    /// Tries once to take the lease.
    pub fn try_lease(&self) -> Result<Option<Lease<'_>>> {
        let owner = format!("{}#{:016x}", holder_name(), random());
        let key = self.lease_key();
        let ms = u64::try_from(self.options.lease.as_millis()).unwrap_or(u64::MAX);
        let taken: Option<String> = self.with("taking the refresh lease", |c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query(c)
        })?;
        Ok(taken.map(|_| Lease {
            shared: self,
            owner,
            taken: Instant::now(),
        }))
    }

    /// The fleet's state for `status`.
    pub fn status(&self) -> Result<FleetStatus> {
        let entry = self.entry_key();
        let lease = self.lease_key();
        let ((v, at, by, secrets), holder, pttl): (EntryFields, Option<String>, i64) =
            self.with("reading the fleet's state", |c| {
                redis::pipe()
                    .cmd("HMGET")
                    .arg(&entry)
                    .arg("v")
                    .arg("refreshed_at")
                    .arg("refreshed_by")
                    .arg("secrets")
                    .cmd("GET")
                    .arg(&lease)
                    .cmd("PTTL")
                    .arg(&lease)
                    .query(c)
            })?;
        Ok(FleetStatus {
            exists: secrets.is_some(),
            version: v.unwrap_or(0),
            refreshed_at: at,
            refreshed_by: by,
            lease: holder.map(|h| {
                let name = h.split('#').next().unwrap_or_default().to_string();
                (name, u64::try_from(pttl).unwrap_or(0))
            }),
            sealed_with: secrets
                .as_deref()
                .and_then(seal::sealed_key_id)
                .map(str::to_string),
        })
    }

    /// Deletes the entry and the lease (logout of the whole fleet).
    pub fn delete(&self) -> Result<()> {
        let (entry, lease) = (self.entry_key(), self.lease_key());
        self.with("deleting the entry", |c| {
            redis::cmd("DEL").arg(&entry).arg(&lease).query::<i64>(c)
        })
        .map(|_| ())
    }
}

/// `v`, `refreshed_at`, `refreshed_by`, `secrets`.
type EntryFields = (Option<u64>, Option<u64>, Option<String>, Option<String>);

/// The refresh lease, released on drop (by its owner only).
pub struct Lease<'a> {
    shared: &'a Shared,
    owner: String,
    taken: Instant,
}

impl Lease<'_> {
    /// Extends the lease to a full term if this process still owns it: false when it
    /// expired and another host may hold it now (a pause, a slow provider).
    pub fn renew(&self) -> Result<bool> {
        let key = self.shared.lease_key();
        let ms = u64::try_from(self.shared.options.lease.as_millis()).unwrap_or(u64::MAX);
        let renewed: i64 = self.shared.with("renewing the refresh lease", |c| {
            redis::Script::new(EXTEND)
                .key(&key)
                .arg(&self.owner)
                .arg(ms)
                .invoke(c)
        })?;
        Ok(renewed == 1)
    }

    pub fn held_for(&self) -> Duration {
        self.taken.elapsed()
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let key = self.shared.lease_key();
        let _ = self.shared.with("releasing the refresh lease", |c| {
            redis::Script::new(RELEASE)
                .key(&key)
                .arg(&self.owner)
                .invoke::<i64>(c)
        });
    }
}

fn random() -> u64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system CSPRNG works");
    u64::from_le_bytes(bytes)
}

/// Who holds a lease or committed a token, for `status`: host name and process id.
pub fn holder_name() -> String {
    // The kernel's host name; /proc is not a file octoken keeps, so it is read as is.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty() && h.len() <= 64)
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}

/// The secret store of a `--store redis` profile: load and save without fencing (login,
/// logout, status); the session's refresh goes through `Shared`'s lease and commit.
pub struct RedisStore {
    shared: Shared,
    now: u64,
}

impl RedisStore {
    pub fn new(options: RedisOptions, now: u64) -> Self {
        RedisStore {
            shared: Shared::new(options),
            now,
        }
    }
}

impl SecretStore for RedisStore {
    fn probe(&self) -> Result<()> {
        self.shared.probe()
    }

    fn load(&self) -> Result<Option<StoredSecrets>> {
        self.shared.load_versioned().map(|(_, s)| s)
    }

    /// Saving outside a refresh starts a new lineage (a login or a recovered token).
    fn save(&self, secrets: &StoredSecrets) -> Result<()> {
        self.shared
            .start_lineage(secrets, None, self.now)
            .map(|_| ())
    }

    /// Forgets this host's use of the shared entry: the entry stays for the fleet.
    fn delete(&self) -> Result<()> {
        Ok(())
    }
}
