//! What the session keeps: loading the stored secrets (folding in a recovery file an
//! earlier run left), persisting what the server sent (a rotated refresh token first,
//! then the caches), the recovery file when storing fails, and forgetting on logout.

use crate::access_token::AccessToken;
use crate::config::Grant;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::oauth::AuthMethod;
use crate::oauth::grant::TokenResponse;
use crate::output;
use crate::profile_name::login_command;
use crate::secret::Secret;
use crate::settings::{Narrow, ProfileSettings};
use crate::store::{SECRETS_FORMAT, StoredSecrets, cache};

use super::{Session, is_invalid_grant};

impl Session<'_> {
    /// The stored secrets, after folding in a recovery file left by an earlier failed
    /// save; a login is required when the grant's secret is missing.
    pub fn load_secrets(&self) -> Result<StoredSecrets> {
        let settings = self.settings;
        let stored = self.store.load()?;
        if let Some(merged) = self.with_recovered(stored.as_ref())? {
            self.store.save(&merged)?;
            self.recovery_done(&format!("the {} store", settings.store.kind.as_str()))?;
            return Ok(merged);
        }
        self.require_credential(stored, &format!("stored for profile '{}'", settings.name))
    }

    /// `stored` with the refresh token of a recovery file an earlier run left (a
    /// rotated token the store did not take); None when there is none. The caller
    /// writes the result where it belongs, then calls [`Self::recovery_done`].
    pub(super) fn with_recovered(
        &self,
        stored: Option<&StoredSecrets>,
    ) -> Result<Option<StoredSecrets>> {
        let recovery = self.settings.recovery_file();
        let Some(bytes) = fsutil::read_private(&recovery)? else {
            return Ok(None);
        };
        let fix = format!(
            "inspect {} and remove it if it is stale",
            recovery.display()
        );
        let recovered = StoredSecrets::from_bytes(&bytes, &recovery.display().to_string(), &fix)?;
        let mut merged = stored.cloned().unwrap_or_default();
        merged.v = SECRETS_FORMAT;
        merged.refresh_token = recovered.refresh_token;
        Ok(Some(merged))
    }

    /// The recovered token is stored (`into` says where): the recovery file goes.
    pub(super) fn recovery_done(&self, into: &str) -> Result<()> {
        let recovery = self.settings.recovery_file();
        fsutil::remove(&recovery)?;
        output::notice(format!(
            "octoken: recovered the refresh token saved in {} into {into}",
            recovery.display()
        ));
        Ok(())
    }

    /// The secrets, when they hold what the profile's grant needs; else a login is
    /// required ("no refresh token {where_}").
    pub(super) fn require_credential(
        &self,
        stored: Option<StoredSecrets>,
        where_: &str,
    ) -> Result<StoredSecrets> {
        match (missing_credential(self.settings, stored.as_ref()), stored) {
            (None, Some(secrets)) => Ok(secrets),
            (missing, _) => Err(Error::login_required(
                &self.settings.name,
                format!("no {} {where_}", missing.unwrap_or("login")),
            )),
        }
    }

    /// The server refused the token we hold: keep it (never delete on a failed refresh),
    /// remember which one was refused, and ask for a login.
    pub(super) fn rejected(&self, secrets: &StoredSecrets, err: Error) -> Error {
        if !is_invalid_grant(&err) {
            return err;
        }
        let settings = self.settings;
        let mut state = self.state();
        state.rejected_refresh_token = secrets.refresh_token.as_ref().map(Secret::fingerprint);
        state.rejected_at = Some(self.now);
        if let Err(e) = state.save(&settings.state_file()) {
            output::warn(format!("could not record the rejection: {e}"));
        }
        Error::login_required(
            &settings.name,
            format!("the server rejected the stored refresh token ({err})"),
        )
    }

    /// Stores what the server sent: a rotated refresh token first, then cache and state.
    pub fn persist(
        &self,
        used: &StoredSecrets,
        mut response: TokenResponse,
        narrow: Option<Narrow<'_>>,
    ) -> Result<AccessToken> {
        let settings = self.settings;
        let scope = narrow.and_then(|n| n.scope);
        response
            .access
            .assume_requested_scope(scope.unwrap_or(&settings.scope));
        if response.refresh_expires_in == Some(0) {
            output::debug(
                1,
                "the refresh token has no absolute expiry (an offline token)",
            );
        }
        match &response.refresh_token {
            Some(new) if Some(new) != used.refresh_token.as_ref() => {
                // Everything else stored (client secret, DPoP key) stays as it was.
                let updated = StoredSecrets {
                    refresh_token: Some(new.clone()),
                    ..used.clone()
                };
                // A keyring write can take a while (a D-Bus round trip, a prompt): the
                // token goes to the 0600 recovery file first, so that the window in which
                // only memory holds it is one local file write.
                let early = self.settings.store.kind == crate::config::StoreKind::Keyring
                    && self.write_recovery(&updated).is_ok();
                if let Err(err) = self.store.save(&updated) {
                    return Err(self.save_recovery(&updated, err));
                }
                if early {
                    fsutil::remove(&self.settings.recovery_file())?;
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
            &settings.cache_file(narrow),
            &settings.cache_key(),
            settings.config_stamp,
            &response.access,
        ) {
            output::warn(format!("could not cache the access token: {e}"));
        }
        if narrow.is_none() {
            self.keep_id_token(response.id_token.as_ref());
        }
        let mut state = self.state();
        state.last_refresh_at = Some(self.now);
        state.rejected_refresh_token = None;
        state.rejected_at = None;
        state.backoff = None;
        if let Some(fleet) = &self.fleet
            && let Err(e) = fleet.clear_backoff()
        {
            output::debug(1, format!("could not clear the fleet's backoff: {e}"));
        }
        if let Err(e) = state.save(&settings.state_file()) {
            output::warn(format!("could not record the refresh time: {e}"));
        }
        Ok(response.access)
    }

    /// The store refused the rotated token, which the server now considers the only valid
    /// one: put it in a private file rather than lose it, and print no access token.
    pub(super) fn save_recovery(&self, secrets: &StoredSecrets, err: Error) -> Error {
        let path = self.settings.recovery_file();
        match self.write_recovery(secrets) {
            Ok(()) => Error::Storage {
                message: format!(
                    "could not store the rotated refresh token ({err}); it was saved to {} instead",
                    path.display()
                ),
                hint: "fix the store; the next octoken run picks the token up from that file"
                    .into(),
            },
            Err(file_err) => Error::Storage {
                message: format!(
                    "could not store the rotated refresh token ({err}) nor save it to {} ({file_err})",
                    path.display()
                ),
                hint: format!("run `{}` again", login_command(&self.settings.name)),
            },
        }
    }

    /// The refresh token alone, in the 0600 recovery file the next run picks up.
    pub(super) fn write_recovery(&self, secrets: &StoredSecrets) -> Result<()> {
        let only_token = StoredSecrets::new(secrets.refresh_token.clone(), None);
        fsutil::write_atomic(&self.settings.recovery_file(), &only_token.to_bytes(), true)
    }

    /// Deletes every local trace of the profile's tokens: secrets, caches, state and a
    /// recovery file. The profile's settings stay.
    pub fn forget_local(&self) -> Result<()> {
        self.store.delete()?;
        self.forget_files()
    }

    /// The local files only (cache, state, recovery), for when the store cannot be
    /// reached.
    pub fn forget_files(&self) -> Result<()> {
        for file in self.settings.cache_files() {
            cache::remove(&file)?;
        }
        fsutil::remove(&self.settings.state_file())?;
        fsutil::remove(&self.settings.dpop_nonce_file())?;
        fsutil::remove(&self.settings.recovery_file())
    }
}

/// What the stored secrets lack for the profile's grant (None: nothing, they will do).
fn missing_credential(
    settings: &ProfileSettings,
    stored: Option<&StoredSecrets>,
) -> Option<&'static str> {
    let lacks = |what: fn(&StoredSecrets) -> bool| !stored.is_some_and(what);
    match settings.grant {
        Grant::RefreshToken => lacks(|s| s.refresh_token.is_some()).then_some("refresh token"),
        // A private_key_jwt or mTLS client's credential is its key file, not a secret.
        Grant::ClientCredentials
            if settings.client_key.is_some()
                || settings.auth_method == AuthMethod::ClientAssertion =>
        {
            stored.is_none().then_some("login")
        }
        Grant::ClientCredentials => lacks(|s| s.client_secret.is_some()).then_some("client secret"),
        // The assertion is read from its source; a confidential client's secret is stored.
        Grant::JwtBearer | Grant::TokenExchange
            if matches!(settings.auth_method, AuthMethod::Basic | AuthMethod::Post) =>
        {
            lacks(|s| s.client_secret.is_some()).then_some("client secret")
        }
        Grant::JwtBearer | Grant::TokenExchange => stored.is_none().then_some("login"),
    }
}
