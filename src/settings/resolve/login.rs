//! `login`'s settings: flags merged over the existing profile, before discovery.

use crate::cli::{AssertionAudienceArg, AuthMethodArg, GrantArg, LoginArgs, StoreArg};
use crate::config::{Grant, Profile, StoreKind};
use crate::error::{Error, Result};
use crate::network::http::{ClientIdentity, HttpOptions};
use crate::oauth::AuthMethod;
use crate::oauth::client_key::{AssertionAudience, ClientKeyAlg};
use crate::open_url::Browser;
use crate::settings::{
    ClientSecretSource, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SCOPE,
    ExplicitEndpoints, Global, LoginMethod, LoginSettings, check_endpoint,
};
use std::path::PathBuf;
use std::time::Duration;

use super::login_fleet::{RedisFlags, redis_for_store};
use super::login_keys::{client_cert_file, client_key, dpop_key};

pub fn resolve(args: LoginArgs, global: Global) -> Result<LoginSettings> {
    let again = super::again::login_again(&global.profile, &args);
    let LoginArgs {
        issuer,
        client_id,
        auth_method,
        scope,
        store,
        ca_file,
        client_secret_file,
        client_key_file,
        client_key_id,
        client_key_alg,
        client_key_aud,
        client_cert,
        resource,
        audience,
        refresh_token_stdin,
        token_url,
        auth_url,
        revocation_url,
        device_url,
        jwks_url,
        allow_insecure_http,
        proxy,
        grant,
        device,
        redirect_uri,
        browser,
        no_browser,
        timeout,
        prompt_consent,
        dpop,
        dpop_alg,
        dpop_key_file,
        redis_url,
        redis_password_file,
        namespace,
        attach,
        store_key_file,
        redis_lease,
        redis_timeout,
        redis_wait_replicas,
        ci,
        sign_in,
        registries,
    } = args;
    let ca_file = absolute("--ca-file", ca_file)?;
    let client_secret_file = absolute("--client-secret-file", client_secret_file)?;
    let client_key_file = absolute("--client-key-file", client_key_file)?;
    let client_cert = absolute("--client-cert", client_cert)?;
    let redis_password_file = absolute("--redis-password-file", redis_password_file)?;
    let store_key_file = absolute("--store-key-file", store_key_file)?;
    let config = global.load_config()?;
    let previous = config.profiles.get(&global.profile).cloned();
    let prev = previous.as_ref();
    let grant = match grant {
        GrantArg::AuthorizationCode => Grant::RefreshToken,
        GrantArg::ClientCredentials => Grant::ClientCredentials,
        GrantArg::JwtBearer => Grant::JwtBearer,
        GrantArg::TokenExchange => Grant::TokenExchange,
    };
    // An attach by --namespace learns the client from the shared entry.
    let attach_by_namespace = attach && namespace.is_some();
    let client_id = client_id
        .or_else(|| prev.map(|p| p.client_id.clone()))
        .or_else(|| attach_by_namespace.then(String::new))
        .ok_or_else(|| Error::Usage {
            message: "--client-id is required for a new profile".into(),
            hint: Some("octoken login --issuer URL --client-id ID".into()),
        })?;
    // Only an explicit method may prompt for a secret.
    let secret_given = global.env.client_secret.is_some() || client_secret_file.is_some();
    let explicit_method = auth_method.is_some();
    let auth_method = auth_method_of(
        auth_method,
        (
            client_cert.is_some(),
            client_key_file.is_some(),
            super::login_assertion::client_assertion_given(&ci),
        ),
        secret_given,
        prev,
    );
    let key_options = key_options(client_key_alg, client_key_aud, auth_method)?;
    let client_key = client_key(
        auth_method,
        client_key_file,
        client_key_id,
        key_options,
        prev,
    )?;
    let client_cert = client_cert_file(auth_method, client_cert, prev)?;
    let sign_in = super::login_sign_in::sign_in(sign_in, prev, auth_method)?;
    // Given ones replace the profile's; none given keeps them.
    let resources = if resource.is_empty() {
        prev.map(|p| p.resource.clone()).unwrap_or_default()
    } else {
        for uri in &resource {
            check_resource(uri)?;
        }
        resource
    };
    let audience = audience
        .filter(|a| !a.trim().is_empty())
        .or_else(|| prev.and_then(|p| p.audience.clone()));
    let store = match store {
        Some(StoreArg::Keyring) => StoreKind::Keyring,
        Some(StoreArg::File) => StoreKind::File,
        Some(StoreArg::Redis) => StoreKind::Redis,
        None => prev.map_or(StoreKind::Keyring, |p| p.store),
    };
    let allow_insecure_http = allow_insecure_http || prev.is_some_and(|p| p.allow_insecure_http);
    let explicit = ExplicitEndpoints {
        token_url,
        authorization_url: auth_url,
        revocation_url,
        device_url,
        jwks_url,
    };
    let issuer = issuer_of(
        issuer,
        &explicit,
        prev,
        allow_insecure_http,
        attach_by_namespace,
    )?;
    let method = login_method(
        grant,
        auth_method,
        (refresh_token_stdin, device),
        (browser, no_browser),
    )?;
    // An attaching host takes the client's method and secret from the shared entry.
    let client_secret = match attach {
        true => ClientSecretSource::None,
        false => client_secret_source(
            (auth_method, explicit_method),
            (&global.env.client_secret, client_secret_file),
            prev.filter(|p| p.client_id == client_id),
            prev.is_none(),
        ),
    };
    let assertion = super::login_assertion::resolve(ci, grant, auth_method, store, prev)?;
    let dpop = dpop_key(dpop, dpop_alg, dpop_key_file, attach, prev)?;
    let ca_file = ca_file.or_else(|| prev.and_then(|p| p.ca_file.clone()));
    check_proxy(proxy.as_deref())?;
    let redis = redis_for_store(
        store,
        attach,
        RedisFlags {
            url: redis_url,
            password_file: redis_password_file,
            namespace,
            key_file: store_key_file,
            lease: redis_lease,
            timeout: redis_timeout,
            wait_replicas: redis_wait_replicas,
        },
        prev.and_then(|p| p.redis.as_ref()),
        issuer.as_deref().or(explicit.token_url.as_deref()),
        (&client_id, &global.profile),
    )?;
    let proxy = proxy.or_else(|| prev.and_then(|p| p.proxy.clone()));
    // What was not given comes from the profile, where a relative path is refused.
    let redis_paths = redis.as_ref();
    check_saved_paths(
        &global,
        [
            ca_file.as_deref(),
            client_key.as_ref().map(|k| k.path.as_path()),
            client_cert.as_deref(),
            redis_paths.and_then(|r| r.password_file.as_deref()),
            redis_paths.and_then(|r| r.key_file.as_deref()),
        ],
    )?;
    Ok(LoginSettings {
        issuer,
        client_id,
        auth_method,
        scope: scope
            .or_else(|| prev.map(|p| p.scope.clone()))
            .unwrap_or_else(|| match grant {
                Grant::RefreshToken => DEFAULT_SCOPE.to_string(),
                // Machine clients have no user: no openid, no offline access.
                Grant::ClientCredentials | Grant::JwtBearer | Grant::TokenExchange => String::new(),
            }),
        store,
        http: HttpOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            ca_file: ca_file.clone(),
            proxy: proxy.clone(),
            client_identity: match (&client_cert, &client_key) {
                (Some(cert), Some(key)) => Some(ClientIdentity {
                    cert: cert.clone(),
                    key: key.path.clone(),
                }),
                _ => None,
            },
        },
        ca_file,
        allow_insecure_http,
        explicit,
        client_secret,
        grant,
        method,
        timeout: Duration::from_secs(timeout),
        prompt_consent: prompt_consent.or_else(|| prev.and_then(|p| p.prompt_consent)),
        proxy,
        redirect_uri: redirect_uri.or_else(|| prev.and_then(|p| p.redirect_uri.clone())),
        dpop,
        client_key,
        client_cert,
        resources,
        audience,
        sign_in,
        registries: super::registries::login_registries(registries, &global.profile)?,
        assertion,
        config,
        previous,
        redis,
        attach,
        again,
        global,
    })
}

