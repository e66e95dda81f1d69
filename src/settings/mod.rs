//! The plain settings each command runs with, and how a stored profile resolves.
//! Precedence: flags > environment > profile in config.toml > defaults. `resolve/`
//! builds them from the command line (the one room below `app` that sees clap); the
//! values here are final (defaults applied, environment read once) and flows never see
//! clap types.

mod agent;
mod assertion;
mod command;
mod login;
mod registries;
pub mod resolve;

pub use agent::{AgentSettings, AgentStart, AgentUse, ShellSyntax, ViaAgent, token_request};
pub use assertion::AssertionSettings;
pub use command::AwsCredentialSettings;
pub use command::{
    CacheOnlyToken, Command, ExecSettings, FreshSettings, InspectSettings, IntrospectSettings,
    LogoutSettings, ProfilesSettings, RefreshSettings, StatusSettings, TokenSettings, Verbosity,
};
pub use command::{DpopProofRequest, Narrow};
pub use command::{
    GitCredentialSettings, GitOperation, GitProfile, GitSetup, KubeCredentialSettings,
    KubeconfigUserSettings, TokenKind,
};
pub use login::{ClientSecretSource, DpopKeySource, ExplicitEndpoints, LoginMethod, LoginSettings};
pub use registries::{
    CargoCredentialSettings, CargoProvider, DockerCredentialSettings, DockerOperation, DockerSetup,
    ResolveWords,
};

use crate::config::{Config, Grant, Profile, RedisProfile};
use crate::env;
use crate::error::{Error, Result, login_command};
use crate::network::http::{ClientIdentity, HttpOptions};
use crate::oauth::{AuthMethod, FormRequest};
use crate::paths::Paths;
use crate::profile_name;
use crate::secret::Secret;
use crate::store::StoreOptions;
use crate::store::cache::CacheKey;
use crate::store::redis::RedisOptions;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_SCOPE: &str = "openid offline_access";
pub const DEFAULT_IDLE_LIMIT_DAYS: u64 = 30;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a process waits for another one's refresh of the same profile.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one keyring call may take before octoken gives up.
pub const DEFAULT_KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// The environment, read once per run (the only reads outside `Paths::resolve`).
#[derive(Debug, Clone)]
pub struct Environment {
    pub lock_timeout: Duration,
    pub keyring_timeout: Duration,
    /// OCTOKEN_CLIENT_SECRET: only `login` uses it.
    pub client_secret: Option<Secret>,
    /// OCTOKEN_TEST_FAIL_SECRET_WRITES.
    pub fail_secret_writes: bool,
    /// DBUS_SESSION_BUS_ADDRESS: the keyring's hints depend on it.
    pub session_bus: Option<String>,
    /// OCTOKEN_REDIS_PASSWORD.
    pub redis_password: Option<Secret>,
    /// OCTOKEN_TEST_FLEET_HOLD.
    pub test_fleet_hold: Option<String>,
}

impl Environment {
    fn read() -> Environment {
        let secs = |name: &str, default: Duration| {
            env::var(name)
                .and_then(|v| v.trim().parse().ok())
                .map_or(default, Duration::from_secs)
        };
        Environment {
            lock_timeout: secs(env::OCTOKEN_LOCK_TIMEOUT, DEFAULT_LOCK_TIMEOUT),
            keyring_timeout: secs(env::OCTOKEN_KEYRING_TIMEOUT, DEFAULT_KEYRING_TIMEOUT),
            client_secret: env::var(env::OCTOKEN_CLIENT_SECRET).map(Secret::new),
            fail_secret_writes: env::var(env::OCTOKEN_TEST_FAIL_SECRET_WRITES).is_some(),
            session_bus: env::var(env::DBUS_SESSION_BUS_ADDRESS),
            redis_password: env::var(env::OCTOKEN_REDIS_PASSWORD).map(Secret::new),
            test_fleet_hold: env::var(env::OCTOKEN_TEST_FLEET_HOLD),
        }
    }
}

