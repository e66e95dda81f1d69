//! `login`'s settings: flags merged over the existing profile, before discovery.

use super::Global;
use crate::config::{Config, Grant, Profile, RedisProfile, StoreKind};
use crate::network::http::HttpOptions;
use crate::oauth::AuthMethod;
use crate::open_url::Browser;
use crate::secret::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// How the tokens are obtained.
#[derive(Debug, Clone)]
pub enum LoginMethod {
    /// A browser sign-in through a loopback redirect.
    Browser(Browser),
    /// RFC 8628 device authorization.
    Device,
    /// A refresh token read from stdin, verified by a refresh.
    Import,
    /// The client's own credentials (RFC 6749 4.4).
    ClientCredentials,
    /// An assertion or a subject token read from its source (JWT bearer, token
    /// exchange): one token request, like client credentials.
    Assertion,
}

/// Where the client secret comes from. Reading it is the flow's job.
#[derive(Debug, Clone)]
pub enum ClientSecretSource {
    /// A public client: no secret.
    None,
    /// OCTOKEN_CLIENT_SECRET.
    Env(Secret),
    /// `--client-secret-file`.
    File(PathBuf),
    /// The one already stored for this profile; else a prompt on a terminal, but only
    /// when `--auth-method basic|post` was given explicitly or the profile saved this
    /// client with one of them.
    Stored { may_prompt: bool },
    /// A new profile given neither a method nor a secret: a public client, unless the
    /// provider refuses it as one; then a prompt on a terminal, before the browser.
    IfConfidential,
}

/// Where a DPoP login's key comes from. Reading it is the flow's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpopKeySource {
    /// A new key of this algorithm (ES256 or EdDSA: octoken makes no RSA keys).
    New(crate::oauth::dpop::DpopAlg),
    /// `--dpop-key-file`: the user's PKCS#8 key (RSA or P-256); with `--dpop-alg`, the
    /// algorithm it must be for.
    File {
        path: PathBuf,
        alg: Option<crate::oauth::dpop::DpopAlg>,
    },
    /// The key already in the profile's store: a new login of an RS256 profile without
    /// a key file keeps the key the user brought.
    Stored,
}

#[derive(Debug, Default, Clone)]
pub struct ExplicitEndpoints {
    pub token_url: Option<String>,
    pub authorization_url: Option<String>,
    pub revocation_url: Option<String>,
    pub device_url: Option<String>,
    pub jwks_url: Option<String>,
}

#[derive(Debug)]
pub struct LoginSettings {
    pub global: Global,
    pub issuer: Option<String>,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub scope: String,
    pub store: StoreKind,
    pub ca_file: Option<PathBuf>,
    pub allow_insecure_http: bool,
    pub explicit: ExplicitEndpoints,
    pub client_secret: ClientSecretSource,
    pub grant: Grant,
    pub method: LoginMethod,
    /// How long to wait for the person to sign in.
    pub timeout: Duration,
    /// Saved in the profile as given (unset means the default, true).
    pub prompt_consent: Option<bool>,
    pub proxy: Option<String>,
    pub redirect_uri: Option<String>,
    /// The options for discovery and the token requests of the login itself.
    pub http: HttpOptions,
    /// DPoP-bound tokens, with the key from here.
    pub dpop: Option<DpopKeySource>,
    /// private_key_jwt or tls_client_auth: the client's key file.
    pub client_key: Option<super::ClientKeyFile>,
    /// tls_client_auth: the client's certificate file.
    pub client_cert: Option<PathBuf>,
    /// Resource indicators (RFC 8707) to ask for.
    pub resources: Vec<String>,
    /// The non-standard `audience` parameter.
    pub audience: Option<String>,
    /// CI and workload identity: the assertion sources (docs/ci.md).
    pub assertion: super::AssertionSettings,
    /// What the authorization request adds, merged over the profile's.
    pub sign_in: crate::oauth::sign_in::SignInOptions,
    /// `--registry HOST`: registries to bind the profile to (`docker-credential`).
    pub registries: Vec<String>,
    /// The config file as loaded, to save the new profile into.
    pub config: Config,
    /// This profile as it was before the login, if it existed.
    pub previous: Option<Profile>,
    /// The shared store, with `store = redis`.
    pub redis: Option<RedisProfile>,
    /// `--attach`: join the fleet's shared entry instead of signing in.
    pub attach: bool,
    /// The command that repeats this login with the flags given (for hints: nothing is
    /// saved until the login succeeds, so a new profile needs them all again).
    pub again: String,
}

impl LoginSettings {
    /// Where the new profile's secrets will go.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            kind: self.store,
            secret_file: self.global.paths.secret_file(&self.global.profile),
            keyring_timeout: self.global.env.keyring_timeout,
            fail_writes: self.global.env.fail_secret_writes,
            session_bus: self.global.env.session_bus.clone(),
            redis: self.redis.as_ref().map(|r| {
                super::redis_options(r, self.ca_file.clone(), &self.global.profile, &self.global)
            }),
            now: self.global.now,
        }
    }
}
