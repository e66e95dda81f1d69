//! The session engine: a profile's lifecycle, which every command uses and none owns.
//! It opens the profile's store, reads and writes the access-token cache, takes the
//! refresh lock, refreshes with the double check, persists what the server sent and
//! recovers what an earlier run could not persist. Its collaborators (the secret store
//! and the token endpoint) are values, so it is unit-tested with in-process fakes
//! (after kubelogin's `credentialplugin/get_token.go`).
//!
//! The rules that keep a refresh token from being lost:
//! - one refresh per profile at a time across processes (lock, then check again);
//! - a rotated refresh token is stored before any access token is handed out, and if
//!   storing fails it goes to a 0600 recovery file that the next run picks up;
//! - a failed refresh never deletes the stored token; `invalid_grant` re-reads the
//!   store once, since another process or machine may have rotated it meanwhile.
//!
//! And the rules that spare a struggling provider: a temporary failure is recorded in
//! the profile's state with a backoff (session/backoff.rs) that every process honours
//! (one failure answers all waiters), and a token that has not expired is served with a
//! warning when renewing it early failed for a temporary reason.
//!
//! The files, one concern each: this one holds the `Session` and its refresh with the
//! double check; `cached.rs` the access- and ID-token caches; `secrets.rs` loading,
//! persisting, recovery and forgetting; `client.rs` the client's authentication;
//! `proofs.rs` DPoP signers and proofs; `backoff.rs` the backoff; `endpoint.rs` where
//! requests go; `fleet.rs` the shared Redis store; `assertion.rs` the grants fed by an
//! assertion read at each use (docs/ci.md); `audience.rs` `token --audience`;
//! `tests.rs` the engine's unit tests.

mod assertion;
mod audience;
mod backoff;
mod cached;
mod client;
mod endpoint;
mod fleet;
mod proofs;
mod secrets;

pub use assertion::{assertion_refused, assertion_request};
pub use backoff::random;
pub use client::client_auth;
pub use endpoint::{LazyNetwork, TokenEndpoint};

use crate::access_token::{AccessToken, Freshness, IdToken};
use crate::config::Grant;
use crate::error::{Error, Result};
use crate::oauth::grant::{self, TokenResponse};
use crate::output;
use crate::settings::{FreshSettings, Narrow, ProfileSettings};
use crate::store::lock::ProfileLock;
use crate::store::state::State;
use crate::store::{self, SecretStore, StoredSecrets};
use std::cell::{Cell, RefCell};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `token`: refresh only if no other process did while we waited for the lock;
    /// honours a recorded backoff.
    IfStale { min_ttl: u64 },
    /// `refresh --if-older-than` (cron): always make the request, unless a backoff is on.
    Keepalive,
    /// `refresh` by hand: a person asking; always make the request.
    Always,
}

impl Mode {
    fn honours_backoff(self) -> bool {
        !matches!(self, Mode::Always)
    }
}

pub struct Session<'a> {
    settings: &'a ProfileSettings,
    now: u64,
    store: Box<dyn SecretStore>,
    endpoint: Box<dyn TokenEndpoint + 'a>,
    /// The last answer's `Retry-After`, for the backoff record.
    retry_after: Cell<Option<u64>>,
    /// When `now` was read: waits (the lock, a Retry-After) move the backoff clock on.
    started: std::time::Instant,
    /// The valid ID token the last `persist` received, if any.
    received_id_token: RefCell<Option<IdToken>>,
    /// The fleet's shared store, when the profile's store is redis (session/fleet.rs).
    fleet: Option<store::redis::Shared>,
}

impl<'a> Session<'a> {
    /// The profile's real store, and the network when a request is needed.
    pub fn open(settings: &'a ProfileSettings, now: u64) -> Session<'a> {
        let mut session = Self::with(
            settings,
            now,
            store::open(&settings.name, &settings.store),
            Box::new(LazyNetwork::new(&settings.http)),
        );
        session.fleet = fleet_store(settings);
        session
    }

    /// A session over the given collaborators (login's network; tests' fakes).
    pub fn with(
        settings: &'a ProfileSettings,
        now: u64,
        store: Box<dyn SecretStore>,
        endpoint: Box<dyn TokenEndpoint + 'a>,
    ) -> Session<'a> {
        Session {
            settings,
            now,
            store,
            endpoint,
            retry_after: Cell::new(None),
            started: std::time::Instant::now(),
            received_id_token: RefCell::new(None),
            fleet: None,
        }
    }