/// What every command needs: which profile, where files live, the clock, the
/// environment.
#[derive(Debug, Clone)]
pub struct Global {
    pub profile: String,
    pub paths: Paths,
    /// Unix seconds, read once per run (tests shift it with OCTOKEN_TEST_CLOCK_OFFSET).
    pub now: u64,
    pub env: Environment,
}

impl Global {
    pub fn resolve(profile: String) -> Result<Global> {
        if !profile_name::is_valid(&profile) {
            return Err(Error::Usage {
                message: format!(
                    "invalid profile name '{}'",
                    crate::sanitize::foreign(&profile, profile_name::MAX_SHOWN)
                ),
                hint: Some("use letters, digits, '-', '_' and '.' (at most 64)".into()),
            });
        }
        Ok(Global {
            profile,
            paths: Paths::resolve()?,
            now: now(),
            env: Environment::read(),
        })
    }

    pub fn load_config(&self) -> Result<Config> {
        Config::load(&self.paths.config_file())
    }

    /// The profile's settings; exit 4 when nothing is configured at all (a first run),
    /// exit 3 when other profiles exist but not this one (a typo).
    pub fn profile(&self) -> Result<ProfileSettings> {
        self.profile_in(&self.load_config()?)
    }

    /// [`Global::profile`] from a `config.toml` already read.
    pub fn profile_in(&self, config: &Config) -> Result<ProfileSettings> {
        let Some(profile) = config.profiles.get(&self.profile) else {
            if config.profiles.is_empty() {
                return Err(Error::login_required(&self.profile, "not logged in"));
            }
            let known: Vec<_> = config
                .profiles
                .keys()
                .map(|k| crate::sanitize::foreign(k, profile_name::MAX_SHOWN))
                .collect();
            return Err(Error::config(
                format!("no profile named '{}'", self.profile),
                Some(format!(
                    "known profiles: {}; or run `{}`",
                    known.join(", "),
                    login_command(&self.profile)
                )),
            ));
        };
        let settings = ProfileSettings::from_profile(&self.profile, profile, self);
        settings
            .map(|settings| ProfileSettings {
                config_stamp: config.stamp,
                ..settings
            })
            .map_err(|e| match e {
                Error::Usage { message, hint } => Error::Config {
                    message: format!(
                        "{message} (profile '{}' in {})",
                        self.profile,
                        self.paths.config_file().display()
                    ),
                    hint,
                },
                other => other,
            })
    }
}

/// Unix seconds (shifted by OCTOKEN_TEST_CLOCK_OFFSET).
pub fn now() -> u64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    real.saturating_add_signed(env::test_clock_offset())
}

/// A profile's endpoints, each checked by `check_endpoint`.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub token: String,
    pub authorization: Option<String>,
    pub revocation: Option<String>,
    pub device: Option<String>,
    pub introspection: Option<String>,
    /// ID token signatures are verified against it; None: not verified.
    pub jwks: Option<String>,
    /// The endpoints are the provider's mutual-TLS aliases where it lists one (RFC 8705 5).
    pub mtls_aliases: bool,
}

/// A resolved profile: every default applied, the environment folded in.
#[derive(Debug, Clone)]
pub struct ProfileSettings {
    pub name: String,
    pub issuer: Option<String>,
    pub client_id: String,
    pub auth_method: AuthMethod,
    /// The scope asked for at login.
    pub scope: String,
    pub grant: Grant,
    pub endpoints: Endpoints,
    pub http: HttpOptions,
    /// Send prompt=consent with offline_access.
    pub prompt_consent: bool,
    /// Days a refresh token may go unused before the server drops it.
    pub idle_limit_days: u64,
    /// A fixed loopback redirect URI registered with the provider.
    pub redirect_uri: Option<String>,
    pub lock_timeout: Duration,
    pub store: StoreOptions,
    pub paths: Paths,
    /// DPoP-bound tokens with a key of this algorithm (the key is in the store).
    pub dpop: Option<crate::oauth::dpop::DpopAlg>,
    /// Test setting OCTOKEN_TEST_FLEET_HOLD (`POINT:MS`).
    pub test_fleet_hold: Option<String>,
    /// private_key_jwt: the client's key file (read at each use) and its `kid`.
    pub client_key: Option<ClientKeyFile>,
    /// Resource indicators (RFC 8707) of the login.
    pub resources: Vec<String>,
    /// The non-standard `audience` parameter of the login (token exchange: RFC 8693's,
    /// several).
    pub audience: Vec<String>,
    /// CI and workload identity: where assertions come from (docs/ci.md).
    pub assertion: AssertionSettings,
    /// What the login's authorization request adds, and how it travels (PAR, JAR).
    pub sign_in: crate::oauth::sign_in::SignInOptions,
    /// The version of config.toml this profile was read from (None: not read from the
    /// file, e.g. during a login). Cached tokens record it: see `store::cache`.
    pub config_stamp: Option<crate::fsutil::FileStamp>,
}

