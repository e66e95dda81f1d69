//! `token --audience AUD` (and `exec`, the helpers): the profile's own access token
//! exchanged (RFC 8693) for one meant for AUD, cached per audience beside the
//! `--scope`/`--resource` caches and renewed by a new exchange when it goes stale. The
//! subject is the profile's own token, fresh by the usual path (cache, lock, refresh),
//! so an exchange never outlives the token it was made from by more than its lifetime.
//! With `--type id`, the exchange asks for an ID token (RFC 8693 `requested_token_type`).

use crate::access_token::{AccessToken, Freshness, IdToken};
use crate::error::{Error, Result};
use crate::oauth::exchange::{self, Exchange};
use crate::oauth::{HttpResponse, grant, id_token};
use crate::output;
use crate::secret::Secret;
use crate::settings::{FreshSettings, Narrow};
use crate::store::{StoredSecrets, id_cache};

use super::Session;

impl Session<'_> {
    /// A cached token for the audience while it has `min_ttl` left, else a new
    /// exchange. When that fails for a temporary reason (the provider down, a 503) and
    /// the cached token has not expired, it is served with a warning unless `--strict`,
    /// as the login's own token is (`fresh_token`).
    pub(super) fn token_for_audience(
        &self,
        fresh: &FreshSettings,
        audience: &str,
    ) -> Result<AccessToken> {
        if self.fleet.is_some() {
            return Err(no_fleet());
        }
        let narrow = Narrow {
            scope: fresh.scope.as_deref(),
            resource: fresh.resource.as_deref(),
            audience: Some(audience),
        };
        let cached = self.cached(Some(narrow));
        if let Some(token) = &cached
            && self.usable(token, fresh.min_ttl)
        {
            return Ok(token.clone());
        }
        match self.exchange_anew(fresh, narrow, audience) {
            Ok(token) => Ok(token),
            Err(err) => self.still_valid(cached, err, fresh.strict),
        }
    }

    fn usable(&self, token: &AccessToken, min_ttl: u64) -> bool {
        matches!(
            token.freshness(self.clock(), min_ttl),
            Freshness::Fresh { .. }
        )
    }

    /// The profile's own token, fresh, exchanged under the lock (unless another process
    /// exchanged meanwhile).
    fn exchange_anew(
        &self,
        fresh: &FreshSettings,
        narrow: Narrow<'_>,
        audience: &str,
    ) -> Result<AccessToken> {
        // The subject: the profile's own token (its lock is taken and let go inside).
        let own = self.fresh_token(&FreshSettings {
            min_ttl: fresh.min_ttl,
            scope: None,
            resource: None,
            audience: None,
            strict: fresh.strict,
        })?;
        let _lock = self.lock()?;
        if let Some(token) = self.cached(Some(narrow))
            && self.usable(&token, fresh.min_ttl)
        {
            output::debug(1, "another process exchanged meanwhile; using its token");
            return Ok(token);
        }
        let secrets = self.exchange_secrets()?;
        let mut response = self.exchange_for(&secrets, &own, narrow, audience)?;
        // A token for another audience never replaces the login's refresh token.
        response.refresh_token = None;
        response.id_token = None;
        self.persist(&secrets, response, Some(narrow))
    }

    /// `token --type id --audience AUD`: an ID token for AUD by token exchange
    /// (`requested_token_type` id_token) of the profile's own access token, cached per
    /// audience beside the profile's ID token and exchanged anew when it goes stale.
    /// Checked as an ID token (iss, aud = AUD or the client, exp, and the signature
    /// against the provider's JWKS when the profile knows it); an answer of another
    /// `issued_token_type` is exit 3. None: the login's own ID token.
    pub fn fresh_id_token_for(&self, min_ttl: u64, audience: Option<&str>) -> Result<IdToken> {
        let Some(audience) = audience.filter(|a| !a.trim().is_empty()) else {
            return self.fresh_id_token(min_ttl);
        };
        if self.fleet.is_some() {
            return Err(no_fleet());
        }
        let settings = self.settings;
        let file = settings
            .paths
            .audience_id_token_file(&settings.name, audience);
        let key = settings.cache_key();
        let usable = |token: &IdToken| {
            matches!(
                token.freshness(self.clock(), min_ttl),
                Freshness::Fresh { .. }
            )
        };
        if let Some(token) = id_cache::load(&file, &key).filter(usable) {
            return Ok(token);
        }
        let own = self.fresh_token(&FreshSettings {
            min_ttl,
            scope: None,
            resource: None,
            audience: None,
            strict: false,
        })?;
        let _lock = self.lock()?;
        if let Some(token) = id_cache::load(&file, &key).filter(usable) {
            output::debug(1, "another process exchanged meanwhile; using its ID token");
            return Ok(token);
        }
        let secrets = self.exchange_secrets()?;
        let answer = self
            .post_exchange(
                &secrets,
                &own,
                None,
                audience,
                Some(exchange::ID_TOKEN_TYPE),
            )
            .and_then(|r| Ok(grant::json_object(grant::TOKEN_ENDPOINT, &r)?))
            .map_err(no_exchange)?;
        let refused = |why: String| {
            Error::Config {
            message: format!("the ID token exchanged for {audience} cannot be used: {why}"),
            hint: Some(
                "the provider must issue ID tokens by token exchange (requested_token_type id_token); drop --type id to get an access token for the audience".into(),
            ),
        }
        };
        let id_token = exchange::issued_id_token(&answer).map_err(refused)?;
        let claims = id_token::check_exchanged(
            &id_token,
            settings.issuer.as_deref(),
            audience,
            &settings.client_id,
            self.now,
        )
        .map_err(refused)?;
        self.check_signature(&id_token).map_err(refused)?;
        let token = IdToken {
            id_token,
            expires_at: claims
                .get("exp")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(self.now),
            obtained_at: self.now,
        };
        if let Err(e) = id_cache::save(&file, &key, &token) {
            output::warn(format!("could not cache the ID token: {e}"));
        }
        Ok(token)
    }

    /// The signature against the provider's JWKS, as at login. A profile without a
    /// known JWKS (a token URL given alone) relies on TLS to the token endpoint, as for
    /// refreshed ID tokens (OIDC Core 3.1.3.7 (6)).
    fn check_signature(&self, id_token: &Secret) -> std::result::Result<(), String> {
        let Some(jwks_url) = &self.settings.endpoints.jwks else {
            output::debug(
                1,
                "no JWKS known for this profile; the ID token's signature is not checked",
            );
            return Ok(());
        };
        let Some(answer) = self.endpoint.get("JWKS endpoint", jwks_url) else {
            return Ok(());
        };
        let jwks = id_token::parse_jwks(&answer.map_err(|e| e.to_string())?)?;
        id_token::verify_signature(id_token, &jwks)
    }

    /// The stored secrets an exchange authenticates with; none for a public client.
    fn exchange_secrets(&self) -> Result<StoredSecrets> {
        match self.load_secrets() {
            Ok(secrets) => Ok(secrets),
            Err(Error::LoginRequired { .. }) => Ok(StoredSecrets::new(None, None)),
            Err(err) => Err(err),
        }
    }

    fn exchange_for(
        &self,
        secrets: &StoredSecrets,
        own: &AccessToken,
        narrow: Narrow<'_>,
        audience: &str,
    ) -> Result<grant::TokenResponse> {
        let response = self.post_exchange(secrets, own, Some(narrow), audience, None);
        response
            .and_then(|r| Ok(grant::parse_token_response(&r, self.now)?))
            .map_err(no_exchange)
    }

    /// RFC 8693 2.1: the profile's own access token for one meant for `audience`.
    fn post_exchange(
        &self,
        secrets: &StoredSecrets,
        own: &AccessToken,
        narrow: Option<Narrow<'_>>,
        audience: &str,
        requested_type: Option<&str>,
    ) -> Result<HttpResponse> {
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
                requested_type,
            },
            narrow.and_then(|n| n.scope),
        );
        request.push("audience", audience);
        if let Some(resource) = narrow.and_then(|n| n.resource) {
            request.push("resource", resource);
        }
        let response = self.endpoint.post(&request);
        self.keep_dpop_nonce(client.dpop.as_ref(), token_url);
        let response = response?;
        self.retry_after.set(response.retry_after);
        Ok(response)
    }
}

fn no_fleet() -> Error {
    Error::Usage {
        message: "--audience is not available for a fleet profile (store = redis) yet".into(),
        hint: Some("use a profile with --store file or keyring".into()),
    }
}

/// A provider without token exchange says so in one line that names the flag.
fn no_exchange(e: Error) -> Error {
    match &e {
        Error::OAuth(o) if o.server_code() == Some("unsupported_grant_type") => Error::Config {
            message: format!(
                "the provider does not offer token exchange (RFC 8693), which --audience needs ({e})"
            ),
            hint: Some(
                "enable token exchange for this client at the provider (docs/ci.md), or drop --audience".into(),
            ),
        },
        _ => e,
    }
}