    /// The fleet's shared store, for `status`.
    pub fn fleet(&self) -> Option<&store::redis::Shared> {
        self.fleet.as_ref()
    }

    pub fn store(&self) -> &dyn SecretStore {
        self.store.as_ref()
    }

    pub fn state(&self) -> State {
        State::load(&self.settings.state_file())
    }

    /// Holds off other processes' refreshes of this profile.
    pub fn lock(&self) -> Result<ProfileLock> {
        ProfileLock::acquire(&self.settings.lock_file(), self.settings.lock_timeout)
    }

    /// The cached token while it has `min_ttl` left, else a refreshed one. When renewing
    /// fails for a temporary reason and the cached token has not expired, that token is
    /// served with a warning (unless `strict`): the caller's request would still work.
    pub fn fresh_token(&self, fresh: &FreshSettings) -> Result<AccessToken> {
        if let Some(audience) = &fresh.audience {
            return self.token_for_audience(fresh, audience);
        }
        let scope = fresh.narrow();
        let mode = Mode::IfStale {
            min_ttl: fresh.min_ttl,
        };
        let cached = self.cached(scope);
        if let Some(token) = &cached {
            match token.freshness(self.now, fresh.min_ttl) {
                Freshness::Fresh { .. } => return Ok(token.clone()),
                Freshness::Stale(reason) => {
                    output::debug(1, format!("the cached token is {reason}; refreshing"));
                }
            }
        }
        let token = match self.refresh(mode, scope) {
            Ok(token) => token,
            Err(err) => return self.still_valid(cached, err, fresh.strict),
        };
        if token.remaining(self.now) < fresh.min_ttl {
            output::debug(
                1,
                "the server issues tokens shorter-lived than --min-ttl; each call will refresh",
            );
        }
        Ok(token)
    }

    /// A failed early renewal: the cached token if it still works and the failure is
    /// temporary, else the error. An expired token is never served.
    fn still_valid(
        &self,
        cached: Option<AccessToken>,
        err: Error,
        strict: bool,
    ) -> Result<AccessToken> {
        let Some(token) = cached else {
            return Err(err);
        };
        // Now, not when the session started: the lock and the failed request may have
        // taken longer than the token had left.
        let left = token.remaining(self.clock());
        if strict || left == 0 || err.exit_code() != crate::error::exit::TEMPORARY {
            return Err(err);
        }
        output::warn(format!(
            "serving the cached token, valid for {} more; it could not be renewed: {err}",
            output::human_duration(left)
        ));
        Ok(token)
    }

    /// Refreshes under the profile lock and returns the access token to use.
    /// `scope`: a narrower scope set or one resource of the login's, cached separately.
    pub fn refresh(&self, mode: Mode, scope: Option<Narrow<'_>>) -> Result<AccessToken> {
        if mode.honours_backoff() {
            // Before the lock: a process started during a backoff leaves at once.
            self.check_backoff()?;
        }
        let _lock = self.lock()?;
        if let Mode::IfStale { min_ttl } = mode
            && let Some(token) = self.cached(scope)
            && let Freshness::Fresh { .. } = token.freshness(self.clock(), min_ttl)
        {
            output::debug(1, "another process refreshed meanwhile; using its token");
            return Ok(token);
        }
        if mode.honours_backoff() {
            // After the lock: the holder we waited for may have just failed.
            self.check_backoff()?;
        }
        if let Some(fleet) = &self.fleet {
            return self.refresh_fleet(fleet, mode, scope);
        }
        self.refresh_locked(scope)
    }

