//! The command line as clap sees it: raw values only, no I/O. `settings` turns these
//! into what the flows use.

use crate::env;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod fast_aws;
pub use fast_aws::fast_aws_credential;
use std::path::PathBuf;

const HELP: &str = "\
{about}

{usage-heading} {usage}

Log in and out:
  login        Sign in (browser, device flow, token import, client credentials)
  logout       Revoke the refresh token and delete the stored secrets

Use tokens:
  token        Print a fresh access token (cached while valid)
  exec         Run a command with a fresh access token in its environment
  refresh      Refresh now (a keepalive for cron and systemd timers)

Plug into tools:
  git-credential     A git credential helper (HTTPS remotes)
  kube-credential    A kubectl exec credential plugin
  docker-credential  A Docker, Podman and Skopeo credential helper
  cargo-credential   A cargo credential provider (registries with auth)
  aws-credential     An AWS credential_process (STS AssumeRoleWithWebIdentity)
  agent              Serve tokens to local scripts and ssh-forwarded machines

Look inside:
  profiles     The profiles, and whether each is logged in
  status       A profile's settings and token state (never secrets)
  inspect      Decode a JWT's header and claims (no signature check)
  introspect   Ask the server about a token (RFC 7662)

Shell:
  completions  Print a shell completion script
  man          Print a man page, or install them all (--dir)

Options:
{options}

Run `octoken help <command>` for examples, `man octoken` for the reference
(install the pages with `octoken man --dir ~/.local/share/man/man1`).
{exit-codes}
";

/// The top-level help: `HELP` with the exit-code line from the reference table.
fn help_template() -> String {
    HELP.replace("{exit-codes}", &crate::reference::exit_status_summary(78))
}

