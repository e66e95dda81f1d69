//! `octoken login`: create or update a profile and obtain its refresh token.
//! With `--refresh-token-stdin` an existing refresh token is imported and verified by
//! one refresh; nothing is saved unless the server accepts it.

use crate::cli::LoginArgs;
use crate::config::Profile;
use crate::env;
use crate::error::{Error, Result};
use crate::flow::Network;
use crate::flow::refresh::persist;
use crate::oauth::discovery::{self, DISCOVERY, Metadata};
use crate::oauth::grant;
use crate::oauth::http::HttpOptions;
use crate::output;
use crate::secret::Secret;
use crate::settings::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, Global, LoginSettings, ProfileSettings,
};
use crate::store::{self, StoredSecrets};
use std::io::{IsTerminal, Read};
use std::time::Duration;

/// Refresh tokens are a few KiB at most; refuse to slurp more than this from stdin.
const MAX_STDIN: u64 = 64 * 1024;

pub fn run(global: &Global, args: &LoginArgs) -> Result<()> {
    let mut config = global.load_config()?;
    let previous = config.profiles.get(&global.profile).cloned();
    let login = LoginSettings::resolve(args, previous)?;
    if !args.refresh_token_stdin {
        return Err(Error::Usage {
            message: "browser login is not built yet; import a refresh token instead".into(),
            hint: Some("pipe one in: `octoken login ... --refresh-token-stdin < token.txt`".into()),
        });
    }
    let refresh_token = read_refresh_token()?;
    let client_secret = client_secret(global, &login)?;

    let network = Network::new(&HttpOptions {
        connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT),
        request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT),
        ca_file: login.ca_file.as_deref(),
    })?;
    let metadata = endpoints(&network, &login)?;
    let profile = Profile {
        issuer: login.issuer.clone(),
        client_id: login.client_id.clone(),
        auth_method: login.auth_method,
        scope: login.scope.clone(),
        store: login.store,
        token_url: metadata.token_endpoint,
        authorization_url: metadata.authorization_endpoint,
        revocation_url: metadata.revocation_endpoint,
        device_url: metadata.device_authorization_endpoint,
        introspection_url: metadata.introspection_endpoint,
        ca_file: login.ca_file.clone(),
        allow_insecure_http: login.allow_insecure_http,
        connect_timeout: login.previous.as_ref().and_then(|p| p.connect_timeout),
        request_timeout: login.previous.as_ref().and_then(|p| p.request_timeout),
    };
    let settings = ProfileSettings::from_profile(&global.profile, profile, &global.paths).map_err(
        |e| match e {
            Error::Config { message, hint } => Error::Usage { message, hint },
            other => other,
        },
    )?;

    // Verify the import with one refresh before anything is saved.
    let secrets = StoredSecrets::new(Some(refresh_token), client_secret);
    let client = settings.client(secrets.client_secret.clone());
    let request = grant::refresh_request(
        &settings.profile.token_url,
        &client,
        secrets.refresh_token.as_ref().expect("just set"),
        None,
    );
    let response = network
        .post(&request)
        .map_err(Error::from)
        .and_then(|r| grant::parse_token_response(&r, global.now).map_err(Error::from))
        .map_err(|e| match e {
            Error::OAuth(ref o) if o.server_code() == Some("invalid_grant") => {
                Error::LoginRequired {
                    message: format!("the server rejected the imported refresh token ({e})"),
                    hint: "get a new refresh token from the provider and import it again".into(),
                }
            }
            other => other,
        })?;

    let store = store::open(settings.profile.store, &global.paths, &global.profile);
    // Save the imported token first, then let `persist` replace it if the server rotated.
    store.save(&secrets)?;
    let token = persist(&settings, store.as_ref(), &secrets, response, global.now)?;

    if let Some(old) = &login.previous
        && old.store != settings.profile.store
    {
        let old_store = store::open(old.store, &global.paths, &global.profile);
        if let Err(e) = old_store.delete() {
            output::warn(format!(
                "could not remove the secrets from the old {} store: {e}",
                old.store.as_str()
            ));
        }
    }
    config
        .profiles
        .insert(global.profile.clone(), settings.profile.clone());
    config.save(&global.paths.config_file())?;
    output::notice(format!(
        "octoken: logged in: profile '{}', refresh token in the {} store, access token valid for {}",
        global.profile,
        settings.profile.store.as_str(),
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

/// The client secret: env, file, the one already stored for this profile, or a prompt.
fn client_secret(global: &Global, login: &LoginSettings) -> Result<Option<Secret>> {
    if login.auth_method == crate::config::AuthMethod::None {
        return Ok(None);
    }
    if let Some(secret) = env::var(env::OCTOKEN_CLIENT_SECRET) {
        return Ok(Some(Secret::new(secret)));
    }
    if let Some(path) = &login.client_secret_file {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Usage {
            message: format!("cannot read the client secret file {}: {e}", path.display()),
            hint: None,
        })?;
        let secret = text.trim();
        if secret.is_empty() {
            return Err(Error::usage(format!("{} is empty", path.display())));
        }
        return Ok(Some(Secret::new(secret)));
    }
    if let Some(prev) = &login.previous
        && prev.client_id == login.client_id
        && let Ok(Some(stored)) = store::open(prev.store, &global.paths, &global.profile).load()
        && stored.client_secret.is_some()
    {
        return Ok(stored.client_secret);
    }
    if std::io::stderr().is_terminal() {
        // rpassword reads from the terminal itself, so this works with stdin piped too.
        let secret = rpassword::prompt_password("Client secret: ")
            .map_err(|e| Error::usage(format!("cannot read the client secret: {e}")))?;
        return Ok(Some(Secret::new(secret.trim())));
    }
    Err(Error::Usage {
        message: format!(
            "client '{}' uses --auth-method {} and needs a client secret",
            login.client_id,
            login.auth_method.as_str()
        ),
        hint: Some(format!(
            "set {} or pass --client-secret-file PATH (never on the command line)",
            env::OCTOKEN_CLIENT_SECRET
        )),
    })
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
            ..Metadata::default()
        });
    }
    let issuer = login
        .issuer
        .as_deref()
        .expect("resolve checked issuer or token_url");
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
                return Ok(metadata);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last_err.expect("at least one candidate URL"))
}