/// Saved in the profile, every path must name the same file from any directory: a
/// relative --ca-file, read later from a directory an attacker controls, loaded the
/// attacker's CA. Lexically absolute (std::path::absolute), links kept as given: a
/// mounted secret or /etc/ssl/certs entry is a link whose target is swapped on
/// rotation, and the file is judged (owner, mode) after following links at each use.
fn absolute(flag: &str, path: Option<PathBuf>) -> Result<Option<PathBuf>> {
    path.map(|p| {
        std::path::absolute(&p).map_err(|e| Error::Usage {
            message: format!(
                "{flag} '{}': {e}",
                crate::sanitize::foreign(&p.display().to_string(), 200)
            ),
            hint: Some(format!("give {flag} the path of an existing file")),
        })
    })
    .transpose()
}

/// The client's authentication method. The default follows what the user gave (most
/// CLI clients are public, RFC 8252): a certificate means mutual TLS, a key file alone
/// private_key_jwt, a secret a confidential client (basic), nothing a public one
/// (none). An existing profile keeps its method.
fn auth_method_of(
    given: Option<AuthMethodArg>,
    (cert_given, key_given, assertion_given): (bool, bool, bool),
    secret_given: bool,
    prev: Option<&Profile>,
) -> AuthMethod {
    match given {
        Some(AuthMethodArg::Basic) => AuthMethod::Basic,
        Some(AuthMethodArg::Post) => AuthMethod::Post,
        Some(AuthMethodArg::None) => AuthMethod::None,
        Some(AuthMethodArg::PrivateKeyJwt) => AuthMethod::PrivateKeyJwt,
        Some(AuthMethodArg::TlsClientAuth) => AuthMethod::TlsClientAuth,
        Some(AuthMethodArg::ClientAssertion) => AuthMethod::ClientAssertion,
        // A client assertion's source means federated client authentication.
        None if assertion_given => AuthMethod::ClientAssertion,
        None if cert_given => AuthMethod::TlsClientAuth,
        None if key_given => AuthMethod::PrivateKeyJwt,
        None => match prev {
            Some(p) if !(secret_given && p.auth_method == AuthMethod::None) => p.auth_method,
            _ if secret_given => AuthMethod::Basic,
            _ => AuthMethod::None,
        },
    }
}