#[derive(Debug, Parser)]
#[command(
    name = "octoken",
    version,
    about = "Obtain and refresh OAuth 2.0 / OpenID Connect tokens for scripts",
    long_about = "Obtain and refresh OAuth 2.0 / OpenID Connect tokens for scripts.\n\n\
        Log in once, keep the offline refresh token in the OS keyring, and print fresh \
        access tokens for curl, cron jobs and CI:\n\n    \
        curl -H \"Authorization: Bearer $(octoken token)\" https://api.example.com/",
    help_template = help_template()
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
    #[arg(
        short,
        long,
        global = true,
        env = env::OCTOKEN_PROFILE,
        default_value = "default",
        help_heading = "Global options"
    )]
    pub profile: String,
    /// Show each HTTP exchange on stderr (-vv: headers too, secrets redacted)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// Print no summaries on stderr (errors and warnings still show)
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Global options"
    )]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update a profile and obtain its tokens
    #[command(after_help = "Examples:
  octoken login --issuer https://id.example.com/realms/main --client-id cli
  octoken login -p lab --issuer https://id.example.com --client-id cli --device
  octoken login --issuer URL --client-id portal \\
      --redirect-uri http://localhost:3000/auth/oauth2/callback
  octoken login --issuer URL --client-id cli \\
      --refresh-token-stdin < refresh-token.txt
  OCTOKEN_CLIENT_SECRET=... octoken login --grant client-credentials \\
      --issuer URL --client-id svc
  octoken login --issuer URL --client-id cli --store redis \\
      --redis-url redis://10.0.0.5:6379/0 --store-key-file fleet.key
  octoken login --issuer URL --client-id cli --store redis \\
      --redis-url redis://10.0.0.5:6379/0 --store-key-file fleet.key --attach
  octoken login --issuer URL --client-id cli --acr-values gold --max-age 900 \\
      --login-hint alice@example.com --par")]
    Login(Box<LoginArgs>),
    /// Print a fresh access token (cached while valid, refreshed when not)
    #[command(after_help = "Examples:
  curl -H \"Authorization: Bearer $(octoken token)\" https://api.example.com/
  octoken token --format header | curl -H @- https://api.example.com/
  eval \"$(octoken token --format env)\"
  octoken token --scope read --min-ttl 300
  octoken token --min-acr gold || exit
  curl -H @<(octoken token --dpop-proof GET https://api.example.com/x \\
      --format header) https://api.example.com/x")]
    Token(TokenArgs),
    /// Run a command with a fresh access token in its environment
    #[command(after_help = "Examples:
  octoken exec --env TOKEN -- \\
      sh -c 'curl -H \"Authorization: Bearer $TOKEN\" https://api.example.com/'
  octoken exec --env API_TOKEN -- ./upload-measurements")]
    Exec(ExecArgs),
    /// Refresh now and store the new tokens (a keepalive for cron)
    #[command(after_help = "Examples:
  octoken refresh
  octoken refresh --if-older-than 7d -q     # hourly from cron, refreshes weekly")]
    Refresh(RefreshArgs),
    /// Show a profile's settings and token state (never secrets)
    #[command(after_help = "Examples:
  octoken status
  octoken -p lab status --json")]
    Status(StatusArgs),
    /// Decode the current access token (or a JWT on stdin) locally; no signature check
    #[command(after_help = "Examples:
  octoken inspect
  printf '%s' \"$JWT\" | octoken inspect -")]
    Inspect(InspectArgs),
    /// Ask the server whether a token is active (RFC 7662; confidential clients)
    #[command(after_help = "Examples:
  octoken introspect
  octoken introspect --refresh-token")]
    Introspect(IntrospectArgs),
    /// Revoke the refresh token and delete the stored secrets
    #[command(after_help = "Examples:
  octoken logout
  octoken -p lab logout --local     # the server is gone: forget it here")]
    Logout(LogoutArgs),
    /// A git credential helper: answers git's `get` for its bound hosts with a fresh
    /// access token
    #[command(after_help = "Examples:
  octoken -p work git-credential setup --global https://git.example.com
  octoken git-credential setup --global --username x-token-auth \\
      https://bitbucket.org
  git config --global credential.https://git.example.com:8443.helper \\
      '!octoken -p work git-credential --host git.example.com:8443'")]
    GitCredential(GitCredentialArgs),
    /// A kubectl exec credential plugin: prints an ExecCredential with a fresh token
    #[command(after_help = "Examples:
  octoken -p work kube-credential --print-kubeconfig-user work
  kubectl config set-credentials work \\
      --exec-api-version=client.authentication.k8s.io/v1 \\
      --exec-command=octoken --exec-arg=-p,work,kube-credential \\
      --exec-interactive-mode=Never")]
    KubeCredential(KubeCredentialArgs),
    /// An AWS credential_process: temporary AWS credentials for a role, from STS
    /// AssumeRoleWithWebIdentity with the profile's ID token
    ///
    /// Prints the credential_process JSON (Version 1) and nothing else on stdout; the
    /// credentials are cached per profile and role until shortly before they expire.
    /// In ~/.aws/config, on one line: `credential_process = octoken -p work
    /// aws-credential --role-arn ARN`.
    #[command(after_help = "Examples:
  octoken -p work aws-credential --role-arn arn:aws:iam::123456789012:role/ci
  octoken aws-credential --role-arn arn:aws:iam::123456789012:role/ci \\
      --sts-region eu-west-1 --duration 900 --type access")]
    AwsCredential(AwsCredentialArgs),
    /// A Docker, Podman, Buildah and Skopeo credential helper: a fresh access token for
    /// the registries bound to a profile
    #[command(after_help = "Examples:
  octoken -p work docker-credential setup registry.example.com
  octoken docker-credential install --dir ~/.local/bin
  octoken docker-credential get <<< registry.example.com")]
    DockerCredential(DockerCredentialArgs),
    /// A cargo credential provider (protocol v1): a fresh access token for its bound
    /// registries
    #[command(after_help = "Examples:
  # in .cargo/config.toml, [registries.work]:
  # credential-provider = [\"octoken\", \"-p\", \"work\", \"cargo-credential\",
  #     \"--host\", \"cargo.example.com\"]
  octoken -p work cargo-credential --host cargo.example.com < request.json")]
    CargoCredential(CargoCredentialArgs),
    /// Serve tokens and DPoP proofs over a socket (local scripts, `ssh -R` forwarding)
    #[command(after_help = "Examples:
  eval \"$(octoken agent)\"
  octoken agent --profiles work --no-proofs --idle-timeout 8h
  ssh -R /tmp/octoken.sock:$OCTOKEN_AGENT_SOCK build-box
  OCTOKEN_AGENT_SOCK=/tmp/octoken.sock octoken -p work token   # on build-box
  octoken agent --stop")]
    Agent(AgentArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = "Examples:
  octoken completions bash > ~/.local/share/bash-completion/completions/octoken
  octoken completions fish > ~/.config/fish/completions/octoken.fish")]
    Completions(CompletionsArgs),
    /// Print a man page (roff), or install them all with --dir
    #[command(after_help = "Examples:
  octoken man --dir ~/.local/share/man/man1 && man octoken
  octoken man login | man -l -")]
    Man(ManArgs),
    /// List the profiles: issuer, client, store, and whether each is logged in
    #[command(after_help = "Examples:
  octoken profiles
  octoken profiles --json --check")]
    Profiles(ProfilesArgs),
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Print the list as JSON on stdout
    #[arg(long, conflicts_with = "names")]
    pub json: bool,
    /// Look into each profile's secret store (may touch the keyring); by default only
    /// local files are read
    #[arg(long)]
    pub check: bool,
    /// Only the names, one a line (what shell completion uses)
    #[arg(long)]
    pub names: bool,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print [default: the page of octoken itself]
    pub command: Option<String>,
    /// Write every page (octoken.1 and one for each command) into this directory
    /// instead, e.g. ~/.local/share/man/man1, which `man` searches when ~/.local/bin is
    /// on PATH
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the script for
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Environment variable that carries the token
    #[arg(long = "env", value_name = "NAME", default_value = DEFAULT_TOKEN_VAR)]
    pub env_name: String,
    /// Which token the command gets (id: the login's ID token, or with --audience one
    /// by token exchange)
    #[arg(long = "type", value_enum, default_value_t = TokenTypeArg::Access)]
    pub token_type: TokenTypeArg,
    #[command(flatten)]
    pub fresh: FreshArgs,
    /// The command and its arguments
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// The variable `exec` and `--format env` use unless told otherwise.
pub const DEFAULT_TOKEN_VAR: &str = "OCTOKEN_ACCESS_TOKEN";

/// What makes a token fresh enough, shared by `token`, `exec` and `inspect`.
#[derive(Debug, Args, Clone)]
pub struct FreshArgs {
    /// Refresh when the cached token has fewer seconds than this left
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_MIN_TTL)]
    pub min_ttl: u64,
    /// Ask for fewer scopes than the login granted (cached separately)
    #[arg(long)]
    pub scope: Option<String>,
    /// A token for one of the login's --resource URIs only (RFC 8707; cached separately)
    #[arg(long, value_name = "URI")]
    pub resource: Option<String>,
    /// A token for this audience, exchanged for the profile's own (RFC 8693; cached
    /// separately)
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// Exit 5 instead of printing a cached token with less than --min-ttl left when
    /// renewing it fails for a temporary reason (an expired token is never printed)
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Decode this JWT instead of the current access token ("-": read it from stdin)
    #[arg(value_name = "JWT")]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct IntrospectArgs {
    /// Ask about the stored refresh token instead of the access token
    #[arg(long)]
    pub refresh_token: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMethodArg {
    /// client_secret_basic: id and secret in an HTTP Basic header
    Basic,
    /// client_secret_post: id and secret in the form body
    Post,
    /// A public client: no secret
    None,
    /// private_key_jwt: a JWT signed with the client's key (--client-key-file)
    PrivateKeyJwt,
    /// Mutual TLS (RFC 8705): the certificate in --client-cert, its key in
    /// --client-key-file
    TlsClientAuth,
    /// A client assertion signed by someone else (RFC 7523 2.2, federated: a CI's or
    /// a pod's token), read from --client-assertion-file/-cmd/-env at each request
    ClientAssertion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreArg {
    /// The OS keyring (Secret Service, Keychain, Credential Manager)
    Keyring,
    /// A 0600 file in a 0700 directory under the data dir
    File,
    /// Redis or Valkey, shared by a fleet of hosts (--redis-url)
    Redis,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Issuer URL; endpoints are discovered from it once, here
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Client ID registered at the provider (saved in the profile)
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
    /// The client's private key (PEM) for --auth-method private-key-jwt (PKCS#8 RSA or
    /// EC, or PKCS#1 RSA) or tls-client-auth; the path is saved, the key read at each use
    #[arg(
        long,
        value_name = "PEM",
        visible_alias = "client-key",
        conflicts_with = "client_secret_file"
    )]
    pub client_key_file: Option<PathBuf>,
    /// The client's certificate (PEM) for --auth-method tls-client-auth; its key is
    /// --client-key-file (the paths are saved, the files read at each use)
    #[arg(long, value_name = "PEM")]
    pub client_cert: Option<PathBuf>,
    /// The key id (`kid`) the provider knows the client's key by
    #[arg(long, value_name = "KID")]
    pub client_key_id: Option<String>,
    /// The algorithm of private_key_jwt assertions, where the client is registered for
    /// one the key does not imply (PS256 for an RSA key) [default: RS256 for RSA keys
    /// unless the provider lists only others; ES256/ES384 by curve]
    #[arg(long, value_name = "ALG", value_parser = clap::builder::PossibleValuesParser::new(
        ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
    ))]
    pub client_key_alg: Option<String>,
    /// What private_key_jwt assertions name as their audience: the token endpoint (RFC
    /// 7523; every server takes it) or the issuer alone (FAPI 2.0) [default:
    /// token-endpoint]
    #[arg(long, value_enum, value_name = "AUD")]
    pub client_key_aud: Option<AssertionAudienceArg>,
    /// An API the tokens are for (RFC 8707 resource indicator; repeatable; saved in the
    /// profile)
    #[arg(long, value_name = "URI")]
    pub resource: Vec<String>,
    /// Answer for this container registry in `docker-credential` (HOST or HOST:PORT;
    /// repeatable; saved in the profile, as `docker-credential setup HOST` does)
    #[arg(long = "registry", value_name = "HOST")]
    pub registries: Vec<String>,
    /// The non-standard `audience` parameter some servers (Auth0) want instead of
    /// --resource; with --grant token-exchange, RFC 8693's (repeatable; saved in the
    /// profile)
    #[arg(long, value_name = "AUD")]
    pub audience: Vec<String>,
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
    /// The provider's JWKS, to verify ID token signatures where discovery names none
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,
    /// Allow plain http:// endpoints on hosts other than loopback
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// Proxy URL for this profile (else HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply)
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
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
    /// The fleet's Redis: redis://[USER@]HOST:PORT/DB or rediss:// (TLS, with --ca-file);
    /// the password comes from OCTOKEN_REDIS_PASSWORD or --redis-password-file
    #[arg(long, value_name = "URL", env = env::OCTOKEN_REDIS_URL, help_heading = "Shared store (--store redis)")]
    pub redis_url: Option<String>,
    /// A 0600 file holding the Redis user's password
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Shared store (--store redis)"
    )]
    pub redis_password_file: Option<PathBuf>,
    /// The shared entry's name [default: issuer|client|profile]
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Shared store (--store redis)"
    )]
    pub namespace: Option<String>,
    /// Join a fleet: use the shared entry another host logged in, without a browser
    #[arg(long, help_heading = "Shared store (--store redis)", conflicts_with_all = ["refresh_token_stdin", "device", "client_secret_file"])]
    pub attach: bool,
    /// Seal every value written to Redis with this key (32 random bytes, 0600)
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Shared store (--store redis)"
    )]
    pub store_key_file: Option<PathBuf>,
    /// Seconds a refreshing host holds the fleet's lease [default: 15]
    #[arg(long, value_name = "SECS", help_heading = "Shared store (--store redis)", value_parser = clap::value_parser!(u64).range(1..=crate::config::MAX_LEASE_SECS))]
    pub redis_lease: Option<u64>,
    /// Seconds to wait for Redis to connect or answer [default: 5]
    #[arg(long, value_name = "SECS", help_heading = "Shared store (--store redis)", value_parser = clap::value_parser!(u64).range(1..=crate::config::MAX_TIMEOUT_SECS))]
    pub redis_timeout: Option<u64>,
    /// After each commit, WAIT for this many replicas to acknowledge it
    #[arg(long, value_name = "N", help_heading = "Shared store (--store redis)")]
    pub redis_wait_replicas: Option<u32>,
    /// Bind the tokens to a key of this profile with DPoP (RFC 9449); the key is kept in
    /// the profile's store
    #[arg(long)]
    pub dpop: bool,
    #[command(flatten)]
    pub ci: AssertionArgs,
    /// The DPoP key's algorithm (implies --dpop) [default: ES256]
    #[arg(long, value_enum, value_name = "ALG")]
    pub dpop_alg: Option<DpopAlgArg>,
    /// Sign DPoP proofs with this PKCS#8 private key (RSA for RS256, P-256 for ES256)
    /// instead of a new one; it is copied into the profile's store (implies --dpop)
    #[arg(long, value_name = "PEM")]
    pub dpop_key_file: Option<PathBuf>,
    #[command(flatten)]
    pub sign_in: SignInArgs,
}

