//! `octoken token`: the hot path. A fresh cached token is printed without touching the
//! keyring, the network, the HTTP client or the async runtime.

use crate::cli::{FreshArgs, TokenArgs};
use crate::error::{Error, Result};
use crate::flow::refresh::{self, Mode};
use crate::output;
use crate::settings::{Global, ProfileSettings};
use crate::store::cache;
use crate::token::{AccessToken, Freshness};

pub fn run(global: &Global, args: &TokenArgs) -> Result<()> {
    let settings = global.profile()?;
    let token = fresh_token(global, &settings, &args.fresh)?;
    output::token(&token, args.format, &args.env_name, global.now)
        .map_err(|e| Error::other(format!("cannot write the token: {e}")))
}

/// The cached token while it has `min_ttl` left, else a refreshed one. Shared by `token`,
/// `exec` and `inspect`.
pub fn fresh_token(
    global: &Global,
    settings: &ProfileSettings,
    fresh: &FreshArgs,
) -> Result<AccessToken> {
    let scope = fresh.scope.as_deref().filter(|s| !s.trim().is_empty());
    let mode = Mode::IfStale {
        min_ttl: fresh.min_ttl,
    };
    let token = match cache::load(&settings.cache_file(scope), &settings.cache_key()) {
        Some(token) => match token.freshness(global.now, fresh.min_ttl) {
            Freshness::Fresh { .. } => token,
            Freshness::Stale(reason) => {
                output::debug(1, format!("cached token is stale: {reason:?}"));
                refresh::refresh(settings, global.now, mode, scope)?
            }
        },
        None => refresh::refresh(settings, global.now, mode, scope)?,
    };
    if token.remaining(global.now) < fresh.min_ttl {
        output::debug(
            1,
            "the server issues tokens shorter-lived than --min-ttl; each call will refresh",
        );
    }
    Ok(token)
}