/// `--client-key-alg` and `--client-key-aud`, which only a private_key_jwt client uses.
fn key_options(
    alg: Option<String>,
    aud: Option<AssertionAudienceArg>,
    auth_method: AuthMethod,
) -> Result<(Option<ClientKeyAlg>, Option<AssertionAudience>)> {
    let alg = alg.map(|name| {
        ClientKeyAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .expect("clap allows only these names")
    });
    let aud = aud.map(|aud| match aud {
        AssertionAudienceArg::TokenEndpoint => AssertionAudience::TokenEndpoint,
        AssertionAudienceArg::Issuer => AssertionAudience::Issuer,
    });
    for (given, flag) in [
        (alg.is_some(), "--client-key-alg"),
        (aud.is_some(), "--client-key-aud"),
    ] {
        if given && auth_method != AuthMethod::PrivateKeyJwt {
            return Err(Error::Usage {
                message: format!(
                    "{flag} goes with --auth-method private-key-jwt, not {}",
                    auth_method.as_str()
                ),
                hint: Some(format!(
                    "drop {flag}, or pass --auth-method private-key-jwt"
                )),
            });
        }
    }
    Ok((alg, aud))
}

/// The issuer (given, or the profile's unless explicit endpoints replace discovery);
/// it and every explicit endpoint face the https rule.
fn issuer_of(
    issuer: Option<String>,
    explicit: &ExplicitEndpoints,
    prev: Option<&Profile>,
    allow_insecure_http: bool,
    attach_by_namespace: bool,
) -> Result<Option<String>> {
    let issuer = match issuer.map(|i| i.trim_end_matches('/').to_string()) {
        Some(i) => Some(i),
        None if explicit.token_url.is_some() => None,
        None => prev.and_then(|p| p.issuer.clone()),
    };
    if issuer.is_none() && explicit.token_url.is_none() && prev.is_none() && !attach_by_namespace {
        return Err(Error::Usage {
            message: "--issuer (or --token-url for servers without discovery) is required".into(),
            hint: Some(
                "octoken login --issuer https://id.example.com/realms/main --client-id ID".into(),
            ),
        });
    }
    for url in issuer.iter().chain(
        [
            &explicit.token_url,
            &explicit.authorization_url,
            &explicit.revocation_url,
            &explicit.device_url,
            &explicit.jwks_url,
        ]
        .into_iter()
        .flatten(),
    ) {
        check_endpoint(url, allow_insecure_http)?;
    }
    Ok(issuer)
}

