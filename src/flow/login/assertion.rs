//! `login --grant jwt-bearer|token-exchange` (docs/ci.md): one token request with the
//! assertion (or subject token) read from its source, like client credentials; the
//! profile saves the source, never what it yielded.

use crate::config::Grant;
use crate::error::Result;
use crate::network::Network;
use crate::oauth::ClientAuth;
use crate::oauth::discovery::Metadata;
use crate::oauth::grant::TokenResponse;
use crate::output;
use crate::settings::ProfileSettings;

pub(super) fn sign_in(
    network: &Network,
    settings: &ProfileSettings,
    metadata: &Metadata,
    client: &ClientAuth,
    now: u64,
) -> Result<TokenResponse> {
    warn_unlisted_grant(settings, metadata);
    let request = crate::session::assertion_request(settings, client, &settings.scope)?;
    super::exchange(network, &request, now)
        .map_err(|e| crate::session::assertion_refused(settings, e))
}

/// What the login notice says the profile keeps.
pub(super) fn kept(settings: &ProfileSettings) -> String {
    let what = if settings.grant == Grant::JwtBearer {
        "assertion"
    } else {
        "subject token"
    };
    match &settings.assertion.assertion {
        Some(source) => format!(
            "{what} read from the {} at each renewal",
            crate::assertion::describe(source)
        ),
        None => format!("no {what} source"),
    }
}

/// RFC 8414: a provider that lists its grants and not this one will likely refuse it;
/// said before the request, so that the refusal that follows is understood.
fn warn_unlisted_grant(settings: &ProfileSettings, metadata: &Metadata) {
    let wanted = match settings.grant {
        Grant::JwtBearer => crate::oauth::exchange::JWT_BEARER,
        Grant::TokenExchange => crate::oauth::exchange::TOKEN_EXCHANGE,
        _ => return,
    };
    if let Some(listed) = &metadata.grant_types_supported
        && !listed.iter().any(|g| g == wanted)
    {
        output::warn(format!(
            "the provider's discovery document does not list the grant {wanted} (grant_types_supported); trying it anyway"
        ));
    }
}
