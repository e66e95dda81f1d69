//! `octoken login`: create or update a profile and obtain its tokens, by one of:
//! - a browser sign-in through a loopback redirect (authorization code + PKCE), default;
//! - the device flow (`--device`) for machines without a browser;
//! - importing a refresh token from stdin (`--refresh-token-stdin`), verified by a refresh;
//! - client credentials (`--grant client-credentials`) for machine clients;
//! - an assertion read from its source (`--grant jwt-bearer`, `--grant token-exchange`)
//!   for CI jobs and pods (docs/ci.md).
//!
//! Nothing is saved unless the server has issued or accepted the tokens.

mod assertion;
mod client_secret;
mod device;
mod dpop;
mod fleet;
mod pushed;
mod redirect;

use crate::config::{Grant, Profile};
use crate::error::{Error, Result};
use crate::network::Network;
use crate::oauth::ClientAuth;
use crate::oauth::client_key::ClientKeyAlg;
use crate::oauth::discovery::{self, DISCOVERY, Metadata};
use crate::oauth::dpop::DpopSigner;
use crate::oauth::grant::{self, TokenResponse};
use crate::oauth::{AuthMethod, OAuthError};
use crate::output;
use crate::secret::Secret;
use crate::session::Session;
use crate::settings::{
    ClientSecretSource, LoginMethod, LoginSettings, ProfileSettings, check_endpoint,
};
use crate::store::{self, StoreOptions, StoredSecrets};
use std::io::Read;

/// How long a sign-in may take, and the command that tries again when it ran out.
#[derive(Clone, Copy)]
struct Wait<'a> {
    timeout: std::time::Duration,
    again: &'a str,
}

fn wait(login: &LoginSettings) -> Wait<'_> {
    Wait {
        timeout: login.timeout,
        again: &login.again,
    }
}

/// Refresh tokens are a few KiB at most; refuse to slurp more than this from stdin.
const MAX_STDIN: u64 = 64 * 1024;

pub fn run(mut login: LoginSettings) -> Result<()> {
    let result = sign_in(&mut login);
    result.map_err(|err| at_login(err, &login))
}

/// Errors as they read at login: nothing is stored yet, so an unreachable server is a
/// configuration problem naming the host (not "temporary: the stored token is
/// unchanged"), and a public client the server wants authenticated is told how.
fn at_login(err: Error, login: &LoginSettings) -> Error {
    let Error::OAuth(oauth) = &err else {
        return err;
    };
    let again = &login.again;
    match oauth {
        OAuthError::Transport {
            endpoint,
            url,
            message,
            ..
        } => {
            let host = url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| url.clone());
            Error::Config {
                message: format!(
                    "cannot reach {host} (the {endpoint}): {message}; nothing was saved"
                ),
                hint: Some(format!(
                    "check the host in --issuer (or --token-url) and the network or proxy, then run `{again}` again"
                )),
            }
        }
        e if e.is_temporary() => Error::Temporary {
            message: format!("{e}; nothing was saved"),
            hint: format!("the provider has a temporary problem: run `{again}` again later"),
        },
        e if login.auth_method == AuthMethod::None
            && matches!(
                e.server_code(),
                Some("invalid_client" | "unauthorized_client")
            ) =>
        {
            Error::Config {
                message: format!(
                    "{e}: the provider treats client '{}' as confidential",
                    login.client_id
                ),
                hint: Some(format!(
                    "give the client's secret: {}=... or --client-secret-file PATH (with --auth-method basic or post)",
                    crate::env::OCTOKEN_CLIENT_SECRET
                )),
            }
        }
        _ => err,
    }
}

