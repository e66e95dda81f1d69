//! `octoken aws-credential`: an AWS `credential_process` (the AWS CLI's and SDKs'
//! "sourcing credentials with an external process"). It trades the profile's ID token
//! (or access token, `--type access`) for a role's temporary credentials at STS
//! (`AssumeRoleWithWebIdentity`, `oauth::sts`) and prints them as the `Version: 1` JSON
//! the SDKs read, and nothing else, on stdout.
//!
//! The credentials are cached per profile and role (`store::aws_cache`, 0600) until 15
//! minutes (or half their lifetime) before they expire. The cached path reads one
//! `lstat` of config.toml and one file, as `token`'s does. Otherwise the profile is
//! resolved and its token taken from the session engine (with its own cache, lock and
//! backoff); cached credentials obtained with that very token still do. A miss takes
//! the profile's lock and looks again before asking STS, so concurrent runs (20 `aws`
//! commands started together) make one STS request; a temporary STS failure is kept
//! for 15 seconds beside the cache, as their answer too.
//!
//! Never interactive unless `--login`: a needed login is one stderr line and exit 4.

use crate::error::{Error, Result};
use crate::flow;
use crate::network::Network;
use crate::network::http::HttpOptions;
use crate::oauth::sts;
use crate::output;
use crate::secret::Secret;
use crate::session::Session;
use crate::settings::{
    AwsCredentialSettings, FreshSettings, LoginSettings, ProfileSettings, TokenKind,
};
use crate::store::aws_cache::{self, AwsCredentials, RoleKey};
use crate::store::cache::CacheKey;
use crate::store::lock::ProfileLock;
use std::path::PathBuf;

/// The web identity token must outlive STS's check of it; a minute is plenty.
const TOKEN_MIN_TTL: u64 = 60;

/// After a temporary STS failure, the runs that waited for the lock meanwhile (and any
/// started this soon after it) answer with it rather than ask again.
const STS_BACKOFF: u64 = 15;

pub fn run(settings: AwsCredentialSettings) -> Result<()> {
    let credentials = credentials(settings).map_err(Error::one_line)?;
    output::stdout(&credential_process_json(&credentials))
        .map_err(|e| Error::other(format!("cannot write to the AWS CLI: {e}")))
}

fn credentials(settings: AwsCredentialSettings) -> Result<AwsCredentials> {
    let AwsCredentialSettings {
        global,
        role,
        kind,
        login,
    } = settings;
    let now = global.now;
    let path = global
        .paths
        .aws_cache_dir(&global.profile)
        .join(role.file_name());
    // The short way: config.toml is the very file the cache's client came from.
    if let Some(cached) = aws_cache::load_if_unchanged(&path, &global.paths.config_file(), &role)
        && cached.is_fresh(now)
    {
        return Ok(cached);
    }
    // The long way: the cached credentials count only if the profile's token is the
    // one they were obtained with (a login since, as anyone, rewrote config.toml).
    let profile = global.profile()?;
    let token = web_identity(&profile, kind, now, login)?;
    let cache = Cache {
        path,
        key: profile.cache_key(),
        config_stamp: profile.config_stamp,
        role: &role,
        identity: token.fingerprint(),
    };
    let sts = Sts {
        profile: &profile.name,
        http: HttpOptions {
            client_identity: None,
            ..profile.http.clone()
        },
        lock_file: profile.lock_file(),
        lock_timeout: profile.lock_timeout,
    };
    obtain(&cache, &sts, &token, now)
}

/// A web identity token of the named profile from the agent (`OCTOKEN_AGENT_SOCK`):
/// the ID token, or the access token, with at least this many seconds left.
pub type AskIdentity<'a> = &'a dyn Fn(&str, TokenKind, u64) -> Result<Secret>;

/// `aws-credential` with the web identity token from the agent: the STS request, its
/// cache and its lock stay on this machine, which needs no octoken config (the cache
/// is in the cache directory, beside this machine's own profiles' in a directory of
/// its own). Every run asks the agent for the token (its cached path), so cached
/// credentials count only while the agent's token is the one they were obtained with.
pub fn run_with_agent(settings: AwsCredentialSettings, ask: AskIdentity) -> Result<()> {
    let credentials = from_agent(settings, ask).map_err(Error::one_line)?;
    output::stdout(&credential_process_json(&credentials))
        .map_err(|e| Error::other(format!("cannot write to the AWS CLI: {e}")))
}

