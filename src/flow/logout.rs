//! `octoken logout`: revoke the refresh token at the server (RFC 7009) unless `--local`,
//! then delete the stored secrets, the cache and the state. If the revocation fails the
//! secrets are kept: deleting them would leave a live token nobody can revoke.

use crate::error::{Error, Result};
use crate::network::Network;
use crate::oauth::ClientAuth;
use crate::oauth::revoke::{self, Revocation};
use crate::output;
use crate::session::Session;
use crate::settings::LogoutSettings;

pub fn run(settings: &LogoutSettings) -> Result<()> {
    let profile = &settings.profile;
    let session = Session::open(profile, settings.global.now);
    let _lock = session.lock()?;
    if settings.local {
        return forget(settings, &session);
    }
    let secrets = session.store().load()?;
    let Some(secrets) = secrets.filter(|s| {
        s.refresh_token.is_some()
            || s.client_secret.is_some()
            || profile.client_key.is_some()
            // An assertion profile's stored marker is its login (docs/ci.md).
            || profile.grant.reads_assertions()
            || profile.assertion.client_assertion.is_some()
    }) else {
        // Already in the state asked for: exit 0, and say so.
        session.forget_files()?;
        output::notice(format!(
            "octoken: profile '{}' was not logged in; nothing to revoke",
            profile.name
        ));
        return Ok(());
    };
    let secrets = Some(secrets);
    let mut revoked = false;
    if let Some(secrets) = &secrets
        && let Some(refresh_token) = &secrets.refresh_token
    {
        match &profile.endpoints.revocation {
            Some(url) => {
                let network = Network::new(&profile.http)?;
                let client = session.client(secrets.client_secret.clone())?;
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
                revoke_access_token(&network, &session, &client, url, settings.global.now);
            }
            None => output::warn(
                "the server has no revocation endpoint; the refresh token stays valid there until it expires",
            ),
        }
    }
    if revoked && let Some(fleet) = session.fleet() {
        // The revoked token was the whole fleet's: its entry goes too.
        fleet.delete()?;
    }
    session.forget_local()?;
    output::notice(format!(
        "octoken: logged out of profile '{}'{}",
        profile.name,
        if revoked {
            "; the refresh token was revoked"
        } else {
            ""
        }
    ));
    Ok(())
}

/// `logout --local`: leaving is always possible. The profile's settings, cache and
/// state go in every case; a secret the store cannot delete (an unreachable keyring) is
/// named with the way to delete it by hand.
fn forget(settings: &LogoutSettings, session: &Session) -> Result<()> {
    let profile = &settings.profile;
    let kept = session.store().delete().err();
    session.forget_files()?;
    let global = &settings.global;
    let mut config = global.load_config()?;
    if config.profiles.remove(&profile.name).is_some() {
        config.save(&global.paths.config_file())?;
    }
    match kept {
        None => output::notice(format!(
            "octoken: removed profile '{}' and its local secrets (nothing was revoked)",
            profile.name
        )),
        Some(err) => output::warn(format!(
            "removed profile '{}', but its secret could not be deleted ({err}); delete it by hand: {}",
            profile.name,
            manual_delete(profile)
        )),
    }
    Ok(())
}

/// How to delete a profile's stored secret without octoken.
fn manual_delete(profile: &crate::settings::ProfileSettings) -> String {
    match profile.store.kind {
        crate::config::StoreKind::File => format!("rm {}", profile.store.secret_file.display()),
        // The shared entry is the fleet's; a host leaving keeps nothing of it locally.
        crate::config::StoreKind::Redis => "nothing: the shared entry stays for the fleet".into(),
        crate::config::StoreKind::Keyring if cfg!(target_os = "macos") => format!(
            "security delete-generic-password -s {} -a {}",
            crate::store::keyring::SERVICE,
            profile.name
        ),
        crate::config::StoreKind::Keyring if cfg!(windows) => format!(
            "cmdkey /delete:{}.{}",
            profile.name,
            crate::store::keyring::SERVICE
        ),
        crate::config::StoreKind::Keyring => format!(
            "secret-tool clear service {} username {}",
            crate::store::keyring::SERVICE,
            profile.name
        ),
    }
}

/// The cached access token too, when it is still valid. Servers cannot revoke JWT
/// access tokens (unsupported_token_type): it then simply runs out. Its failure never
/// stops a logout, since the refresh token is already revoked.
fn revoke_access_token(
    network: &Network,
    session: &Session,
    client: &ClientAuth,
    url: &str,
    now: u64,
) {
    let Some(token) = session.cached(None) else {
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