fn sign_in(login: &mut LoginSettings) -> Result<()> {
    if login.attach {
        return fleet::attach(login);
    }
    if let Some(redis) = &login.store_options().redis {
        // Before anyone signs in: a fleet entry nobody may attach to is no use.
        fleet::check_sealed_for_keys(redis, login.auth_method)?;
    }
    let imported = match login.method {
        LoginMethod::Import => Some(read_refresh_token()?),
        _ => None,
    };
    let mut client_secret = client_secret::client_secret(login)?;
    // The store is checked before a person spends time signing in.
    store::open(&login.global.profile, &login.store_options()).probe()?;
    let dpop_key = match &login.dpop {
        Some(source) => Some(dpop::key(login, source)?),
        None => None,
    };
    let network = Network::new(&login.http)?;
    let mut metadata = endpoints(&network, login)?;
    // The one discovered endpoint not saved in the profile faces the https rule here.
    if let Some(url) = &metadata.pushed_authorization_request_endpoint
        && let Err(e) = check_endpoint(url, login.allow_insecure_http)
    {
        output::debug(1, format!("not using the provider's PAR endpoint: {e}"));
        metadata.pushed_authorization_request_endpoint = None;
    }
    if matches!(login.client_secret, ClientSecretSource::IfConfidential)
        && matches!(login.method, LoginMethod::Browser(_))
        && let Some((method, secret)) =
            client_secret::unless_public(&network, &metadata.token_endpoint, login)?
    {
        // Before the browser opens: the profile is saved with this method, and the
        // secret is stored with the refresh token.
        login.auth_method = method;
        client_secret = Some(secret);
    }
    let mut profile = new_profile(login, &metadata);
    profile.dpop = dpop_key.as_ref().map(|(key, _)| key.alg());
    // Discovered endpoints face the same https rule as typed ones, reported as input errors.
    let mut settings =
        ProfileSettings::from_profile(&login.global.profile, &profile, &login.global)?;
    let dpop = match dpop_key {
        Some((key, stored)) => {
            dpop::check_provider(key.alg(), &metadata)?;
            Some((DpopSigner::new(key, None), stored))
        }
        None => None,
    };
    let mut client = crate::session::client_auth(&settings, client_secret.clone())?;
    if let Some(alg) = assertion_alg(&settings, &metadata, &client) {
        // The profile is the one source: the algorithm the provider takes is saved in
        // it, and the settings and the client's authentication derived from it again.
        profile.client_key_alg = Some(alg);
        settings = ProfileSettings::from_profile(&login.global.profile, &profile, &login.global)?;
        client = crate::session::client_auth(&settings, client_secret.clone())?;
    }
    client.dpop = dpop.as_ref().map(|(signer, _)| signer.clone());
    let now = login.global.now;

    let (response, initial_refresh_token) = match &login.method {
        LoginMethod::Import => {
            let refresh_token = imported.expect("read above for Import");
            let mut request =
                grant::refresh_request(&settings.endpoints.token, &client, &refresh_token, None);
            settings.name_the_resource(&mut request);
            let response = exchange(&network, &request, now).map_err(|e| match e {
                Error::OAuth(ref o) if o.server_code() == Some("invalid_grant") => {
                    Error::LoginRequired {
                        message: format!("the server rejected the imported refresh token ({e})"),
                        hint: "get a new refresh token from the provider and import it again"
                            .into(),
                    }
                }
                other => other,
            })?;
            (response, Some(refresh_token))
        }
        LoginMethod::Browser(how) => {
            let (response, pushed) = redirect::sign_in(
                &network,
                &settings,
                &metadata,
                &client,
                how,
                &wait(login),
                now,
            )?;
            // The provider wants this client's requests pushed: later logins push at once.
            profile.sign_in.par |= pushed;
            check_offline_access(&settings, &response)?;
            (response, None)
        }
        LoginMethod::Device => {
            let response = device::sign_in(&network, &settings, &client, &wait(login), now)?;
            device::check_sign_in(&settings, &response, now)?;
            check_offline_access(&settings, &response)?;
            (response, None)
        }
        LoginMethod::ClientCredentials => {
            let scope = Some(settings.scope.as_str());
            let mut request =
                grant::client_credentials_request(&settings.endpoints.token, &client, scope);
            settings.ask_for_resources(&mut request);
            (exchange(&network, &request, now)?, None)
        }
        LoginMethod::Assertion => (
            assertion::sign_in(&network, &settings, &metadata, &client, now)?,
            None,
        ),
    };
    let first = initial_refresh_token.or_else(|| response.refresh_token.clone());
    let mut secrets = StoredSecrets::new(first, client_secret);
    secrets.dpop_key = dpop.as_ref().map(|(_, stored)| stored.clone());
    if client.dpop.is_some() && !response.access.token_type.eq_ignore_ascii_case("DPoP") {
        output::warn(format!(
            "the server issued {} tokens, not DPoP-bound ones: it ignored the DPoP proof",
            response.access.token_type
        ));
    }
    finish(
        login,
        profile,
        &settings,
        network,
        secrets,
        client.dpop.as_ref(),
        response,
    )
}