/// `login`'s CI and workload identity flags (docs/ci.md): where assertions come from.
/// Each source is saved in the profile and read again at each use; the values never are.
#[derive(Debug, Args, Default, Clone)]
#[group(skip)]
pub struct AssertionArgs {
    /// --grant jwt-bearer: read the assertion from this file (a Kubernetes projected
    /// token)
    #[arg(long, value_name = "PATH", help_heading = CI_HEADING, conflicts_with_all = ["assertion_cmd", "assertion_env"])]
    pub assertion_file: Option<PathBuf>,
    /// --grant jwt-bearer: run this command (split like a shell, run without one) and
    /// read the assertion from its stdout
    #[arg(long, value_name = "CMD", help_heading = CI_HEADING, conflicts_with = "assertion_env")]
    pub assertion_cmd: Option<String>,
    /// --grant jwt-bearer: read the assertion from this environment variable (GitLab's
    /// id_tokens)
    #[arg(long, value_name = "VAR", help_heading = CI_HEADING)]
    pub assertion_env: Option<String>,
    /// --grant token-exchange: read the subject token from this file
    #[arg(long, value_name = "PATH", help_heading = CI_HEADING, conflicts_with_all = ["subject_token_cmd", "subject_token_env"])]
    pub subject_token_file: Option<PathBuf>,
    /// --grant token-exchange: read the subject token from this command's stdout
    #[arg(long, value_name = "CMD", help_heading = CI_HEADING, conflicts_with = "subject_token_env")]
    pub subject_token_cmd: Option<String>,
    /// --grant token-exchange: read the subject token from this variable
    #[arg(long, value_name = "VAR", help_heading = CI_HEADING)]
    pub subject_token_env: Option<String>,
    /// The subject token's type: jwt, id_token, access_token or a URI [default: jwt]
    #[arg(long, value_name = "TYPE", help_heading = CI_HEADING)]
    pub subject_token_type: Option<String>,
    /// --grant token-exchange: read an actor token from this file
    #[arg(long, value_name = "PATH", help_heading = CI_HEADING, conflicts_with_all = ["actor_token_cmd", "actor_token_env"])]
    pub actor_token_file: Option<PathBuf>,
    /// --grant token-exchange: read an actor token from this command's stdout
    #[arg(long, value_name = "CMD", help_heading = CI_HEADING, conflicts_with = "actor_token_env")]
    pub actor_token_cmd: Option<String>,
    /// --grant token-exchange: read an actor token from this variable
    #[arg(long, value_name = "VAR", help_heading = CI_HEADING)]
    pub actor_token_env: Option<String>,
    /// The actor token's type (as --subject-token-type) [default: jwt]
    #[arg(long, value_name = "TYPE", help_heading = CI_HEADING)]
    pub actor_token_type: Option<String>,
    /// --grant token-exchange: the type of token to ask for (access_token, id_token,
    /// jwt or a URI)
    #[arg(long, value_name = "TYPE", help_heading = CI_HEADING)]
    pub requested_token_type: Option<String>,
    /// --auth-method client-assertion: read the client assertion from this file
    #[arg(long, value_name = "PATH", help_heading = CI_HEADING, conflicts_with_all = ["client_assertion_cmd", "client_assertion_env"])]
    pub client_assertion_file: Option<PathBuf>,
    /// --auth-method client-assertion: read it from this command's stdout
    #[arg(long, value_name = "CMD", help_heading = CI_HEADING, conflicts_with = "client_assertion_env")]
    pub client_assertion_cmd: Option<String>,
    /// --auth-method client-assertion: read it from this variable
    #[arg(long, value_name = "VAR", help_heading = CI_HEADING)]
    pub client_assertion_env: Option<String>,
}

