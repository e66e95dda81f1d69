//! The on-disk profile file (`config.toml`): non-secret settings only. Every error names
//! the file, and parse errors the line.

use crate::error::{Error, Result};
use crate::fsutil;
use crate::oauth::AuthMethod;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The longest connect or request timeout a profile may hold (seconds).
pub const MAX_HTTP_TIMEOUT_SECS: u64 = 3600;
/// The longest lease a fleet's host takes (`--redis-lease`): a lease is renewed once,
/// right before the request, so it need only outlast one token request.
pub const MAX_LEASE_SECS: u64 = 600;
/// The longest wait for Redis (`--redis-timeout`).
pub const MAX_TIMEOUT_SECS: u64 = 300;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Which version of the file this is (None when read from elsewhere, or none exists):
    /// the token cache records it, so that `token` can tell from one `lstat` that the
    /// profile a cached token was issued under is unchanged (see `store::cache`).
    #[serde(skip)]
    pub stamp: Option<fsutil::FileStamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Keyring,
    File,
    /// Shared by a fleet of hosts (Redis or Valkey).
    Redis,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Keyring => "keyring",
            StoreKind::File => "file",
            StoreKind::Redis => "redis",
        }
    }
}

/// How a profile obtains access tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// A person signed in once; access tokens come from the stored refresh token.
    #[default]
    RefreshToken,
    /// Machine to machine: each access token comes from the client's own credentials.
    ClientCredentials,
    /// RFC 7523 2.1: each access token for an assertion read fresh from `assertion`
    /// (a CI job's or a pod's signed identity); nothing long-lived is stored.
    JwtBearer,
    /// RFC 8693: each access token for a subject token read fresh from `assertion`.
    TokenExchange,
}

impl Grant {
    /// An assertion (or a subject token) read from the profile's source obtains each
    /// token: `jwt_bearer` and `token_exchange` (see `src/assertion.rs`).
    pub fn reads_assertions(self) -> bool {
        matches!(self, Grant::JwtBearer | Grant::TokenExchange)
    }
}

/// Where an assertion, a token to exchange or a client assertion is read from, each
/// time one is needed (CI tokens live minutes). The source is saved, what it yields
/// never is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum AssertionSource {
    /// A file the platform rotates (a Kubernetes projected service-account token).
    File(PathBuf),
    /// A command line, split into words (no shell unless it names one); its stdout.
    Cmd(String),
    /// An environment variable (GitLab CI's `id_tokens:`).
    Env(String),
}

/// RFC 8693: what the subject token is, the optional actor token and what is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeProfile {
    pub subject_token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<AssertionSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_token_type: Option<String>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub scope: String,
    pub store: StoreKind,
    #[serde(default, skip_serializing_if = "is_default")]
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
    /// The endpoints here are the provider's mutual-TLS aliases where it lists one (RFC
    /// 8705 5): the login presented a client certificate. `status` says so.
    #[serde(default, skip_serializing_if = "is_default")]
    pub mtls_endpoint_aliases: bool,
    /// The provider's JWKS (discovered or `--jwks-url`): ID token signatures are
    /// verified against it. None: they are not, and `status` says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub allow_insecure_http: bool,
    /// Send prompt=consent with offline_access (default true; some servers mind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_consent: Option<bool>,
    /// Days a refresh token may go unused before the server drops it (Keycloak's offline
    /// session idle limit: 30 days by default). `status` warns as it nears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_limit_days: Option<u64>,
    /// Proxy for this profile's requests (else HTTPS_PROXY / HTTP_PROXY / NO_PROXY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// A fixed loopback redirect URI registered with the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Seconds to wait for a TCP/TLS connection (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<u64>,
    /// Seconds a whole request may take (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<u64>,
    /// DPoP-bound tokens (RFC 9449) with a key of this algorithm; the key itself is in
    /// the secret store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop: Option<crate::oauth::dpop::DpopAlg>,
    /// The shared store of `store = "redis"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisProfile>,
    /// private_key_jwt: the user's PEM private key file, read at each use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_file: Option<PathBuf>,
    /// tls_client_auth: the user's PEM certificate file (its key is `client_key_file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert_file: Option<PathBuf>,
    /// The `kid` the assertion names its key by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_id: Option<String>,
    /// The assertion's algorithm when not the key's usual one (PS256 for an RSA key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_alg: Option<crate::oauth::client_key::ClientKeyAlg>,
    /// The assertion's `aud` when not the token endpoint: "issuer" (FAPI 2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_aud: Option<crate::oauth::client_key::AssertionAudience>,
    /// Resource indicators (RFC 8707) the login asks for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<String>,
    /// The non-standard `audience` parameter some servers want instead (Auth0); with
    /// token_exchange, RFC 8693's `audience` (several allowed). A single one is written
    /// as a string, as before, and a string still reads.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many",
        serialize_with = "string_if_one"
    )]
    pub audience: Vec<String>,
    /// jwt_bearer: where the assertion comes from; token_exchange: the subject token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion: Option<AssertionSource>,
    /// token_exchange: the subject token's type, the actor token, the requested type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeProfile>,
    /// auth_method client-assertion (RFC 7523 2.2, federated): where it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_assertion: Option<AssertionSource>,
    /// What the sign-in request adds (`login --acr-values`, `--par`, ...), repeated by
    /// every later login.
    #[serde(
        default,
        skip_serializing_if = "crate::oauth::sign_in::SignInOptions::is_empty"
    )]
    pub sign_in: crate::oauth::sign_in::SignInOptions,
    /// The container registries `docker-credential` answers for with this profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerProfile>,
}

