//! `octoken token`: the hot path. A fresh cached token is printed without touching the
//! keyring, the network, the HTTP client or the async runtime (the session builds those
//! only when it must refresh).

use crate::error::{Error, Result};
use crate::output;
use crate::session::Session;
use crate::settings::{TokenKind, TokenSettings};

pub fn run(settings: &TokenSettings) -> Result<()> {
    let session = Session::open(&settings.profile, settings.global.now);
    if settings.kind == TokenKind::Id {
        let token = session.fresh_id_token(settings.fresh.min_ttl)?;
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
