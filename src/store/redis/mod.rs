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

use crate::error::{Error, Result};
use crate::output;
use crate::sanitize;
use crate::secret::Secret;
use crate::store::seal::SealKey;
use crate::store::{SecretStore, StoredSecrets};
use std::cell::{OnceCell, RefCell};
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod codec;
mod entry;
mod scripts;

use scripts::{EXTEND, RELEASE};

pub const DEFAULT_LEASE: Duration = Duration::from_secs(15);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest value octoken reads back: a sealed secrets value with an RSA DPoP key
/// is about 4 KiB, a client's settings or an access token a few.
pub const MAX_VALUE: usize = 64 * 1024;
/// How far apart two lineages' versions start per millisecond of wall time: a login
/// after a logout (which deletes the entry, `v` too) starts above every version the
/// fleet can have reached before, so hosts that saw those do not take it for a
/// rollback. (A lineage would start below the last one only after more than this many
/// commits per millisecond between them; the host that starts it adopts its version
/// anyway, and another host that saw those commits refuses it and says to `--attach`.)
/// At about 1.8e15 today, versions stay far below 2^53, exact even as Lua numbers.
const VERSIONS_PER_MILLI: u64 = 1000;

/// The first version of a lineage started now: the clock's milliseconds (shifted as
/// the tests shift octoken's clock) times [`VERSIONS_PER_MILLI`]. One reading of the
/// clock: seconds taken at the start of the run beside milliseconds read later went
/// backwards when the run crossed a second (a login at 536.99 s read as 536.002 s,
/// below a lineage started at 536.551 s).
fn lineage_start() -> u64 {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    millis
        .saturating_add_signed(crate::env::test_clock_offset().saturating_mul(1000))
        .saturating_mul(VERSIONS_PER_MILLI)
}

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
                // A trust anchor: refused when another user could change it.
                Some(path) => Some(
                    crate::fsutil::read_user_file_up_to(path, crate::fsutil::CA_READ_LIMIT)
                        .map(|(pem, _)| pem)
                        .map_err(|e| {
                            redis::RedisError::from((
                                redis::ErrorKind::InvalidClientConfig,
                                "cannot use the CA file",
                                format!("{}: {e}", path.display()),
                            ))
                        })?,
                ),
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
                // A bad URL, CA file or password file: the message names which.
                Error::config(
                    message,
                    Some("check --redis-url, --ca-file and --redis-password-file".into()),
                )
            }
            _ => Error::storage(message, "check the Redis server's log and settings"),
        }
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
    use super::codec::Field;
    use super::*;
    use crate::store::state::State;

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
        let opened = s.secrets_from(5, &sealed).unwrap();
        assert_eq!(opened.to_bytes(), secrets().to_bytes());
        assert!(s.secrets_from(6, &sealed).is_err());
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
    fn a_required_value_is_there_as_written_or_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = shared(dir.path(), None);
        assert_eq!(s.required("client", Field::Absent).unwrap(), None);
        assert_eq!(
            s.required("client", Field::Value("{}".into())).unwrap(),
            Some("{}".to_string())
        );
        let err = s
            .required("client", Field::Unreadable("it is not text".into()))
            .unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
        assert!(
            err.to_string()
                .contains("entry's client in redis://127.0.0.1:1/0 (namespace ns) cannot be used: it is not text"),
            "{err}"
        );
    }

    #[test]
    fn a_lease_value_opens_quietly_or_says_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let s = shared(dir.path(), Some([3; 32]));
        let place = s.lease_key();
        let sealed = s.encode(&place, b"host:1#ab").unwrap();
        let quietly = |place: &str, field| s.open_foreign_quietly(place, field).unwrap();
        assert_eq!(
            quietly(&place, Field::Value(sealed.clone())),
            Ok(b"host:1#ab".to_vec())
        );
        let not_ours = Err("it is not sealed with this fleet's key".to_string());
        assert_eq!(quietly(&s.backoff_key(), Field::Value(sealed)), not_ours);
        assert_eq!(quietly(&place, Field::Value("host:1#ab".into())), not_ours);
        assert_eq!(
            quietly(&place, Field::Unreadable("long".into())),
            Err("long".to_string())
        );
        assert_eq!(
            quietly(&place, Field::Absent),
            Err("it is gone".to_string())
        );
        assert!(s.warned.borrow().is_empty(), "nothing said");
        let keyless = shared(dir.path(), None);
        assert_eq!(
            keyless
                .open_foreign_quietly(&place, Field::Value("host:1#ab".into()))
                .unwrap(),
            Ok(b"host:1#ab".to_vec())
        );
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