/// The user's own private key file for private_key_jwt; octoken never copies the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKeyFile {
    pub path: PathBuf,
    pub kid: Option<String>,
    /// private_key_jwt: the assertion's algorithm, if not the key's usual one.
    pub alg: Option<crate::oauth::client_key::ClientKeyAlg>,
    /// private_key_jwt: what the assertion names as its audience.
    pub aud: Option<crate::oauth::client_key::AssertionAudience>,
}

impl ProfileSettings {
    /// Resolves a stored (or just discovered) profile. Its endpoints face the https rule;
    /// a violation is a usage error the caller may re-label.
    pub fn from_profile(name: &str, profile: &Profile, global: &Global) -> Result<Self> {
        let allow = profile.allow_insecure_http;
        check_endpoint(&profile.token_url, allow)?;
        check_saved_paths(name, profile, &global.paths.config_file())?;
        if profile.auth_method == AuthMethod::TlsClientAuth && client_identity(profile).is_none() {
            return Err(Error::Usage {
                message: "auth_method tls-client-auth needs client_cert_file and client_key_file"
                    .into(),
                hint: Some(
                    "run `octoken login --client-cert PEM --client-key-file PEM` for this profile"
                        .into(),
                ),
            });
        }
        if profile.auth_method == AuthMethod::PrivateKeyJwt && profile.client_key_file.is_none() {
            return Err(Error::Usage {
                message: "auth_method private-key-jwt needs client_key_file".into(),
                hint: Some("run `octoken login --client-key-file PEM` for this profile".into()),
            });
        }
        for url in [
            &profile.revocation_url,
            &profile.authorization_url,
            &profile.device_url,
            &profile.introspection_url,
            &profile.jwks_url,
        ]
        .into_iter()
        .flatten()
        {
            check_endpoint(url, allow)?;
        }
        Ok(ProfileSettings {
            name: name.to_string(),
            issuer: profile.issuer.clone(),
            client_id: profile.client_id.clone(),
            auth_method: profile.auth_method,
            scope: profile.scope.clone(),
            grant: profile.grant,
            endpoints: Endpoints {
                token: profile.token_url.clone(),
                authorization: profile.authorization_url.clone(),
                revocation: profile.revocation_url.clone(),
                device: profile.device_url.clone(),
                introspection: profile.introspection_url.clone(),
                jwks: profile.jwks_url.clone(),
                mtls_aliases: profile.mtls_endpoint_aliases,
            },
            http: HttpOptions {
                connect_timeout: profile
                    .connect_timeout
                    .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs),
                request_timeout: profile
                    .request_timeout
                    .map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_secs),
                ca_file: profile.ca_file.clone(),
                proxy: profile.proxy.clone(),
                client_identity: client_identity(profile),
            },
            prompt_consent: profile.prompt_consent.unwrap_or(true),
            idle_limit_days: profile.idle_limit_days.unwrap_or(DEFAULT_IDLE_LIMIT_DAYS),
            redirect_uri: profile.redirect_uri.clone(),
            lock_timeout: global.env.lock_timeout,
            store: StoreOptions {
                kind: profile.store,
                secret_file: global.paths.secret_file(name),
                keyring_timeout: global.env.keyring_timeout,
                fail_writes: global.env.fail_secret_writes,
                session_bus: global.env.session_bus.clone(),
                redis: profile
                    .redis
                    .as_ref()
                    .map(|r| redis_options(r, profile.ca_file.clone(), name, global)),
                now: global.now,
            },
            paths: global.paths.clone(),
            dpop: profile.dpop,
            test_fleet_hold: global.env.test_fleet_hold.clone(),
            client_key: profile.client_key_file.clone().map(|path| ClientKeyFile {
                path,
                kid: profile.client_key_id.clone(),
                alg: profile.client_key_alg,
                aud: profile.client_key_aud,
            }),
            resources: profile.resource.clone(),
            audience: profile.audience.clone(),
            assertion: AssertionSettings::from_profile(name, profile)?,
            sign_in: profile.sign_in.clone(),
            config_stamp: None,
        })
    }

    /// A request that starts a grant (device authorization, client credentials): every
    /// resource of the login (RFC 8707 2.1) and the `audience`.
    pub fn ask_for_resources(&self, request: &mut FormRequest) {
        for resource in &self.resources {
            request.push("resource", resource);
        }
        for audience in &self.audience {
            request.push("audience", audience);
        }
    }

    /// A token request under a grant (code exchange, device poll, refresh): the login's
    /// one resource, named again (RFC 8707 2.2), since some servers (oidc-provider)
    /// otherwise issue a token for their userinfo endpoint; with several, the grant
    /// decides (oidc-provider refuses more than one here).
    pub fn name_the_resource(&self, request: &mut FormRequest) {
        if let [resource] = self.resources.as_slice() {
            request.push("resource", resource);
        }
    }

    pub fn cache_key(&self) -> CacheKey {
        CacheKey {
            token_url: self.endpoints.token.clone(),
            client_id: self.client_id.clone(),
        }
    }

    pub fn cache_file(&self, narrow: Option<Narrow<'_>>) -> PathBuf {
        let (scope, resource) = narrow.map_or((None, None), |n| (n.scope, n.resource));
        match narrow.and_then(|n| n.audience) {
            Some(audience) => self
                .paths
                .audience_cache_file(&self.name, audience, scope, resource),
            None => self.paths.cache_file(&self.name, scope, resource),
        }
    }

    pub fn id_token_file(&self) -> PathBuf {
        self.paths.id_token_file(&self.name)
    }

    pub fn cache_files(&self) -> Vec<PathBuf> {
        self.paths.cache_files(&self.name)
    }

    pub fn state_file(&self) -> PathBuf {
        self.paths.state_file(&self.name)
    }

    pub fn lock_file(&self) -> PathBuf {
        self.paths.lock_file(&self.name)
    }

    /// The latest DPoP nonce of each server, for this profile.
    pub fn dpop_nonce_file(&self) -> PathBuf {
        self.paths
            .cache_dir
            .join("dpop")
            .join(format!("{}.json", self.name))
    }

    pub fn recovery_file(&self) -> PathBuf {
        self.paths.recovery_file(&self.name)
    }
}

