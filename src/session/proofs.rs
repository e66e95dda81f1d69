//! DPoP (RFC 9449) for the session: the profile's signer with the token endpoint's
//! last nonce, and proofs for requests to an API.

use crate::access_token::AccessToken;
use crate::error::{Error, Result};
use crate::oauth::dpop::{self, DpopKey, DpopSigner};
use crate::output;
use crate::profile_name::login_command;
use crate::secret::Secret;
use crate::store::{StoredSecrets, dpop_nonce};
use std::sync::Arc;

use super::{Session, wall_clock};

impl Session<'_> {
    /// A DPoP profile's signer: its stored key and the token endpoint's latest nonce.
    /// None for a profile without DPoP; a DPoP profile without its key needs a login.
    pub fn dpop_signer(&self, secrets: &StoredSecrets) -> Result<Option<DpopSigner>> {
        let settings = self.settings;
        if settings.dpop.is_none() {
            return Ok(None);
        }
        let key = secrets
            .dpop_key
            .as_ref()
            .ok_or_else(|| {
                Error::login_required(
                    &settings.name,
                    format!(
                        "profile '{}' uses DPoP but no DPoP key is stored",
                        settings.name
                    ),
                )
            })
            .and_then(|stored| {
                DpopKey::from_stored(stored).map_err(|e| {
                    Error::login_required(
                        &settings.name,
                        format!("{e} (profile '{}')", settings.name),
                    )
                })
            })?;
        let origin = dpop::origin(&settings.endpoints.token);
        let nonce = dpop_nonce::get(&settings.dpop_nonce_file(), &origin);
        Ok(Some(DpopSigner::new(key, nonce)))
    }

    /// Keeps the nonce the token endpoint handed out last, for the next process.
    pub fn keep_dpop_nonce(&self, signer: Option<&DpopSigner>, url: &str) {
        let Some(nonce) = signer.and_then(DpopSigner::nonce) else {
            return;
        };
        if let Err(e) =
            dpop_nonce::save(&self.settings.dpop_nonce_file(), &dpop::origin(url), &nonce)
        {
            output::debug(1, format!("could not keep the DPoP nonce: {e}"));
        }
    }

    /// A DPoP proof for a request to an API with `token` (RFC 9449 7): signed with the
    /// key in the profile's store (a file read, or one keyring call), with the API
    /// server's nonce: `nonce` when given (and then remembered for its origin: this
    /// user gave it), else its last one.
    pub fn resource_proof(
        &self,
        token: &AccessToken,
        method: &str,
        url: &str,
        nonce: Option<&str>,
    ) -> Result<Secret> {
        let key = self.dpop_key()?;
        if let Some(nonce) = nonce
            && let Err(e) =
                dpop_nonce::save(&self.settings.dpop_nonce_file(), &dpop::origin(url), nonce)
        {
            output::debug(1, format!("could not keep the DPoP nonce: {e}"));
        }
        self.proof_with(&key, token, method, url, nonce)
    }

    /// The profile's DPoP key, read from its store (the agent keeps it: a proof through
    /// the agent then costs no store read).
    pub fn dpop_key(&self) -> Result<Arc<DpopKey>> {
        self.require_dpop()?;
        let secrets = self.store.load()?.unwrap_or_default();
        let signer = self
            .dpop_signer(&secrets)?
            .expect("a DPoP profile has a signer or an error");
        Ok(signer.key)
    }

    /// A proof signed with `key` (the profile's, from [`Session::dpop_key`]), with
    /// `nonce` for this one proof, else the origin's last one. `nonce` is not kept: the
    /// agent signs for clients it does not trust with this machine's nonce file (a nonce
    /// planted for the token endpoint's origin would go with the next refresh).
    pub fn proof_with(
        &self,
        key: &DpopKey,
        token: &AccessToken,
        method: &str,
        url: &str,
        nonce: Option<&str>,
    ) -> Result<Secret> {
        self.require_dpop()?;
        let nonce = match nonce {
            Some(nonce) => Some(nonce.to_string()),
            None => dpop_nonce::get(&self.settings.dpop_nonce_file(), &dpop::origin(url)),
        };
        Ok(key.proof(
            method,
            url,
            nonce.as_deref(),
            Some(&token.access_token),
            wall_clock(),
        ))
    }

    fn require_dpop(&self) -> Result<()> {
        let settings = self.settings;
        if settings.dpop.is_none() {
            return Err(Error::Config {
                message: format!("profile '{}' does not use DPoP", settings.name),
                hint: Some(format!(
                    "log in with DPoP: `{} --dpop`",
                    login_command(&settings.name)
                )),
            });
        }
        Ok(())
    }
}
