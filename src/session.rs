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

use crate::access_token::{AccessToken, Freshness, IdToken};
use crate::config::Grant;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::network::Network;
use crate::oauth::grant::{self, TokenResponse};
use crate::oauth::http::{HttpOptions, HttpResponse};
use crate::oauth::id_token;
use crate::oauth::{ClientAuth, FormRequest};
use crate::output;
use crate::profile_name::login_command;
use crate::secret::Secret;
use crate::settings::{FreshSettings, ProfileSettings};
use crate::store::lock::ProfileLock;
use crate::store::state::State;
use crate::store::{self, SECRETS_FORMAT, SecretStore, StoredSecrets, cache, id_cache};
use std::cell::{OnceCell, RefCell};

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
    /// `token`: refresh only if no other process did while we waited for the lock.
    IfStale { min_ttl: u64 },
    /// `refresh`: always make the request (the keepalive).
    Always,
}

pub struct Session<'a> {
    settings: &'a ProfileSettings,
    now: u64,
    store: Box<dyn SecretStore>,
    endpoint: Box<dyn TokenEndpoint + 'a>,
    /// The valid ID token the last `persist` received, if any.
    received_id_token: RefCell<Option<IdToken>>,
}

impl<'a> Session<'a> {
    /// The profile's real store, and the network when a request is needed.
    pub fn open(settings: &'a ProfileSettings, now: u64) -> Session<'a> {
        Self::with(
            settings,
            now,
            store::open(&settings.name, &settings.store),
            Box::new(LazyNetwork::new(&settings.http)),
        )
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
            received_id_token: RefCell::new(None),
        }
    }

    pub fn store(&self) -> &dyn SecretStore {
        self.store.as_ref()
    }

    pub fn state(&self) -> State {
        State::load(&self.settings.state_file())
    }

    /// The cached access token for `scope` (None: the login's), whatever its freshness.
    pub fn cached(&self, scope: Option<&str>) -> Option<AccessToken> {
        cache::load(&self.settings.cache_file(scope), &self.settings.cache_key())
    }

    /// Holds off other processes' refreshes of this profile.
    pub fn lock(&self) -> Result<ProfileLock> {
        ProfileLock::acquire(&self.settings.lock_file(), self.settings.lock_timeout)
    }

    /// The cached token while it has `min_ttl` left, else a refreshed one.
    pub fn fresh_token(&self, fresh: &FreshSettings) -> Result<AccessToken> {
        let scope = fresh.scope.as_deref();
        let mode = Mode::IfStale {
            min_ttl: fresh.min_ttl,
        };
        let token = match self.cached(scope) {
            Some(token) => match token.freshness(self.now, fresh.min_ttl) {
                Freshness::Fresh { .. } => token,
                Freshness::Stale(reason) => {
                    output::debug(1, format!("the cached token is {reason}; refreshing"));
                    self.refresh(mode, scope)?
                }
            },
            None => self.refresh(mode, scope)?,
        };
        if token.remaining(self.now) < fresh.min_ttl {
            output::debug(
                1,
                "the server issues tokens shorter-lived than --min-ttl; each call will refresh",
            );
        }
        Ok(token)
    }

    /// Refreshes under the profile lock and returns the access token to use.
    /// `scope`: a narrower scope set than the login's, cached separately.
    pub fn refresh(&self, mode: Mode, scope: Option<&str>) -> Result<AccessToken> {
        let _lock = self.lock()?;
        if let Mode::IfStale { min_ttl } = mode
            && let Some(token) = self.cached(scope)
            && let Freshness::Fresh { .. } = token.freshness(self.now, min_ttl)
        {
            output::debug(1, "another process refreshed meanwhile; using its token");
            return Ok(token);
        }
        self.refresh_locked(scope)
    }

