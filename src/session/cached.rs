//! The session's cached tokens: the access token of the login's scope (or a narrower
//! one), and the ID token, each with its freshness and the refresh that renews it.

use crate::access_token::{AccessToken, Freshness, IdToken};
use crate::error::{Error, Result};
use crate::oauth::id_token;
use crate::output;
use crate::profile_name::login_command;
use crate::secret::Secret;
use crate::settings::Narrow;
use crate::store::{cache, id_cache};

use super::Session;

impl Session<'_> {
    /// The cached access token narrowed by `narrow` (None: the login's), whatever its
    /// freshness. An implausible one (an expiry beyond any real lifetime) is no cache.
    pub fn cached(&self, narrow: Option<Narrow<'_>>) -> Option<AccessToken> {
        let cached = cache::load(
            &self.settings.cache_file(narrow),
            &self.settings.cache_key(),
        )?;
        let token = cached.token;
        if !token.is_plausible(self.now) {
            return None;
        }
        // A cache written under another version of config.toml (an older one whose key
        // was the same, or a login that wrote the file after reading it) is stamped with
        // this one, so that the next `token` can take it without parsing the config.
        let stamp = self.settings.config_stamp;
        if narrow.is_none() && stamp.is_some() && cached.config != stamp {
            match cache::save(
                &self.settings.cache_file(None),
                &self.settings.cache_key(),
                stamp,
                &token,
            ) {
                Ok(()) => output::debug(2, "stamped the token cache with this config.toml"),
                Err(e) => output::debug(1, format!("could not stamp the token cache: {e}")),
            }
        }
        Some(token)
    }

    /// Drops the cached access token of the login's scope (git's `erase`): the next use
    /// refreshes. The refresh token stays.
    pub fn forget_access_token(&self) -> Result<()> {
        cache::remove(&self.settings.cache_file(None))
    }

    /// The cached ID token, whatever its freshness.
    pub fn cached_id_token(&self) -> Option<IdToken> {
        id_cache::load(&self.settings.id_token_file(), &self.settings.cache_key())
    }

    /// The cached ID token while it has `min_ttl` left, else one from a refresh (under
    /// the lock, checking the cache again first). A refresh answer without an ID token
    /// is an error: a stale one is never handed out.
    pub fn fresh_id_token(&self, min_ttl: u64) -> Result<IdToken> {
        let fresh = |token: &IdToken| {
            matches!(
                token.freshness(self.clock(), min_ttl),
                Freshness::Fresh { .. }
            )
        };
        if let Some(token) = self.cached_id_token().filter(fresh) {
            return Ok(token);
        }
        let _lock = self.lock()?;
        if let Some(token) = self.cached_id_token().filter(fresh) {
            output::debug(1, "another process refreshed meanwhile; using its ID token");
            return Ok(token);
        }
        self.check_backoff()?;
        output::debug(1, "the cached ID token is missing or stale; refreshing");
        self.refresh_locked(None)?;
        let token = self.received_id_token.borrow_mut().take().ok_or_else(|| Error::Other {
            message: "the server sent no valid ID token with the refreshed tokens".into(),
            hint: Some(format!(
                "the login's scope must include openid (`{}`); some servers issue ID tokens only at sign-in",
                login_command(&self.settings.name)
            )),
        })?;
        if token.remaining(self.now) < min_ttl {
            output::debug(
                1,
                "the server issues ID tokens shorter-lived than --min-ttl",
            );
        }
        Ok(token)
    }

    /// Caches an ID token from a refresh or login answer after checking its claims
    /// (`oauth::id_token::check_refreshed`); an invalid one is dropped with a warning,
    /// since the access token beside it is still good.
    pub(super) fn keep_id_token(&self, id_token: Option<&Secret>) {
        let Some(id_token) = id_token else {
            return;
        };
        let settings = self.settings;
        let claims = match id_token::check_refreshed(
            id_token,
            settings.issuer.as_deref(),
            &settings.client_id,
            self.now,
        ) {
            Ok(claims) => claims,
            Err(why) => {
                output::warn(format!("ignoring the ID token the server sent: {why}"));
                return;
            }
        };
        let token = IdToken {
            id_token: id_token.clone(),
            expires_at: claims
                .get("exp")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(self.now),
            obtained_at: self.now,
        };
        if let Err(e) = id_cache::save(&settings.id_token_file(), &settings.cache_key(), &token) {
            output::warn(format!("could not cache the ID token: {e}"));
        }
        *self.received_id_token.borrow_mut() = Some(token);
    }
}
