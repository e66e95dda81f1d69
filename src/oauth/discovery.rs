//! Endpoint discovery: OpenID Connect Discovery 1.0 first, RFC 8414 as the fallback.
//! Done once at login; the endpoints are saved in the profile so `token` and `refresh`
//! never pay for it.

use crate::access_token as token;
use crate::oauth::HttpResponse;
use crate::oauth::OAuthError;
use crate::oauth::error::server_text;
use crate::oauth::grant::json_object;
use serde_json::Value;

/// Longest endpoint URL accepted, in bytes.
const MAX_URL: usize = 2048;

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
    /// RFC 8414 2: the algorithms it takes for private_key_jwt assertions (None: not said).
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    /// RFC 9449 5.1: the DPoP proof algorithms the server accepts (None: not said).
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// RFC 8414 2: the grants it offers (None: not said).
    pub grant_types_supported: Option<Vec<String>>,
    /// RFC 8705 5: where a client doing mutual TLS sends its requests instead.
    pub mtls_endpoint_aliases: Option<MtlsAliases>,
    /// The endpoints above are partly or wholly those aliases (`use_mtls_aliases`).
    pub uses_mtls_aliases: bool,
    /// RFC 9126 5: where authorization requests are pushed, and whether the provider
    /// takes them only that way.
    pub pushed_authorization_request_endpoint: Option<String>,
    pub require_pushed_authorization_requests: bool,
}

/// RFC 8705 5 `mtls_endpoint_aliases`: a provider may ask for client certificates on
/// other URLs only, so that browsers on its plain ones never see a certificate prompt.
/// Only the endpoints octoken calls itself are read; the authorization endpoint is the
/// browser's and is never aliased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MtlsAliases {
    pub token_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub pushed_authorization_request_endpoint: Option<String>,
}

impl MtlsAliases {
    /// Each alias listed, named as in the document (`mtls_endpoint_aliases.token_endpoint`).
    pub fn listed(&self) -> Vec<(&'static str, &str)> {
        [
            ("mtls_endpoint_aliases.token_endpoint", &self.token_endpoint),
            (
                "mtls_endpoint_aliases.revocation_endpoint",
                &self.revocation_endpoint,
            ),
            (
                "mtls_endpoint_aliases.introspection_endpoint",
                &self.introspection_endpoint,
            ),
            (
                "mtls_endpoint_aliases.device_authorization_endpoint",
                &self.device_authorization_endpoint,
            ),
            ("mtls_endpoint_aliases.jwks_uri", &self.jwks_uri),
            (
                "mtls_endpoint_aliases.pushed_authorization_request_endpoint",
                &self.pushed_authorization_request_endpoint,
            ),
        ]
        .into_iter()
        .filter_map(|(name, url)| url.as_deref().map(|u| (name, u)))
        .collect()
    }
}

