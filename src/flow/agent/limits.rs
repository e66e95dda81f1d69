//! What the agent refuses or bounds for a client it does not fully trust (a forwarded
//! socket reaches it from another machine): no DPoP proof for the provider's own
//! endpoints, and no refresh on every request by a huge `--min-ttl`.

use crate::access_token::AccessToken;
use crate::error::{Error, Result};
use crate::fsutil::FileStamp;
use crate::settings::ProfileSettings;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The least `min_ttl` the cap leaves: `--min-ttl`'s default.
const FLOOR: u64 = 60;

/// Each profile's provider endpoints as [`route`] reads them, kept while its
/// config.toml is unchanged (parsing five URLs per proof would cost more than signing).
#[derive(Default)]
pub struct ProviderRoutes {
    kept: Mutex<HashMap<String, Kept>>,
}

type Route = (String, String);
/// A profile's routes, with the config.toml they were read under.
type Kept = (Option<FileStamp>, Arc<Vec<Route>>);

impl ProviderRoutes {
    /// Refuses a proof for one of the provider's endpoints the profile knows (token,
    /// authorization, revocation, introspection, device). A proof for `POST` to the
    /// token endpoint is what a refresh with a DPoP-bound refresh token needs: signing
    /// one for a client would make the agent a signing oracle that defeats the key
    /// binding of a leaked refresh token. The URL is compared as a server would route
    /// it: the `htu` (no query, fragment or userinfo), scheme and host in lower case,
    /// default port dropped (the `url` crate does these), then the path
    /// percent-decoded, in lower case, with repeated and trailing slashes and `;`
    /// parameters dropped. An API on the provider's host (another path) is served.
    pub fn check_proof_target(&self, settings: &ProfileSettings, url: &str) -> Result<()> {
        let Some(target) = route(url) else {
            return Ok(()); // checked as an http(s) URL before; nothing to compare
        };
        if self.of(settings).contains(&target) {
            return Err(Error::config(
                "the agent signs no DPoP proof for the provider's own endpoints (token, \
                 authorization, revocation, introspection, device)",
                Some("ask for proofs for API requests only; refreshing is the agent's job".into()),
            ));
        }
        Ok(())
    }

    fn of(&self, settings: &ProfileSettings) -> Arc<Vec<Route>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((stamp, routes)) = kept.get(&settings.name)
            && stamp.is_some()
            && *stamp == settings.config_stamp
        {
            return Arc::clone(routes);
        }
        let e = &settings.endpoints;
        let routes: Vec<Route> = [
            Some(&e.token),
            e.authorization.as_ref(),
            e.revocation.as_ref(),
            e.introspection.as_ref(),
            e.device.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter_map(|url| route(url))
        .collect();
        let routes = Arc::new(routes);
        kept.insert(
            settings.name.clone(),
            (settings.config_stamp, Arc::clone(&routes)),
        );
        routes
    }
}

/// (origin, path) of a URL as a server routes it (see [`check_proof_target`]).
fn route(url: &str) -> Option<Route> {
    let parsed = url::Url::parse(url).ok()?;
    let origin = parsed.origin().ascii_serialization();
    let bytes = parsed.path().as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            decoded.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8_lossy(&decoded).to_lowercase();
    let mut path = String::new();
    for segment in text.split('/') {
        let segment = segment.split(';').next().unwrap_or_default();
        if !segment.is_empty() {
            path.push('/');
            path.push_str(segment);
        }
    }
    Some((origin, path))
}

/// The `min_ttl` the agent refreshes for: at most half the lifetime of the profile's
/// current token (and never below the default), so that a client asking for more than
/// a token ever has cannot make every request a refresh. Locally such a request
/// refreshes each time and serves the token anyway; through the agent it is served the
/// token it has until half of its lifetime is gone. None: no token to judge by (the
/// request's value stands; the refresh that follows gives one).
pub fn cap_min_ttl(min_ttl: u64, current: Option<&AccessToken>) -> u64 {
    let Some(lifetime) = current
        .and_then(|t| t.expires_at.map(|at| at.saturating_sub(t.obtained_at)))
        .filter(|l| *l > 0)
    else {
        return min_ttl;
    };
    min_ttl.min((lifetime / 2).max(FLOOR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_endpoint_is_matched_however_its_url_is_spelled() {
        let token = route("https://idp.example/realms/x/protocol/openid-connect/token");
        for spelled in [
            "https://idp.example/realms/x/protocol/openid-connect/token",
            "HTTPS://IDP.EXAMPLE:443/realms/x/protocol/openid-connect/token/",
            "https://idp.example//realms/x/protocol/openid-connect//token?a=b#c",
            "https://idp.example/realms/x/protocol/openid-connect/%74oken",
            "https://idp.example/realms/x/protocol/openid-connect/TOKEN;jsessionid=1",
            "https://u:p@idp.example/realms/x/a/../protocol/openid-connect/token",
        ] {
            assert_eq!(route(spelled), token, "{spelled}");
        }
        for other in [
            "https://idp.example/realms/x/protocol/openid-connect/token2",
            "https://idp.example:8443/realms/x/protocol/openid-connect/token",
            "http://idp.example/realms/x/protocol/openid-connect/token",
            "https://api.example/realms/x/protocol/openid-connect/token",
        ] {
            assert_ne!(route(other), token, "{other}");
        }
    }

    #[test]
    fn min_ttl_is_capped_at_half_the_tokens_lifetime() {
        let token = |lifetime: u64| AccessToken {
            access_token: crate::secret::Secret::new("t"),
            token_type: "Bearer".into(),
            expires_at: Some(1000 + lifetime),
            scope: None,
            scope_as_requested: false,
            obtained_at: 1000,
        };
        assert_eq!(cap_min_ttl(10_000_000, Some(&token(3600))), 1800);
        assert_eq!(cap_min_ttl(300, Some(&token(3600))), 300);
        assert_eq!(cap_min_ttl(10_000, Some(&token(30))), FLOOR);
        assert_eq!(cap_min_ttl(10_000, None), 10_000);
    }
}