/// private_key_jwt without `--client-key-alg`: the algorithm to use instead of the
/// key's usual one when the provider lists algorithms for assertions and not that one
/// (PS256 for an RSA key at a server that takes only PSS). Saved with the profile, so
/// later refreshes need no discovery.
fn assertion_alg(
    settings: &ProfileSettings,
    metadata: &Metadata,
    client: &ClientAuth,
) -> Option<ClientKeyAlg> {
    if settings.client_key.as_ref()?.alg.is_some() {
        // The user's choice stands, even where the provider's list disagrees.
        return None;
    }
    let signer = client.assertion.as_ref()?;
    let listed = metadata
        .token_endpoint_auth_signing_alg_values_supported
        .as_ref()?;
    let takes = |alg: &ClientKeyAlg| listed.iter().any(|name| name == alg.as_str());
    if takes(&signer.alg) {
        return None;
    }
    let pick = signer.key.algs().into_iter().find(takes);
    match pick {
        Some(alg) => output::debug(
            1,
            format!(
                "the provider takes no {} client assertions; signing them {}",
                signer.alg.as_str(),
                alg.as_str()
            ),
        ),
        None => output::warn(format!(
            "the provider lists none of the algorithms this {} key signs (it lists {}); trying {}",
            signer.key.kind(),
            crate::sanitize::foreign(&listed.join(", "), 200),
            signer.alg.as_str()
        )),
    }
    pick
}

fn exchange(
    network: &Network,
    request: &crate::oauth::FormRequest,
    now: u64,
) -> Result<TokenResponse> {
    let response = network.post(request)?;
    Ok(grant::parse_token_response(&response, now)?)
}

/// OIDC Core 11: a server may drop offline_access silently. Say so, instead of storing
/// a login that dies with the session.
fn check_offline_access(settings: &ProfileSettings, response: &TokenResponse) -> Result<()> {
    let asked = settings
        .scope
        .split_whitespace()
        .any(|s| s == "offline_access");
    if asked && response.refresh_token.is_none() {
        return Err(Error::Other {
            message: "the provider issued no refresh token although offline_access was asked for"
                .into(),
            hint: Some(
                "the client probably lacks the offline_access scope or role at the provider; \
                 or the provider needs prompt=consent (--prompt-consent true, or consent among --prompt)"
                    .into(),
            ),
        });
    }
    Ok(())
}

/// The profile to save: the login's settings and the discovered endpoints.
fn new_profile(login: &LoginSettings, metadata: &Metadata) -> Profile {
    let previous = login.previous.as_ref();
    Profile {
        issuer: login.issuer.clone(),
        client_id: login.client_id.clone(),
        auth_method: login.auth_method,
        scope: login.scope.clone(),
        store: login.store,
        grant: login.grant,
        token_url: metadata.token_endpoint.clone(),
        authorization_url: metadata.authorization_endpoint.clone(),
        revocation_url: metadata.revocation_endpoint.clone(),
        device_url: metadata.device_authorization_endpoint.clone(),
        jwks_url: metadata.jwks_uri.clone(),
        introspection_url: metadata.introspection_endpoint.clone(),
        mtls_endpoint_aliases: metadata.uses_mtls_aliases,
        ca_file: login.ca_file.clone(),
        allow_insecure_http: login.allow_insecure_http,
        prompt_consent: login.prompt_consent,
        idle_limit_days: previous.and_then(|p| p.idle_limit_days),
        proxy: login.proxy.clone(),
        redirect_uri: login.redirect_uri.clone(),
        connect_timeout: previous.and_then(|p| p.connect_timeout),
        request_timeout: previous.and_then(|p| p.request_timeout),
        // Set from the key itself (a key file's type decides it).
        dpop: None,
        redis: login.redis.clone(),
        client_key_file: login.client_key.as_ref().map(|k| k.path.clone()),
        client_key_id: login.client_key.as_ref().and_then(|k| k.kid.clone()),
        client_key_alg: login.client_key.as_ref().and_then(|k| k.alg),
        client_key_aud: login.client_key.as_ref().and_then(|k| k.aud),
        client_cert_file: login.client_cert.clone(),
        resource: login.resources.clone(),
        audience: login.audience.clone(),
        assertion: login.assertion.assertion.clone(),
        exchange: login.assertion.exchange.clone(),
        client_assertion: login.assertion.client_assertion.clone(),
        sign_in: login.sign_in.clone(),
        // Bound with `docker-credential setup`; a new login keeps the bindings.
        docker: previous.and_then(|p| p.docker.clone()),
    }
}

