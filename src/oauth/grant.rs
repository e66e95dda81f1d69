//! Token-endpoint grants (RFC 6749 section 6 refresh, 4.4 client credentials): pure
//! request builders and a lenient parser for the answers real servers give.

use crate::access_token::AccessToken;
use crate::jwt;
use crate::oauth::http::HttpResponse;
use crate::oauth::{ClientAuth, FormRequest, OAuthError, error::excerpt};
use crate::secret::Secret;
use serde_json::{Map, Value};

pub const TOKEN_ENDPOINT: &str = "token endpoint";

#[derive(Debug)]
pub struct TokenResponse {
    pub access: AccessToken,
    /// Present: the server issued (maybe rotated) a refresh token. Absent: keep the old.
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    /// Keycloak reports 0 for offline tokens (no absolute expiry).
    pub refresh_expires_in: Option<u64>,
}

pub fn refresh_request(
    token_url: &str,
    client: &ClientAuth,
    refresh_token: &Secret,
    scope: Option<&str>,
) -> FormRequest {
    let mut req = FormRequest::new(TOKEN_ENDPOINT, token_url, client);
    req.push("grant_type", "refresh_token");
    req.push("refresh_token", refresh_token.expose());
    if let Some(scope) = scope {
        req.push("scope", scope);
    }
    req
}

/// RFC 6749 4.1.3 with the PKCE verifier (RFC 7636 4.5).
pub fn code_request(
    token_url: &str,
    client: &ClientAuth,
    code: &Secret,
    redirect_uri: &str,
    verifier: &Secret,
) -> FormRequest {
    let mut req = FormRequest::new(TOKEN_ENDPOINT, token_url, client);
    req.push("grant_type", "authorization_code");
    req.push("code", code.expose());
    req.push("redirect_uri", redirect_uri);
    req.push("code_verifier", verifier.expose());
    req
}

/// RFC 6749 4.4: machine-to-machine, no refresh token involved.
pub fn client_credentials_request(
    token_url: &str,
    client: &ClientAuth,
    scope: Option<&str>,
) -> FormRequest {
    let mut req = FormRequest::new(TOKEN_ENDPOINT, token_url, client);
    req.push("grant_type", "client_credentials");
    if let Some(scope) = scope.filter(|s| !s.trim().is_empty()) {
        req.push("scope", scope);
    }
    req
}

/// Parses a token-endpoint answer. `now` is unix seconds.
pub fn parse_token_response(resp: &HttpResponse, now: u64) -> Result<TokenResponse, OAuthError> {
    let object = json_object(TOKEN_ENDPOINT, resp)?;
    let parse_err = |message: &str| OAuthError::Parse {
        endpoint: TOKEN_ENDPOINT,
        status: resp.status,
        message: message.to_string(),
    };
    let access_token = match object.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => Secret::new(s.as_str()),
        _ => return Err(parse_err("no access_token in the response")),
    };
    // RFC 6749 says the type is case-insensitive; some servers send "bearer".
    let token_type = match object.get("token_type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_string(),
        Some(t) => t.to_string(),
        None => "Bearer".to_string(),
    };
    let expires_at = match lenient_u64(object.get("expires_in")) {
        Some(secs) => Some(now.saturating_add(secs)),
        // No expires_in: the JWT's own exp, else treat it as expiring now.
        None => jwt::expiry(access_token.expose()).or(Some(now)),
    };
    let optional_secret = |name: &str| match object.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(Secret::new(s.as_str())),
        _ => None,
    };
    Ok(TokenResponse {
        refresh_token: optional_secret("refresh_token"),
        id_token: optional_secret("id_token"),
        refresh_expires_in: lenient_u64(object.get("refresh_expires_in")),
        access: AccessToken {
            access_token,
            token_type,
            expires_at,
            scope: object
                .get("scope")
                .and_then(Value::as_str)
                .map(str::to_string),
            obtained_at: now,
        },
    })
}

/// Numbers as numbers or numeric strings ("3600"), as servers send them.
fn lenient_u64(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The body of a successful JSON answer, or the error the answer stands for.
pub fn json_object(
    endpoint: &'static str,
    resp: &HttpResponse,
) -> Result<Map<String, Value>, OAuthError> {
    if !(200..300).contains(&resp.status) {
        return Err(error_response(endpoint, resp));
    }
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(OAuthError::Parse {
            endpoint,
            status: resp.status,
            message: "the body is JSON but not an object".into(),
        }),
        Err(_) => Err(OAuthError::Parse {
            endpoint,
            status: resp.status,
            message: format!(
                "expected JSON, got {} ({})",
                resp.content_type.as_deref().unwrap_or("no content type"),
                excerpt(&resp.body)
            ),
        }),
    }
}

/// An RFC 6749 section 5.2 error when the body is one, else the bare status.
pub fn error_response(endpoint: &'static str, resp: &HttpResponse) -> OAuthError {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&resp.body)
        && let Some(code) = map.get("error").and_then(Value::as_str)
    {
        return OAuthError::Server {
            endpoint,
            status: resp.status,
            code: printable(code),
            description: map
                .get("error_description")
                .and_then(Value::as_str)
                .map(printable),
        };
    }
    let mut text = excerpt(&resp.body);
    if (300..400).contains(&resp.status) {
        text = "a redirect, which octoken does not follow from this endpoint".into();
    }
    OAuthError::Status {
        endpoint,
        status: resp.status,
        excerpt: text,
    }
}

fn printable(s: &str) -> String {
    excerpt(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
            retry_after: None,
            dpop_nonce: None,
        }
    }

    #[test]
    fn lenient_about_what_real_servers_send() {
        let r = parse_token_response(
            &resp(
                200,
                r#"{"access_token":"a","token_type":"bearer","expires_in":"300","extra":1}"#,
            ),
            1000,
        )
        .unwrap();
        assert_eq!(r.access.token_type, "Bearer");
        assert_eq!(r.access.expires_at, Some(1300));
        assert!(r.refresh_token.is_none());
    }

    #[test]
    fn missing_expiry_means_expiring_now() {
        let r = parse_token_response(&resp(200, r#"{"access_token":"opaque"}"#), 1000).unwrap();
        assert_eq!(r.access.expires_at, Some(1000));
    }

    #[test]
    fn error_bodies_surface_code_and_description() {
        let e = parse_token_response(
            &resp(
                400,
                r#"{"error":"invalid_grant","error_description":"Token is not active"}"#,
            ),
            0,
        )
        .unwrap_err();
        assert_eq!(e.server_code(), Some("invalid_grant"));
        assert!(e.to_string().contains("Token is not active"));
    }

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        for body in [
            "<html>oops</html>",
            "[]",
            "\u{0}\u{1}",
            r#"{"token_type":"Bearer"}"#,
        ] {
            let e = parse_token_response(&resp(200, body), 0).unwrap_err();
            assert!(matches!(e, OAuthError::Parse { .. }), "{body}: {e}");
        }
        let e = parse_token_response(&resp(502, "<html>Bad gateway</html>"), 0).unwrap_err();
        assert!(e.is_temporary());
    }
}