fn from_agent(settings: AwsCredentialSettings, ask: AskIdentity) -> Result<AwsCredentials> {
    let AwsCredentialSettings {
        global, role, kind, ..
    } = settings;
    let now = global.now;
    let token = ask(&global.profile, kind, TOKEN_MIN_TTL)?;
    let cache = Cache {
        path: global
            .paths
            .aws_cache_dir(&global.profile)
            .join(AGENT_DIR)
            .join(role.file_name()),
        key: CacheKey {
            token_url: AGENT_DIR.to_string(),
            client_id: global.profile.clone(),
        },
        config_stamp: None,
        role: &role,
        identity: token.fingerprint(),
    };
    let sts = Sts {
        profile: &global.profile,
        // The environment's proxy and the system's CAs: this machine has no profile.
        http: HttpOptions {
            connect_timeout: crate::settings::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: crate::settings::DEFAULT_REQUEST_TIMEOUT,
            ca_file: None,
            proxy: None,
            client_identity: None,
        },
        lock_file: global.paths.lock_file(&global.profile),
        lock_timeout: global.env.lock_timeout,
    };
    obtain(&cache, &sts, &token, now)
}

/// The directory (under the profile's AWS cache) of credentials obtained with an
/// agent's tokens, and the client key their files carry.
const AGENT_DIR: &str = "agent";

/// How STS is asked: for which profile (its messages), over what, under which lock.
struct Sts<'a> {
    profile: &'a str,
    http: HttpOptions,
    lock_file: PathBuf,
    lock_timeout: std::time::Duration,
}

/// The cached credentials, else one STS request per expiry: whoever holds the lock
/// asks, the others then find its answer in the cache.
fn obtain(cache: &Cache, sts: &Sts, token: &Secret, now: u64) -> Result<AwsCredentials> {
    if let Some(cached) = cache.fresh(now) {
        cache.stamp(&cached);
        return Ok(cached);
    }
    let _lock = ProfileLock::acquire(&sts.lock_file, sts.lock_timeout)?;
    if let Some(cached) = cache.fresh(now) {
        output::debug(
            1,
            "another process got AWS credentials meanwhile; using them",
        );
        return Ok(cached);
    }
    if let Some(failure) = aws_cache::load_failure(&cache.path)
        && now < failure.failed_at.saturating_add(STS_BACKOFF)
        && failure.failed_at <= now.saturating_add(STS_BACKOFF)
    {
        return Err(Error::Temporary {
            message: failure.message,
            hint: format!(
                "this is temporary: octoken asks STS again {STS_BACKOFF} s after a failure"
            ),
        });
    }
    let obtained = match assume_role(sts, cache.role, token, now, cache.identity.clone()) {
        Ok(obtained) => obtained,
        Err(err) => {
            if err.exit_code() == crate::error::exit::TEMPORARY {
                let failure = aws_cache::Failure {
                    failed_at: now,
                    message: err.to_string(),
                };
                if let Err(e) = aws_cache::save_failure(&cache.path, &failure) {
                    output::debug(1, format!("could not record the STS failure: {e}"));
                }
            }
            return Err(err);
        }
    };
    if let Err(e) = aws_cache::clear_failure(&cache.path) {
        output::debug(1, format!("could not clear the STS failure: {e}"));
    }
    if let Err(e) = aws_cache::save(
        &cache.path,
        &cache.key,
        cache.role,
        cache.config_stamp,
        &obtained,
    ) {
        output::warn(format!("could not cache the AWS credentials: {e}"));
    }
    Ok(obtained)
}

/// The cache file of one profile and role.
struct Cache<'a> {
    path: PathBuf,
    key: CacheKey,
    /// The config.toml the key came from (None: an agent's profile).
    config_stamp: Option<crate::fsutil::FileStamp>,
    role: &'a RoleKey,
    /// The fingerprint of the profile's current web identity token.
    identity: String,
}

