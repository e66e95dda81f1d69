//! The authorization request URL (RFC 6749 section 4.1.1 with PKCE and OIDC `nonce`).
//! Pure: it builds a URL and sends nothing.

use crate::oauth::sign_in::SignInOptions;
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
    pub audience: &'a [String],
    /// The profile's own additions (`acr_values`, `login_hint`, ...).
    pub options: &'a SignInOptions,
}

impl AuthorizeRequest<'_> {
    /// Every parameter of the request, in order: octoken's own, then the profile's
    /// sign-in options. A `prompt` among them replaces the `prompt=consent` default.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("scope", self.scope),
            ("state", self.state.expose()),
            ("code_challenge", self.code_challenge),
            ("code_challenge_method", "S256"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut add = |name: &str, value: &str| params.push((name.into(), value.into()));
        if self.scope.split_whitespace().any(|s| s == "openid") {
            add("nonce", self.nonce.expose());
        }
        match self.options.prompt.as_deref() {
            Some(prompt) => add("prompt", prompt),
            None if self.prompt_consent => add("prompt", "consent"),
            None => {}
        }
        if let Some(jkt) = self.dpop_jkt {
            add("dpop_jkt", jkt);
        }
        for resource in self.resources {
            add("resource", resource);
        }
        for audience in self.audience {
            add("audience", audience);
        }
        params.extend(self.options.params());
        params
    }

    #[cfg(test)]
    pub fn url(&self) -> Result<url::Url, url::ParseError> {
        with_query(self.authorization_url, &self.params())
    }
}

/// The authorization endpoint with these parameters added to its own query.
pub fn with_query(
    authorization_url: &str,
    params: &[(String, String)],
) -> Result<url::Url, url::ParseError> {
    let mut url = url::Url::parse(authorization_url)?;
    url.query_pairs_mut().extend_pairs(params);
    Ok(url)
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
            audience: &["aud".into()],
            options: &SignInOptions {
                login_hint: Some("alice".into()),
                ..SignInOptions::default()
            },
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
        assert_eq!(q["login_hint"], "alice");
        assert!(!wants_consent("openid", true));
        assert!(!wants_consent("openid offline_access", false));
    }

    #[test]
    fn a_given_prompt_replaces_the_consent_default() {
        let secret = Secret::new("s");
        let options = SignInOptions {
            prompt: Some("login consent".into()),
            ..SignInOptions::default()
        };
        let request = AuthorizeRequest {
            authorization_url: "https://id.example.com/auth",
            client_id: "cli",
            redirect_uri: "http://127.0.0.1:5555/callback",
            scope: "openid offline_access",
            state: &secret,
            nonce: &secret,
            code_challenge: "ch",
            prompt_consent: true,
            dpop_jkt: None,
            resources: &[],
            audience: &[],
            options: &options,
        };
        let prompts: Vec<_> = request
            .params()
            .into_iter()
            .filter(|(k, _)| k == "prompt")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(prompts, ["login consent"]);
    }
}