/// Saves what the server issued: secrets first, then the profile, cache and state.
fn finish(
    login: &mut LoginSettings,
    profile: Profile,
    settings: &ProfileSettings,
    network: Network,
    secrets: StoredSecrets,
    dpop: Option<&DpopSigner>,
    response: TokenResponse,
) -> Result<()> {
    let global = &login.global;
    let session = Session::with(
        settings,
        global.now,
        store::open(&settings.name, &settings.store),
        Box::new(network),
    );
    session.store().save(&secrets)?;
    // What the caches hold belongs to the session this login replaces (perhaps another
    // person's): its ID token (which `--type id`, `--min-acr` and `aws-credential` would
    // go on using when this login's answer carries none), the narrowed and exchanged
    // tokens, the AWS credentials. They go before the new session's are written.
    for file in global.paths.cache_files(&global.profile) {
        crate::fsutil::remove(&file)?;
    }
    session.keep_dpop_nonce(dpop, &settings.endpoints.token);
    // Replaces the imported token if the server rotated it on the verifying refresh.
    let token = session.persist(&secrets, response, None)?;
    if let Some(redis) = &settings.store.redis {
        fleet::share(redis, &profile, &token)?;
    }

    if let Some(old) = &login.previous
        && old.store != settings.store.kind
    {
        let old_store = store::open(
            &settings.name,
            &StoreOptions {
                kind: old.store,
                ..settings.store.clone()
            },
        );
        if let Err(e) = old_store.delete() {
            output::warn(format!(
                "could not remove the secrets from the old {} store: {e}",
                old.store.as_str()
            ));
        }
    }
    login
        .config
        .profiles
        .insert(global.profile.clone(), profile);
    let bound = crate::flow::docker_credential::bind_all(
        &mut login.config,
        &global.profile,
        &login.registries,
    );
    login.config.save(&global.paths.config_file())?;
    crate::flow::docker_credential::tell_bound(&global.profile, &bound);
    let store = settings.store.kind.as_str();
    let kept = match (settings.grant, &settings.client_key) {
        (Grant::RefreshToken, _) => format!("refresh token in the {store} store"),
        (Grant::ClientCredentials, Some(key)) => {
            format!("client key read from {}", key.path.display())
        }
        (Grant::ClientCredentials, None) => match &settings.assertion.client_assertion {
            Some(source) => format!(
                "client assertion read from the {} at each request",
                crate::assertion::describe(source)
            ),
            None => format!("client secret in the {store} store"),
        },
        (Grant::JwtBearer | Grant::TokenExchange, _) => assertion::kept(settings),
    };
    output::notice(format!(
        "octoken: logged in: profile '{}', {kept}, access token valid for {}",
        global.profile,
        output::human_duration(token.remaining(global.now))
    ));
    Ok(())
}

fn read_refresh_token() -> Result<Secret> {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_STDIN)
        .read_to_string(&mut text)
        .map_err(|e| Error::usage(format!("cannot read the refresh token from stdin: {e}")))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::Usage {
            message: "no refresh token on stdin".into(),
            hint: Some("pipe it in: `octoken login ... --refresh-token-stdin < token.txt`".into()),
        });
    }
    if token.chars().any(char::is_whitespace) {
        return Err(Error::usage(
            "the refresh token on stdin contains whitespace; paste only the token",
        ));
    }
    Ok(Secret::new(token))
}