impl Metadata {
    /// RFC 8705 5: a client doing mutual TLS "MUST use the alias URL of the endpoint
    /// within the mtls_endpoint_aliases, when present, in preference to the endpoint URL
    /// of the same name at the top level". Endpoints without an alias stay as they are.
    pub fn use_mtls_aliases(&mut self) {
        let Some(aliases) = self.mtls_endpoint_aliases.take() else {
            return;
        };
        let mut used = false;
        if let Some(url) = aliases.token_endpoint {
            self.token_endpoint = url;
            used = true;
        }
        for (slot, alias) in [
            (&mut self.revocation_endpoint, aliases.revocation_endpoint),
            (
                &mut self.introspection_endpoint,
                aliases.introspection_endpoint,
            ),
            (
                &mut self.device_authorization_endpoint,
                aliases.device_authorization_endpoint,
            ),
            (&mut self.jwks_uri, aliases.jwks_uri),
            (
                &mut self.pushed_authorization_request_endpoint,
                aliases.pushed_authorization_request_endpoint,
            ),
        ] {
            if alias.is_some() {
                *slot = alias;
                used = true;
            }
        }
        self.uses_mtls_aliases = used;
    }
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

/// Parses a metadata document and checks that it speaks for `issuer`. Every endpoint
/// must be an absolute URL in printable ASCII (they are saved in the profile, printed
/// by `status` and requested); the claimed issuer is quoted only once made inert.
pub fn parse(resp: &HttpResponse, issuer: &str) -> Result<Metadata, OAuthError> {
    let doc = json_object(DISCOVERY, resp)?;
    let bad = |message: String| OAuthError::Parse {
        endpoint: DISCOVERY,
        status: resp.status,
        message,
    };
    let claimed = doc
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("the document has no issuer".into()))?;
    if claimed.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(bad(format!(
            "the document is for issuer {}, not {issuer} (mix-up defence: check the issuer URL)",
            server_text(claimed)
        )));
    }
    // `within` names the member's object in the error: "" or "mtls_endpoint_aliases.".
    let endpoint =
        |obj: &serde_json::Map<String, Value>, within: &str, name: &str| match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text))
                if token::is_printable_ascii(text, MAX_URL)
                    && url::Url::parse(text).is_ok_and(|u| u.has_host()) =>
            {
                Ok(Some(text.clone()))
            }
            Some(_) => Err(bad(format!("its {within}{name} is not a URL"))),
        };
    let url = |name: &str| endpoint(&doc, "", name);
    let mtls_endpoint_aliases = match doc.get("mtls_endpoint_aliases") {
        None | Some(Value::Null) => None,
        Some(Value::Object(aliases)) => {
            let alias = |name: &str| endpoint(aliases, "mtls_endpoint_aliases.", name);
            Some(MtlsAliases {
                token_endpoint: alias("token_endpoint")?,
                revocation_endpoint: alias("revocation_endpoint")?,
                introspection_endpoint: alias("introspection_endpoint")?,
                device_authorization_endpoint: alias("device_authorization_endpoint")?,
                jwks_uri: alias("jwks_uri")?,
                pushed_authorization_request_endpoint: alias(
                    "pushed_authorization_request_endpoint",
                )?,
            })
        }
        Some(_) => return Err(bad("its mtls_endpoint_aliases is not an object".into())),
    };
    Ok(Metadata {
        token_endpoint: url("token_endpoint")?
            .ok_or_else(|| bad("the document has no token_endpoint".into()))?,
        authorization_endpoint: url("authorization_endpoint")?,
        revocation_endpoint: url("revocation_endpoint")?,
        device_authorization_endpoint: url("device_authorization_endpoint")?,
        introspection_endpoint: url("introspection_endpoint")?,
        jwks_uri: url("jwks_uri")?,
        iss_parameter_supported: doc
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        token_endpoint_auth_signing_alg_values_supported: names(
            &doc,
            "token_endpoint_auth_signing_alg_values_supported",
        ),
        dpop_signing_alg_values_supported: names(&doc, "dpop_signing_alg_values_supported"),
        grant_types_supported: names(&doc, "grant_types_supported"),
        mtls_endpoint_aliases,
        uses_mtls_aliases: false,
        pushed_authorization_request_endpoint: url("pushed_authorization_request_endpoint")?,
        require_pushed_authorization_requests: doc
            .get("require_pushed_authorization_requests")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// A list of names (algorithms) in the document; the strings in it, if it is a list.
fn names(doc: &serde_json::Map<String, Value>, member: &str) -> Option<Vec<String>> {
    doc.get(member).and_then(Value::as_array).map(|names| {
        names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
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

    fn doc(body: serde_json::Value) -> HttpResponse {
        HttpResponse {
            status: 200,
            content_type: None,
            body: body.to_string().into_bytes(),
            retry_after: None,
            dpop_nonce: None,
        }
    }

    #[test]
    fn a_hostile_issuer_is_quoted_inert() {
        let resp = doc(serde_json::json!({
            "issuer": "https://evil.example\u{1b}[2J\u{1b}]8;;https://x/\u{7}",
            "token_endpoint": "https://evil.example/t",
        }));
        let err = parse(&resp, "https://id.example.com")
            .unwrap_err()
            .to_string();
        assert!(err.contains("issuer https://evil.example, not"), "{err:?}");
        assert!(!err.chars().any(char::is_control), "{err:?}");
    }

    #[test]
    fn endpoints_must_be_printable_urls() {
        let issuer = "https://id.example.com";
        let ok = parse(
            &doc(serde_json::json!({
                "issuer": issuer,
                "token_endpoint": "https://id.example.com/token",
                "jwks_uri": "http://127.0.0.1:9/jwks",
                "revocation_endpoint": null,
            })),
            issuer,
        )
        .unwrap();
        assert_eq!(ok.token_endpoint, "https://id.example.com/token");
        assert_eq!(ok.jwks_uri.as_deref(), Some("http://127.0.0.1:9/jwks"));
        assert!(ok.revocation_endpoint.is_none());
        for (name, value) in [
            (
                "token_endpoint",
                serde_json::json!("https://id.example.com/t\r\nx"),
            ),
            ("token_endpoint", serde_json::json!("/token")),
            ("token_endpoint", serde_json::json!(5)),
            (
                "jwks_uri",
                serde_json::json!("https://id.example.com/\u{1b}[2J"),
            ),
            (
                "device_authorization_endpoint",
                serde_json::json!("mailto:x@y"),
            ),
        ] {
            let mut body = serde_json::json!({
                "issuer": issuer,
                "token_endpoint": "https://id.example.com/token",
            });
            body[name] = value;
            let err = parse(&doc(body), issuer).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn mtls_aliases_replace_the_endpoints_they_name_and_no_other() {
        let issuer = "https://id.example.com";
        let mut m = parse(
            &doc(serde_json::json!({
                "issuer": issuer,
                "authorization_endpoint": "https://id.example.com/auth",
                "token_endpoint": "https://id.example.com/token",
                "revocation_endpoint": "https://id.example.com/revoke",
                "introspection_endpoint": "https://id.example.com/introspect",
                "mtls_endpoint_aliases": {
                    "token_endpoint": "https://mtls.example.com/token",
                    "revocation_endpoint": "https://mtls.example.com/revoke",
                    // Not an endpoint octoken calls: ignored, not checked.
                    "userinfo_endpoint": 5,
                    "authorization_endpoint": "https://mtls.example.com/auth",
                },
            })),
            issuer,
        )
        .unwrap();
        let aliases = m.mtls_endpoint_aliases.clone().unwrap();
        assert_eq!(
            aliases.listed(),
            [
                (
                    "mtls_endpoint_aliases.token_endpoint",
                    "https://mtls.example.com/token"
                ),
                (
                    "mtls_endpoint_aliases.revocation_endpoint",
                    "https://mtls.example.com/revoke"
                ),
            ]
        );
        let plain = m.clone();
        m.use_mtls_aliases();
        assert!(m.uses_mtls_aliases);
        assert_eq!(m.token_endpoint, "https://mtls.example.com/token");
        assert_eq!(
            m.revocation_endpoint.as_deref(),
            Some("https://mtls.example.com/revoke")
        );
        // No alias: the top-level one. The browser's endpoint is never aliased.
        assert_eq!(m.introspection_endpoint, plain.introspection_endpoint);
        assert_eq!(m.authorization_endpoint, plain.authorization_endpoint);

        // A document without aliases: nothing changes.
        let mut none = parse(
            &doc(serde_json::json!({
                "issuer": issuer,
                "token_endpoint": "https://id.example.com/token",
            })),
            issuer,
        )
        .unwrap();
        none.use_mtls_aliases();
        assert!(!none.uses_mtls_aliases);
        assert_eq!(none.token_endpoint, "https://id.example.com/token");
    }

    #[test]
    fn mtls_aliases_face_the_endpoint_checks() {
        let issuer = "https://id.example.com";
        for (aliases, name) in [
            (
                serde_json::json!(["https://mtls.example.com/token"]),
                "its mtls_endpoint_aliases is not an object",
            ),
            (
                serde_json::json!({"token_endpoint": "/token"}),
                "its mtls_endpoint_aliases.token_endpoint is not a URL",
            ),
            (
                serde_json::json!({"device_authorization_endpoint": "https://m.example.com/\u{1b}[2J"}),
                "its mtls_endpoint_aliases.device_authorization_endpoint is not a URL",
            ),
            (
                serde_json::json!({"jwks_uri": true}),
                "its mtls_endpoint_aliases.jwks_uri is not a URL",
            ),
        ] {
            let body = serde_json::json!({
                "issuer": issuer,
                "token_endpoint": "https://id.example.com/token",
                "mtls_endpoint_aliases": aliases,
            });
            let err = parse(&doc(body), issuer).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
            assert!(!err.chars().any(char::is_control), "{err:?}");
        }
    }
}
