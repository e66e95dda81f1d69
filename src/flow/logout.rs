//! `octoken logout`: revoke the refresh token at the server (RFC 7009) unless `--local`,
//! then delete the stored secrets, the cache and the state. If the revocation fails the
//! secrets are kept: deleting them would leave a live token nobody can revoke.

use crate::cli::LogoutArgs;
use crate::error::{Error, Result};
use crate::flow::Network;
use crate::fsutil;
use crate::oauth::ClientAuth;
use crate::oauth::revoke::{self, Revocation};
use crate::output;
use crate::settings::{Global, ProfileSettings, lock_timeout};
use crate::store::lock::ProfileLock;
use crate::store::{self, cache};

pub fn run(global: &Global, args: &LogoutArgs) -> Result<()> {
    let settings = global.profile()?;
    let _lock = ProfileLock::acquire(&settings.lock_file(), lock_timeout())?;
    let store = store::open(settings.profile.store, &settings.paths, &settings.name);
    let secrets = store.load()?;
    let mut revoked = false;
    if !args.local
        && let Some(secrets) = &secrets
        && let Some(refresh_token) = &secrets.refresh_token
    {
        match &settings.profile.revocation_url {
            Some(url) => {
                let network = Network::new(&settings.http_options())?;
                let client = settings.client(secrets.client_secret.clone());
                let request = revoke::revoke_request(url, &client, refresh_token, "refresh_token");
                let response = network
                    .post(&request)
                    .map_err(|e| keep_going_hint(e.into()))?;
                match revoke::check_response(&response).map_err(|e| keep_going_hint(e.into()))? {
                    Revocation::Revoked => revoked = true,
                    Revocation::Unsupported => {
                        return Err(keep_going_hint(Error::other(
                            "the server does not revoke refresh tokens (unsupported_token_type)",
                        )));
                    }
                }
                revoke_access_token(&network, &settings, &client, url, global.now);
            }
            None => output::warn(
                "the server has no revocation endpoint; the refresh token stays valid there until it expires",
            ),
        }
    }
    store.delete()?;
    for file in settings.paths.cache_files(&settings.name) {
        cache::remove(&file)?;
    }
    fsutil::remove(&settings.state_file())?;
    fsutil::remove(&settings.paths.recovery_file(&settings.name))?;
    output::notice(format!(
        "octoken: logged out of profile '{}'{}",
        settings.name,
        if revoked {
            "; the refresh token was revoked"
        } else {
            ""
        }
    ));
    Ok(())
}

/// The cached access token too, when it is still valid. Servers cannot revoke JWT
/// access tokens (unsupported_token_type): it then simply runs out. Its failure never
/// stops a logout, since the refresh token is already revoked.
fn revoke_access_token(
    network: &Network,
    settings: &ProfileSettings,
    client: &ClientAuth,
    url: &str,
    now: u64,
) {
    let Some(token) = cache::load(&settings.cache_file(None), &settings.cache_key()) else {
        return;
    };
    if token.remaining(now) == 0 {
        return;
    }
    let request = revoke::revoke_request(url, client, &token.access_token, "access_token");
    match network
        .post(&request)
        .map_err(Error::from)
        .and_then(|r| revoke::check_response(&r).map_err(Error::from))
    {
        Ok(Revocation::Revoked) => output::debug(1, "revoked the cached access token"),
        Ok(Revocation::Unsupported) => output::debug(
            1,
            format!(
                "the server cannot revoke the access token (a JWT); it expires in {}",
                output::human_duration(token.remaining(now))
            ),
        ),
        Err(e) => output::warn(format!("could not revoke the cached access token: {e}")),
    }
}

fn keep_going_hint(err: Error) -> Error {
    let message = format!("could not revoke the refresh token, so nothing was deleted: {err}");
    let hint =
        "try again later, or `octoken logout --local` to only delete the local copies".to_string();
    if err.exit_code() == crate::error::exit::TEMPORARY {
        Error::Temporary { message, hint }
    } else {
        Error::Other {
            message,
            hint: Some(hint),
        }
    }
}
