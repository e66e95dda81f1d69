//! The command line as clap sees it: raw values only, no I/O. `settings` turns these
//! into what the flows use.

use crate::env;
use crate::output::TokenFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "octoken",
    version,
    about = "Obtain and refresh OAuth 2.0 / OpenID Connect tokens for scripts",
    long_about = "Obtain and refresh OAuth 2.0 / OpenID Connect tokens for scripts.\n\n\
        Log in once, keep the offline refresh token in the OS keyring, and print fresh \
        access tokens for curl, cron jobs and CI:\n\n    \
        curl -H \"Authorization: Bearer $(octoken token)\" https://api.example.com/",
    after_help = "Exit codes: 0 ok, 1 error, 2 usage, 3 configuration, 4 login required, \
        5 temporary (retry later), 6 secure storage unavailable."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Profile to use
    #[arg(short, long, global = true, env = env::OCTOKEN_PROFILE, default_value = "default")]
    pub profile: String,
    /// Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print no summaries on stderr (errors and warnings still show)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update a profile and obtain its refresh token
    Login(Box<LoginArgs>),
    /// Print a fresh access token (cached while valid, refreshed when not)
    Token(TokenArgs),
    /// Refresh now and store the new tokens (a keepalive for cron)
    Refresh(RefreshArgs),
    /// Show a profile's settings and token state (never secrets)
    Status(StatusArgs),
    /// Revoke the refresh token and delete the stored secrets
    Logout(LogoutArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMethodArg {
    /// client_secret_basic: id and secret in an HTTP Basic header
    Basic,
    /// client_secret_post: id and secret in the form body
    Post,
    /// A public client: no secret
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreArg {
    /// The OS keyring (Secret Service, Keychain, Credential Manager)
    Keyring,
    /// A 0600 file in a 0700 directory under the data dir
    File,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Issuer URL; endpoints are discovered from it once, here
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// How the client authenticates at the token endpoint
    #[arg(long, value_enum)]
    pub auth_method: Option<AuthMethodArg>,
    /// Scopes to ask for [default: "openid offline_access"]
    #[arg(long)]
    pub scope: Option<String>,
    /// Where to keep the refresh token and client secret [default: keyring]
    #[arg(long, value_enum)]
    pub store: Option<StoreArg>,
    /// Extra trusted CA certificates (PEM) for this profile
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Read the client secret from this file (never pass secrets as arguments)
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
    /// Import a refresh token read from stdin instead of logging in through a browser
    #[arg(long)]
    pub refresh_token_stdin: bool,
    /// Token endpoint, for servers without discovery
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Authorization endpoint, for servers without discovery
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// Revocation endpoint (RFC 7009), for servers without discovery
    #[arg(long, value_name = "URL")]
    pub revocation_url: Option<String>,
    /// Device authorization endpoint (RFC 8628), for servers without discovery
    #[arg(long, value_name = "URL")]
    pub device_url: Option<String>,
    /// Allow plain http:// endpoints on hosts other than loopback
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// Which grant obtains the tokens
    #[arg(long, value_enum, default_value_t = GrantArg::AuthorizationCode)]
    pub grant: GrantArg,
    /// Device authorization (RFC 8628) for machines without a browser
    #[arg(long, conflicts_with_all = ["refresh_token_stdin", "no_browser", "browser", "redirect_uri"])]
    pub device: bool,
    /// Fixed loopback redirect URI, e.g. http://localhost:3000/auth/oauth2/callback
    /// [default: http://127.0.0.1:<free port>/callback]
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,
    /// Browser command to open the sign-in URL with (%s stands for the URL)
    #[arg(long, value_name = "CMD", conflicts_with = "no_browser")]
    pub browser: Option<String>,
    /// Only print the sign-in URL; you may paste the final redirect URL back here
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds to wait for the sign-in
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub timeout: u64,
    /// Send prompt=consent when asking for offline_access (saved in the profile)
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub prompt_consent: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GrantArg {
    /// A person signs in (browser, device flow, or an imported refresh token)
    AuthorizationCode,
    /// Machine to machine: the client's own credentials, no refresh token
    ClientCredentials,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Refresh when the cached token has fewer seconds than this left
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub min_ttl: u64,
    #[arg(long, value_enum, default_value_t = TokenFormat::Raw)]
    pub format: TokenFormat,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the status as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Only delete the local secrets; do not revoke at the server
    #[arg(long)]
    pub local: bool,
}