/// How the login obtains its first tokens, and for a browser login which browser.
fn login_method(
    grant: Grant,
    auth_method: AuthMethod,
    (refresh_token_stdin, device): (bool, bool),
    (browser, no_browser): (Option<String>, bool),
) -> Result<LoginMethod> {
    Ok(match grant {
        Grant::ClientCredentials => {
            if refresh_token_stdin || device {
                return Err(Error::usage(
                    "--grant client-credentials takes neither --refresh-token-stdin nor --device",
                ));
            }
            if auth_method == AuthMethod::None {
                return Err(Error::Usage {
                    message: "client credentials need a confidential client".into(),
                    hint: Some("use --auth-method basic or post".into()),
                });
            }
            LoginMethod::ClientCredentials
        }
        Grant::JwtBearer | Grant::TokenExchange => {
            if refresh_token_stdin || device {
                return Err(Error::usage(
                    "--grant jwt-bearer and token-exchange take neither --refresh-token-stdin nor --device",
                ));
            }
            LoginMethod::Assertion
        }
        Grant::RefreshToken if refresh_token_stdin => LoginMethod::Import,
        Grant::RefreshToken if device => LoginMethod::Device,
        Grant::RefreshToken => LoginMethod::Browser(match (browser, no_browser) {
            (_, true) => Browser::None,
            (Some(cmd), false) => Browser::Command(cmd),
            (None, false) => match crate::env::var(crate::env::BROWSER) {
                Some(list) => Browser::List(list),
                None if no_display() => Browser::Unavailable(
                    "there is no display here (DISPLAY and WAYLAND_DISPLAY are unset)".into(),
                ),
                None => Browser::Default,
            },
        }),
    })
}

/// Where the client secret comes from. Only a secret the user chose to keep out of the
/// flags is asked for: an explicit method, or this client (`same_client`: the saved
/// profile of the same client id) saved with one, whose secret was lost from the store.
fn client_secret_source(
    (auth_method, explicit_method): (AuthMethod, bool),
    (env_secret, file): (&Option<crate::secret::Secret>, Option<PathBuf>),
    same_client: Option<&Profile>,
    new_profile: bool,
) -> ClientSecretSource {
    let saved_confidential =
        same_client.is_some_and(|p| matches!(p.auth_method, AuthMethod::Basic | AuthMethod::Post));
    match (auth_method, env_secret, file) {
        // Public by default, which the provider may contradict (the flow asks it).
        (AuthMethod::None, _, _) if !explicit_method && new_profile => {
            ClientSecretSource::IfConfidential
        }
        (
            AuthMethod::None
            | AuthMethod::PrivateKeyJwt
            | AuthMethod::TlsClientAuth
            | AuthMethod::ClientAssertion,
            _,
            _,
        ) => ClientSecretSource::None,
        (_, Some(secret), _) => ClientSecretSource::Env(secret.clone()),
        (_, None, Some(path)) => ClientSecretSource::File(path),
        (_, None, None) => ClientSecretSource::Stored {
            may_prompt: explicit_method || saved_confidential,
        },
    }
}

