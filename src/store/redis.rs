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
//! - `backoff` (string with a TTL): the fleet's backoff after a temporary failure.
//!
//! With a store key (`store::seal`) every value but the number `v` is sealed, so a dump
//! of the database holds no usable token, and whoever can write to the database but
//! lacks the key can plant nothing octoken trusts: what does not open is refused (the
//! secrets) or ignored with a warning (backoff, lease, the last refresh's time and
//! host). The secrets are sealed with `v` in their associated data, and each host
//! keeps the highest `v` it has seen in its local state: an older entry put back
//! (`HSET` of a saved value) is refused before anything reaches the provider.
//!
//! Every read goes through one Lua script (`READ`) that returns a value longer than
//! `MAX_VALUE` as its length instead, so no reply from the server is ever larger than
//! a few such values (the crate itself reads any bulk reply whole).
//!
//! The connection is made on first use (the cached `token` path never makes one), with
//! the configured timeout on connecting and on every reply.

use crate::access_token::AccessToken;
use crate::config::{Grant, MAX_LEASE_SECS};
use crate::error::{Error, Result};
use crate::oauth::AuthMethod;
use crate::output;
use crate::sanitize;
use crate::secret::Secret;
use crate::store::seal::{self, SealKey, Sealed};
use crate::store::state::{Backoff, State};
use crate::store::{SecretStore, StoredSecrets};
use serde::{Deserialize, Serialize};
use std::cell::{OnceCell, RefCell};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest value octoken reads back: a sealed secrets value with an RSA DPoP key
/// is about 4 KiB, a client's settings or an access token a few.
pub const MAX_VALUE: usize = 64 * 1024;
/// How far apart two lineages' versions start per second of wall time: a login after
/// a logout (which deletes the entry, `v` too) starts above every version the fleet
/// can have reached before, so hosts that saw those do not take it for a rollback.
const VERSIONS_PER_SECOND: u64 = 1000;

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
    /// The profile's local state, where this host keeps the highest entry version it
    /// has seen (None: no rollback check, as for a login that has no profile yet).
    pub state_file: Option<PathBuf>,
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
    /// The lease holder (sanitized; "an unknown holder" when it does not open with the
    /// fleet's key) and the milliseconds its lease has left.
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

/// KEYS[1] a lease no host of this fleet can have set; ARGV: its value as read ('' when
/// it was too long to read), the longest value octoken reads. Drops it if unchanged.
const DROP_FOREIGN: &str = r"
local s = redis.call('GET', KEYS[1])
if s and (s == ARGV[1] or #s > tonumber(ARGV[2])) then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// The one read. KEYS[1]; ARGV[1] the longest value to return; ARGV[2..] hash fields
/// (none: the key's string value). A longer value comes back as its length (an
/// integer), so a reply holds at most (fields x ARGV[1]) bytes of data.
const READ: &str = r"
local cap = tonumber(ARGV[1])
local function bounded(s)
  if s and #s > cap then
    return #s
  end
  return s
end
if #ARGV == 1 then
  return {bounded(redis.call('GET', KEYS[1]))}
end
local out = {}
for i = 2, #ARGV do
  out[i - 1] = bounded(redis.call('HGET', KEYS[1], ARGV[i]))
end
return out";

/// KEYS[1] entry; ARGV: expected v, secrets (sealed for v + 1), access ('' keeps the
/// one there: a narrower scope's token is not the fleet's), refreshed_at, by.
const COMMIT: &str = r"
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then
  return -1
end
local n = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'secrets', ARGV[2], 'refreshed_at', ARGV[4], 'refreshed_by', ARGV[5])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'access', ARGV[3])
end
return n";

/// KEYS[1] entry; ARGV: expected v, the new v, secrets (sealed for it), refreshed_at,
/// by, client ('' keeps the one there). A new lineage: the fleet's access token goes.
const LINEAGE: &str = r"
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then
  return -1
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'secrets', ARGV[3], 'refreshed_at', ARGV[4], 'refreshed_by', ARGV[5])
redis.call('HDEL', KEYS[1], 'access')
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'client', ARGV[6])
end
return 1";

/// KEYS[1] entry; ARGV: v the token belongs to, access. Publishes an access token only
/// while the entry is still at that version.
const PUBLISH: &str = r"
if (redis.call('HGET', KEYS[1], 'v') or '0') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'access', ARGV[2])
return 1";

/// One value as `READ` returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Absent,
    Value(String),
    /// Too long, or not text: nothing octoken wrote. The reason, for messages.
    Unreadable(String),
}