const CI_HEADING: &str = "CI and workload identity (docs/ci.md)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AssertionAudienceArg {
    /// The token endpoint URL (RFC 7523)
    TokenEndpoint,
    /// The issuer identifier (FAPI 2.0)
    Issuer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DpopAlgArg {
    /// ECDSA P-256 with SHA-256
    #[value(name = "ES256")]
    Es256,
    /// Ed25519
    #[value(name = "EdDSA")]
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (for servers without EC); needs --dpop-key-file
    #[value(name = "RS256")]
    Rs256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GrantArg {
    /// A person signs in (browser, device flow, or an imported refresh token)
    AuthorizationCode,
    /// Machine to machine: the client's own credentials, no refresh token
    ClientCredentials,
    /// RFC 7523: a signed assertion (a CI job's ID token, a pod's token) read from
    /// --assertion-file/-cmd/-env at each renewal
    JwtBearer,
    /// RFC 8693: a subject token read from --subject-token-file/-cmd/-env at each
    /// renewal, exchanged
    TokenExchange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenFormatArg {
    /// The token and a newline
    Raw,
    /// A JSON object: access_token, token_type, expires_at, expires_in, scope
    Json,
    /// `Authorization: Bearer <token>`, for `curl -H @-`
    Header,
    /// `export NAME='<token>'`, for `eval "$(octoken token --format env)"`
    Env,
}

/// Which token of the profile to hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenTypeArg {
    /// The OAuth 2.0 access token
    Access,
    /// The OpenID Connect ID token (a JWT for the client itself)
    Id,
}

#[derive(Debug, Args)]
pub struct GitCredentialArgs {
    /// What git asks (git appends it): get, store or erase; others are ignored. `setup
    /// URL` writes the git config that runs this helper for URL's host
    #[arg(value_name = "OPERATION")]
    pub operation: String,
    /// With setup: the remote's URL (https://HOST[:PORT]; http only for a loopback host)
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// A host this helper answers for, as git names it (HOST, or HOST:PORT when the
    /// remote's URL has a port); repeatable. Without one it answers nothing
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// With setup: write the user's git config (~/.gitconfig), not the repository's
    #[arg(long)]
    pub global: bool,
    /// The user name sent with the token (GitLab: oauth2, Bitbucket: x-token-auth)
    #[arg(long, value_name = "NAME", default_value = DEFAULT_GIT_USERNAME)]
    pub username: String,
    /// When a login is needed, run the profile's login on this terminal instead of failing
    #[arg(long)]
    pub login: bool,
    #[command(flatten)]
    pub fresh: FreshArgs,
}

/// `--min-ttl`'s default, in seconds.
pub const DEFAULT_MIN_TTL: u64 = 60;

/// The user name git sends with the token unless `--username` says otherwise.
pub const DEFAULT_GIT_USERNAME: &str = "oauth2";

#[derive(Debug, Args)]
pub struct KubeCredentialArgs {
    /// Which token the cluster accepts
    #[arg(long = "type", value_enum, default_value_t = TokenTypeArg::Id)]
    pub token_type: TokenTypeArg,
    /// When a login is needed and kubectl says a person is there, run the profile's login
    #[arg(long)]
    pub login: bool,
    /// Print a kubeconfig `users:` entry named NAME for this profile (with the token flags
    /// given beside it), and exit
    #[arg(long, value_name = "NAME")]
    pub print_kubeconfig_user: Option<String>,
    #[command(flatten)]
    pub fresh: FreshArgs,
}

#[derive(Debug, Args)]
pub struct AwsCredentialArgs {
    /// The IAM role to assume (arn:aws:iam::ACCOUNT:role/NAME); its trust policy names
    /// the provider and the client id as the audience
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// The role session name AWS records (2 to 64 of A-Z a-z 0-9 +=,.@_-) [default:
    /// octoken-PROFILE]
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,
    /// Seconds the credentials last, 900 up to the role's maximum session duration
    /// [default: the role's, one hour]
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
    /// Which token STS gets as the web identity
    #[arg(long = "type", value_enum, default_value_t = TokenTypeArg::Id)]
    pub token_type: TokenTypeArg,
    /// The STS endpoint (https; http only to a loopback address) [default:
    /// https://sts.amazonaws.com]
    #[arg(long, value_name = "URL", conflicts_with = "sts_region")]
    pub sts_endpoint: Option<String>,
    /// Use this region's STS endpoint (https://sts.REGION.amazonaws.com)
    #[arg(long, value_name = "REGION")]
    pub sts_region: Option<String>,
    /// When a login is needed, run the profile's login on this terminal instead of failing
    #[arg(long)]
    pub login: bool,
}

#[derive(Debug, Args)]
pub struct DockerCredentialArgs {
    /// What the tool asks (the registry on stdin): get, store, erase or list. `setup
    /// HOST` binds the profile to a registry; `install` makes the
    /// docker-credential-octoken link the tools run
    #[arg(value_name = "OPERATION")]
    pub operation: String,
    /// With setup: the registry as image names start (HOST, or HOST:PORT)
    #[arg(value_name = "HOST")]
    pub host: Option<String>,
    /// With setup: the user name sent with the token, as the registry wants it
    /// [default: oauth2accesstoken]
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// With install: where to make the link, a directory on PATH [default: octoken's
    /// own]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CargoCredentialArgs {
    /// A registry host this provider answers for, as its index URL names it (HOST, or
    /// HOST:PORT when the URL has a port); repeatable. Without one it answers nothing
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Run by cargo: the words of the credential-provider line come with each request
    #[arg(long, hide = true)]
    pub cargo_plugin: bool,
    #[command(flatten)]
    pub fresh: FreshArgs,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub fresh: FreshArgs,
    /// Which token to print
    #[arg(long = "type", value_enum, default_value_t = TokenTypeArg::Access)]
    pub token_type: TokenTypeArg,
    /// How to print the token: raw, json, header (for curl -H @-) or env (for eval)
    #[arg(long, value_enum, default_value_t = TokenFormatArg::Raw)]
    pub format: TokenFormatArg,
    /// Variable name for --format env
    #[arg(long = "env", value_name = "NAME", default_value = DEFAULT_TOKEN_VAR)]
    pub env_name: String,
    /// Also sign a DPoP proof for this request to the API (a DPoP profile's key); with
    /// --format header: `Authorization: DPoP <token>` and `DPoP: <proof>`
    #[arg(long, num_args = 2, value_names = ["METHOD", "URL"])]
    pub dpop_proof: Option<Vec<String>>,
    /// The nonce the API asked for (its `DPoP-Nonce` header); remembered for its server
    #[arg(long, value_name = "NONCE", requires = "dpop_proof")]
    pub dpop_nonce: Option<String>,
    /// Exit 4 unless the profile's sign-in reached this authentication level (its ID
    /// token's `acr`; one of several given, or a higher number)
    #[arg(long, value_name = "ACR")]
    pub min_acr: Option<String>,
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Stay in the foreground (systemd user units, tests) instead of starting in the
    /// background
    #[arg(long)]
    pub foreground: bool,
    /// The socket (default: $XDG_RUNTIME_DIR/octoken/agent.sock)
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Stop after this long without a connection (e.g. 8h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<std::time::Duration>,
    /// Serve these profiles only (comma-separated); others are refused
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub profiles: Option<Vec<String>>,
    /// Serve tokens only: refuse to sign DPoP proofs
    #[arg(long)]
    pub no_proofs: bool,
    /// Print Bourne shell lines (the default unless $SHELL is csh or fish)
    #[arg(long, group = "syntax")]
    pub sh: bool,
    /// Print csh lines
    #[arg(long, group = "syntax")]
    pub csh: bool,
    /// Print fish lines
    #[arg(long, group = "syntax")]
    pub fish: bool,
    /// Stop the agent on --socket (or $OCTOKEN_AGENT_SOCK)
    #[arg(long, conflicts_with_all = ["foreground", "idle_timeout", "profiles", "no_proofs"])]
    pub stop: bool,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Only refresh when the last successful refresh is older than this (e.g. 12h, 7d)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub if_older_than: Option<std::time::Duration>,
    /// Sleep a random time up to this first, so many hosts on the same schedule do not
    /// ask the provider in the same second (e.g. 10m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub jitter: Option<std::time::Duration>,
}

/// Our own words: humantime's ("time unit needed, for example 12sec or 12ms") name
/// units octoken's examples never use.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "{text} needs a unit: {text}h, {text}m, {text}d or {text}s"
        ));
    }
    humantime::parse_duration(text)
        .map_err(|_| format!("'{text}' is not a duration: use e.g. 90m, 12h, 7d"))
}

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

