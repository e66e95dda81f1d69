//! Login with the shared store (`--store redis`): after a sign-in the client's settings
//! and the first access token go to the fleet's entry too; `--attach` joins a fleet
//! without a browser, from what the entry holds.

use crate::access_token::AccessToken;
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::oauth::AuthMethod;
use crate::output;
use crate::settings::{LoginSettings, ProfileSettings};
use crate::store::redis::{RedisOptions, Shared};
use std::path::PathBuf;

/// Without a key, anyone who can read that Redis database can use the tokens: said once.
fn warn_unsealed(redis: &RedisOptions) {
    if redis.key_file.is_none() {
        output::warn(format!(
            "the tokens in Redis are not encrypted: anyone with access to {} can use them (seal them with --store-key-file PATH)",
            redis.url
        ));
    }
}

/// A fleet whose client authenticates with a key must be sealed. The key (and the
/// certificate) never leave each host, but the shared entry says where a host sends
/// its requests and what its assertions name as audience: unsealed, whoever can write
/// that database could have an attaching host sign assertions for them to replay.
pub fn check_sealed_for_keys(redis: &RedisOptions, method: AuthMethod) -> Result<()> {
    let keyed = matches!(
        method,
        AuthMethod::PrivateKeyJwt | AuthMethod::TlsClientAuth
    );
    if keyed && redis.key_file.is_none() {
        return Err(Error::Usage {
            message: format!(
                "a fleet whose client authenticates with {} needs a sealed entry: unsealed, anyone who can write to {} decides where this host sends its client credentials",
                method.as_str(),
                redis.url
            ),
            hint: Some(
                "give every host the same --store-key-file PATH (32 random bytes, 0600)".into(),
            ),
        });
    }
    Ok(())
}

/// After a login: the client's settings (for hosts attaching) and the access token.
pub fn share(redis: &RedisOptions, profile: &Profile, token: &AccessToken) -> Result<()> {
    warn_unsealed(redis);
    let shared = Shared::new(redis.clone());
    let v = shared.write_client(&profile.for_fleet())?;
    shared.publish_access(v, token)
}

/// The client's key (and certificate) files on this host for a fleet whose client
/// authenticates with them: each host has its own copy, named at `--attach`.
fn local_key_files(
    login: &LoginSettings,
    method: AuthMethod,
) -> Result<(Option<PathBuf>, Option<PathBuf>)> {
    let key = login.client_key.as_ref().map(|k| k.path.clone());
    let cert = login.client_cert.clone();
    let needs = |what: &str| Error::Usage {
        message: format!(
            "the fleet's client authenticates with {}: this host needs its own copy of {what}",
            method.as_str()
        ),
        hint: Some(match method {
            AuthMethod::TlsClientAuth => {
                "octoken login --store redis --attach ... --client-cert PEM --client-key PEM".into()
            }
            _ => "octoken login --store redis --attach ... --client-key PEM".into(),
        }),
    };
    match method {
        AuthMethod::PrivateKeyJwt => Ok((Some(key.ok_or_else(|| needs("the client key"))?), None)),
        AuthMethod::TlsClientAuth => Ok((
            Some(key.ok_or_else(|| needs("the client key"))?),
            Some(cert.ok_or_else(|| needs("the client certificate"))?),
        )),
        // A secret-based client: key files given here would be ignored, so refuse them.
        _ if key.is_some() || cert.is_some() => Err(Error::Usage {
            message: format!(
                "the fleet's client authenticates with {}, not with a key or certificate",
                method.as_str()
            ),
            hint: Some("drop --client-key / --client-cert".into()),
        }),
        _ => Ok((None, None)),
    }
}

