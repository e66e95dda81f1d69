//! The settings of each command: plain values, built by `settings::resolve`.

use super::{Global, LoginSettings, ProfileSettings};
use crate::error::Result;
use crate::output::TokenFormat;
use std::ffi::OsString;
use std::time::Duration;

/// One command, ready to run: everything it needs, nothing clap.
#[derive(Debug)]
pub enum Command {
    Login(Box<LoginSettings>),
    Token(TokenSettings),
    Exec(ExecSettings),
    Refresh(RefreshSettings),
    Status(StatusSettings),
    Inspect(InspectSettings),
    Introspect(IntrospectSettings),
    Logout(LogoutSettings),
    GitCredential(GitCredentialSettings),
    KubeCredential(KubeCredentialSettings),
    /// `kube-credential --print-kubeconfig-user NAME`.
    KubeconfigUser(KubeconfigUserSettings),
    AwsCredential(AwsCredentialSettings),
    DockerCredential(super::DockerCredentialSettings),
    CargoCredential(super::CargoCredentialSettings),
    Profiles(ProfilesSettings),
    /// `agent`: start one, or stop one.
    Agent(super::AgentSettings),
    Completions(clap_complete::Shell),
    /// `man`: one page to stdout, or every page into a directory.
    Man {
        command: Option<String>,
        dir: Option<std::path::PathBuf>,
    },
}

/// What makes a token fresh enough (`token`, `exec`, `inspect`).
#[derive(Debug, Clone, Default)]
pub struct FreshSettings {
    /// Refresh when the cached token has fewer seconds than this left.
    pub min_ttl: u64,
    /// A narrower scope set than the login's (cached separately); None: the login's.
    pub scope: Option<String>,
    /// One of the login's resources (RFC 8707) to narrow the token to (cached
    /// separately); None: the login's.
    pub resource: Option<String>,
    /// `--audience`: the profile's token exchanged (RFC 8693) for one meant for this
    /// audience (cached per audience); None: the login's own.
    pub audience: Option<String>,
    /// Fail (exit 5) rather than serve a cached token with less than `min_ttl` left
    /// when renewing it fails for a temporary reason.
    pub strict: bool,
}

impl FreshSettings {
    /// What narrows the token; None: the login's own token.
    pub fn narrow(&self) -> Option<Narrow<'_>> {
        (self.scope.is_some() || self.resource.is_some() || self.audience.is_some()).then_some(
            Narrow {
                scope: self.scope.as_deref(),
                resource: self.resource.as_deref(),
                audience: self.audience.as_deref(),
            },
        )
    }
}

/// A token narrowed from the login's: fewer scopes, or one of its resources (RFC 8707).
/// Each narrowing has its own cache file, so it never replaces the login's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Narrow<'a> {
    pub scope: Option<&'a str>,
    pub resource: Option<&'a str>,
    /// A token for another audience, by token exchange (RFC 8693).
    pub audience: Option<&'a str>,
}

/// `-v`/`-vv` (diagnostics on stderr) and `-q` (no notices).
#[derive(Debug, Clone, Copy)]
pub struct Verbosity {
    pub level: u8,
    pub quiet: bool,
}

/// A `token` that the token cache alone may answer: the login's access token, no
/// narrower scope or resource, no proof. See `flow::token::from_cache`.
#[derive(Debug)]
pub struct CacheOnlyToken {
    pub global: Global,
    pub min_ttl: u64,
    pub format: TokenFormat,
    pub env_name: String,
}

#[derive(Debug)]
pub struct TokenSettings {
    pub global: Global,
    pub profile: ProfileSettings,
    pub fresh: FreshSettings,
    pub format: TokenFormat,
    /// The variable name `--format env` prints.
    pub env_name: String,
    pub kind: TokenKind,
    /// `--dpop-proof METHOD URL`: sign a proof for this API request too.
    pub dpop_proof: Option<DpopProofRequest>,
    /// `--min-acr`: the sign-in level the profile's session must have reached.
    pub min_acr: Option<String>,
}

/// The API request a DPoP proof is for (`token --dpop-proof METHOD URL`).
#[derive(Debug, Clone)]
pub struct DpopProofRequest {
    pub method: String,
    pub url: String,
    /// A nonce the API asked for (`--dpop-nonce`), else the last one it sent.
    pub nonce: Option<String>,
}

/// Which of the profile's tokens to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Id,
}

/// What git asked the credential helper, or `setup` asked by a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitOperation {
    Get,
    Store,
    Erase,
    /// `setup URL`: write the git config that runs this helper for URL's host.
    Setup(GitSetup),
    /// An operation of a later git; helpers ignore those (gitcredentials(7)).
    Other(String),
}

