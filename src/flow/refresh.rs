//! The refresh grant, done so that a refresh token is never lost:
//! - one refresh per profile at a time across processes (lock, then check again);
//! - a rotated refresh token is stored before any access token is handed out, and if
//!   storing fails it goes to a 0600 recovery file that the next run picks up;
//! - a failed refresh never deletes the stored token; `invalid_grant` re-reads the
//!   store once, since another process or machine may have rotated it meanwhile.

use crate::config::Grant;
use crate::error::{Error, Result};
use crate::flow::Network;
use crate::fsutil;
use crate::oauth::grant::{self, TokenResponse};
use crate::output;
use crate::secret::Secret;
use crate::settings::{ProfileSettings, lock_timeout};
use crate::store::lock::ProfileLock;
use crate::store::state::State;
use crate::store::{self, SecretStore, StoredSecrets, cache};
use crate::token::{AccessToken, Freshness};

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `token`: refresh only if no other process did while we waited for the lock.
    IfStale { min_ttl: u64 },
    /// `refresh`: always make the request (the keepalive).
    Always,
}

/// Refreshes under the profile lock and returns the access token to use.
/// `scope`: a narrower scope set than the login's, cached separately.
pub fn refresh(
    settings: &ProfileSettings,
    now: u64,
    mode: Mode,
    scope: Option<&str>,
) -> Result<AccessToken> {
    let _lock = ProfileLock::acquire(&settings.lock_file(), lock_timeout())?;
    if let Mode::IfStale { min_ttl } = mode
        && let Some(token) = cache::load(&settings.cache_file(scope), &settings.cache_key())
        && let Freshness::Fresh { .. } = token.freshness(now, min_ttl)
    {
        output::debug(1, "another process refreshed meanwhile; using its token");
        return Ok(token);
    }
    let store = store::open(settings.profile.store, &settings.paths, &settings.name);
    let secrets = load_secrets(settings, store.as_ref())?;
    let network = Network::new(&settings.http_options())?;
    let (response, used) = match exchange(&network, settings, &secrets, now, scope) {
        Ok(response) => (response, secrets),
        Err(err) if is_invalid_grant(&err) => {
            // Another process or machine may have rotated the token since we read it.
            let again = load_secrets(settings, store.as_ref())?;
            if again.refresh_token != secrets.refresh_token {
                output::debug(
                    1,
                    "the stored refresh token changed meanwhile; retrying with it",
                );
                match exchange(&network, settings, &again, now, scope) {
                    Ok(response) => (response, again),
                    Err(err) => return Err(rejected(settings, &again, err, now)),
                }
            } else {
                return Err(rejected(settings, &secrets, err, now));
            }
        }
        Err(err) => return Err(err),
    };
    persist(settings, store.as_ref(), &used, response, now, scope)
}

/// The stored secrets, after folding in a recovery file left by an earlier failed save.
fn load_secrets(settings: &ProfileSettings, store: &dyn SecretStore) -> Result<StoredSecrets> {
    let recovery = settings.paths.recovery_file(&settings.name);
    let stored = store.load()?;
    if let Some(bytes) = fsutil::read_private(&recovery)? {
        let fix = format!(
            "inspect {} and remove it if it is stale",
            recovery.display()
        );
        let recovered = StoredSecrets::from_bytes(&bytes, &recovery.display().to_string(), &fix)?;
        let mut merged = stored.clone().unwrap_or_default();
        merged.v = store::SECRETS_FORMAT;
        merged.refresh_token = recovered.refresh_token;
        store.save(&merged)?;
        fsutil::remove(&recovery)?;
        output::notice(format!(
            "octoken: recovered the refresh token saved in {} into the {} store",
            recovery.display(),
            settings.profile.store.as_str()
        ));
        return Ok(merged);
    }
    let usable = |s: &StoredSecrets| match settings.profile.grant {
        Grant::RefreshToken => s.refresh_token.is_some(),
        Grant::ClientCredentials => s.client_secret.is_some(),
    };
    match stored {
        Some(s) if usable(&s) => Ok(s),
        _ if settings.profile.grant == Grant::ClientCredentials => Err(Error::login_required(
            &settings.name,
            format!("no client secret stored for profile '{}'", settings.name),
        )),
        _ => Err(Error::login_required(
            &settings.name,
            format!("no refresh token stored for profile '{}'", settings.name),
        )),
    }
}