/// A fleet's Redis settings, the defaults applied and the password from the environment.
pub fn redis_options(
    redis: &RedisProfile,
    ca_file: Option<PathBuf>,
    profile: &str,
    global: &Global,
) -> RedisOptions {
    RedisOptions {
        url: redis.url.clone(),
        password: global.env.redis_password.clone(),
        password_file: redis.password_file.clone(),
        namespace: redis.namespace.clone(),
        lease: redis
            .lease_secs
            .map_or(crate::store::redis::DEFAULT_LEASE, Duration::from_secs),
        timeout: redis
            .timeout_secs
            .map_or(crate::store::redis::DEFAULT_TIMEOUT, Duration::from_secs),
        wait_replicas: redis.wait_replicas.unwrap_or(0),
        key_file: redis.key_file.clone(),
        ca_file,
        state_file: Some(global.paths.state_file(profile)),
    }
}

/// The namespace of a fleet's entry when `--namespace` is not given: the issuer (or
/// token URL), the client and the profile, as typed, so every host computes the same.
pub fn default_namespace(server: &str, client_id: &str, profile: &str) -> String {
    format!("{}|{client_id}|{profile}", server.trim_end_matches('/'))
}

/// A tls_client_auth profile's certificate and key.
/// The files a profile names, with their config key and the login flag that sets them.
pub const PATH_KEYS: [(&str, &str); 5] = [
    ("ca_file", "--ca-file"),
    ("client_key_file", "--client-key-file"),
    ("client_cert_file", "--client-cert"),
    ("redis.password_file", "--redis-password-file"),
    ("redis.key_file", "--store-key-file"),
];