/// The longest usage message (and tip) shown, in characters.
const MAX_USAGE_CHARS: usize = 1000;

/// A command line clap refused, as one `octoken: error:` line and a hint like every
/// other error, instead of clap's multi-line block. `args` is argv, to name the
/// subcommand whose `--help` the hint points at.
pub fn usage_error(err: &clap::Error, args: &[String]) -> crate::error::Error {
    let rendered = err.render().to_string();
    let mut lines = rendered.lines().map(str::trim);
    // The message: the first paragraph, its lines joined ("invalid value 'x' for
    // '--format <FORMAT>' [possible values: raw, json]").
    let message = lines
        .by_ref()
        .take_while(|line| !line.is_empty())
        .map(|line| line.strip_prefix("error: ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join(" ");
    // Both quote the refused argument: foreign text (kube-credential and git-credential
    // lines, scripts pass arguments too) that clap prints raw but for its own styling.
    let message = crate::sanitize::foreign(&message, MAX_USAGE_CHARS);
    let tip = lines
        .find_map(|line| line.strip_prefix("tip: "))
        .map(|tip| crate::sanitize::foreign(tip, MAX_USAGE_CHARS));
    let command = command_named_in(args);
    let help = format!("see `{command} --help`");
    crate::error::Error::Usage {
        message,
        hint: Some(match tip {
            Some(tip) => format!("{tip}; {help}"),
            None => help,
        }),
    }
}

/// "octoken token" when argv names a subcommand, else "octoken".
fn command_named_in(args: &[String]) -> String {
    use clap::CommandFactory;
    let cli = Cli::command();
    args.iter()
        .skip(1)
        .take_while(|arg| arg.as_str() != "--")
        .find(|arg| cli.find_subcommand(arg.as_str()).is_some())
        .map_or_else(|| "octoken".to_string(), |sub| format!("octoken {sub}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refuse(args: &[&str]) -> (String, Option<String>) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let err = Cli::try_parse_from(&args).unwrap_err();
        match usage_error(&err, &args) {
            crate::error::Error::Usage { message, hint } => (message, hint),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refused_argument_is_quoted_inert() {
        let trap = "\u{9b}2Jx\ry\u{7}\u{202e}z\u{1b}]0;t\u{7}";
        for args in [
            &["octoken", "login", "--auth-method", trap][..],
            &["octoken", "token", "--min-ttl", trap],
            &["octoken", trap],
        ] {
            let (message, hint) = refuse(args);
            let text = format!("{message} {}", hint.unwrap_or_default());
            assert!(
                !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{args:?}: {text:?}"
            );
            assert!(text.contains("x y"), "{args:?}: {text:?}");
        }
    }

    #[test]
    fn refused_command_lines_become_one_line_and_a_hint() {
        let (message, hint) = refuse(&["octoken", "token", "--format", "xml"]);
        assert_eq!(
            message,
            "invalid value 'xml' for '--format <FORMAT>' [possible values: raw, json, header, env]"
        );
        assert_eq!(hint.as_deref(), Some("see `octoken token --help`"));

        let (message, hint) = refuse(&["octoken", "tokne"]);
        assert_eq!(message, "unrecognized subcommand 'tokne'");
        assert_eq!(
            hint.as_deref(),
            Some("a similar subcommand exists: 'token'; see `octoken --help`")
        );

        let (message, _) = refuse(&["octoken", "exec"]);
        assert_eq!(
            message,
            "the following required arguments were not provided: <CMD>..."
        );
        // A subcommand's name after `--` is the user's command's, not ours.
        let (_, hint) = refuse(&["octoken", "-q", "--bogus", "--", "token"]);
        assert_eq!(hint.as_deref(), Some("see `octoken --help`"));
    }
}

/// The command lines other programs build: run as `docker-credential-octoken
/// OPERATION` (the link `docker-credential install` makes, which the tools find on
/// PATH), that of `octoken docker-credential OPERATION`; run by cargo as a credential
/// provider, `octoken --cargo-plugin` (the words of its `credential-provider` line come
/// with each request), that of `octoken cargo-credential --cargo-plugin`. Any other
/// command line is left as it is.
pub fn helper_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let docker = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .is_some_and(|name| name == crate::docker_protocol::HELPER_NAME);
    if docker {
        let mut words = vec!["octoken".into(), "docker-credential".into()];
        words.extend(args.into_iter().skip(1));
        return words;
    }
    if args.len() == 2 && args[1] == "--cargo-plugin" {
        args.insert(1, "cargo-credential".into());
    }
    args
}

/// The command line of the hot path, `octoken token` (optionally with `-p NAME` or
/// `--profile NAME` before or after it), recognised without building clap's command
/// tree: the tree of every subcommand and flag costs more than the rest of a cached
/// `token`. Anything else, or anything unusual, returns None and goes through clap; a
/// unit test checks that both agree on every shape recognised here.
pub fn fast_token(args: &[std::ffi::OsString]) -> Option<Cli> {
    let words: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str())
        .collect::<Option<_>>()?;
    let profile_flag = |w: &str| w == "-p" || w == "--profile";
    // `token --dpop-proof METHOD URL [--dpop-nonce NONCE] [--format header]` at the end
    // (a proof per API request is a hot path too), values clap reads as values only.
    let (words, proof) = fast_proof_tail(&words)?;
    let profile = match words {
        ["token"] => None,
        [flag, name, "token"] | ["token", flag, name] if profile_flag(flag) => Some(*name),
        _ => return None,
    };
    // A value clap would read differently (`-p -x`, `-p ''`) is clap's to judge.
    if profile.is_some_and(|p| p.is_empty() || p.starts_with('-')) {
        return None;
    }
    Some(Cli {
        global: fast_global(profile),
        command: Command::Token(TokenArgs {
            fresh: FreshArgs {
                min_ttl: DEFAULT_MIN_TTL,
                scope: None,
                resource: None,
                audience: None,
                strict: false,
            },
            token_type: TokenTypeArg::Access,
            format: proof.format,
            env_name: DEFAULT_TOKEN_VAR.to_string(),
            dpop_proof: proof.method_url,
            dpop_nonce: proof.nonce,
            min_acr: None,
        }),
    })
}

/// What [`fast_token`] reads after the profile: a proof's flags, or nothing.
struct FastProof {
    method_url: Option<Vec<String>>,
    nonce: Option<String>,
    format: TokenFormatArg,
}

/// Splits `... --dpop-proof METHOD URL [--dpop-nonce NONCE] [--format header]` off the
/// end of `words`; with no `--dpop-proof` the words are returned whole. None for
/// anything clap might read otherwise (a value starting with `-` or empty).
fn fast_proof_tail<'w>(words: &'w [&'w str]) -> Option<(&'w [&'w str], FastProof)> {
    let plain = FastProof {
        method_url: None,
        nonce: None,
        format: TokenFormatArg::Raw,
    };
    let Some(at) = words.iter().position(|w| *w == "--dpop-proof") else {
        return Some((words, plain));
    };
    let value = |w: &&str| !w.is_empty() && !w.starts_with('-');
    let (nonce, format) = match &words[at..] {
        ["--dpop-proof", m, u] if value(m) && value(u) => (None, TokenFormatArg::Raw),
        ["--dpop-proof", m, u, "--format", "header"] if value(m) && value(u) => {
            (None, TokenFormatArg::Header)
        }
        ["--dpop-proof", m, u, "--dpop-nonce", n] if [m, u, n].iter().all(|w| value(w)) => {
            (Some(n.to_string()), TokenFormatArg::Raw)
        }
        [
            "--dpop-proof",
            m,
            u,
            "--dpop-nonce",
            n,
            "--format",
            "header",
        ] if [m, u, n].iter().all(|w| value(w)) => (Some(n.to_string()), TokenFormatArg::Header),
        _ => return None,
    };
    let proof = FastProof {
        method_url: Some(vec![words[at + 1].to_string(), words[at + 2].to_string()]),
        nonce,
        format,
    };
    Some((&words[..at], proof))
}

/// The command lines the registries' tools run, recognised without clap as
/// [`fast_token`] is (a tool may run its helper for every image layer or crate):
/// `[-p NAME] docker-credential get|store|erase|list` (what `docker-credential-octoken
/// OPERATION` becomes) and `cargo-credential --cargo-plugin` (what cargo's `octoken
/// --cargo-plugin` becomes). Anything else is clap's.
pub fn fast_helper(args: &[std::ffi::OsString]) -> Option<Cli> {
    let words: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str())
        .collect::<Option<_>>()?;
    let (profile, rest) = profile_prefix(&words)?;
    let command = match rest {
        [
            "docker-credential",
            op @ ("get" | "store" | "erase" | "list"),
        ] => Command::DockerCredential(DockerCredentialArgs {
            operation: op.to_string(),
            host: None,
            username: None,
            dir: None,
        }),
        ["cargo-credential", "--cargo-plugin"] => {
            Command::CargoCredential(cargo_args(Vec::new(), true))
        }
        _ => return None,
    };
    Some(Cli {
        global: GlobalArgs {
            profile,
            verbose: 0,
            quiet: false,
        },
        command,
    })
}

/// A credential-provider line's words in their usual shape, `[-p NAME]
/// cargo-credential [--host HOST]...`, without clap: the profile and the hosts. None
/// for anything else (clap's to read).
pub fn fast_cargo_words(words: &[&str]) -> Option<(String, CargoCredentialArgs)> {
    let (profile, rest) = profile_prefix(words)?;
    let ["cargo-credential", flags @ ..] = rest else {
        return None;
    };
    let mut hosts = Vec::new();
    for pair in flags.chunks(2) {
        match pair {
            ["--host", host] if !host.is_empty() && !host.starts_with('-') => {
                hosts.push(host.to_string());
            }
            _ => return None,
        }
    }
    Some((profile, cargo_args(hosts, false)))
}

/// `-p NAME` or `--profile NAME` first (else OCTOKEN_PROFILE or the default), and the
/// words after it. None for a value clap would read differently.
fn profile_prefix<'a, 'b>(words: &'a [&'b str]) -> Option<(String, &'a [&'b str])> {
    match words {
        [flag, name, rest @ ..] if *flag == "-p" || *flag == "--profile" => {
            (!name.is_empty() && !name.starts_with('-')).then(|| (name.to_string(), rest))
        }
        _ => Some((default_profile(), words)),
    }
}

/// The profile when the command line names none: OCTOKEN_PROFILE, else `default`.
fn default_profile() -> String {
    env::var(env::OCTOKEN_PROFILE).unwrap_or_else(|| "default".to_string())
}

/// The global flags of a command line read without clap (the fast paths): the profile
/// it names or the default one, no -v, no -q.
fn fast_global(profile: Option<&str>) -> GlobalArgs {
    GlobalArgs {
        profile: profile.map_or_else(default_profile, str::to_string),
        verbose: 0,
        quiet: false,
    }
}

fn cargo_args(hosts: Vec<String>, cargo_plugin: bool) -> CargoCredentialArgs {
    CargoCredentialArgs {
        hosts,
        cargo_plugin,
        fresh: FreshArgs {
            min_ttl: DEFAULT_MIN_TTL,
            scope: None,
            resource: None,
            audience: None,
            strict: false,
        },
    }
}

#[cfg(test)]
mod fast_helper_tests {
    use super::*;

    #[test]
    fn the_fast_helper_paths_read_exactly_what_clap_reads() {
        let shapes: [&[&str]; 6] = [
            &["octoken", "docker-credential", "get"],
            &["octoken", "docker-credential", "list"],
            &["octoken", "-p", "work", "docker-credential", "erase"],
            &["octoken", "--profile", "w.2", "docker-credential", "store"],
            &["octoken", "cargo-credential", "--cargo-plugin"],
            &[
                "octoken",
                "-p",
                "work",
                "cargo-credential",
                "--cargo-plugin",
            ],
        ];
        for shape in shapes {
            let args: Vec<std::ffi::OsString> = shape.iter().map(Into::into).collect();
            let fast = fast_helper(&args).expect("recognised");
            let mut slow = Cli::try_parse_from(&args).unwrap();
            if !shape.contains(&"-p") && !shape.contains(&"--profile") {
                slow.global.profile = fast.global.profile.clone();
            }
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{shape:?}");
        }
        for other in [
            &["octoken", "docker-credential", "setup", "h"][..],
            &["octoken", "docker-credential", "get", "-v"],
            &["octoken", "-v", "docker-credential", "get"],
            &["octoken", "-p", "-q", "docker-credential", "get"],
            &["octoken", "cargo-credential", "--host", "h"],
            &["octoken", "token"],
        ] {
            let args: Vec<std::ffi::OsString> = other.iter().map(Into::into).collect();
            assert!(fast_helper(&args).is_none(), "{other:?}");
        }
    }

    #[test]
    fn the_fast_provider_words_read_exactly_what_clap_reads() {
        let shapes: [&[&str]; 4] = [
            &["cargo-credential", "--host", "cargo.example.com"],
            &[
                "-p",
                "work",
                "cargo-credential",
                "--host",
                "a",
                "--host",
                "b:8",
            ],
            &["--profile", "work", "cargo-credential"],
            &["cargo-credential"],
        ];
        for words in shapes {
            let (profile, fast) = fast_cargo_words(words).expect("recognised");
            let argv = std::iter::once("octoken").chain(words.iter().copied());
            let slow = Cli::try_parse_from(argv).unwrap();
            let Command::CargoCredential(slow_args) = slow.command else {
                panic!("{words:?}")
            };
            assert_eq!(format!("{fast:?}"), format!("{slow_args:?}"), "{words:?}");
            if words.contains(&"work") {
                assert_eq!(profile, slow.global.profile);
            }
        }
        for other in [
            &["cargo-credential", "--host"][..],
            &["cargo-credential", "--host", "--min-ttl"],
            &["cargo-credential", "--min-ttl", "5"],
            &["-v", "cargo-credential"],
            &["token"],
            &[],
        ] {
            assert!(fast_cargo_words(other).is_none(), "{other:?}");
        }
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;

    #[test]
    fn the_fast_token_path_reads_exactly_what_clap_reads() {
        let shapes: [&[&str]; 9] = [
            &["octoken", "token"],
            &["octoken", "-p", "work", "token"],
            &["octoken", "--profile", "work", "token"],
            &["octoken", "token", "-p", "work"],
            &["octoken", "token", "--profile", "w.2_x"],
            &[
                "octoken",
                "token",
                "--dpop-proof",
                "GET",
                "https://api/x?y=1",
            ],
            &[
                "octoken",
                "-p",
                "w",
                "token",
                "--dpop-proof",
                "POST",
                "https://a/",
                "--format",
                "header",
            ],
            &[
                "octoken",
                "token",
                "-p",
                "w",
                "--dpop-proof",
                "GET",
                "https://a/",
                "--dpop-nonce",
                "n1",
            ],
            &[
                "octoken",
                "token",
                "--dpop-proof",
                "GET",
                "https://a/",
                "--dpop-nonce",
                "n",
                "--format",
                "header",
            ],
        ];
        for shape in shapes {
            let args: Vec<std::ffi::OsString> = shape.iter().map(Into::into).collect();
            let fast = fast_token(&args).expect("recognised");
            let mut slow = Cli::try_parse_from(&args).unwrap();
            if !shape.contains(&"-p") && !shape.contains(&"--profile") {
                // clap's default comes from OCTOKEN_PROFILE too; compare with the same.
                slow.global.profile = fast.global.profile.clone();
            }
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{shape:?}");
        }
        for other in [
            &["octoken", "token", "--format", "json"][..],
            &["octoken", "-v", "token"],
            &["octoken", "-p", "-q", "token"],
            &["octoken", "token", "extra"],
            &["octoken", "token", "--dpop-proof", "GET"],
            &["octoken", "token", "--dpop-proof", "GET", "-x"],
            &[
                "octoken",
                "token",
                "--dpop-proof",
                "GET",
                "https://a/",
                "--format",
                "json",
            ],
            &[
                "octoken",
                "token",
                "--dpop-proof",
                "GET",
                "https://a/",
                "--dpop-nonce",
                "",
            ],
            &[
                "octoken",
                "token",
                "--dpop-nonce",
                "n",
                "--dpop-proof",
                "GET",
                "https://a/",
            ],
            &[
                "octoken",
                "token",
                "--dpop-proof",
                "GET",
                "https://a/",
                "-p",
                "w",
            ],
            &["octoken", "status"],
            &["octoken"],
        ] {
            let args: Vec<std::ffi::OsString> = other.iter().map(Into::into).collect();
            assert!(fast_token(&args).is_none(), "{other:?}");
        }
    }
}

/// `login`'s additions to the authorization request, saved in the profile (`docs/login.md`
/// "Stronger sign-in"). A flag given replaces the saved value; an empty value removes it.
#[derive(Debug, Default, Args)]
pub struct SignInArgs {
    /// Ask for these authentication context classes (`acr_values`, e.g. "gold" or "2");
    /// the ID token's `acr` must then be one of them
    #[arg(long, value_name = "ACRS", help_heading = "Sign-in request")]
    pub acr_values: Option<String>,
    /// The person must have authenticated within SECS (`max_age`; 0: sign in again now)
    #[arg(long, value_name = "SECS", help_heading = "Sign-in request")]
    pub max_age: Option<String>,
    /// Accept a weaker `acr` or an older `auth_time` than asked for, with a warning
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set, help_heading = "Sign-in request")]
    pub acr_optional: Option<bool>,
    /// Which account to sign in with (`login_hint`: an email address or user name)
    #[arg(long, value_name = "HINT", help_heading = "Sign-in request")]
    pub login_hint: Option<String>,
    /// `prompt`: login, consent, select_account or none (several, space-separated);
    /// replaces the prompt=consent of --prompt-consent
    #[arg(long, value_name = "PROMPT", help_heading = "Sign-in request")]
    pub prompt: Option<String>,
    /// Languages for the sign-in pages (`ui_locales`, e.g. "de en")
    #[arg(long, value_name = "LOCALES", help_heading = "Sign-in request")]
    pub ui_locales: Option<String>,
    /// The `claims` request parameter, a JSON object (OIDC Core 5.5), e.g.
    /// '{"id_token":{"acr":{"essential":true,"values":["gold"]}}}'
    #[arg(long, value_name = "JSON", help_heading = "Sign-in request")]
    pub claims: Option<String>,
    /// Any other authorization parameter (repeatable), e.g. kc_idp_hint=github
    #[arg(long, value_name = "NAME=VALUE", help_heading = "Sign-in request")]
    pub auth_param: Vec<String>,
    /// Push the request to the provider first (PAR, RFC 9126): the browser gets only a
    /// reference [default: when the provider requires it]
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set, help_heading = "Sign-in request")]
    pub par: Option<bool>,
    /// Send the request as a JWT signed with the client's key (JAR, RFC 9101; needs
    /// --auth-method private-key-jwt)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set, help_heading = "Sign-in request")]
    pub request_object: Option<bool>,
}