impl Field {
    fn from_reply(value: redis::Value) -> Field {
        match value {
            redis::Value::Nil => Field::Absent,
            redis::Value::BulkString(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Field::Value(text),
                Err(_) => Field::Unreadable("it is not text".into()),
            },
            redis::Value::Int(len) => Field::Unreadable(format!(
                "it is {len} bytes long, more than the {MAX_VALUE} octoken reads"
            )),
            _ => Field::Unreadable("it is not a string".into()),
        }
    }
}

/// Who holds the lease, as `lease_holder` read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A host of this fleet: its name (sanitized).
    Host(String),
    /// A value no host of this fleet wrote (not sealed with its key, too long, or
    /// without the expiry every octoken lease has): why, for the warning.
    Foreign { value: String, why: String },
}

pub struct Shared {
    options: RedisOptions,
    conn: RefCell<Option<redis::Connection>>,
    key: OnceCell<Option<SealKey>>,
    /// What was warned about already (each foreign value is said once per run).
    warned: RefCell<Vec<String>>,
}

impl Shared {
    pub fn new(options: RedisOptions) -> Shared {
        Shared {
            options,
            conn: RefCell::new(None),
            key: OnceCell::new(),
            warned: RefCell::new(Vec::new()),
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

    /// The fleet's recorded backoff, if one runs. One that is not sealed with the
    /// fleet's key (when one is set) or is not one octoken writes is ignored with a
    /// warning: it decides whether every host asks the provider.
    pub fn backoff(&self) -> Result<Option<Backoff>> {
        let key = self.backoff_key();
        let field = self.get("reading the fleet's backoff", &key)?;
        let Some(plain) = self.open_foreign("backoff", &key, field)? else {
            return Ok(None);
        };
        match serde_json::from_slice::<Backoff>(&plain) {
            Ok(backoff) => Ok(Some(backoff)),
            Err(_) => {
                self.warn_once(
                    "backoff",
                    format!(
                        "ignoring the backoff in {}: it is not one octoken wrote",
                        self.describe()
                    ),
                );
                Ok(None)
            }
        }
    }

    /// Records a backoff for every host; Redis drops it when it ends.
    pub fn set_backoff(&self, backoff: &Backoff, ttl: Duration) -> Result<()> {
        let key = self.backoff_key();
        let text = self.encode(&key, &serde_json::to_vec(backoff).expect("plain data"))?;
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

    /// Where the store is, for messages: the URL without credentials, and the namespace
    /// (from config.toml, which another host's entry may have suggested: made inert).
    pub fn describe(&self) -> String {
        sanitize::foreign(
            &format!(
                "{} (namespace {})",
                self.options.url, self.options.namespace
            ),
            800,
        )
    }

    /// Says `message` once per run for `what`.
    fn warn_once(&self, what: &str, message: String) {
        let mut warned = self.warned.borrow_mut();
        if !warned.iter().any(|w| w == what) {
            warned.push(what.to_string());
            output::warn(message);
        }
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
        // The server's words (an error reply, a value quoted in a type error) are
        // foreign text.
        let message = format!(
            "Redis at {}: {what}: {}",
            self.describe(),
            sanitize::foreign(&err.to_string(), 300)
        );
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

    /// A value as written to `place`: sealed when a key is set, else as is.
    fn encode(&self, place: &str, plain: &[u8]) -> Result<String> {
        Ok(match self.seal_key()? {
            Some(key) => key.seal(place, plain),
            None => String::from_utf8_lossy(plain).into_owned(),
        })
    }

    /// The secrets as written for entry version `v`.
    fn encode_secrets(&self, v: u64, secrets: &StoredSecrets) -> Result<String> {
        let plain = secrets.to_bytes();
        Ok(match self.seal_key()? {
            Some(key) => key.seal_at(&self.place("secrets"), v, &plain),
            None => String::from_utf8_lossy(&plain).into_owned(),
        })
    }

    /// Reads `fields` of the entry (bounded, see `READ`).
    fn read(&self, what: &str, key: &str, fields: &[&str]) -> Result<Vec<Field>> {
        let values: Vec<redis::Value> = self.with(what, |c| {
            let script = redis::Script::new(READ);
            let mut invocation = script.key(key);
            invocation.arg(MAX_VALUE);
            for field in fields {
                invocation.arg(*field);
            }
            invocation.invoke(c)
        })?;
        let mut fields: Vec<Field> = values.into_iter().map(Field::from_reply).collect();
        fields.resize(fields.len().max(1), Field::Absent);
        Ok(fields)
    }

    /// A string key's value (bounded, see `READ`).
    fn get(&self, what: &str, key: &str) -> Result<Field> {
        Ok(self.read(what, key, &[])?.swap_remove(0))
    }

    /// The entry's `v`: absent is 0; anything but a number octoken could have written
    /// is an error (the fencing and the rollback check rest on it).
    fn version(&self, field: Field) -> Result<u64> {
        let bad = |why: &str| {
            Error::storage(
                format!(
                    "the shared entry's version in {} is {why}: not one octoken wrote",
                    self.describe()
                ),
                "log in again on one host (`octoken login --store redis ...`) to rewrite the entry"
                    .to_string(),
            )
        };
        match field {
            Field::Absent => Ok(0),
            Field::Value(text) => text
                .parse::<u64>()
                .ok()
                .filter(|v| i64::try_from(*v).is_ok())
                .ok_or_else(|| bad("not a number")),
            Field::Unreadable(why) => Err(bad(&why)),
        }
    }

    /// A value of the entry that must be there as octoken wrote it (the secrets, the
    /// client, the access token): unreadable is an error.
    fn required(&self, field: &str, value: Field) -> Result<Option<String>> {
        match value {
            Field::Absent => Ok(None),
            Field::Value(text) => Ok(Some(text)),
            Field::Unreadable(why) => Err(Error::storage(
                format!(
                    "the shared entry's {field} in {} cannot be used: {why}",
                    self.describe()
                ),
                "log in again on one host (`octoken login --store redis ...`) to rewrite the entry"
                    .to_string(),
            )),
        }
    }

    /// A value bound to its place only (client, access token).
    fn decode(&self, field: &str, stored: &str) -> Result<Vec<u8>> {
        let place = self.place(field);
        match (seal::sealed(stored), self.seal_key()?) {
            (None, None) => Ok(stored.as_bytes().to_vec()),
            (Some(sealed), None) => Err(self.no_key(sealed)),
            (None, Some(_)) => Err(self.not_sealed()),
            (Some(sealed), Some(key)) if sealed.key_id() != key.id() => {
                Err(self.other_key(field, sealed, key))
            }
            (Some(_), Some(key)) => key
                .open(&place, stored)
                .ok_or_else(|| self.altered(field, None)),
        }
    }

    /// The secrets, sealed for entry version `v`.
    fn decode_secrets(&self, v: u64, stored: &str) -> Result<Vec<u8>> {
        let place = self.place("secrets");
        match (seal::sealed(stored), self.seal_key()?) {
            (None, None) => Ok(stored.as_bytes().to_vec()),
            (Some(sealed), None) => Err(self.no_key(sealed)),
            (None, Some(_)) => Err(self.not_sealed()),
            (Some(sealed), Some(key)) if sealed.key_id() != key.id() => {
                Err(self.other_key("secrets", sealed, key))
            }
            (Some(Sealed::Placed { .. }), Some(_)) => Err(Error::Storage {
                message: format!(
                    "the shared secrets in {} were sealed by an earlier octoken, without the entry's version",
                    self.describe()
                ),
                hint: "once every host runs this octoken, run `octoken login --store redis --attach` with this profile's flags on one of them: it re-seals the entry".into(),
            }),
            (Some(Sealed::Versioned { .. }), Some(key)) => key
                .open_at(&place, v, stored)
                .ok_or_else(|| self.altered("secrets", Some(v))),
        }
    }

    fn no_key(&self, sealed: Sealed<'_>) -> Error {
        Error::config(
            format!(
                "the shared entry in {} is encrypted (key {}) and no key file is set",
                self.describe(),
                sealed.key_id()
            ),
            Some("pass the fleet's key with --store-key-file PATH".into()),
        )
    }

    fn not_sealed(&self) -> Error {
        Error::storage(
            format!(
                "the shared entry in {} is not encrypted although a key file is set: refusing to trust it",
                self.describe()
            ),
            "log in again with --store-key-file to write a sealed entry".to_string(),
        )
    }

    fn other_key(&self, field: &str, sealed: Sealed<'_>, key: &SealKey) -> Error {
        Error::config(
            format!(
                "the shared entry's {field} in {} is sealed with key {}, not with this host's key {}",
                self.describe(),
                sealed.key_id(),
                key.id()
            ),
            Some("use the key file the fleet logged in with (--store-key-file)".into()),
        )
    }

    /// Sealed with our key, yet it does not open: altered, moved, or (for the secrets)
    /// put back beside another version than its own.
    fn altered(&self, field: &str, v: Option<u64>) -> Error {
        let at = v.map(|v| format!(" at version {v}")).unwrap_or_default();
        Error::Storage {
            message: format!(
                "the shared entry's {field} in {} does not open{at}: it was altered or put back from another version; refusing to use it",
                self.describe()
            ),
            hint: "nothing was sent to the provider; find out who writes to that Redis, then log in again on one host (`octoken login --store redis ...`)".into(),
        }
    }

    /// A value outside the entry (backoff, lease) or shown only (last refresh): opened
    /// when it is sealed with the fleet's key (or no key is set), else None with one
    /// warning. It decides nothing an attacker without the key may decide.
    fn open_foreign(&self, what: &str, place: &str, field: Field) -> Result<Option<Vec<u8>>> {
        let why = match (field, self.seal_key()?) {
            (Field::Absent, _) => return Ok(None),
            (Field::Value(text), None) => return Ok(Some(text.into_bytes())),
            (Field::Value(text), Some(key)) => match key.open(place, &text) {
                Some(plain) => return Ok(Some(plain)),
                None => "it is not sealed with this fleet's key".to_string(),
            },
            (Field::Unreadable(why), _) => why,
        };
        self.warn_once(
            what,
            format!("ignoring the {what} in {}: {why}", self.describe()),
        );
        Ok(None)
    }

    fn secrets_from(&self, v: u64, stored: &str) -> Result<StoredSecrets> {
        let plain = self.decode_secrets(v, stored)?;
        StoredSecrets::from_bytes(
            &plain,
            &self.describe(),
            "log in again (`octoken login --store redis ...`) to rewrite the shared entry",
        )
    }

    /// Refuses an entry version below the highest this host has seen (an older entry
    /// put back), before anything of it is used.
    fn check_version(&self, v: u64) -> Result<()> {
        let Some(path) = &self.options.state_file else {
            return Ok(());
        };
        match State::load(path).shared_version {
            Some(seen) if v < seen => Err(Error::Storage {
                message: format!(
                    "the shared entry in {} went back to version {v}, below version {seen} this host has used: an older entry was put back (or Redis lost writes); refusing to send its refresh token",
                    self.describe()
                ),
                hint: "nothing was sent to the provider; if the fleet really lost its newest token, log in again on one host; to follow the entry as it is now, run `octoken login --store redis --attach` again on this host".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Records `v` (one that opened, or that this host committed) as the highest seen.
    fn remember_version(&self, v: u64) {
        let Some(path) = &self.options.state_file else {
            return;
        };
        let mut state = State::load(path);
        if state.shared_version.is_some_and(|seen| seen >= v) {
            return;
        }
        state.shared_version = Some(v);
        if let Err(e) = state.save(path) {
            output::warn(format!(
                "could not record the shared entry's version (the rollback check needs it): {e}"
            ));
        }
    }

    /// `login --attach`: this host follows the entry as it is now, whatever version it
    /// saw before (another fleet, a new login after a lost Redis).
    pub fn adopt_version(&self, v: u64) -> Result<()> {
        let Some(path) = &self.options.state_file else {
            return Ok(());
        };
        let mut state = State::load(path);
        state.shared_version = Some(v);
        state.save(path)
    }

    /// Connects and checks the server answers and the key file (if any) loads.
    pub fn probe(&self) -> Result<()> {
        self.seal_key()?;
        self.with("PING", |c| redis::cmd("PING").query::<String>(c))
            .map(|_| ())
    }

    /// The secrets and the fencing number they were read at. An entry version below
    /// the highest this host has seen is refused (store/state.rs keeps it).
    pub fn load_versioned(&self) -> Result<(u64, Option<StoredSecrets>)> {
        let key = self.entry_key();
        let mut fields = self
            .read("reading the entry", &key, &["v", "secrets"])?
            .into_iter();
        let v = self.version(fields.next().unwrap_or(Field::Absent))?;
        let Some(stored) = self.required("secrets", fields.next().unwrap_or(Field::Absent))? else {
            // No entry (a fleet logout): a login is needed, not a rollback.
            return Ok((v, None));
        };
        self.check_version(v)?;
        let secrets = self.secrets_from(v, &stored)?;
        self.remember_version(v);
        Ok((v, Some(secrets)))
    }

    /// `login --attach` on an entry an earlier octoken sealed without its version:
    /// opens it once more that way and commits it sealed with its version. Returns the
    /// entry's version (unchanged when there was nothing to re-seal).
    pub fn reseal_legacy(&self, now: u64) -> Result<u64> {
        let key = self.entry_key();
        let mut fields = self
            .read("reading the entry", &key, &["v", "secrets"])?
            .into_iter();
        let v = self.version(fields.next().unwrap_or(Field::Absent))?;
        let stored = self.required("secrets", fields.next().unwrap_or(Field::Absent))?;
        let (Some(stored), Some(seal_key)) = (stored, self.seal_key()?) else {
            return Ok(v);
        };
        if !matches!(seal::sealed(&stored), Some(Sealed::Placed { key_id }) if key_id == seal_key.id())
        {
            return Ok(v);
        }
        let plain = seal_key
            .open(&self.place("secrets"), &stored)
            .ok_or_else(|| self.altered("secrets", None))?;
        let secrets = StoredSecrets::from_bytes(
            &plain,
            &self.describe(),
            "log in again (`octoken login --store redis ...`) to rewrite the shared entry",
        )?;
        match self.commit(v, &secrets, None, now)? {
            Commit::Done(v) => {
                output::notice(format!(
                    "octoken: re-sealed the shared secrets in {} with the entry's version",
                    self.describe()
                ));
                Ok(v)
            }
            Commit::Fenced => Err(Error::Temporary {
                message: "the shared entry changed while it was being re-sealed".into(),
                hint: "try again".into(),
            }),
        }
    }

    /// The fleet's latest access token, if any.
    pub fn access(&self) -> Result<Option<AccessToken>> {
        let key = self.entry_key();
        let field = self.read("reading the access token", &key, &["access"])?;
        let Some(value) =
            self.required("access", field.into_iter().next().unwrap_or(Field::Absent))?
        else {
            return Ok(None);
        };
        let plain = self.decode("access", &value)?;
        Ok(serde_json::from_slice(&plain).ok())
    }

    pub fn client(&self) -> Result<Option<SharedClient>> {
        let key = self.entry_key();
        let field = self.read("reading the client", &key, &["client"])?;
        let Some(value) =
            self.required("client", field.into_iter().next().unwrap_or(Field::Absent))?
        else {
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

    /// The last refresh's time and host, written beside each commit: sealed like the
    /// rest, since `status` shows them.
    fn refreshed(&self, now: u64) -> Result<(String, String)> {
        Ok((
            self.encode(&self.place("refreshed_at"), now.to_string().as_bytes())?,
            self.encode(&self.place("refreshed_by"), holder_name().as_bytes())?,
        ))
    }

    /// A new lineage (login): the secrets and the client, the fencing number moved on so
    /// a holder of the previous lineage can commit nothing over it. Returns the new `v`,
    /// which is also above any version a lineage started earlier can have reached (see
    /// `VERSIONS_PER_SECOND`).
    pub fn start_lineage(
        &self,
        secrets: &StoredSecrets,
        client: Option<&SharedClient>,
        now: u64,
    ) -> Result<u64> {
        let key = self.entry_key();
        let client = client
            .map(|c| {
                self.encode(
                    &self.place("client"),
                    &serde_json::to_vec(c).expect("plain data"),
                )
            })
            .transpose()?
            .unwrap_or_default();
        let (at, by) = self.refreshed(now)?;
        for _ in 0..5 {
            let field = self.read("reading the entry", &key, &["v"])?;
            let current = self.version(field.into_iter().next().unwrap_or(Field::Absent))?;
            let v = current
                .saturating_add(1)
                .max(now.saturating_mul(VERSIONS_PER_SECOND));
            let sealed = self.encode_secrets(v, secrets)?;
            let written: i64 = self.with("writing the entry", |c| {
                redis::Script::new(LINEAGE)
                    .key(&key)
                    .arg(current)
                    .arg(v)
                    .arg(&sealed)
                    .arg(&at)
                    .arg(&by)
                    .arg(&client)
                    .invoke(c)
            })?;
            if written == 1 {
                self.remember_version(v);
                return Ok(v);
            }
        }
        Err(Error::Temporary {
            message: format!(
                "the shared entry in {} kept changing while it was being written",
                self.describe()
            ),
            hint: "this is temporary: try again".into(),
        })
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
        let sealed = self.encode_secrets(expected.saturating_add(1), secrets)?;
        let access = match access {
            Some(a) => self.encode(
                &self.place("access"),
                &serde_json::to_vec(a).expect("plain data"),
            )?,
            None => String::new(),
        };
        let (at, by) = self.refreshed(now)?;
        let n: i64 = self.with("committing the refreshed token", |c| {
            redis::Script::new(COMMIT)
                .key(&key)
                .arg(expected)
                .arg(&sealed)
                .arg(&access)
                .arg(&at)
                .arg(&by)
                .invoke(c)
        })?;
        Ok(match u64::try_from(n) {
            Ok(v) => {
                self.remember_version(v);
                Commit::Done(v)
            }
            Err(_) => Commit::Fenced,
        })
    }

    /// Writes the client's shared settings (a login); returns the entry's version.
    pub fn write_client(&self, client: &SharedClient) -> Result<u64> {
        let key = self.entry_key();
        let value = self.encode(
            &self.place("client"),
            &serde_json::to_vec(client).expect("plain data"),
        )?;
        self.with("writing the client", |c| {
            redis::cmd("HSET")
                .arg(&key)
                .arg("client")
                .arg(&value)
                .query::<i64>(c)
        })?;
        let field = self.read("reading the entry", &key, &["v"])?;
        self.version(field.into_iter().next().unwrap_or(Field::Absent))
    }

    /// Publishes an access token for entry version `v` (after a login).
    pub fn publish_access(&self, v: u64, access: &AccessToken) -> Result<()> {
        let key = self.entry_key();
        let sealed = self.encode(
            &self.place("access"),
            &serde_json::to_vec(access).expect("plain data"),
        )?;
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
            c.set_read_timeout(Some(self.options.timeout.saturating_mul(2)))?;
            let acked = redis::cmd("WAIT").arg(n).arg(ms).query(c);
            c.set_read_timeout(Some(self.options.timeout))?;
            acked
        })?;
        Ok(Some((acked, n)))
    }

    /// Tries once to take the lease. Its value names this host (sealed when a key is
    /// set, so that `status` shows only what a host of the fleet wrote).
    pub fn try_lease(&self) -> Result<Option<Lease<'_>>> {
        let owner = format!("{}#{:016x}", holder_name(), random());
        let key = self.lease_key();
        let value = self.encode(&key, owner.as_bytes())?;
        let ms = u64::try_from(self.options.lease.as_millis()).unwrap_or(u64::MAX);
        let taken: Option<String> = self.with("taking the refresh lease", |c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&value)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query(c)
        })?;
        Ok(taken.map(|_| Lease {
            shared: self,
            value,
            taken: Instant::now(),
        }))
    }

    /// Who holds the lease and the milliseconds it has left, if anyone holds it.
    pub fn lease_holder(&self) -> Result<Option<(Holder, u64)>> {
        let key = self.lease_key();
        let field = self.get("reading the refresh lease", &key)?;
        let pttl: i64 = self.with("reading the refresh lease", |c| {
            redis::cmd("PTTL").arg(&key).query(c)
        })?;
        let longest = MAX_LEASE_SECS.saturating_mul(1000);
        let value = match &field {
            Field::Absent => return Ok(None),
            Field::Value(text) => text.clone(),
            Field::Unreadable(_) => String::new(),
        };
        let foreign = |why: String| Holder::Foreign {
            value: value.clone(),
            why,
        };
        let holder = match (field, u64::try_from(pttl)) {
            // No expiry (-1), or longer than any host takes: no host of this fleet set it.
            (_, Err(_)) => foreign("it never expires".into()),
            (_, Ok(ms)) if ms > longest => foreign(format!(
                "it expires in {}, later than any octoken lease",
                output::human_duration(ms / 1000)
            )),
            (Field::Unreadable(why), _) => foreign(why),
            (field, _) => match self.open_foreign_quietly(&key, field)? {
                Ok(plain) => {
                    let owner = String::from_utf8_lossy(&plain);
                    let name = owner.split('#').next().unwrap_or_default();
                    Holder::Host(sanitize::foreign(name, 100))
                }
                Err(why) => foreign(why),
            },
        };
        Ok(Some((holder, u64::try_from(pttl).unwrap_or(0))))
    }

    /// A value sealed for `place` (or any, without a key), or why it is not one.
    fn open_foreign_quietly(
        &self,
        place: &str,
        field: Field,
    ) -> Result<std::result::Result<Vec<u8>, String>> {
        Ok(match (field, self.seal_key()?) {
            (Field::Value(text), None) => Ok(text.into_bytes()),
            (Field::Value(text), Some(key)) => key
                .open(place, &text)
                .ok_or_else(|| "it is not sealed with this fleet's key".to_string()),
            (Field::Unreadable(why), _) => Err(why),
            (Field::Absent, _) => Err("it is gone".into()),
        })
    }

    /// Drops a lease no host of this fleet set (planted by someone without the key, or
    /// without an expiry), with one warning; true when it was dropped.
    pub fn drop_foreign_lease(&self, value: &str, why: &str) -> Result<bool> {
        let key = self.lease_key();
        self.warn_once(
            "lease",
            format!("ignoring the refresh lease in {}: {why}", self.describe()),
        );
        let dropped: i64 = self.with("dropping a foreign refresh lease", |c| {
            redis::Script::new(DROP_FOREIGN)
                .key(&key)
                .arg(value)
                .arg(MAX_VALUE)
                .invoke(c)
        })?;
        Ok(dropped == 1)
    }

    /// The fleet's state for `status`. What does not open with the fleet's key is not
    /// shown as if a host had written it.
    pub fn status(&self) -> Result<FleetStatus> {
        let entry = self.entry_key();
        let mut fields = self
            .read(
                "reading the fleet's state",
                &entry,
                &["v", "refreshed_at", "refreshed_by", "secrets"],
            )?
            .into_iter();
        let mut next = || fields.next().unwrap_or(Field::Absent);
        let v = self.version(next())?;
        let at = self.open_foreign("last refresh time", &self.place("refreshed_at"), next())?;
        let by = self.open_foreign("last refresh host", &self.place("refreshed_by"), next())?;
        let secrets = next();
        let lease = self.lease_holder()?.map(|(holder, ms)| match holder {
            Holder::Host(name) => (name, ms),
            Holder::Foreign { why, .. } => (format!("an unknown holder ({why})"), ms),
        });
        Ok(FleetStatus {
            exists: secrets != Field::Absent,
            version: v,
            refreshed_at: at.and_then(|t| String::from_utf8_lossy(&t).parse().ok()),
            refreshed_by: by.map(|b| sanitize::foreign(&String::from_utf8_lossy(&b), 100)),
            lease,
            sealed_with: match &secrets {
                Field::Value(text) => seal::sealed_key_id(text).map(str::to_string),
                _ => None,
            },
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

/// The refresh lease, released on drop (by its owner only).
pub struct Lease<'a> {
    shared: &'a Shared,
    /// The lease's value as set (sealed, with a key): the scripts compare it.
    value: String,
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
                .arg(&self.value)
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
                .arg(&self.value)
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

#[cfg(test)]
mod tests {
    //! What needs no server: how values read back are judged (sealed, versioned,
    //! bounded) and the rollback check's memory. The scripts run against a real Redis
    //! in tests/it/fleet.rs.
    use super::*;

    fn shared(dir: &std::path::Path, key: Option<[u8; 32]>) -> Shared {
        let shared = Shared::new(RedisOptions {
            url: "redis://127.0.0.1:1/0".into(),
            password: None,
            password_file: None,
            namespace: "ns\u{1b}[2J".into(),
            lease: DEFAULT_LEASE,
            timeout: DEFAULT_TIMEOUT,
            wait_replicas: 0,
            key_file: None,
            ca_file: None,
            state_file: Some(dir.join("state.json")),
        });
        let _ = shared
            .key
            .set(key.map(|k| SealKey::from_bytes(&k).unwrap()));
        shared
    }

    fn secrets() -> StoredSecrets {
        StoredSecrets::new(Some(Secret::new("rt-1")), None)
    }

    #[test]
    fn replies_become_fields() {
        use redis::Value;
        assert_eq!(Field::from_reply(Value::Nil), Field::Absent);
        assert_eq!(
            Field::from_reply(Value::BulkString(b"x".to_vec())),
            Field::Value("x".into())
        );
        assert!(matches!(
            Field::from_reply(Value::Int(70_000)),
            Field::Unreadable(why) if why.contains("70000 bytes")
        ));
        assert!(matches!(
            Field::from_reply(Value::BulkString(vec![0xff])),
            Field::Unreadable(_)
        ));
        assert!(matches!(
            Field::from_reply(Value::Okay),
            Field::Unreadable(_)
        ));
    }

    #[test]
    fn versions_are_numbers_octoken_could_have_written() {
        let dir = tempfile::tempdir().unwrap();
        let s = shared(dir.path(), None);
        assert_eq!(s.version(Field::Absent).unwrap(), 0);
        assert_eq!(s.version(Field::Value("17".into())).unwrap(), 17);
        let max = i64::MAX.to_string();
        assert_eq!(s.version(Field::Value(max)).unwrap(), i64::MAX as u64);
        for bad in ["x", "-1", "9223372036854775808", ""] {
            let err = s.version(Field::Value(bad.into())).unwrap_err();
            assert_eq!(err.exit_code(), crate::error::exit::STORAGE, "{bad}");
        }
        assert!(s.version(Field::Unreadable("long".into())).is_err());
        assert_eq!(s.describe(), "redis://127.0.0.1:1/0 (namespace ns)");
    }

    #[test]
    fn the_secrets_open_only_at_the_version_they_were_sealed_for() {
        let dir = tempfile::tempdir().unwrap();
        let s = shared(dir.path(), Some([3; 32]));
        let sealed = s.encode_secrets(5, &secrets()).unwrap();
        assert!(sealed.starts_with("octoken-sealed:v2:"));
        assert_eq!(s.decode_secrets(5, &sealed).unwrap(), secrets().to_bytes());
        let moved = s.decode_secrets(6, &sealed).unwrap_err();
        assert!(moved.to_string().contains("at version 6"), "{moved}");
        assert_eq!(moved.exit_code(), crate::error::exit::STORAGE);
        // An earlier octoken's seal (place only) is not opened here.
        let legacy = s
            .seal_key()
            .unwrap()
            .unwrap()
            .seal(&s.place("secrets"), &secrets().to_bytes());
        let err = s.decode_secrets(5, &legacy).unwrap_err();
        assert!(err.to_string().contains("earlier octoken"), "{err}");
        // Clear text with a key set, another key's seal, a seal without a key.
        let clear = String::from_utf8(secrets().to_bytes()).unwrap();
        assert!(s.decode_secrets(5, &clear).is_err());
        let other = shared(dir.path(), Some([4; 32]));
        let err = other.decode_secrets(5, &sealed).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::CONFIG);
        let keyless = shared(dir.path(), None);
        let err = keyless.decode_secrets(5, &sealed).unwrap_err();
        assert!(err.to_string().contains("no key file"), "{err}");
        assert_eq!(keyless.decode_secrets(5, &clear).unwrap(), clear.as_bytes());
        assert_eq!(keyless.encode_secrets(5, &secrets()).unwrap(), clear);
    }

    #[test]
    fn placed_values_open_only_in_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let s = shared(dir.path(), Some([3; 32]));
        let sealed = s.encode(&s.place("access"), b"{}").unwrap();
        assert_eq!(s.decode("access", &sealed).unwrap(), b"{}");
        let err = s.decode("client", &sealed).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE, "{err}");
        assert!(s.decode("access", "{}").is_err());
        let other = shared(dir.path(), Some([4; 32]));
        assert_eq!(
            other.decode("access", &sealed).unwrap_err().exit_code(),
            crate::error::exit::CONFIG
        );
        let keyless = shared(dir.path(), None);
        assert!(keyless.decode("access", &sealed).is_err());
        assert_eq!(keyless.decode("access", "{}").unwrap(), b"{}");
    }

    #[test]
    fn foreign_values_open_or_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let s = shared(dir.path(), Some([3; 32]));
        let place = s.backoff_key();
        let sealed = s.encode(&place, b"plain").unwrap();
        let open = |field| s.open_foreign("backoff", &place, field).unwrap();
        assert_eq!(open(Field::Value(sealed.clone())), Some(b"plain".to_vec()));
        assert_eq!(open(Field::Value("plain".into())), None);
        assert_eq!(open(Field::Unreadable("long".into())), None);
        assert_eq!(open(Field::Absent), None);
        assert_eq!(
            s.open_foreign("backoff", &s.lease_key(), Field::Value(sealed))
                .unwrap(),
            None
        );
        assert_eq!(s.warned.borrow().as_slice(), ["backoff"], "said once");
        let keyless = shared(dir.path(), None);
        assert_eq!(
            keyless
                .open_foreign("backoff", &place, Field::Value("plain".into()))
                .unwrap(),
            Some(b"plain".to_vec())
        );
        assert!(
            keyless
                .open_foreign("backoff", &place, Field::Unreadable("long".into()))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_version_below_the_highest_used_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = shared(dir.path(), None);
        s.check_version(3).unwrap();
        s.remember_version(7);
        s.remember_version(5);
        assert_eq!(
            State::load(&dir.path().join("state.json")).shared_version,
            Some(7)
        );
        s.check_version(7).unwrap();
        s.check_version(8).unwrap();
        let err = s.check_version(6).unwrap_err();
        assert!(
            err.to_string()
                .contains("went back to version 6, below version 7")
        );
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
        s.adopt_version(2).unwrap();
        s.check_version(2).unwrap();
        assert!(s.check_version(1).is_err());
        // Without a state file there is nothing to compare with.
        let mut none = shared(dir.path(), None);
        none.options.state_file = None;
        none.check_version(0).unwrap();
        none.remember_version(100);
        none.adopt_version(100).unwrap();
        assert_eq!(
            State::load(&dir.path().join("state.json")).shared_version,
            Some(2)
        );
    }
}