    /// The refresh itself; the caller holds the profile lock.
    fn refresh_locked(&self, scope: Option<&str>) -> Result<AccessToken> {
        let secrets = self.load_secrets()?;
        let (response, used) = match self.exchange(&secrets, scope) {
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
        let (usable, missing) = match settings.grant {
            Grant::RefreshToken => (
                stored.as_ref().is_some_and(|s| s.refresh_token.is_some()),
                "refresh token",
            ),
            Grant::ClientCredentials => (
                stored.as_ref().is_some_and(|s| s.client_secret.is_some()),
                "client secret",
            ),
        };
        match stored {
            Some(secrets) if usable => Ok(secrets),
            _ => Err(Error::login_required(
                &settings.name,
                format!("no {missing} stored for profile '{}'", settings.name),
            )),
        }
    }

    /// The client as the token endpoint must see it, with the stored secret.
    pub fn client(&self, secret: Option<Secret>) -> ClientAuth {
        ClientAuth {
            client_id: self.settings.client_id.clone(),
            method: self.settings.auth_method,
            secret,
        }
    }

    fn exchange(&self, secrets: &StoredSecrets, scope: Option<&str>) -> Result<TokenResponse> {
        let settings = self.settings;
        let client = self.client(secrets.client_secret.clone());
        let token_url = &settings.endpoints.token;
        let request = match (settings.grant, &secrets.refresh_token) {
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
        let response = self.endpoint.post(&request)?;
        Ok(grant::parse_token_response(&response, self.now)?)
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
        response: TokenResponse,
        scope: Option<&str>,
    ) -> Result<AccessToken> {
        let settings = self.settings;
        if response.refresh_expires_in == Some(0) {
            output::debug(
                1,
                "the refresh token has no absolute expiry (an offline token)",
            );
        }
        match &response.refresh_token {
            Some(new) if Some(new) != used.refresh_token.as_ref() => {
                let updated = StoredSecrets::new(Some(new.clone()), used.client_secret.clone());
                if let Err(err) = self.store.save(&updated) {
                    return Err(self.save_recovery(&updated, err));
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
        if scope.is_none() {
            self.keep_id_token(response.id_token.as_ref());
        }
        let mut state = self.state();
        state.last_refresh_at = Some(self.now);
        state.rejected_refresh_token = None;
        state.rejected_at = None;
        if let Err(e) = state.save(&settings.state_file()) {
            output::warn(format!("could not record the refresh time: {e}"));
        }
        Ok(response.access)
    }

    /// The store refused the rotated token, which the server now considers the only valid
    /// one: put it in a private file rather than lose it, and print no access token.
    fn save_recovery(&self, secrets: &StoredSecrets, err: Error) -> Error {
        let path = self.settings.recovery_file();
        let only_token = StoredSecrets::new(secrets.refresh_token.clone(), None);
        match fsutil::write_atomic(&path, &only_token.to_bytes(), true) {
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
        fsutil::remove(&self.settings.recovery_file())
    }
}

fn is_invalid_grant(err: &Error) -> bool {
    matches!(err, Error::OAuth(e) if e.server_code() == Some("invalid_grant"))
}

#[cfg(test)]
mod tests {
    //! The engine with an in-memory store and a scripted token endpoint; the files
    //! (cache, state, recovery, lock) are real, in a temp dir.

    use super::*;
    use crate::access_token::AccessToken;
    use crate::config::StoreKind;
    use crate::oauth::AuthMethod;
    use crate::paths::Paths;
    use crate::settings::Endpoints;
    use crate::store::StoreOptions;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::rc::Rc;
    use std::time::Duration;

    const NOW: u64 = 1_700_000_000;

    #[derive(Clone, Default)]
    struct Memory {
        secrets: Rc<RefCell<Option<StoredSecrets>>>,
        saves: Rc<Cell<u32>>,
        fail_saves: bool,
    }

    impl Memory {
        fn holding(refresh: Option<&str>, client_secret: Option<&str>) -> Memory {
            let memory = Memory::default();
            *memory.secrets.borrow_mut() = Some(StoredSecrets::new(
                refresh.map(Secret::new),
                client_secret.map(Secret::new),
            ));
            memory
        }

        fn refresh_token(&self) -> Option<String> {
            let secrets = self.secrets.borrow();
            secrets
                .as_ref()?
                .refresh_token
                .as_ref()
                .map(|s| s.expose().to_string())
        }
    }

    impl SecretStore for Memory {
        fn load(&self) -> Result<Option<StoredSecrets>> {
            Ok(self.secrets.borrow().clone())
        }
        fn save(&self, secrets: &StoredSecrets) -> Result<()> {
            if self.fail_saves {
                return Err(Error::storage("the store is full", "free some space"));
            }
            self.saves.set(self.saves.get() + 1);
            *self.secrets.borrow_mut() = Some(secrets.clone());
            Ok(())
        }
        fn delete(&self) -> Result<()> {
            *self.secrets.borrow_mut() = None;
            Ok(())
        }
    }

    type Reply = Box<dyn FnOnce() -> HttpResponse>;

    /// Answers token requests in order; records the refresh token each one carried.
    #[derive(Default)]
    struct Scripted {
        replies: RefCell<VecDeque<Reply>>,
        sent: Rc<RefCell<Vec<String>>>,
    }

    impl Scripted {
        fn new(replies: Vec<Reply>) -> (Scripted, Rc<RefCell<Vec<String>>>) {
            let scripted = Scripted {
                replies: RefCell::new(replies.into()),
                sent: Rc::default(),
            };
            let sent = scripted.sent.clone();
            (scripted, sent)
        }
    }

    impl TokenEndpoint for Scripted {
        fn post(&self, request: &FormRequest) -> Result<HttpResponse> {
            let token = request
                .form
                .iter()
                .find(|(name, _)| *name == "refresh_token")
                .map_or_else(|| "-".to_string(), |(_, v)| v.expose().to_string());
            self.sent.borrow_mut().push(token);
            let reply = self
                .replies
                .borrow_mut()
                .pop_front()
                .expect("a request the test did not script");
            Ok(reply())
        }
    }

    fn json(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
            retry_after: None,
        }
    }

    fn tokens(access: &str, refresh: Option<&str>) -> Reply {
        let body = match refresh {
            Some(r) => format!(
                r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":300,"refresh_token":"{r}"}}"#
            ),
            None => {
                format!(r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":300}}"#)
            }
        };
        Box::new(move || json(200, &body))
    }

    fn invalid_grant() -> Reply {
        Box::new(|| json(400, r#"{"error":"invalid_grant"}"#))
    }

    fn profile(dir: &Path, grant: Grant) -> ProfileSettings {
        let paths = Paths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
            cache_dir: dir.join("cache"),
        };
        ProfileSettings {
            name: "default".into(),
            issuer: None,
            client_id: "cli".into(),
            auth_method: AuthMethod::None,
            scope: "openid offline_access".into(),
            grant,
            endpoints: Endpoints {
                token: "http://127.0.0.1:9/token".into(),
                authorization: None,
                revocation: None,
                device: None,
                introspection: None,
            },
            http: HttpOptions {
                connect_timeout: Duration::from_secs(1),
                request_timeout: Duration::from_secs(1),
                ca_file: None,
                proxy: None,
            },
            prompt_consent: true,
            idle_limit_days: 30,
            redirect_uri: None,
            lock_timeout: Duration::from_secs(2),
            store: StoreOptions {
                kind: StoreKind::File,
                secret_file: paths.secret_file("default"),
                keyring_timeout: Duration::from_secs(1),
                fail_writes: false,
            },
            paths,
        }
    }

    use std::path::Path;

    fn session<'a>(
        settings: &'a ProfileSettings,
        store: &Memory,
        endpoint: Scripted,
    ) -> Session<'a> {
        Session::with(settings, NOW, Box::new(store.clone()), Box::new(endpoint))
    }

    fn cache_token(settings: &ProfileSettings, expires_at: u64) {
        let token = AccessToken {
            access_token: Secret::new("cached-at"),
            token_type: "Bearer".into(),
            expires_at: Some(expires_at),
            scope: None,
            obtained_at: NOW,
        };
        cache::save(&settings.cache_file(None), &settings.cache_key(), &token).unwrap();
    }

    #[test]
    fn invalid_grant_rereads_the_store_and_retries_with_a_token_rotated_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        // While our request was in flight, another process rotated rt-1 into rt-2.
        let other = store.clone();
        let rotate_then_refuse: Reply = Box::new(move || {
            *other.secrets.borrow_mut() = Some(StoredSecrets::new(Some(Secret::new("rt-2")), None));
            json(400, r#"{"error":"invalid_grant"}"#)
        });
        let (endpoint, sent) =
            Scripted::new(vec![rotate_then_refuse, tokens("at-3", Some("rt-3"))]);
        let token = session(&settings, &store, endpoint)
            .refresh(Mode::Always, None)
            .unwrap();
        assert_eq!(token.access_token.expose(), "at-3");
        assert_eq!(*sent.borrow(), ["rt-1", "rt-2"]);
        assert_eq!(store.refresh_token().as_deref(), Some("rt-3"));
    }

    #[test]
    fn invalid_grant_for_the_stored_token_asks_for_a_login_and_keeps_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        let (endpoint, sent) = Scripted::new(vec![invalid_grant()]);
        let session = session(&settings, &store, endpoint);
        let err = session.refresh(Mode::Always, None).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::LOGIN_REQUIRED);
        // The re-read found the same token: no second request with it.
        assert_eq!(*sent.borrow(), ["rt-1"]);
        assert_eq!(store.refresh_token().as_deref(), Some("rt-1"));
        let state = session.state();
        assert_eq!(
            state.rejected_refresh_token,
            Some(Secret::new("rt-1").fingerprint())
        );
        assert_eq!(state.rejected_at, Some(NOW));
    }

    #[test]
    fn a_temporary_failure_is_neither_retried_nor_recorded_as_a_rejection() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        let unavailable: Reply = Box::new(|| json(503, r#"{"error":"temporarily_unavailable"}"#));
        let (endpoint, sent) = Scripted::new(vec![unavailable]);
        let session = session(&settings, &store, endpoint);
        let err = session.refresh(Mode::Always, None).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::TEMPORARY);
        assert_eq!(sent.borrow().len(), 1);
        assert_eq!(session.state().rejected_refresh_token, None);
        assert_eq!(store.refresh_token().as_deref(), Some("rt-1"));
    }

    #[test]
    fn a_rotated_token_the_store_refuses_goes_to_the_recovery_file_and_no_token_is_served() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let mut store = Memory::holding(Some("rt-1"), None);
        store.fail_saves = true;
        let (endpoint, _) = Scripted::new(vec![tokens("at-2", Some("rt-2"))]);
        let err = session(&settings, &store, endpoint)
            .refresh(Mode::Always, None)
            .unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
        let saved = std::fs::read_to_string(settings.recovery_file()).unwrap();
        assert!(saved.contains("rt-2"), "{saved}");
        // Persist order: nothing is cached before the rotated token is safe.
        assert!(!settings.cache_file(None).exists());
    }

    #[test]
    fn the_next_run_picks_the_recovery_file_up_into_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let only = StoredSecrets::new(Some(Secret::new("rt-recovered")), None);
        fsutil::write_atomic(&settings.recovery_file(), &only.to_bytes(), true).unwrap();
        let store = Memory::holding(Some("rt-old"), Some("client-secret"));
        let (endpoint, sent) = Scripted::new(vec![tokens("at-2", None)]);
        session(&settings, &store, endpoint)
            .refresh(Mode::Always, None)
            .unwrap();
        assert_eq!(*sent.borrow(), ["rt-recovered"]);
        assert_eq!(store.refresh_token().as_deref(), Some("rt-recovered"));
        let kept = store.secrets.borrow().clone().unwrap().client_secret;
        assert_eq!(kept, Some(Secret::new("client-secret")));
        assert!(!settings.recovery_file().exists());
    }

    #[test]
    fn each_grant_needs_its_own_secret() {
        let dir = tempfile::tempdir().unwrap();
        let user = profile(dir.path(), Grant::RefreshToken);
        let machine = profile(dir.path(), Grant::ClientCredentials);
        let no_secrets = || Scripted::new(vec![]).0;
        let only_client_secret = Memory::holding(None, Some("s"));
        let only_refresh_token = Memory::holding(Some("rt"), None);

        let err = session(&user, &only_client_secret, no_secrets())
            .load_secrets()
            .unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::LOGIN_REQUIRED);
        assert!(err.to_string().contains("no refresh token"), "{err}");
        let err = session(&machine, &only_refresh_token, no_secrets())
            .load_secrets()
            .unwrap_err();
        assert!(err.to_string().contains("no client secret"), "{err}");
        let err = session(&user, &Memory::default(), no_secrets())
            .load_secrets()
            .unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::LOGIN_REQUIRED);

