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

mod backoff;
mod fleet;

pub use backoff::random;

use crate::access_token::{AccessToken, Freshness, IdToken};
use crate::config::Grant;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::network::Network;
use crate::oauth::client_key::{AssertionAudience, AssertionSigner, ClientKey, KeyError};
use crate::oauth::dpop::{self, DpopKey, DpopSigner};
use crate::oauth::grant::{self, TokenResponse};
use crate::oauth::http::{HttpOptions, HttpResponse};
use crate::oauth::id_token;
use crate::oauth::{AuthMethod, ClientAuth, FormRequest};
use crate::output;
use crate::profile_name::login_command;
use crate::secret::Secret;
use crate::settings::{FreshSettings, Narrow, ProfileSettings};
use crate::store::lock::ProfileLock;
use crate::store::state::{Backoff, State};
use crate::store::{self, SECRETS_FORMAT, SecretStore, StoredSecrets, cache, dpop_nonce, id_cache};
use std::cell::{Cell, OnceCell, RefCell};

/// Where token requests go. The real one is the network; tests script the answers.
pub trait TokenEndpoint {
    fn post(&self, request: &FormRequest) -> Result<HttpResponse>;
}

impl TokenEndpoint for Network {
    fn post(&self, request: &FormRequest) -> Result<HttpResponse> {
        Ok(Network::post(self, request)?)
    }
}

/// The network, built on first use: a cached token never starts TLS or a runtime.
pub struct LazyNetwork<'a> {
    options: &'a HttpOptions,
    network: OnceCell<Network>,
}

impl<'a> LazyNetwork<'a> {
    pub fn new(options: &'a HttpOptions) -> Self {
        LazyNetwork {
            options,
            network: OnceCell::new(),
        }
    }
}