/// Each path the profile will hold (`crate::settings::PATH_KEYS` order), given or
/// saved: a relative saved path is refused.
fn check_saved_paths(global: &Global, paths: [Option<&std::path::Path>; 5]) -> Result<()> {
    for ((key, flag), path) in crate::settings::PATH_KEYS.into_iter().zip(paths) {
        crate::settings::check_saved_path(
            &global.profile,
            key,
            flag,
            path,
            &global.paths.config_file(),
        )?;
    }
    Ok(())
}

/// config.toml is no place for a password: a proxy URL with credentials is refused.
fn check_proxy(proxy: Option<&str>) -> Result<()> {
    if let Some(url) = proxy.and_then(|p| url::Url::parse(p).ok())
        && (!url.username().is_empty() || url.password().is_some())
    {
        return Err(Error::Usage {
            message: "--proxy must not carry credentials (they would be saved in config.toml)"
                .into(),
            hint: Some(
                "give the proxy without user:password and put the full URL in HTTPS_PROXY in the environment instead".into(),
            ),
        });
    }
    Ok(())
}

/// The stored profile's own login with no flags, as `octoken login -p NAME` runs it
/// (its grant, the browser from BROWSER or the default one): what `git-credential
/// --login` and `kube-credential --login` run when a login is needed.
pub fn for_stored_profile(global: Global) -> Result<LoginSettings> {
    let grant = match global.load_config()?.profiles.get(&global.profile) {
        Some(profile) if profile.grant == Grant::ClientCredentials => GrantArg::ClientCredentials,
        Some(profile) if profile.grant == Grant::JwtBearer => GrantArg::JwtBearer,
        Some(profile) if profile.grant == Grant::TokenExchange => GrantArg::TokenExchange,
        _ => GrantArg::AuthorizationCode,
    };
    let args = LoginArgs {
        issuer: None,
        client_id: None,
        auth_method: None,
        scope: None,
        store: None,
        ca_file: None,
        client_secret_file: None,
        client_key_file: None,
        client_key_id: None,
        client_key_alg: None,
        client_key_aud: None,
        client_cert: None,
        resource: Vec::new(),
        registries: Vec::new(),
        audience: None,
        refresh_token_stdin: false,
        token_url: None,
        auth_url: None,
        revocation_url: None,
        device_url: None,
        jwks_url: None,
        allow_insecure_http: false,
        proxy: None,
        grant,
        device: false,
        redirect_uri: None,
        browser: None,
        no_browser: false,
        timeout: 300,
        prompt_consent: None,
        dpop: false,
        dpop_alg: None,
        dpop_key_file: None,
        redis_url: None,
        redis_password_file: None,
        namespace: None,
        attach: false,
        store_key_file: None,
        redis_lease: None,
        redis_timeout: None,
        redis_wait_replicas: None,
        sign_in: crate::cli::SignInArgs::default(),
        ci: crate::cli::AssertionArgs::default(),
    };
    resolve(args, global)
}

/// RFC 8707 2: a resource is an absolute URI without a fragment.
fn check_resource(uri: &str) -> Result<()> {
    match url::Url::parse(uri) {
        Ok(url) if url.fragment().is_none() => Ok(()),
        _ => Err(Error::Usage {
            message: format!(
                "--resource '{}' is not an absolute URI without a fragment",
                crate::sanitize::foreign(uri, 200)
            ),
            hint: Some("give the API's URI, e.g. https://api.example.com/".into()),
        }),
    }
}

/// Linux outside WSL with no X11 or Wayland display: the platform's opener (xdg-open)
/// would start and fail quietly, leaving the person waiting for a browser that never
/// appears (an SSH session, a server).
fn no_display() -> bool {
    cfg!(target_os = "linux")
        && !crate::open_url::is_wsl()
        && crate::env::var(crate::env::DISPLAY).is_none_or(|v| v.is_empty())
        && crate::env::var(crate::env::WAYLAND_DISPLAY).is_none_or(|v| v.is_empty())
}