/// Every file a profile names, in the order of `PATH_KEYS`.
fn saved_paths(profile: &Profile) -> [Option<&std::path::Path>; 5] {
    let redis = profile.redis.as_ref();
    [
        profile.ca_file.as_deref(),
        profile.client_key_file.as_deref(),
        profile.client_cert_file.as_deref(),
        redis.and_then(|r| r.password_file.as_deref()),
        redis.and_then(|r| r.key_file.as_deref()),
    ]
}

/// `login` saves every path absolute. A relative one (saved by an older octoken, or
/// written by hand) is refused rather than guessed at: it was relative to the directory
/// that login ran in, which nothing recorded. Read from the current directory, it let
/// whoever controls that directory supply the trust anchor; read from the config
/// file's directory, it would name a file the user may never have meant.
fn check_saved_paths(name: &str, profile: &Profile, config_file: &std::path::Path) -> Result<()> {
    for ((key, flag), path) in PATH_KEYS.into_iter().zip(saved_paths(profile)) {
        check_saved_path(name, key, flag, path, config_file)?;
    }
    Ok(())
}

/// One saved path: absolute, or a configuration error that names the file and the fix.
pub fn check_saved_path(
    name: &str,
    key: &str,
    flag: &str,
    path: Option<&std::path::Path>,
    config_file: &std::path::Path,
) -> Result<()> {
    match path {
        Some(path) if path.is_relative() => Err(Error::Config {
            message: format!(
                "profile '{}' in {} names {key} = \"{}\", a relative path: octoken would read it from whatever directory it runs in",
                crate::sanitize::foreign(name, profile_name::MAX_SHOWN),
                config_file.display(),
                crate::sanitize::foreign(&path.display().to_string(), 200),
            ),
            hint: Some(format!(
                "write the absolute path there, or run `octoken -p {} login {flag} /absolute/path` again",
                crate::sanitize::foreign(name, profile_name::MAX_SHOWN),
            )),
        }),
        _ => Ok(()),
    }
}

pub fn client_identity(profile: &Profile) -> Option<ClientIdentity> {
    match (&profile.client_cert_file, &profile.client_key_file) {
        (Some(cert), Some(key)) if profile.auth_method == AuthMethod::TlsClientAuth => {
            Some(ClientIdentity {
                cert: cert.clone(),
                key: key.clone(),
            })
        }
        _ => None,
    }
}

/// Endpoints must be https, except on loopback (RFC 8252 allows it there) or when the
/// user said `--allow-insecure-http`.
pub fn check_endpoint(raw: &str, allow_insecure_http: bool) -> Result<url::Url> {
    let url = url::Url::parse(raw).map_err(|e| Error::Usage {
        message: format!("'{raw}' is not a valid URL: {e}"),
        hint: Some("give a full URL such as https://id.example.com/realms/main".into()),
    })?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_insecure_http || is_loopback(&url) => Ok(url),
        "http" => Err(Error::Usage {
            message: format!("refusing plain http:// for {raw}: tokens would travel unencrypted"),
            hint: Some("use https://, or pass --allow-insecure-http if you must".into()),
        }),
        other => Err(Error::Usage {
            message: format!("unsupported URL scheme '{other}' in {raw}"),
            hint: Some("use an https:// URL".into()),
        }),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_required_except_on_loopback() {
        assert!(check_endpoint("https://id.example.com", false).is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/realms/x", false).is_ok());
        assert!(check_endpoint("http://localhost/x", false).is_ok());
        assert!(check_endpoint("http://[::1]:9/x", false).is_ok());
        let err = check_endpoint("http://id.example.com", false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(check_endpoint("http://id.example.com", true).is_ok());
        assert!(check_endpoint("ftp://id.example.com", true).is_err());
    }
}