        assert!(
            session(&machine, &only_client_secret, no_secrets())
                .load_secrets()
                .is_ok()
        );
        assert!(
            session(&user, &only_refresh_token, no_secrets())
                .load_secrets()
                .is_ok()
        );
    }

    #[test]
    fn a_fresh_cache_answers_without_a_request_and_the_double_check_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        cache_token(&settings, NOW + 600);
        let (endpoint, sent) = Scripted::new(vec![]);
        let session = session(&settings, &store, endpoint);
        let fresh = FreshSettings {
            min_ttl: 60,
            scope: None,
        };
        assert_eq!(
            session.fresh_token(&fresh).unwrap().access_token.expose(),
            "cached-at"
        );
        // Under the lock, another process's fresh token is used, not refreshed again.
        let token = session
            .refresh(Mode::IfStale { min_ttl: 60 }, None)
            .unwrap();
        assert_eq!(token.access_token.expose(), "cached-at");
        assert!(sent.borrow().is_empty());
    }

    #[test]
    fn a_stale_cache_is_refreshed_and_the_keepalive_always_asks() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        cache_token(&settings, NOW + 30);
        let (endpoint, sent) =
            Scripted::new(vec![tokens("at-2", None), tokens("at-3", Some("rt-1"))]);
        let session = session(&settings, &store, endpoint);
        let fresh = FreshSettings {
            min_ttl: 60,
            scope: None,
        };
        assert_eq!(
            session.fresh_token(&fresh).unwrap().access_token.expose(),
            "at-2"
        );
        assert_eq!(session.cached(None).unwrap().access_token.expose(), "at-2");
        assert_eq!(session.state().last_refresh_at, Some(NOW));
        // `refresh` asks even though the cache is fresh now.
        let token = session.refresh(Mode::Always, None).unwrap();
        assert_eq!(token.access_token.expose(), "at-3");
        assert_eq!(sent.borrow().len(), 2);
        // The same refresh token back is not written again.
        assert_eq!(store.saves.get(), 0);
    }

    #[test]
    fn a_narrowed_scope_is_cached_apart_from_the_full_token() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        cache_token(&settings, NOW + 600);
        let (endpoint, _) = Scripted::new(vec![tokens("at-read", None)]);
        let session = session(&settings, &store, endpoint);
        let narrow = FreshSettings {
            min_ttl: 60,
            scope: Some("read".into()),
        };
        assert_eq!(
            session.fresh_token(&narrow).unwrap().access_token.expose(),
            "at-read"
        );
        assert_eq!(
            session.cached(None).unwrap().access_token.expose(),
            "cached-at"
        );
    }

    fn with_id_token(access: &str, exp: u64, aud: &str) -> Reply {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            b64(&format!(r#"{{"aud":"{aud}","exp":{exp},"sub":"u1"}}"#))
        );
        let body = format!(
            r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":300,"id_token":"{jwt}"}}"#
        );
        Box::new(move || json(200, &body))
    }

    #[test]
    fn id_tokens_are_cached_with_their_own_expiry_and_never_served_stale() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        let (endpoint, sent) = Scripted::new(vec![
            with_id_token("at-1", NOW + 100, "cli"),
            tokens("at-2", None),
            with_id_token("at-3", NOW + 3600, "someone-else"),
        ]);
        let session = session(&settings, &store, endpoint);
        // No cache: a refresh, whose ID token is kept beside the access token.
        let first = session.fresh_id_token(60).unwrap();
        assert_eq!(first.expires_at, NOW + 100);
        assert_eq!(session.cached(None).unwrap().access_token.expose(), "at-1");
        // Fresh enough: from the cache, no request.
        assert_eq!(session.fresh_id_token(60).unwrap().id_token, first.id_token);
        assert_eq!(sent.borrow().len(), 1);
        // Too short for --min-ttl 600: a refresh that brings no ID token is an error,
        // and so is one whose ID token is for another client; the old one is not served.
        let err = session.fresh_id_token(600).unwrap_err();
        assert!(err.to_string().contains("no valid ID token"), "{err}");
        assert!(session.fresh_id_token(600).is_err());
        assert_eq!(sent.borrow().len(), 3);
        assert_eq!(session.cached_id_token().unwrap().id_token, first.id_token);
        // Dropping the access token (git's erase) keeps the ID token and the secrets.
        session.forget_access_token().unwrap();
        assert!(session.cached(None).is_none());
        assert!(session.cached_id_token().is_some());
        assert_eq!(store.refresh_token().as_deref(), Some("rt-1"));
    }

    #[test]
    fn forgetting_removes_secrets_caches_state_and_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let settings = profile(dir.path(), Grant::RefreshToken);
        let store = Memory::holding(Some("rt-1"), None);
        cache_token(&settings, NOW + 600);
        let (endpoint, _) = Scripted::new(vec![tokens("at-read", None)]);
        let session = session(&settings, &store, endpoint);
        session
            .fresh_token(&FreshSettings {
                min_ttl: 0,
                scope: Some("read".into()),
            })
            .unwrap();
        let leftover = StoredSecrets::new(Some(Secret::new("rt-2")), None);
        fsutil::write_atomic(&settings.recovery_file(), &leftover.to_bytes(), true).unwrap();
        let existing = settings.cache_files().iter().filter(|f| f.exists()).count();
        assert!(existing == 2 && settings.state_file().exists());
        session.forget_local().unwrap();
        assert!(store.secrets.borrow().is_none());
        assert!(settings.cache_files().iter().all(|f| !f.exists()));
        assert!(!settings.recovery_file().exists());
        assert!(!settings.state_file().exists());
    }
}
