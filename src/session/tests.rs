//! The session engine with an in-memory store and a scripted token endpoint; the files
//! (cache, state, recovery, lock) are real, in a temp dir.

use super::*;
use crate::access_token::AccessToken;
use crate::config::StoreKind;
use crate::fsutil;
use crate::network::http::HttpOptions;
use crate::oauth::AuthMethod;
use crate::oauth::FormRequest;
use crate::oauth::HttpResponse;
use crate::paths::Paths;
use crate::secret::Secret;
use crate::settings::Endpoints;
use crate::store::StoreOptions;
use crate::store::cache;
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
    /// A file whose existence each save records (the recovery file's, for the order
    /// of writes).
    watch: Option<std::path::PathBuf>,
    seen_at_save: Rc<RefCell<Vec<bool>>>,
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
    fn probe(&self) -> Result<()> {
        Ok(())
    }
    fn load(&self) -> Result<Option<StoredSecrets>> {
        Ok(self.secrets.borrow().clone())
    }
    fn save(&self, secrets: &StoredSecrets) -> Result<()> {
        if let Some(watch) = &self.watch {
            self.seen_at_save.borrow_mut().push(watch.exists());
        }
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
        dpop_nonce: None,
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

/// A reply that first rotates the stored rt-1 into rt-2, as another process would have
/// while this request was in flight, then answers `status` with `body`.
fn rotated_meanwhile(store: &Memory, status: u16, body: &'static str) -> Reply {
    let other = store.clone();
    Box::new(move || {
        *other.secrets.borrow_mut() = Some(StoredSecrets::new(Some(Secret::new("rt-2")), None));
        json(status, body)
    })
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
            jwks: None,
            mtls_aliases: false,
        },
        http: HttpOptions {
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            ca_file: None,
            proxy: None,
            client_identity: None,
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
            session_bus: None,
            redis: None,
            now: NOW,
        },
        paths,
        dpop: None,
        test_fleet_hold: None,
        client_key: None,
        resources: Vec::new(),
        audience: Vec::new(),
        assertion: crate::settings::AssertionSettings::default(),
        sign_in: Default::default(),
        config_stamp: None,
    }
}

use std::path::Path;

fn session<'a>(settings: &'a ProfileSettings, store: &Memory, endpoint: Scripted) -> Session<'a> {
    Session::with(settings, NOW, Box::new(store.clone()), Box::new(endpoint))
}

fn cache_token(settings: &ProfileSettings, expires_at: u64) {
    let token = AccessToken {
        access_token: Secret::new("cached-at"),
        token_type: "Bearer".into(),
        expires_at: Some(expires_at),
        scope: None,
        scope_as_requested: false,
        obtained_at: NOW,
    };
    cache::save(
        &settings.cache_file(None),
        &settings.cache_key(),
        None,
        &token,
    )
    .unwrap();
}