fn exchange(
    network: &Network,
    settings: &ProfileSettings,
    secrets: &StoredSecrets,
    now: u64,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    let client = settings.client(secrets.client_secret.clone());
    let token_url = &settings.profile.token_url;
    let request = match (settings.profile.grant, &secrets.refresh_token) {
        (Grant::RefreshToken, Some(refresh_token)) => {
            grant::refresh_request(token_url, &client, refresh_token, scope)
        }
        (Grant::ClientCredentials, _) => grant::client_credentials_request(
            token_url,
            &client,
            Some(scope.unwrap_or(&settings.profile.scope)),
        ),
        (Grant::RefreshToken, None) => unreachable!("load_secrets checked the refresh token"),
    };
    let response = network.post(&request)?;
    Ok(grant::parse_token_response(&response, now)?)
}

fn is_invalid_grant(err: &Error) -> bool {
    matches!(err, Error::OAuth(e) if e.server_code() == Some("invalid_grant"))
}

/// The server refused the token we hold: keep it (never delete on a failed refresh),
/// remember which one was refused, and ask for a login.
fn rejected(settings: &ProfileSettings, secrets: &StoredSecrets, err: Error, now: u64) -> Error {
    if !is_invalid_grant(&err) {
        return err;
    }
    let mut state = State::load(&settings.state_file());
    state.rejected_refresh_token = secrets.refresh_token.as_ref().map(Secret::fingerprint);
    state.rejected_at = Some(now);
    if let Err(e) = state.save(&settings.state_file()) {
        output::warn(format!("could not record the rejection: {e}"));
    }
    Error::login_required(
        &settings.name,
        format!("the server rejected the stored refresh token ({err})"),
    )
}

/// Stores what the server sent, rotated refresh token first, then cache and state.
pub fn persist(
    settings: &ProfileSettings,
    store: &dyn SecretStore,
    used: &StoredSecrets,
    response: TokenResponse,
    now: u64,
    scope: Option<&str>,
) -> Result<AccessToken> {
    if response.refresh_expires_in == Some(0) {
        output::debug(
            1,
            "the refresh token has no absolute expiry (an offline token)",
        );
    }
    match &response.refresh_token {
        Some(new) if Some(new) != used.refresh_token.as_ref() => {
            let updated = StoredSecrets::new(Some(new.clone()), used.client_secret.clone());
            if let Err(err) = store.save(&updated) {
                return Err(save_recovery(settings, &updated, err));
            }
            output::debug(1, "stored the rotated refresh token");
        }
        Some(_) => output::debug(1, "the server returned the same refresh token"),
        None => output::debug(
            1,
            "no refresh token in the response; keeping the stored one",
        ),
    }
    if let Err(e) = cache::save(
        &settings.cache_file(scope),
        &settings.cache_key(),
        &response.access,
    ) {
        output::warn(format!("could not cache the access token: {e}"));
    }
    let mut state = State::load(&settings.state_file());
    state.last_refresh_at = Some(now);
    state.rejected_refresh_token = None;
    state.rejected_at = None;
    if let Err(e) = state.save(&settings.state_file()) {
        output::warn(format!("could not record the refresh time: {e}"));
    }
    Ok(response.access)
}

/// The store refused the rotated token, which the server now considers the only valid
/// one: put it in a private file rather than lose it, and print no access token.
fn save_recovery(settings: &ProfileSettings, secrets: &StoredSecrets, err: Error) -> Error {
    let path = settings.paths.recovery_file(&settings.name);
    let only_token = StoredSecrets::new(secrets.refresh_token.clone(), None);
    match fsutil::write_atomic(&path, &only_token.to_bytes(), true) {
        Ok(()) => Error::Storage {
            message: format!(
                "could not store the rotated refresh token ({err}); it was saved to {} instead",
                path.display()
            ),
            hint: "fix the store; the next octoken run picks the token up from that file".into(),
        },
        Err(file_err) => Error::Storage {
            message: format!(
                "could not store the rotated refresh token ({err}) nor save it to {} ({file_err})",
                path.display()
            ),
            hint: format!(
                "run `{}` again",
                crate::error::login_command(&settings.name)
            ),
        },
    }
}

/// `octoken refresh`: the keepalive. Nothing on stdout; one line on stderr.
pub fn run(global: &crate::settings::Global, args: &crate::cli::RefreshArgs) -> Result<()> {
    let settings = global.profile()?;
    if let Some(limit) = args.if_older_than {
        let state = State::load(&settings.state_file());
        if let Some(last) = state.last_refresh_at
            && global.now.saturating_sub(last) < limit.as_secs()
        {
            output::notice(format!(
                "octoken: the last refresh of '{}' was {} ago; nothing to do",
                settings.name,
                output::human_duration(global.now.saturating_sub(last))
            ));
            return Ok(());
        }
    }
    let token = refresh(&settings, global.now, Mode::Always, None)?;
    output::notice(format!(
        "octoken: refreshed profile '{}'; access token valid for {}",
        settings.name,
        output::human_duration(token.remaining(global.now))
    ));
    Ok(())
}
