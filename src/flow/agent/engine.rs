//! What the agent answers: the same engine as `octoken token` (the cache, the refresh
//! lock with the double check, the backoff, the stores), run per request for the
//! profile it names, on this machine's config. It hands out access tokens, ID tokens
//! and DPoP proofs, never a refresh token, client secret or private key (the answer
//! types have no place for one). A DPoP key is read from its store once and kept in
//! memory, so proofs cost no keyring call; it is read again when config.toml changes
//! (a new login).

#![cfg_attr(not(unix), allow(dead_code))]

use crate::access_token::Freshness;
use crate::agent::wire::{Failure, Kind, ProofRequest, Request, Response, TokenRequest};
use crate::error::{Error, Result};
use crate::fsutil::FileStamp;
use crate::oauth::dpop::DpopKey;
use crate::session::Session;
use crate::settings::{FreshSettings, Global, ProfileSettings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{limits, memo::Memo};

/// The longest `--dpop-proof` URL and nonce the agent signs.
const MAX_URL: usize = 8192;
const MAX_NONCE: usize = 1024;
/// The lifetime a registry's token must have left: `docker-credential`'s own (60 s).
const REGISTRY_MIN_TTL: u64 = 60;

pub struct Engine {
    /// `--profiles`: None serves every profile.
    profiles: Option<Vec<String>>,
    /// `--no-proofs` makes this false.
    proofs: bool,
    /// Each DPoP profile's key, with the config.toml it was read under.
    keys: Mutex<HashMap<String, (FileStamp, Arc<DpopKey>)>>,
    /// Each profile resolved (no secret in it), stamped with its config.toml: the same
    /// file, unchanged, resolves the same (the cached path's rule).
    resolved: Mutex<HashMap<String, ProfileSettings>>,
    /// Each profile's cached access token, while its files are unchanged.
    memo: Memo,
    /// Each profile's provider endpoints, which get no proof.
    routes: limits::ProviderRoutes,
}

impl Engine {
    pub fn new(profiles: Option<Vec<String>>, proofs: bool) -> Engine {
        Engine {
            profiles,
            proofs,
            keys: Mutex::new(HashMap::new()),
            resolved: Mutex::new(HashMap::new()),
            memo: Memo::default(),
            routes: limits::ProviderRoutes::default(),
        }
    }

    pub fn answer(&self, request: Request) -> Response {
        let result = match request {
            Request::Token { profile, token } => self.token(profile, &token),
            Request::RegistryToken { registry, profile } => {
                self.registry_token(&registry, profile.as_deref())
            }
            Request::Stop => Ok(Response::Stopping {}),
        };
        result.unwrap_or_else(|err| {
            Response::Error(Failure {
                exit: err.exit_code(),
                message: err.to_string(),
                hint: err.hint(),
            })
        })
    }

    fn token(&self, profile: String, request: &TokenRequest) -> Result<Response> {
        if let Some(served) = &self.profiles
            && !served.contains(&profile)
        {
            return Err(Error::config(
                format!(
                    "this agent does not serve profile '{}'",
                    crate::sanitize::foreign(&profile, crate::profile_name::MAX_SHOWN)
                ),
                Some(format!(
                    "it serves {} (octoken agent --profiles)",
                    served.join(", ")
                )),
            ));
        }
        if let Some(proof) = &request.dpop_proof {
            if !self.proofs {
                return Err(Error::config(
                    "this agent signs no DPoP proofs (it was started with --no-proofs)",
                    Some("ask for the token alone, or start the agent without --no-proofs".into()),
                ));
            }
            check_proof_request(proof)?;
        }
        // The cached path on the kept copy: two statx, no file read.
        let kept = self.memo.get(&profile);
        if is_plain(request)
            && let Some(token) = kept.clone()
            && let Some(token) = fresh_enough(token, crate::settings::now(), request.min_ttl)
        {
            return Ok(Response::Access { token, proof: None });
        }
        let global = Global::resolve(profile)?;
        let current = kept.or_else(|| self.memo.load(&global));
        let mut request = request.clone();
        request.min_ttl = limits::cap_min_ttl(request.min_ttl, current.as_ref());
        // The login's token, when it serves: for `token` and for a proof with it.
        let cached = current
            .filter(|_| {
                is_plain(&TokenRequest {
                    dpop_proof: None,
                    ..request.clone()
                })
            })
            .and_then(|t| fresh_enough(t, global.now, request.min_ttl));
        if let Some(token) = &cached
            && request.dpop_proof.is_none()
        {
            return Ok(Response::Access {
                token: token.clone(),
                proof: None,
            });
        }
        let settings = self.resolve(&global)?;
        if let Some(proof) = &request.dpop_proof {
            self.routes.check_proof_target(&settings, &proof.url)?;
        }
        let session = Session::open(&settings, global.now);
        let TokenRequest {
            kind,
            min_ttl,
            scope,
            resource,
            audience,
            strict,
            dpop_proof,
            min_acr,
        } = request;
        if let Some(wanted) = &min_acr {
            crate::flow::token::check_min_acr(&session, &settings.name, wanted)?;
        }
        if kind == Kind::Id {
            return Ok(Response::Id {
                token: session.fresh_id_token_for(min_ttl, audience.as_deref())?,
            });
        }
        let fresh = FreshSettings {
            min_ttl,
            scope: scope.filter(|s| !s.trim().is_empty()),
            resource: resource.filter(|r| !r.trim().is_empty()),
            audience: audience.filter(|a| !a.trim().is_empty()),
            strict,
        };
        let token = match cached {
            Some(token) => token,
            None => session.fresh_token(&fresh)?,
        };
        let proof = match dpop_proof {
            None => None,
            Some(p) => {
                let key = self.key(&settings, &session)?;
                Some(session.proof_with(&key, &token, &p.method, &p.url, p.nonce.as_deref())?)
            }
        };
        Ok(Response::Access { token, proof })
    }

    /// `docker-credential get` of a machine without bindings: the profile this agent's
    /// config.toml binds to the registry, among those it serves (another profile's
    /// binding is not told), and its access token as `token` gets it.
    fn registry_token(&self, registry: &str, only: Option<&str>) -> Result<Response> {
        let Ok((_, host)) = crate::docker_protocol::registry(registry) else {
            return Err(Error::usage(
                "the registry is not a host or host:port as the tools name it",
            ));
        };
        let global = Global::resolve(crate::profile_name::DEFAULT.to_string())?;
        let config = global.load_config()?;
        let served = |name: &str| {
            self.profiles
                .as_ref()
                .is_none_or(|p| p.iter().any(|s| s == name))
        };
        let Some((profile, username)) = crate::flow::docker_credential::bound_profile(
            &config,
            host,
            &global.profile,
            only,
            &served,
        ) else {
            return Ok(Response::NotBound {});
        };
        let request = TokenRequest {
            min_ttl: REGISTRY_MIN_TTL,
            ..TokenRequest::default()
        };
        match self.token(profile.clone(), &request)? {
            Response::Access { token, .. } => Ok(Response::Registry {
                profile,
                username,
                token,
            }),
            _ => Err(Error::other(
                "the engine answered a token request with something else",
            )),
        }
    }

    /// The profile's settings, as `Global::profile` resolves them, kept while
    /// config.toml is the very file they were resolved from.
    fn resolve(&self, global: &Global) -> Result<ProfileSettings> {
        let stamp = crate::fsutil::stamp(&global.paths.config_file());
        let mut resolved = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(settings) = resolved.get(&global.profile)
            && stamp.is_some()
            && settings.config_stamp == stamp
        {
            return Ok(settings.clone());
        }
        let settings = global.profile()?;
        if settings.config_stamp.is_some() {
            resolved.insert(global.profile.clone(), settings.clone());
        }
        Ok(settings)
    }

    /// The profile's DPoP key: kept from an earlier request under the same config.toml,
    /// else read from its store (once, however many requests wait for it).
    fn key(&self, settings: &ProfileSettings, session: &Session) -> Result<Arc<DpopKey>> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stamp) = settings.config_stamp
            && let Some((kept, key)) = keys.get(&settings.name)
            && *kept == stamp
        {
            return Ok(Arc::clone(key));
        }
        let key = session.dpop_key()?;
        match settings.config_stamp {
            Some(stamp) => {
                keys.insert(settings.name.clone(), (stamp, Arc::clone(&key)));
            }
            None => {
                keys.remove(&settings.name);
            }
        }
        Ok(key)
    }
}

