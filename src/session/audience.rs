//! `token --audience AUD` (and `exec`, the helpers): the profile's own access token
//! exchanged (RFC 8693) for one meant for AUD, cached per audience beside the
//! `--scope`/`--resource` caches and renewed by a new exchange when it goes stale. The
//! subject is the profile's own token, fresh by the usual path (cache, lock, refresh),
//! so an exchange never outlives the token it was made from by more than its lifetime.

use crate::access_token::{AccessToken, Freshness};
use crate::error::{Error, Result};
use crate::oauth::exchange::{self, Exchange};
use crate::oauth::grant;
use crate::output;
use crate::settings::{FreshSettings, Narrow};
use crate::store::StoredSecrets;

use super::Session;

impl Session<'_> {
    pub(super) fn token_for_audience(
        &self,
        fresh: &FreshSettings,
        audience: &str,
    ) -> Result<AccessToken> {
        if self.fleet.is_some() {
            return Err(Error::Usage {
                message: "--audience is not available for a fleet profile (store = redis) yet"
                    .into(),
                hint: Some("use a profile with --store file or keyring".into()),
            });
        }
        let narrow = Narrow {
            scope: fresh.scope.as_deref(),
            resource: fresh.resource.as_deref(),
            audience: Some(audience),
        };
        let usable = |token: &AccessToken| {
            matches!(
                token.freshness(self.now, fresh.min_ttl),
                Freshness::Fresh { .. }
            )
        };
        if let Some(token) = self.cached(Some(narrow)).filter(usable) {
            return Ok(token);
        }
        // The subject: the profile's own token (its lock is taken and let go inside).
        let own = self.fresh_token(&FreshSettings {
            min_ttl: fresh.min_ttl,
            scope: None,
            resource: None,
            audience: None,
            strict: fresh.strict,
        })?;
        let _lock = self.lock()?;
        if let Some(token) = self.cached(Some(narrow)).filter(usable) {
            output::debug(1, "another process exchanged meanwhile; using its token");
            return Ok(token);
        }
        let secrets = match self.load_secrets() {
            Ok(secrets) => secrets,
            Err(Error::LoginRequired { .. }) => StoredSecrets::new(None, None),
            Err(err) => return Err(err),
        };
        let mut response = self.exchange_for(&secrets, &own, narrow, audience)?;
        // A token for another audience never replaces the login's refresh token.
        response.refresh_token = None;
        response.id_token = None;
        self.persist(&secrets, response, Some(narrow))
    }

    fn exchange_for(
        &self,
        secrets: &StoredSecrets,
        own: &AccessToken,
        narrow: Narrow<'_>,
        audience: &str,
    ) -> Result<grant::TokenResponse> {
        let settings = self.settings;
        let mut client = self.client(secrets.client_secret.clone())?;
        client.dpop = self.dpop_signer(secrets)?;
        let token_url = &settings.endpoints.token;
        let mut request = exchange::token_exchange_request(
            token_url,
            &client,
            &Exchange {
                subject: &own.access_token,
                subject_type: exchange::ACCESS_TOKEN_TYPE,
                actor: None,
                requested_type: None,
            },
            narrow.scope,
        );
        request.push("audience", audience);
        if let Some(resource) = narrow.resource {
            request.push("resource", resource);
        }
        let response = self.endpoint.post(&request);
        self.keep_dpop_nonce(client.dpop.as_ref(), token_url);
        let response = response.and_then(|r| Ok(grant::parse_token_response(&r, self.now)?));
        response.map_err(|e| match &e {
            Error::OAuth(o) if o.server_code() == Some("unsupported_grant_type") => {
                Error::Config {
                    message: format!(
                        "the provider does not offer token exchange (RFC 8693), which --audience needs ({e})"
                    ),
                    hint: Some(
                        "enable token exchange for this client at the provider (docs/ci.md), or drop --audience".into(),
                    ),
                }
            }
            _ => e,
        })
    }
}
