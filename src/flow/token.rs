//! `octoken token`: the hot path. A fresh cached token is printed without touching the
//! keyring, the network, the HTTP client or the async runtime (the session builds those
//! only when it must refresh).

use crate::access_token::Freshness;
use crate::error::{Error, Result};
use crate::output;
use crate::session::Session;
use crate::settings::{CacheOnlyToken, TokenKind, TokenSettings};
use crate::store::cache;

/// Prints the cached access token when the cache alone can answer: config.toml is the
/// very version the token was cached under (one `lstat`, no parsing: see
/// `cache::load_if_unchanged`) and the token has `min_ttl` left. Ok(false): the caller
/// takes the long way, which resolves the profile with every check and may refresh.
pub fn from_cache(settings: &CacheOnlyToken) -> Result<bool> {
    let CacheOnlyToken {
        global,
        min_ttl,
        format,
        env_name,
    } = settings;
    let paths = &global.paths;
    let Some(token) = cache::load_if_unchanged(
        &paths.cache_file(&global.profile, None, None),
        &paths.config_file(),
    ) else {
        return Ok(false);
    };
    if !token.is_plausible(global.now)
        || !matches!(
            token.freshness(global.now, *min_ttl),
            Freshness::Fresh { .. }
        )
    {
        return Ok(false);
    }
    output::token(&token, *format, env_name, global.now)
        .map_err(|e| Error::other(format!("cannot write the token: {e}")))?;
    Ok(true)
}

pub fn run(settings: &TokenSettings) -> Result<()> {
    let session = Session::open(&settings.profile, settings.global.now);
    if let Some(wanted) = &settings.min_acr {
        check_min_acr(&session, &settings.profile.name, wanted)?;
    }
    if settings.kind == TokenKind::Id {
        let fresh = &settings.fresh;
        let token = session.fresh_id_token_for(fresh.min_ttl, fresh.audience.as_deref())?;
        return output::id_token(
            &token,
            settings.format,
            &settings.env_name,
            settings.global.now,
        )
        .map_err(|e| Error::other(format!("cannot write the token: {e}")));
    }
    let token = session.fresh_token(&settings.fresh)?;
    if let Some(request) = &settings.dpop_proof {
        let proof = session.resource_proof(
            &token,
            &request.method,
            &request.url,
            request.nonce.as_deref(),
        )?;
        return output::dpop_token(
            &token,
            &proof,
            settings.format,
            &settings.env_name,
            settings.global.now,
        )
        .map_err(|e| Error::other(format!("cannot write the token: {e}")));
    }
    output::token(
        &token,
        settings.format,
        &settings.env_name,
        settings.global.now,
    )
    .map_err(|e| Error::other(format!("cannot write the token: {e}")))
}

/// `--min-acr`: the profile's sign-in (its ID token's `acr`, from the ID-token cache)
/// must have reached one of these levels; else exit 4 with the login that would.
pub(crate) fn check_min_acr(session: &Session<'_>, name: &str, wanted: &str) -> Result<()> {
    let acr = session
        .cached_id_token()
        .and_then(|token| crate::jwt::claims(token.id_token.expose()))
        .and_then(|claims| {
            claims
                .get("acr")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
    if let Some(acr) = &acr
        && crate::oauth::sign_in::acr_satisfies(acr, wanted)
    {
        return Ok(());
    }
    let had = match &acr {
        Some(acr) => format!("level (acr) '{}'", crate::sanitize::foreign(acr, 100)),
        None => "no known level (no ID token with an acr is cached)".to_string(),
    };
    Err(Error::LoginRequired {
        message: format!("profile '{name}' signed in at {had}, weaker than --min-acr {wanted}"),
        hint: format!(
            "sign in more strongly: `{} --acr-values {}`",
            crate::profile_name::login_command(name),
            super::git_setup::shell_word(wanted)
        ),
    })
}