/// A profile's container registries (`docker-credential setup HOST`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerProfile {
    /// Registries as image names start (`HOST` or `HOST:PORT`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registries: Vec<String>,
    /// The user name sent with the token (the registry's convention for tokens); None:
    /// `oauth2accesstoken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl Profile {
    /// The profile as a fleet's shared entry holds it, for `login --attach` on another
    /// host: the client's settings, without what belongs to this host (its CA and key
    /// files, proxy, timeouts, redirect URI, Redis settings). Every field is named, so a
    /// new one does not compile until it is sorted into one or the other.
    pub fn for_fleet(&self) -> Profile {
        let Profile {
            issuer,
            client_id,
            auth_method,
            scope,
            store,
            grant,
            token_url,
            authorization_url,
            revocation_url,
            device_url,
            introspection_url,
            mtls_endpoint_aliases,
            jwks_url,
            ca_file: _,
            allow_insecure_http: _,
            prompt_consent: _,
            idle_limit_days: _,
            proxy: _,
            redirect_uri: _,
            connect_timeout: _,
            request_timeout: _,
            dpop,
            redis: _,
            client_key_file: _,
            client_cert_file: _,
            client_key_id,
            client_key_alg,
            client_key_aud,
            resource,
            audience,
            // How this host's own browser logins ask (acr, PAR, ...): an attached host
            // never signs in through the entry.
            sign_in: _,
            // CI assertions are read on each host; a fleet with them is refused at login.
            assertion: _,
            exchange: _,
            client_assertion: _,
            // Which registries this host's tools get tokens for: its own setup.
            docker: _,
        } = self.clone();
        Profile {
            issuer,
            client_id,
            auth_method,
            scope,
            store,
            grant,
            token_url,
            authorization_url,
            revocation_url,
            device_url,
            introspection_url,
            mtls_endpoint_aliases,
            jwks_url,
            ca_file: None,
            allow_insecure_http: false,
            prompt_consent: None,
            idle_limit_days: None,
            proxy: None,
            redirect_uri: None,
            connect_timeout: None,
            request_timeout: None,
            dpop,
            redis: None,
            client_key_file: None,
            client_cert_file: None,
            client_key_id,
            client_key_alg,
            client_key_aud,
            resource,
            audience,
            sign_in: Default::default(),
            assertion: None,
            exchange: None,
            client_assertion: None,
            docker: None,
        }
    }
}

/// Where a fleet's shared entry lives. Never a password: that comes from
/// OCTOKEN_REDIS_PASSWORD or `password_file`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisProfile {
    /// `redis://[USER@]HOST:PORT/DB` or `rediss://...` (TLS, trusting `ca_file` too).
    pub url: String,
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// 32 random bytes (0600): every value written to Redis is sealed with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Seconds a refreshing host holds the fleet's lease (default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_secs: Option<u64>,
    /// Seconds to wait for Redis to connect or answer (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// `WAIT` for this many replicas after each commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_replicas: Option<u32>,
}