/// A request `token`'s cached path answers: the login's access token, nothing more.
fn is_plain(request: &TokenRequest) -> bool {
    request.kind == Kind::Access
        && request.scope.is_none()
        && request.resource.is_none()
        && request.audience.is_none()
        && request.dpop_proof.is_none()
        && request.min_acr.is_none()
}

/// The cached token, if it has the request's `min_ttl` left.
fn fresh_enough(
    token: crate::access_token::AccessToken,
    now: u64,
    min_ttl: u64,
) -> Option<crate::access_token::AccessToken> {
    let min_ttl = limits::cap_min_ttl(min_ttl, Some(&token));
    let fresh =
        token.is_plausible(now) && matches!(token.freshness(now, min_ttl), Freshness::Fresh { .. });
    fresh.then_some(token)
}

/// A proof is signed for what the client names: an HTTP method and an http(s) URL, as
/// `token --dpop-proof` checks them on the client's side (a client may be hostile).
fn check_proof_request(proof: &ProofRequest) -> Result<()> {
    let method_ok = !proof.method.is_empty()
        && proof.method.len() <= 32
        && proof.method.bytes().all(|b| b.is_ascii_uppercase());
    let url_ok = proof.url.len() <= MAX_URL
        && url::Url::parse(&proof.url)
            .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    let nonce_ok = proof
        .nonce
        .as_deref()
        .is_none_or(|n| crate::access_token::is_printable_ascii(n, MAX_NONCE));
    if method_ok && url_ok && nonce_ok {
        return Ok(());
    }
    Err(Error::usage(
        "--dpop-proof takes an HTTP method and an http(s) URL (and a printable nonce)",
    ))
}
