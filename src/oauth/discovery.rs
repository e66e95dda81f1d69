//! Endpoint discovery: OpenID Connect Discovery 1.0 first, RFC 8414 as the fallback.
//! Done once at login; the endpoints are saved in the profile so `token` and `refresh`
//! never pay for it.

use crate::oauth::OAuthError;
use crate::oauth::grant::json_object;
use crate::oauth::http::HttpResponse;
use serde_json::Value;

pub const DISCOVERY: &str = "discovery endpoint";

#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub token_endpoint: String,
    pub authorization_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    /// RFC 9207: the provider always sends `iss` with the authorization response.
    pub iss_parameter_supported: bool,
    /// RFC 9449 5.1: the DPoP proof algorithms the server accepts (None: not said).
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// The documents to try, in order, for an issuer (without a trailing slash).
pub fn candidate_urls(issuer: &str) -> Vec<String> {
    let mut urls = vec![format!("{issuer}/.well-known/openid-configuration")];
    // RFC 8414 section 3: the well-known part goes between host and path.
    if let Ok(url) = url::Url::parse(issuer) {
        let path = url.path().trim_end_matches('/');
        let origin = url.origin().ascii_serialization();
        urls.push(format!(
            "{origin}/.well-known/oauth-authorization-server{path}"
        ));
    }
    urls
}

/// Parses a metadata document and checks that it speaks for `issuer`.
pub fn parse(resp: &HttpResponse, issuer: &str) -> Result<Metadata, OAuthError> {
    let doc = json_object(DISCOVERY, resp)?;
    let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_string);
    let bad = |message: String| OAuthError::Parse {
        endpoint: DISCOVERY,
        status: resp.status,
        message,
    };
    let claimed = text("issuer").ok_or_else(|| bad("the document has no issuer".into()))?;
    if claimed.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(bad(format!(
            "the document is for issuer {claimed}, not {issuer} (mix-up defence: check the issuer URL)"
        )));
    }
    Ok(Metadata {
        token_endpoint: text("token_endpoint")
            .ok_or_else(|| bad("the document has no token_endpoint".into()))?,
        authorization_endpoint: text("authorization_endpoint"),
        revocation_endpoint: text("revocation_endpoint"),
        device_authorization_endpoint: text("device_authorization_endpoint"),
        introspection_endpoint: text("introspection_endpoint"),
        jwks_uri: text("jwks_uri"),
        iss_parameter_supported: doc
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        dpop_signing_alg_values_supported: doc
            .get("dpop_signing_alg_values_supported")
            .and_then(Value::as_array)
            .map(|algs| {
                algs.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8414_inserts_the_well_known_part_before_the_path() {
        let urls = candidate_urls("https://id.example.com/realms/r");
        assert_eq!(
            urls[0],
            "https://id.example.com/realms/r/.well-known/openid-configuration"
        );
        assert_eq!(
            urls[1],
            "https://id.example.com/.well-known/oauth-authorization-server/realms/r"
        );
    }

    #[test]
    fn a_document_for_another_issuer_is_refused() {
        let resp = HttpResponse {
            status: 200,
            content_type: None,
            body: br#"{"issuer":"https://evil.example","token_endpoint":"https://evil.example/t"}"#
                .to_vec(),
            retry_after: None,
            dpop_nonce: None,
        };
        let err = parse(&resp, "https://id.example.com").unwrap_err();
        assert!(err.to_string().contains("mix-up"));
    }
}