impl Cache<'_> {
    fn fresh(&self, now: u64) -> Option<AwsCredentials> {
        aws_cache::load(&self.path, &self.key, self.role)
            .filter(|c| c.is_fresh(now) && c.identity == self.identity)
    }

    /// Records this config.toml's stamp in the file, so that the next run takes the
    /// short way (as `Session::cached` does for the token cache).
    fn stamp(&self, credentials: &AwsCredentials) {
        let Some(stamp) = self.config_stamp else {
            return;
        };
        if let Err(e) = aws_cache::save(&self.path, &self.key, self.role, Some(stamp), credentials)
        {
            output::debug(1, format!("could not stamp the AWS credentials cache: {e}"));
        }
    }
}

/// The profile's ID token (or access token), fresh; with `--login`, a needed login is
/// run first.
fn web_identity(
    profile: &ProfileSettings,
    kind: TokenKind,
    now: u64,
    login: Option<Box<LoginSettings>>,
) -> Result<Secret> {
    let session = Session::open(profile, now);
    let get = || -> Result<Secret> {
        match kind {
            TokenKind::Id => Ok(session.fresh_id_token(TOKEN_MIN_TTL)?.id_token),
            TokenKind::Access => {
                let fresh = FreshSettings {
                    min_ttl: TOKEN_MIN_TTL,
                    ..FreshSettings::default()
                };
                Ok(session.fresh_token(&fresh)?.access_token)
            }
        }
    };
    match get() {
        Err(Error::LoginRequired { .. }) if login.is_some() => {
            output::tell(format!(
                "octoken: AWS credentials need a login for profile '{}'; signing in",
                profile.name
            ));
            flow::login::run(*login.expect("checked above"))?;
            get()
        }
        other => other,
    }
}

/// One `AssumeRoleWithWebIdentity` request. The STS endpoint is another server than
/// the provider: it gets the profile's proxy and extra CA, never its client certificate.
fn assume_role(
    sts: &Sts,
    role: &RoleKey,
    token: &Secret,
    now: u64,
    identity: String,
) -> Result<AwsCredentials> {
    let request = sts::assume_role_request(
        &role.sts_endpoint,
        &sts::AssumeRole {
            role_arn: &role.role_arn,
            session_name: &role.session_name,
            duration: role.duration,
            web_identity_token: token,
        },
    );
    let network = Network::new(&sts.http)?;
    let fail = |e| Error::sts(e, sts.profile);
    let response = network.post(&request).map_err(fail)?;
    let got = sts::parse_response(&response, now).map_err(fail)?;
    output::debug(
        1,
        format!(
            "STS issued credentials for {}, valid until {}",
            got.assumed_role_arn.as_deref().unwrap_or("the role"),
            output::rfc3339(got.expiration)
        ),
    );
    Ok(AwsCredentials {
        access_key_id: got.access_key_id,
        secret_access_key: got.secret_access_key,
        session_token: got.session_token,
        expiration: got.expiration,
        obtained_at: now,
        identity,
    })
}

/// The answer the AWS SDKs read from a `credential_process` (Version 1).
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessCredentials<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
}

fn credential_process_json(credentials: &AwsCredentials) -> String {
    let answer = ProcessCredentials {
        version: 1,
        access_key_id: &credentials.access_key_id,
        secret_access_key: credentials.secret_access_key.expose(),
        session_token: credentials.session_token.expose(),
        expiration: output::rfc3339(credentials.expiration),
    };
    let json = serde_json::to_string(&answer).expect("plain data always serializes");
    crate::sanitize::json_inert(format!("{json}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_credential_process_version_1() {
        let text = credential_process_json(&AwsCredentials {
            access_key_id: "ASIAEXAMPLE0000000".into(),
            secret_access_key: Secret::new("wJalr/K7+key"),
            session_token: Secret::new("FQoG+/token="),
            expiration: 1_700_000_000,
            obtained_at: 1_699_996_400,
            identity: "fp".into(),
        });
        assert_eq!(
            text,
            "{\"Version\":1,\"AccessKeyId\":\"ASIAEXAMPLE0000000\",\"SecretAccessKey\":\"wJalr/K7+key\",\
             \"SessionToken\":\"FQoG+/token=\",\"Expiration\":\"2023-11-14T22:13:20Z\"}\n"
        );
    }
}