#[test]
fn invalid_grant_rereads_the_store_and_retries_with_a_token_rotated_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    // While our request was in flight, another process rotated rt-1 into rt-2.
    let rotate_then_refuse = rotated_meanwhile(&store, 400, r#"{"error":"invalid_grant"}"#);
    let (endpoint, sent) = Scripted::new(vec![rotate_then_refuse, tokens("at-3", Some("rt-3"))]);
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
        resource: None,
        audience: None,
        strict: false,
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
    let (endpoint, sent) = Scripted::new(vec![tokens("at-2", None), tokens("at-3", Some("rt-1"))]);
    let session = session(&settings, &store, endpoint);
    let fresh = FreshSettings {
        min_ttl: 60,
        scope: None,
        resource: None,
        audience: None,
        strict: false,
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
        resource: None,
        audience: None,
        strict: false,
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

#[test]
fn an_audience_token_is_exchanged_from_the_own_one_and_cached_per_audience() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    cache_token(&settings, NOW + 600);
    // A refresh token in an exchange's answer must not replace the login's.
    let (endpoint, sent) = Scripted::new(vec![
        tokens("at-api", Some("rt-other")),
        tokens("at-files", None),
    ]);
    let session = session(&settings, &store, endpoint);
    let for_audience = |aud: &str| FreshSettings {
        audience: Some(aud.into()),
        ..fresh(60, false)
    };
    let token = |aud: &str| {
        session
            .fresh_token(&for_audience(aud))
            .unwrap()
            .access_token
            .expose()
            .to_string()
    };
    assert_eq!(token("https://api"), "at-api");
    assert_eq!(token("https://api"), "at-api", "cached");
    assert_eq!(token("https://files"), "at-files");
    assert_eq!(sent.borrow().len(), 2, "one exchange per audience");
    assert_eq!(
        session.cached(None).unwrap().access_token.expose(),
        "cached-at"
    );
    assert_eq!(store.refresh_token().as_deref(), Some("rt-1"));
}

#[test]
fn assertion_refusals_name_the_source_and_a_missing_grant_is_a_config_error() {
    use crate::config::AssertionSource;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = profile(dir.path(), Grant::JwtBearer);
    settings.assertion.assertion = Some(AssertionSource::Env("CI_ID_TOKEN".into()));
    let refused = |body: &'static str| {
        let response = json(400, body);
        let err = grant::parse_token_response(&response, NOW).unwrap_err();
        super::assertion_refused(&settings, err.into())
    };
    let err = refused(r#"{"error":"invalid_grant","error_description":"expired"}"#);
    assert_eq!(err.exit_code(), 4);
    assert!(
        err.to_string()
            .contains("refused the assertion from the environment variable CI_ID_TOKEN"),
        "{err}"
    );
    let err = refused(r#"{"error":"unsupported_grant_type"}"#);
    assert_eq!(err.exit_code(), 3);
    assert!(
        err.to_string().contains("does not offer the JWT bearer"),
        "{err}"
    );
    // Other refusals stay what they are.
    assert_eq!(
        refused(r#"{"error":"invalid_scope"}"#).exit_code(),
        crate::error::exit::OTHER
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
            resource: None,
            audience: None,
            strict: false,
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

fn unavailable() -> Reply {
    Box::new(|| json(503, r#"{"error":"temporarily_unavailable"}"#))
}

fn fresh(min_ttl: u64, strict: bool) -> FreshSettings {
    FreshSettings {
        min_ttl,
        scope: None,
        resource: None,
        audience: None,
        strict,
    }
}

#[test]
fn one_temporary_failure_answers_every_later_caller_until_the_backoff_ends() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    let (endpoint, sent) = Scripted::new(vec![unavailable(), tokens("at-2", None)]);
    let first = session(&settings, &store, endpoint);
    let err = first.fresh_token(&fresh(60, false)).unwrap_err();
    assert_eq!(err.exit_code(), crate::error::exit::TEMPORARY);
    let backoff = first.state().backoff.expect("the failure is recorded");
    assert_eq!((backoff.failed_at, backoff.failures), (NOW, 1));
    assert!((NOW + 2..=NOW + 3).contains(&backoff.until), "{backoff:?}");
    assert!(
        backoff.reason.contains("temporarily_unavailable"),
        "{}",
        backoff.reason
    );

    // A caller during the backoff does not ask the server.
    let err = first.fresh_token(&fresh(60, false)).unwrap_err();
    assert!(err.to_string().contains("holds off"), "{err}");
    let err = first.refresh(Mode::Keepalive, None).unwrap_err();
    assert!(err.to_string().contains("holds off"), "{err}");
    assert_eq!(sent.borrow().len(), 1);

    // A person running `octoken refresh` asks anyway; the success clears the record.
    first.refresh(Mode::Always, None).unwrap();
    assert_eq!(sent.borrow().len(), 2);
    assert_eq!(first.state().backoff, None);
}

#[test]
fn the_backoff_ends_and_grows_with_consecutive_failures() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    let (endpoint, _) = Scripted::new(vec![unavailable()]);
    session(&settings, &store, endpoint)
        .refresh(Mode::IfStale { min_ttl: 60 }, None)
        .unwrap_err();
    let until = Session::open(&settings, NOW).state().backoff.unwrap().until;
    // Once it has passed, the next caller asks again; a second failure doubles it.
    let later = until;
    let (endpoint, sent) = Scripted::new(vec![unavailable()]);
    let again = Session::with(
        &settings,
        later,
        Box::new(store.clone()),
        Box::new(endpoint),
    );
    again
        .refresh(Mode::IfStale { min_ttl: 60 }, None)
        .unwrap_err();
    assert_eq!(sent.borrow().len(), 1);
    let second = again.state().backoff.unwrap();
    assert_eq!(second.failures, 2);
    assert!(
        (later + 4..=later + 5).contains(&second.until),
        "{second:?}"
    );
}

#[test]
fn retry_after_sets_the_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    let slow_down: Reply = Box::new(|| HttpResponse {
        retry_after: Some(86_400),
        ..json(429, r#"{"error":"slow_down"}"#)
    });
    let (endpoint, _) = Scripted::new(vec![slow_down]);
    let session = session(&settings, &store, endpoint);
    session.refresh(Mode::Keepalive, None).unwrap_err();
    // A day is capped: every process comes back within five minutes.
    assert_eq!(session.state().backoff.unwrap().until, NOW + 300);
}

#[test]
fn a_token_that_still_works_is_served_when_renewing_it_early_fails() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    cache_token(&settings, NOW + 30);
    let (endpoint, _) = Scripted::new(vec![unavailable()]);
    let session = session(&settings, &store, endpoint);
    let token = session.fresh_token(&fresh(60, false)).unwrap();
    assert_eq!(token.access_token.expose(), "cached-at");
    // --strict wants the full --min-ttl (and the backoff now answers at once).
    let err = session.fresh_token(&fresh(60, true)).unwrap_err();
    assert_eq!(err.exit_code(), crate::error::exit::TEMPORARY);
}

/// A token with a second left when the session starts has expired by the time a slow
/// failure comes back: it is not served (the time left is counted when the request has
/// failed, not when the session began).
#[test]
fn a_token_that_expired_while_the_renewal_failed_slowly_is_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    cache_token(&settings, NOW + 1);
    let slow: Reply = Box::new(|| {
        std::thread::sleep(Duration::from_millis(2100));
        json(503, r#"{"error":"temporarily_unavailable"}"#)
    });
    let (endpoint, _) = Scripted::new(vec![slow]);
    let err = session(&settings, &store, endpoint)
        .fresh_token(&fresh(60, false))
        .unwrap_err();
    assert_eq!(err.exit_code(), crate::error::exit::TEMPORARY);
}

#[test]
fn an_expired_token_or_a_rejected_login_is_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    cache_token(&settings, NOW);
    let (endpoint, _) = Scripted::new(vec![unavailable()]);
    let err = session(&settings, &store, endpoint)
        .fresh_token(&fresh(60, false))
        .unwrap_err();
    assert_eq!(err.exit_code(), crate::error::exit::TEMPORARY);

    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    cache_token(&settings, NOW + 30);
    let (endpoint, _) = Scripted::new(vec![invalid_grant()]);
    let err = session(&settings, &store, endpoint)
        .fresh_token(&fresh(60, false))
        .unwrap_err();
    assert_eq!(err.exit_code(), crate::error::exit::LOGIN_REQUIRED);
}

#[test]
fn only_invalid_grant_rereads_the_store_a_temporary_failure_never_retries() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    // Another process rotates meanwhile, but the answer was a 503: no second request
    // with the new token (only invalid_grant means "maybe it rotated").
    let rotate_then_fail = rotated_meanwhile(&store, 503, r#"{"error":"temporarily_unavailable"}"#);
    let (endpoint, sent) = Scripted::new(vec![rotate_then_fail]);
    let err = session(&settings, &store, endpoint)
        .refresh(Mode::Always, None)
        .unwrap_err();
    assert_eq!(err.exit_code(), crate::error::exit::TEMPORARY);
    assert_eq!(*sent.borrow(), ["rt-1"]);
}

#[test]
fn with_the_keyring_a_rotated_token_is_in_the_recovery_file_before_the_slower_write() {
    for (kind, early) in [(StoreKind::Keyring, true), (StoreKind::File, false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = profile(dir.path(), Grant::RefreshToken);
        settings.store.kind = kind;
        let mut store = Memory::holding(Some("rt-1"), None);
        store.watch = Some(settings.recovery_file());
        let (endpoint, _) = Scripted::new(vec![tokens("at-2", Some("rt-2"))]);
        session(&settings, &store, endpoint)
            .refresh(Mode::Always, None)
            .unwrap();
        assert_eq!(*store.seen_at_save.borrow(), [early], "{kind:?}");
        // Once the store has it, the recovery file goes.
        assert!(!settings.recovery_file().exists(), "{kind:?}");
        assert_eq!(store.refresh_token().as_deref(), Some("rt-2"));
    }
}

#[test]
fn the_backoff_message_says_how_long_and_a_long_reason_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let settings = profile(dir.path(), Grant::RefreshToken);
    let store = Memory::holding(Some("rt-1"), None);
    let long: Reply = Box::new(|| {
        json(
            503,
            &format!(
                r#"{{"error":"temporarily_unavailable","error_description":"{}"}}"#,
                "x".repeat(280)
            ),
        )
    });
    let (endpoint, _) = Scripted::new(vec![long]);
    let session = session(&settings, &store, endpoint);
    session.refresh(Mode::Keepalive, None).unwrap_err();
    let backoff = session.state().backoff.unwrap();
    assert_eq!(backoff.reason.chars().count(), 203, "{}", backoff.reason);
    assert!(backoff.reason.ends_with("..."));
    let wait = backoff.until - NOW;
    let err = session.refresh(Mode::Keepalive, None).unwrap_err();
    assert!(
        err.to_string().contains(&format!("for {wait}s more")),
        "{err}"
    );
}
