//! The authorization request URL (RFC 6749 section 4.1.1 with PKCE and OIDC `nonce`).
//! Pure: it builds a URL and sends nothing.

use crate::secret::Secret;

#[derive(Debug)]
pub struct AuthorizeRequest<'a> {
    pub authorization_url: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub state: &'a Secret,
    pub nonce: &'a Secret,
    pub code_challenge: &'a str,
    /// Send `prompt=consent` (OIDC Core 11: needed for offline_access on many servers).
    pub prompt_consent: bool,
    /// RFC 9449 10: bind the authorization code to this DPoP key thumbprint.
    pub dpop_jkt: Option<&'a str>,
    /// RFC 8707 2.1: the APIs the tokens are for.
    pub resources: &'a [String],
    /// The non-standard `audience` parameter (Auth0).
    pub audience: Option<&'a str>,
}

impl AuthorizeRequest<'_> {
    pub fn url(&self) -> Result<url::Url, url::ParseError> {
        let mut url = url::Url::parse(self.authorization_url)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.client_id)
                .append_pair("redirect_uri", self.redirect_uri)
                .append_pair("scope", self.scope)
                .append_pair("state", self.state.expose())
                .append_pair("code_challenge", self.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if self.scope.split_whitespace().any(|s| s == "openid") {
                q.append_pair("nonce", self.nonce.expose());
            }
            if self.prompt_consent {
                q.append_pair("prompt", "consent");
            }
            if let Some(jkt) = self.dpop_jkt {
                q.append_pair("dpop_jkt", jkt);
            }
            for resource in self.resources {
                q.append_pair("resource", resource);
            }
            if let Some(audience) = self.audience {
                q.append_pair("audience", audience);
            }
        }
        Ok(url)
    }
}

/// Whether to send prompt=consent: when offline access is asked for, unless the profile
/// turned it off for a server that minds.
pub fn wants_consent(scope: &str, consent_prompt_setting: bool) -> bool {
    consent_prompt_setting && scope.split_whitespace().any(|s| s == "offline_access")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_pkce_request_with_nonce_and_consent() {
        let state = Secret::new("st");
        let nonce = Secret::new("no");
        let url = AuthorizeRequest {
            authorization_url: "https://id.example.com/auth?kc_idp_hint=x",
            client_id: "cli",
            redirect_uri: "http://127.0.0.1:5555/callback",
            scope: "openid offline_access",
            state: &state,
            nonce: &nonce,
            code_challenge: "ch",
            prompt_consent: wants_consent("openid offline_access", true),
            dpop_jkt: None,
            resources: &["urn:a".into(), "https://b.example/".into()],
            audience: Some("aud"),
        }
        .url()
        .unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["kc_idp_hint"], "x", "existing query kept");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["nonce"], "no");
        assert_eq!(q["prompt"], "consent");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:5555/callback");
        let resources: Vec<_> = url
            .query_pairs()
            .filter(|(k, _)| k == "resource")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(resources, ["urn:a", "https://b.example/"]);
        assert_eq!(q["audience"], "aud");
        assert!(!wants_consent("openid", true));
        assert!(!wants_consent("openid offline_access", false));
    }
}