/// Explicit endpoints when given, else discovery from the issuer.
fn endpoints(network: &Network, login: &LoginSettings) -> Result<Metadata> {
    let explicit = &login.explicit;
    if let Some(token_url) = &explicit.token_url {
        return Ok(Metadata {
            token_endpoint: token_url.clone(),
            authorization_endpoint: explicit.authorization_url.clone(),
            revocation_endpoint: explicit.revocation_url.clone(),
            device_authorization_endpoint: explicit.device_url.clone(),
            jwks_uri: explicit.jwks_url.clone(),
            ..Metadata::default()
        });
    }
    let Some(issuer) = login.issuer.as_deref() else {
        return Err(Error::usage(
            "--issuer (or --token-url for servers without discovery) is required",
        ));
    };
    let mut last_err = None;
    for url in discovery::candidate_urls(issuer) {
        match network.get(DISCOVERY, &url) {
            Ok(resp) if resp.status == 404 => {
                output::debug(1, format!("no metadata at {url}"));
                last_err = Some(Error::Config {
                    message: format!("no discovery document for issuer {issuer}"),
                    hint: Some(
                        "check the issuer URL, or give the endpoints with --token-url (and --revocation-url)".into(),
                    ),
                });
            }
            Ok(resp) => {
                let mut metadata = discovery::parse(&resp, issuer)?;
                if login.http.client_identity.is_some() {
                    use_mtls_aliases(&mut metadata, login)?;
                }
                if login.auth_method == AuthMethod::PrivateKeyJwt {
                    keep_assertions_home(&mut metadata);
                }
                // Explicit flags still win over single discovered endpoints.
                if let Some(u) = &explicit.revocation_url {
                    metadata.revocation_endpoint = Some(u.clone());
                }
                if let Some(u) = &explicit.authorization_url {
                    metadata.authorization_endpoint = Some(u.clone());
                }
                if let Some(u) = &explicit.device_url {
                    metadata.device_authorization_endpoint = Some(u.clone());
                }
                if let Some(u) = &explicit.jwks_url {
                    metadata.jwks_uri = Some(u.clone());
                }
                return Ok(metadata);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        Error::config(format!("no discovery document for issuer {issuer}"), None)
    }))
}

/// private_key_jwt: the revocation, introspection and device endpoints get the same
/// client assertion as the token endpoint (its `aud` names the token endpoint or the
/// issuer). A discovery document that puts one of them on another server would collect
/// assertions it can replay where that audience is valid, so such an endpoint is left
/// out, with a warning (`--revocation-url` and friends still set one by hand).
fn keep_assertions_home(metadata: &mut Metadata) {
    let home = crate::oauth::dpop::origin(&metadata.token_endpoint);
    for (name, slot) in [
        ("revocation", &mut metadata.revocation_endpoint),
        ("introspection", &mut metadata.introspection_endpoint),
        (
            "device authorization",
            &mut metadata.device_authorization_endpoint,
        ),
    ] {
        if let Some(url) = slot.as_deref()
            && crate::oauth::dpop::origin(url) != home
        {
            output::warn(format!(
                "the provider's {name} endpoint {url} is on another server than its token endpoint ({home}), and octoken sends client assertions only there: {name} is left out"
            ));
            *slot = None;
        }
    }
}

/// RFC 8705 5: a login that presents a client certificate sends every request of its
/// own to the provider's mTLS aliases, which then stay in the profile like any
/// discovered endpoint. An endpoint given by flag wins over its alias as over the plain
/// one. Each alias used faces the https rule here, named, before anything is sent.
fn use_mtls_aliases(metadata: &mut Metadata, login: &LoginSettings) -> Result<()> {
    let Some(aliases) = metadata.mtls_endpoint_aliases.as_mut() else {
        return Ok(());
    };
    let explicit = &login.explicit;
    for (given, alias) in [
        (&explicit.revocation_url, &mut aliases.revocation_endpoint),
        (
            &explicit.device_url,
            &mut aliases.device_authorization_endpoint,
        ),
        (&explicit.jwks_url, &mut aliases.jwks_uri),
    ] {
        if given.is_some() {
            *alias = None;
        }
    }
    for (name, url) in aliases.listed() {
        check_endpoint(url, login.allow_insecure_http).map_err(|e| match e {
            Error::Usage { message, .. } => Error::Usage {
                message: format!("the provider's {name}: {message}"),
                hint: Some(
                    "the provider's discovery document names it for clients with a certificate: \
                     have it fixed there, or pass --allow-insecure-http if you must"
                        .into(),
                ),
            },
            other => other,
        })?;
    }
    metadata.use_mtls_aliases();
    if metadata.uses_mtls_aliases {
        output::debug(
            1,
            format!(
                "client certificate: using the provider's mTLS endpoint aliases, token endpoint {}",
                metadata.token_endpoint
            ),
        );
    }
    Ok(())
}