    /// The refresh itself; the caller holds the profile lock.
    fn refresh_locked(&self, scope: Option<Narrow<'_>>) -> Result<AccessToken> {
        if let Some(fleet) = &self.fleet {
            return self.refresh_fleet(fleet, Mode::Always, scope);
        }
        let secrets = self.load_secrets()?;
        // From the request until the answer is stored, a rotated refresh token may exist
        // only in this process: Ctrl-C, SIGTERM and SIGHUP wait until it is safe.
        let _hold = crate::process::HoldSignals::new();
        let result = self
            .exchange(&secrets, scope)
            .map_err(|e| assertion_refused(self.settings, e));
        if let Err(err) = &result
            && err.exit_code() == crate::error::exit::TEMPORARY
        {
            self.record_failure(err);
        }
        let (response, used) = match result {
            Ok(response) => (response, secrets),
            Err(err) if is_invalid_grant(&err) => {
                // Another process or machine may have rotated the token since we read it.
                let again = self.load_secrets()?;
                if again.refresh_token == secrets.refresh_token {
                    return Err(self.rejected(&secrets, err));
                }
                output::debug(
                    1,
                    "the stored refresh token changed meanwhile; retrying with it",
                );
                match self.exchange(&again, scope) {
                    Ok(response) => (response, again),
                    Err(err) => return Err(self.rejected(&again, err)),
                }
            }
            Err(err) => return Err(err),
        };
        self.persist(&used, response, scope)
    }

    fn exchange(
        &self,
        secrets: &StoredSecrets,
        narrow: Option<Narrow<'_>>,
    ) -> Result<TokenResponse> {
        let settings = self.settings;
        let scope = narrow.and_then(|n| n.scope);
        let mut client = self.client(secrets.client_secret.clone())?;
        client.dpop = self.dpop_signer(secrets)?;
        let token_url = &settings.endpoints.token;
        let mut request = match (settings.grant, &secrets.refresh_token) {
            (Grant::RefreshToken, Some(refresh_token)) => {
                grant::refresh_request(token_url, &client, refresh_token, scope)
            }
            (Grant::RefreshToken, None) => {
                return Err(Error::login_required(
                    &settings.name,
                    format!("no refresh token stored for profile '{}'", settings.name),
                ));
            }
            (Grant::ClientCredentials, _) => grant::client_credentials_request(
                token_url,
                &client,
                Some(scope.unwrap_or(&settings.scope)),
            ),
            // The assertion is read now, under the lock (session/assertion.rs); each
            // resource and the audience are asked for there.
            (Grant::JwtBearer | Grant::TokenExchange, _) => {
                assertion_request(settings, &client, scope.unwrap_or(&settings.scope))?
            }
        };
        match (narrow.and_then(|n| n.resource), settings.grant) {
            // RFC 8707 2.2: a token for one of the granted resources.
            (Some(resource), _) => request.push("resource", resource),
            // No grant to carry them: each resource (and audience) is asked for here.
            (None, Grant::ClientCredentials) => settings.ask_for_resources(&mut request),
            (None, Grant::JwtBearer | Grant::TokenExchange) => {}
            (None, Grant::RefreshToken) => settings.name_the_resource(&mut request),
        }
        let response = self.endpoint.post(&request);
        self.keep_dpop_nonce(client.dpop.as_ref(), token_url);
        let response = response?;
        self.retry_after.set(response.retry_after);
        Ok(grant::parse_token_response(&response, self.now)?)
    }

    /// `now`, moved on by the time this session has waited since.
    fn clock(&self) -> u64 {
        self.now.saturating_add(self.started.elapsed().as_secs())
    }
}

/// The real time, for a proof's `iat` (the server compares it with its own clock; the
/// session's `now` may be shifted by tests).
fn wall_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The shared store of a `--store redis` profile; not connected until used.
fn fleet_store(settings: &ProfileSettings) -> Option<store::redis::Shared> {
    match (&settings.store.kind, &settings.store.redis) {
        (crate::config::StoreKind::Redis, Some(redis)) => {
            Some(store::redis::Shared::new(redis.clone()))
        }
        _ => None,
    }
}

fn is_invalid_grant(err: &Error) -> bool {
    matches!(err, Error::OAuth(e) if e.server_code() == Some("invalid_grant"))
}

#[cfg(test)]
mod tests;