impl Config {
    /// The config file, or an empty config when there is none yet.
    pub fn load(path: &Path) -> Result<Config> {
        // Refused (exit 3) when not ours, writable by others, a link, or oversized.
        let Some((text, stamp)) = fsutil::read_stamped(path, fsutil::Class::Config)? else {
            return Ok(Config::default());
        };
        let text = String::from_utf8(text).map_err(|_| {
            Error::config(
                format!("config file {} is not valid UTF-8", path.display()),
                Some("fix or delete the file".to_string()),
            )
        })?;
        Ok(Config {
            stamp,
            ..Self::parse(&text, path)?
        })
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| {
                text.as_bytes()[..span.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1
            });
            let message = e.message().replace('\n', " ");
            let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
            Error::config(
                format!(
                    "invalid config file {}{at}: {}",
                    path.display(),
                    message.trim()
                ),
                Some("fix the file, or remove the profile and run `octoken login` again".into()),
            )
        })?;
        config.check_ranges(path)?;
        Ok(config)
    }

    /// Numbers that become durations stay within what octoken can wait for: a
    /// `lease_secs` of 2^64-1 saved by an older octoken would overflow the first
    /// deadline computed from it.
    fn check_ranges(&self, path: &Path) -> Result<()> {
        for (name, profile) in &self.profiles {
            let redis = profile.redis.as_ref();
            let checks = [
                (
                    "redis.lease_secs",
                    redis.and_then(|r| r.lease_secs),
                    MAX_LEASE_SECS,
                ),
                (
                    "redis.timeout_secs",
                    redis.and_then(|r| r.timeout_secs),
                    MAX_TIMEOUT_SECS,
                ),
                (
                    "connect_timeout",
                    profile.connect_timeout,
                    MAX_HTTP_TIMEOUT_SECS,
                ),
                (
                    "request_timeout",
                    profile.request_timeout,
                    MAX_HTTP_TIMEOUT_SECS,
                ),
            ];
            for (key, value, max) in checks {
                if let Some(value) = value.filter(|v| !(1..=max).contains(v)) {
                    return Err(Error::config(
                        format!(
                            "invalid config file {}: profile '{}': {key} = {value} is not between 1 and {max}",
                            path.display(),
                            crate::sanitize::foreign(name, 100)
                        ),
                        Some(format!(
                            "fix the file, or log in again with the flag's value (at most {max})"
                        )),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self)
            .map_err(|e| Error::other(format!("cannot write the config: {e}")))?;
        let text = format!("# octoken profiles. Secrets are never kept here.\n{text}");
        fsutil::write_atomic(path, text.as_bytes(), false)
    }
}

/// `audience = "a"` (as older versions wrote it) or `audience = ["a", "b"]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// One value as a string, so that an older octoken still reads a one-audience profile.
fn string_if_one<S: serde::Serializer>(list: &[String], s: S) -> Result<S::Ok, S::Error> {
    match list {
        [one] => s.serialize_str(one),
        many => many.serialize(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_audience_reads_and_writes_as_a_string_several_as_a_list() {
        let one = "[profiles.default]\nclient_id = \"x\"\nauth_method = \"none\"\nscope = \"s\"\nstore = \"file\"\ntoken_url = \"https://id.example.com/t\"\naudience = \"https://a\"\n";
        let mut config = Config::parse(one, Path::new("/c")).unwrap();
        let profile = config.profiles.get_mut("default").unwrap();
        assert_eq!(profile.audience, ["https://a"]);
        let text = toml::to_string(&config).unwrap();
        assert!(text.contains("audience = \"https://a\""), "{text}");
        config
            .profiles
            .get_mut("default")
            .unwrap()
            .audience
            .push("https://b".into());
        let text = toml::to_string(&config).unwrap();
        let again = Config::parse(&text, Path::new("/c")).unwrap();
        assert_eq!(
            again.profiles["default"].audience,
            ["https://a", "https://b"]
        );
    }

    #[test]
    fn parse_errors_name_file_and_line() {
        let text = "[profiles.default]\nclient_id = \"x\"\nauth_method = \"magic\"\n";
        let err = Config::parse(text, Path::new("/c/config.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/c/config.toml, line 3"), "{msg}");
        assert_eq!(err.exit_code(), 3);
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let text = "[profiles.default]\nclient_id = \"x\"\nauth_method = \"basic\"\nscope = \"s\"\nstore = \"file\"\ntoken_url = \"https://id.example.com/t\"\ntoken_ur = \"typo\"\n";
        let msg = Config::parse(text, Path::new("/c/config.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 7"), "{msg}");
        assert!(msg.contains("token_ur"), "{msg}");
    }

    /// What a fleet shares is the client's settings; this host's files, proxy,
    /// timeouts and Redis settings stay here.
    #[test]
    fn a_fleet_gets_the_client_and_not_the_hosts_own_settings() {
        let text = "[profiles.p]\nclient_id = \"x\"\nauth_method = \"private-key-jwt\"\nscope = \"s\"\nstore = \"redis\"\ntoken_url = \"https://id.example.com/t\"\nclient_key_file = \"/home/a/key.pem\"\nclient_key_id = \"k1\"\nca_file = \"/home/a/ca.pem\"\nproxy = \"http://proxy:3128\"\nrequest_timeout = 5\nresource = [\"https://api\"]\n[profiles.p.redis]\nurl = \"redis://h\"\nnamespace = \"n\"\n";
        let profile = &Config::parse(text, Path::new("x")).unwrap().profiles["p"];
        let shared = serde_json::to_value(profile.for_fleet()).unwrap();
        for local in [
            "client_key_file",
            "ca_file",
            "proxy",
            "request_timeout",
            "redis",
        ] {
            assert!(shared.get(local).is_none(), "{local} shared: {shared}");
        }
        for client in ["client_id", "token_url", "client_key_id", "resource"] {
            assert!(shared.get(client).is_some(), "{client} missing: {shared}");
        }
    }

    #[test]
    fn round_trips_a_profile() {
        let mut config = Config::default();
        config.profiles.insert(
            "work".into(),
            Profile {
                issuer: Some("https://id.example.com/realms/r".into()),
                client_id: "cli".into(),
                auth_method: AuthMethod::Post,
                scope: "openid offline_access".into(),
                store: StoreKind::File,
                grant: Grant::RefreshToken,
                token_url: "https://id.example.com/realms/r/protocol/openid-connect/token".into(),
                authorization_url: None,
                revocation_url: None,
                device_url: None,
                introspection_url: None,
                mtls_endpoint_aliases: false,
                jwks_url: None,
                ca_file: None,
                allow_insecure_http: false,
                prompt_consent: None,
                idle_limit_days: None,
                proxy: None,
                redirect_uri: None,
                connect_timeout: None,
                request_timeout: None,
                dpop: None,
                redis: None,
                client_key_file: None,
                client_key_id: None,
                client_key_alg: None,
                client_key_aud: None,
                client_cert_file: None,
                resource: vec!["https://api.example.com".into()],
                audience: Vec::new(),
                assertion: Some(AssertionSource::Cmd("ci-token --aud x".into())),
                exchange: None,
                client_assertion: None,
                sign_in: crate::oauth::sign_in::SignInOptions {
                    acr_values: Some("gold".into()),
                    par: true,
                    ..Default::default()
                },
                docker: None,
            },
        );
        let text = toml::to_string_pretty(&config).unwrap();
        let back = Config::parse(&text, Path::new("x")).unwrap();
        assert_eq!(back.profiles["work"].auth_method, AuthMethod::Post);
        assert!(!text.contains("allow_insecure_http"));
        assert!(
            text.contains("[profiles.work.assertion]\ncmd = \"ci-token --aud x\""),
            "{text}"
        );
        assert_eq!(
            back.profiles["work"].assertion,
            Some(AssertionSource::Cmd("ci-token --aud x".into()))
        );
        assert!(text.contains("[profiles.work.sign_in]"), "{text}");
        assert_eq!(
            back.profiles["work"].sign_in.acr_values.as_deref(),
            Some("gold")
        );
        assert!(back.profiles["work"].sign_in.par);
        assert!(!text.contains("request_object"), "defaults are left out");
    }
}