impl TokenEndpoint for LazyNetwork<'_> {
    fn post(&self, request: &FormRequest) -> Result<HttpResponse> {
        if self.network.get().is_none() {
            let _ = self.network.set(Network::new(self.options)?);
        }
        let network = self.network.get().expect("set just above");
        Ok(network.post(request)?)
    }
}

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

    /// The cached access token narrowed by `narrow` (None: the login's), whatever its
    /// freshness. An implausible one (an expiry beyond any real lifetime) is no cache.
    pub fn cached(&self, narrow: Option<Narrow<'_>>) -> Option<AccessToken> {
        cache::load(
            &self.settings.cache_file(narrow),
            &self.settings.cache_key(),
        )
        .filter(|token| token.is_plausible(self.now))
    }

    /// Holds off other processes' refreshes of this profile.
    pub fn lock(&self) -> Result<ProfileLock> {
        ProfileLock::acquire(&self.settings.lock_file(), self.settings.lock_timeout)
    }

    /// The cached token while it has `min_ttl` left, else a refreshed one. When renewing
    /// fails for a temporary reason and the cached token has not expired, that token is
    /// served with a warning (unless `strict`): the caller's request would still work.
    pub fn fresh_token(&self, fresh: &FreshSettings) -> Result<AccessToken> {
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
        let left = token.remaining(self.now);
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
            && let Freshness::Fresh { .. } = token.freshness(self.now, min_ttl)
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
        let result = self.exchange(&secrets, scope);
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

    /// The stored secrets, after folding in a recovery file left by an earlier failed
    /// save; a login is required when the grant's secret is missing.
    pub fn load_secrets(&self) -> Result<StoredSecrets> {
        let settings = self.settings;
        let recovery = settings.recovery_file();
        let stored = self.store.load()?;
        if let Some(bytes) = fsutil::read_private(&recovery)? {
            let fix = format!(
                "inspect {} and remove it if it is stale",
                recovery.display()
            );
            let recovered =
                StoredSecrets::from_bytes(&bytes, &recovery.display().to_string(), &fix)?;
            let mut merged = stored.unwrap_or_default();
            merged.v = SECRETS_FORMAT;
            merged.refresh_token = recovered.refresh_token;
            self.store.save(&merged)?;
            fsutil::remove(&recovery)?;
            output::notice(format!(
                "octoken: recovered the refresh token saved in {} into the {} store",
                recovery.display(),
                settings.store.kind.as_str()
            ));
            return Ok(merged);
        }
        match (missing_credential(settings, stored.as_ref()), stored) {
            (None, Some(secrets)) => Ok(secrets),
            (missing, _) => Err(Error::login_required(
                &settings.name,
                format!(
                    "no {} stored for profile '{}'",
                    missing.unwrap_or("login"),
                    settings.name
                ),
            )),
        }
    }

    /// The client as the token endpoint must see it, with the stored secret (or the
    /// key of a private_key_jwt client, read now).
    pub fn client(&self, secret: Option<Secret>) -> Result<ClientAuth> {
        client_auth(self.settings, secret)
    }

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
    /// server's nonce: `nonce` when given (and then remembered), else its last one.
    pub fn resource_proof(
        &self,
        token: &AccessToken,
        method: &str,
        url: &str,
        nonce: Option<&str>,
    ) -> Result<Secret> {
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
        let secrets = self.store.load()?.unwrap_or_default();
        let signer = self
            .dpop_signer(&secrets)?
            .expect("a DPoP profile has a signer or an error");
        let file = settings.dpop_nonce_file();
        let origin = dpop::origin(url);
        let nonce = match nonce {
            Some(nonce) => {
                if let Err(e) = dpop_nonce::save(&file, &origin, nonce) {
                    output::debug(1, format!("could not keep the DPoP nonce: {e}"));
                }
                Some(nonce.to_string())
            }
            None => dpop_nonce::get(&file, &origin),
        };
        Ok(signer.key.proof(
            method,
            url,
            nonce.as_deref(),
            Some(&token.access_token),
            wall_clock(),
        ))
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
        };
        match (narrow.and_then(|n| n.resource), settings.grant) {
            // RFC 8707 2.2: a token for one of the granted resources.
            (Some(resource), _) => request.push("resource", resource),
            // No grant to carry them: each resource (and audience) is asked for here.
            (None, Grant::ClientCredentials) => settings.ask_for_resources(&mut request),
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

    /// Refuses to ask the server while a recorded backoff runs.
    fn check_backoff(&self) -> Result<()> {
        // A fleet shares one backoff in Redis: one host's failure answers every host. A
        // Redis that cannot be read is the temporary failure to report (exit 5).
        let shared = match &self.fleet {
            Some(fleet) => fleet.backoff()?,
            None => None,
        };
        let local = self.state().backoff;
        let Some(backoff) = [local, shared]
            .into_iter()
            .flatten()
            .max_by_key(|b| b.until)
        else {
            return Ok(());
        };
        let now = self.clock();
        if now >= backoff.until {
            return Ok(());
        }
        let wait = backoff.until - now;
        if wait > backoff::LONGEST_HOLD {
            // Longer than octoken ever holds off: not a backoff any host recorded.
            output::warn(format!(
                "ignoring a recorded backoff of {}: octoken never holds off that long",
                output::human_duration(wait)
            ));
            return Ok(());
        }
        Err(Error::Temporary {
            message: format!(
                "the last refresh failed {} ago ({}); octoken holds off asking the server for {} more",
                output::human_duration(now.saturating_sub(backoff.failed_at)),
                crate::sanitize::foreign(&backoff.reason, 200),
                output::human_duration(wait)
            ),
            hint: format!(
                "this is temporary: the stored refresh token is unchanged; try again after {} (`{}` asks now)",
                output::rfc3339(backoff.until),
                crate::profile_name::command(&self.settings.name, "refresh")
            ),
        })
    }

    /// Records a temporary failure so that every process holds off for a while.
    fn record_failure(&self, err: &Error) {
        let mut state = self.state();
        let failures = state
            .backoff
            .as_ref()
            .map_or(0, |b| b.failures)
            .saturating_add(1);
        let hold = backoff::hold_off(failures, self.retry_after.get(), backoff::random());
        let mut reason = err.to_string();
        if reason.chars().count() > 200 {
            reason = reason.chars().take(200).collect::<String>() + "...";
        }
        output::debug(1, format!("holding off refreshes for {hold}s: {reason}"));
        let now = self.clock();
        state.backoff = Some(Backoff {
            failed_at: now,
            until: now.saturating_add(hold),
            reason,
            failures,
        });
        if let Err(e) = state.save(&self.settings.state_file()) {
            output::warn(format!("could not record the failure: {e}"));
        }
        if let (Some(fleet), Some(backoff)) = (&self.fleet, &state.backoff)
            && let Err(e) = fleet.set_backoff(backoff, std::time::Duration::from_secs(hold))
        {
            output::debug(
                1,
                format!("could not share the backoff with the fleet: {e}"),
            );
        }
    }

    /// The server refused the token we hold: keep it (never delete on a failed refresh),
    /// remember which one was refused, and ask for a login.
    fn rejected(&self, secrets: &StoredSecrets, err: Error) -> Error {
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
        if response.access.scope.is_none() {
            // RFC 6749 5.1: a response without `scope` granted what was asked for.
            response.access.scope = Some(scope.unwrap_or(&settings.scope).to_string());
        }
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
    fn save_recovery(&self, secrets: &StoredSecrets, err: Error) -> Error {
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

    /// The cached ID token, whatever its freshness.
    pub fn cached_id_token(&self) -> Option<IdToken> {
        id_cache::load(&self.settings.id_token_file(), &self.settings.cache_key())
    }

    /// The cached ID token while it has `min_ttl` left, else one from a refresh (under
    /// the lock, checking the cache again first). A refresh answer without an ID token
    /// is an error: a stale one is never handed out.
    pub fn fresh_id_token(&self, min_ttl: u64) -> Result<IdToken> {
        let fresh =
            |token: &IdToken| matches!(token.freshness(self.now, min_ttl), Freshness::Fresh { .. });
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
    fn keep_id_token(&self, id_token: Option<&Secret>) {
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

    /// Drops the cached access token of the login's scope (git's `erase`): the next use
    /// refreshes. The refresh token stays.
    pub fn forget_access_token(&self) -> Result<()> {
        cache::remove(&self.settings.cache_file(None))
    }

    /// The refresh token alone, in the 0600 recovery file the next run picks up.
    fn write_recovery(&self, secrets: &StoredSecrets) -> Result<()> {
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

/// What the stored secrets lack for the profile's grant (None: nothing, they will do).
fn missing_credential(
    settings: &ProfileSettings,
    stored: Option<&StoredSecrets>,
) -> Option<&'static str> {
    let lacks = |what: fn(&StoredSecrets) -> bool| !stored.is_some_and(what);
    match settings.grant {
        Grant::RefreshToken => lacks(|s| s.refresh_token.is_some()).then_some("refresh token"),
        // A private_key_jwt or mTLS client's credential is its key file, not a secret.
        Grant::ClientCredentials if settings.client_key.is_some() => {
            stored.is_none().then_some("login")
        }
        Grant::ClientCredentials => lacks(|s| s.client_secret.is_some()).then_some("client secret"),
    }
}

fn is_invalid_grant(err: &Error) -> bool {
    matches!(err, Error::OAuth(e) if e.server_code() == Some("invalid_grant"))
}

#[cfg(test)]
mod tests;

/// The client as a profile's endpoints must see it: its id, method and secret, and for
/// private_key_jwt its key, read from the user's file at each use (never copied).
pub fn client_auth(settings: &ProfileSettings, secret: Option<Secret>) -> Result<ClientAuth> {
    let assertion = match (&settings.client_key, settings.auth_method) {
        (Some(file), AuthMethod::PrivateKeyJwt) => {
            let key = read_client_key(file)?;
            let alg = match file.alg {
                Some(alg) if !key.algs().contains(&alg) => {
                    return Err(Error::Config {
                        message: format!(
                            "the client key {} is a{} {} key, which cannot sign {} assertions",
                            file.path.display(),
                            if key.kind() == "RSA" { "n" } else { "" },
                            key.kind(),
                            alg.as_str()
                        ),
                        hint: Some(format!(
                            "pass the key the client is registered with, or --client-key-alg {}",
                            key.algs()[0].as_str()
                        )),
                    });
                }
                Some(alg) => alg,
                None => key.algs()[0],
            };
            let audience = match (file.aud.unwrap_or_default(), &settings.issuer) {
                (AssertionAudience::TokenEndpoint, _) => settings.endpoints.token.clone(),
                (AssertionAudience::Issuer, Some(issuer)) => issuer.clone(),
                (AssertionAudience::Issuer, None) => {
                    return Err(Error::Config {
                        message: "client assertions for the issuer need the profile's issuer, and it has none".into(),
                        hint: Some(
                            "log in again with --issuer URL, or --client-key-aud token-endpoint"
                                .into(),
                        ),
                    });
                }
            };
            Some(AssertionSigner {
                key: std::sync::Arc::new(key),
                alg,
                client_id: settings.client_id.clone(),
                audience,
            })
        }
        _ => None,
    };
    Ok(ClientAuth {
        client_id: settings.client_id.clone(),
        method: settings.auth_method,
        secret,
        dpop: None,
        assertion,
    })
}

fn read_client_key(file: &crate::settings::ClientKeyFile) -> Result<ClientKey> {
    let path = file.path.display();
    let refuse = |why: String| Error::Config {
        message: format!("cannot use the client key file {path}: {why}"),
        hint: Some(
            "pass the client's PEM private key with `octoken login --client-key-file PEM`".into(),
        ),
    };
    let (pem, open_to_others) =
        fsutil::read_user_file(&file.path).map_err(|e| refuse(e.to_string()))?;
    if let Some(mode) = open_to_others {
        output::warn(format!(
            "{path} has permissions {mode:03o}: other users can read the client's private key \
             (`chmod 600` it)"
        ));
    }
    ClientKey::from_pem(&pem, file.kid.clone()).map_err(|e| {
        let mut err = refuse(e.to_string());
        if let (Error::Config { hint, .. }, KeyError::Sec1 | KeyError::Encrypted) = (&mut err, &e)
        {
            *hint = Some(format!(
                "convert it: `openssl pkcs8 -topk8 -nocrypt -in {path} -out key.pem`, then pass --client-key-file key.pem"
            ));
        }
        err
    })
}