/// `git-credential setup URL`: the git config entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSetup {
    /// The `<url>` of `credential.<url>.helper`: the remote's scheme and host, no path
    /// (git matches a pattern with a path only when `credential.useHttpPath` is set).
    pub url: String,
    /// The helper line's words after `octoken`: `-p NAME git-credential --host HOST`
    /// and the flags given with `setup`.
    pub helper_args: Vec<String>,
    /// `--global`: the user's git config, else the repository's (as `git config`).
    pub global_config: bool,
}

#[derive(Debug)]
pub struct GitCredentialSettings {
    pub global: Global,
    pub operation: GitOperation,
    /// `--host`: the hosts (`NAME` or `NAME:PORT`, as git sends `host=`) this helper
    /// answers for, checked against their grammar; none: it answers nothing.
    pub hosts: Vec<String>,
    pub fresh: FreshSettings,
    pub username: String,
    /// The profile and its `--login`, or why they cannot be had: only a request for a
    /// bound host needs them, so a broken profile is no noise for git's other hosts.
    pub profile: Result<GitProfile>,
}

#[derive(Debug)]
pub struct GitProfile {
    pub profile: ProfileSettings,
    /// `--login`: the stored profile's own login, run when one is needed.
    pub login: Option<Box<LoginSettings>>,
}

#[derive(Debug)]
pub struct KubeCredentialSettings {
    pub global: Global,
    pub profile: ProfileSettings,
    pub fresh: FreshSettings,
    pub kind: TokenKind,
    /// The ExecCredential `apiVersion` kubectl asked for (KUBERNETES_EXEC_INFO).
    pub api_version: String,
    /// kubectl's `spec.interactive`: a person is at the terminal.
    pub interactive: bool,
    /// `--login`: the stored profile's own login, run when one is needed and allowed.
    pub login: Option<Box<LoginSettings>>,
}

#[derive(Debug)]
pub struct KubeconfigUserSettings {
    /// The profile the entry runs octoken with.
    pub profile: String,
    /// The kubeconfig user name.
    pub user: String,
    pub kind: TokenKind,
    /// `--login`: the entry runs the login when kubectl says a person is there.
    pub login: bool,
    /// The token flags given (`--audience`, `--scope`, ...), as the entry repeats them.
    pub fresh: Vec<String>,
}

/// `aws-credential`: an AWS `credential_process` (STS AssumeRoleWithWebIdentity).
#[derive(Debug)]
pub struct AwsCredentialSettings {
    /// The profile is resolved by the flow, after the cache had its chance: a cached
    /// answer under an unchanged config.toml needs no parsing of it.
    pub global: Global,
    /// The role, checked against AWS's grammar; its fields are the cache file's key.
    pub role: crate::store::aws_cache::RoleKey,
    pub kind: TokenKind,
    /// `--login`: the stored profile's own login, run when one is needed.
    pub login: Option<Box<LoginSettings>>,
}

#[derive(Debug)]
pub struct ExecSettings {
    pub global: Global,
    pub profile: ProfileSettings,
    pub fresh: FreshSettings,
    /// The access token, or the ID token (`--type id`).
    pub kind: TokenKind,
    pub env_name: String,
    /// The command and its arguments (never empty: clap requires it).
    pub program: OsString,
    pub args: Vec<OsString>,
}

#[derive(Debug)]
pub struct RefreshSettings {
    pub global: Global,
    pub profile: ProfileSettings,
    /// Refresh only when the last successful refresh is older than this.
    pub if_older_than: Option<Duration>,
    /// Sleep a random time up to this before deciding (spreads a fleet's cron runs).
    pub jitter: Option<Duration>,
}

#[derive(Debug)]
pub struct StatusSettings {
    pub global: Global,
    pub profile: ProfileSettings,
    pub json: bool,
}

#[derive(Debug)]
pub enum InspectSettings {
    /// A JWT piped in on stdin.
    Stdin,
    /// The profile's current access token.
    Current(Box<(Global, ProfileSettings)>),
}

#[derive(Debug)]
pub struct IntrospectSettings {
    pub global: Global,
    pub profile: ProfileSettings,
    /// Ask about the refresh token instead of the access token.
    pub refresh_token: bool,
}

#[derive(Debug)]
pub struct LogoutSettings {
    pub global: Global,
    pub profile: ProfileSettings,
    /// Only delete local copies; do not revoke at the server.
    pub local: bool,
}

#[derive(Debug)]
pub struct ProfilesSettings {
    pub global: Global,
    pub json: bool,
    /// Read each profile's store (may touch the keyring).
    pub check: bool,
    /// Names only, one a line.
    pub names: bool,
}