/// `login --attach`: checks the shared entry exists (and opens with the key, if any),
/// then writes only the local profile, with the client's settings from the entry.
pub fn attach(login: &mut LoginSettings) -> Result<()> {
    let options = login.store_options();
    let redis = options
        .redis
        .clone()
        .expect("resolve sets redis with --attach");
    warn_unsealed(&redis);
    let shared = Shared::new(redis.clone());
    shared.probe()?;
    let missing = || {
        Error::LoginRequired {
        message: format!("no shared entry in {}", shared.describe()),
        hint: "log in on one host first with the same --store redis settings (without --attach), or give its --namespace".into(),
    }
    };
    let client = shared.client()?.ok_or_else(missing)?;
    check_sealed_for_keys(&redis, client.auth_method)?;
    // An entry an earlier octoken sealed without its version is re-sealed with it once,
    // here, where a person asks to follow it; `token` never opens one (an attacker could
    // put such a value back forever).
    let v = shared.reseal_legacy(login.global.now)?;
    // This host follows the entry as it is now: the highest version it saw before
    // (another fleet, a lost Redis) no longer counts.
    shared.adopt_version(v)?;
    let (_, secrets) = shared.load_versioned()?;
    if secrets.is_none() {
        return Err(missing());
    }
    if !login.client_id.is_empty() && login.client_id != client.client_id {
        return Err(Error::Usage {
            message: format!(
                "the shared entry is for client '{}', not '{}'",
                crate::sanitize::foreign(&client.client_id, 200),
                login.client_id
            ),
            hint: Some("give the fleet's --client-id, or its --namespace".into()),
        });
    }
    let (client_key_file, client_cert_file) = local_key_files(login, client.auth_method)?;
    let local_key = login.client_key.as_ref();
    let previous = login.previous.as_ref();
    // The client's settings come from the entry, this host's own from its flags: every
    // field is named on one side, so a new one must be sorted (see Profile::for_fleet).
    let Profile {
        issuer,
        client_id,
        auth_method,
        scope,
        store: _,
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
        sign_in: _,
        // Never in an entry: a fleet with CI assertions is refused at login.
        assertion: _,
        exchange: _,
        client_assertion: _,
        // This host's registry bindings are its own (kept from its previous profile).
        docker: _,
    } = client;
    let profile = Profile {
        issuer,
        client_id,
        auth_method,
        scope,
        store: login.store,
        grant,
        token_url,
        authorization_url,
        revocation_url,
        device_url,
        introspection_url,
        mtls_endpoint_aliases,
        jwks_url,
        ca_file: login.ca_file.clone(),
        allow_insecure_http: login.allow_insecure_http,
        prompt_consent: login.prompt_consent,
        idle_limit_days: previous.and_then(|p| p.idle_limit_days),
        proxy: login.proxy.clone(),
        redirect_uri: login.redirect_uri.clone(),
        connect_timeout: previous.and_then(|p| p.connect_timeout),
        request_timeout: previous.and_then(|p| p.request_timeout),
        dpop,
        redis: login.redis.clone(),
        client_key_file,
        client_cert_file,
        // This host's own flags win over the entry's (its key file may be another copy
        // with another kid, say).
        client_key_id: local_key.and_then(|k| k.kid.clone()).or(client_key_id),
        client_key_alg: local_key.and_then(|k| k.alg).or(client_key_alg),
        client_key_aud: local_key.and_then(|k| k.aud).or(client_key_aud),
        resource,
        audience,
        sign_in: login.sign_in.clone(),
        // A fleet's profile never reads assertions (refused at login).
        assertion: None,
        exchange: None,
        client_assertion: None,
        docker: previous.and_then(|p| p.docker.clone()),
    };
    // The shared endpoints face the same https rule as typed ones.
    ProfileSettings::from_profile(&login.global.profile, &profile, &login.global)?;
    let global = &login.global;
    // The caches of the session this replaces (see `finish` in login/mod.rs).
    for file in global.paths.cache_files(&global.profile) {
        crate::fsutil::remove(&file)?;
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
    output::notice(format!(
        "octoken: attached profile '{}' to the shared entry in {}",
        global.profile,
        shared.describe()
    ));
    Ok(())
}
