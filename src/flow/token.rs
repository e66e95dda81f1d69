//! `octoken token`: the hot path. A fresh cached token is printed without touching the
//! keyring, the network, the HTTP client or the async runtime.

use crate::cli::TokenArgs;
use crate::error::{Error, Result};
use crate::flow::refresh::{self, Mode};
use crate::output;
use crate::settings::Global;
use crate::store::cache;
use crate::token::Freshness;

pub fn run(global: &Global, args: &TokenArgs) -> Result<()> {
    let settings = global.profile()?;
    let token = match cache::load(&settings.cache_file(), &settings.cache_key()) {
        Some(token) => match token.freshness(global.now, args.min_ttl) {
            Freshness::Fresh { .. } => token,
            Freshness::Stale(reason) => {
                output::debug(1, format!("cached token is stale: {reason:?}"));
                refresh::refresh(
                    &settings,
                    global.now,
                    Mode::IfStale {
                        min_ttl: args.min_ttl,
                    },
                )?
            }
        },
        None => refresh::refresh(
            &settings,
            global.now,
            Mode::IfStale {
                min_ttl: args.min_ttl,
            },
        )?,
    };
    if token.remaining(global.now) < args.min_ttl {
        output::debug(
            1,
            "the server issues tokens shorter-lived than --min-ttl; each call will refresh",
        );
    }
    output::token(&token, args.format, global.now)
        .map_err(|e| Error::other(format!("cannot write the token: {e}")))
}
