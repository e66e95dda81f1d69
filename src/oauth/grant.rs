//! Token-endpoint grants (RFC 6749 section 6 refresh, 4.4 client credentials): pure
//! request builders and a lenient parser for the answers real servers give.

use crate::access_token as token;
use crate::access_token::AccessToken;
use crate::jwt;
use crate::oauth::HttpResponse;
use crate::oauth::error::{excerpt, server_text};
use crate::oauth::{ClientAuth, FormRequest, OAuthError};
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

/// Longest `refresh_expires_in` kept: ten years (0, Keycloak's "no expiry", stays 0).
const MAX_REFRESH_EXPIRES_IN: u64 = 10 * 365 * 86_400;

/// Parses a token-endpoint answer. `now` is unix seconds.
///
/// Every token is checked against its grammar here, before anything is cached, stored
/// or printed: an access token must be an RFC 6750 `b64token`, a refresh token printable
/// ASCII, an ID token a compact JWT, each bounded. A token that is not is a bad answer
/// (`OAuthError::Parse`), and the message never quotes it. Lifetimes are clamped
/// (`token::MAX_LIFETIME`), so no later time computation can overflow.
pub fn parse_token_response(resp: &HttpResponse, now: u64) -> Result<TokenResponse, OAuthError> {
    let object = json_object(TOKEN_ENDPOINT, resp)?;
    let parse_err = |message: &str| OAuthError::Parse {
        endpoint: TOKEN_ENDPOINT,
        status: resp.status,
        message: message.to_string(),
    };
    let access_token = match object.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        _ => return Err(parse_err("no access_token in the response")),
    };
    if !token::is_b64token(access_token, token::MAX_ACCESS_TOKEN) {
        return Err(parse_err(&format!(
            "the access_token is not a valid bearer token (RFC 6750 2.1: letters, digits and -._~+/ only, at most {} KiB; {} bytes received)",
            token::MAX_ACCESS_TOKEN / 1024,
            access_token.len()
        )));
    }
    let access_token = Secret::new(access_token);
    // RFC 6749 says the type is case-insensitive; some servers send "bearer". Only the
    // two types octoken knows how to present are taken: 7.1 says a client must not use
    // a token whose type it does not understand (a `mac` token sent as Bearer would be
    // refused by the API, or worse, accepted without its proof of possession).
    let token_type = match object.get("token_type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_string(),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("dpop") => "DPoP".to_string(),
        None | Some(Value::Null) => "Bearer".to_string(),
        Some(Value::String(t)) if token::is_token_type(t) => {
            return Err(parse_err(&format!(
                "the token_type {} is neither Bearer nor DPoP, and RFC 6749 7.1 forbids using a token of a type octoken does not understand",
                server_text(t)
            )));
        }
        Some(_) => return Err(parse_err("the token_type is not a plain word")),
    };
    let latest = now.saturating_add(token::MAX_LIFETIME);
    let expires_at = match lenient_u64(object.get("expires_in")) {
        Some(secs) => now.saturating_add(secs.min(token::MAX_LIFETIME)),
        // No expires_in: the JWT's own exp, else treat it as expiring now.
        None => jwt::expiry(access_token.expose()).unwrap_or(now),
    };
    let refresh_token = match object.get("refresh_token") {
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) if token::is_printable_ascii(s, token::MAX_REFRESH_TOKEN) => {
            Some(Secret::new(s.as_str()))
        }
        None | Some(Value::Null) => None,
        Some(_) => {
            return Err(parse_err(&format!(
                "the refresh_token is not printable ASCII of at most {} KiB",
                token::MAX_REFRESH_TOKEN / 1024
            )));
        }
    };
    let id_token = match object.get("id_token") {
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) if token::is_compact_jwt(s, token::MAX_ID_TOKEN) => {
            Some(Secret::new(s.as_str()))
        }
        None | Some(Value::Null) => None,
        Some(_) => return Err(parse_err("the id_token is not a JWT in compact form")),
    };
    Ok(TokenResponse {
        refresh_token,
        id_token,
        refresh_expires_in: lenient_u64(object.get("refresh_expires_in"))
            .map(|secs| secs.min(MAX_REFRESH_EXPIRES_IN)),
        access: AccessToken {
            access_token,
            token_type,
            // A JWT's exp, too, is believed only up to the longest lifetime.
            expires_at: Some(expires_at.min(latest).min(token::LATEST_TIME)),
            scope: object
                .get("scope")
                .and_then(Value::as_str)
                .map(token::clean_scope),
            scope_as_requested: false,
            obtained_at: now,
        },
    })
}

/// Numbers as numbers or numeric strings ("3600"), as servers send them. Negative and
/// fractional values floor at 0; huge ones saturate (callers clamp).
pub fn lenient_u64(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The body of a successful JSON answer, or the error the answer stands for.
///
/// The body of a 2xx answer is never quoted in the error: it may be the very tokens
/// asked for in another encoding (`access_token=...&refresh_token=...`).
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
                "expected JSON, got {} ({} bytes, not shown)",
                resp.content_type
                    .as_deref()
                    .map(server_text)
                    .unwrap_or_else(|| "no content type".into()),
                resp.body.len()
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
            code: server_text(code),
            description: map
                .get("error_description")
                .and_then(Value::as_str)
                .map(server_text),
        };
    }
    let text = match resp.status {
        300..400 => "a redirect, which octoken does not follow from this endpoint".into(),
        // A success status that is not the answer asked for (a revocation's 204): its
        // body may be tokens, and the sender only redacts failed answers.
        200..300 => String::new(),
        _ => excerpt(&resp.body),
    };
    OAuthError::Status {
        endpoint,
        status: resp.status,
        excerpt: text,
    }
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

    #[test]
    fn hostile_access_tokens_are_refused_without_being_quoted() {
        for token in [
            "abc\\r\\nX-Injected: evil",
            "'$(touch /tmp/pwned)'",
            "\\u001b[2J\\u001b[Hlogged in",
            "a b",
            "tok\\u00e9n",
        ] {
            let body = format!(r#"{{"access_token":"{token}","expires_in":300}}"#);
            let e = parse_token_response(&resp(200, &body), 0).unwrap_err();
            assert!(matches!(e, OAuthError::Parse { .. }), "{token}: {e}");
            let text = e.to_string();
            assert!(text.contains("RFC 6750"), "{text}");
            assert!(
                !text.contains("Injected") && !text.contains("touch") && !text.contains("logged")
            );
        }
        let long = format!(
            r#"{{"access_token":"{}"}}"#,
            "a".repeat(token::MAX_ACCESS_TOKEN + 1)
        );
        assert!(parse_token_response(&resp(200, &long), 0).is_err());
        let max = format!(
            r#"{{"access_token":"{}"}}"#,
            "a".repeat(token::MAX_ACCESS_TOKEN)
        );
        assert!(parse_token_response(&resp(200, &max), 0).is_ok());
    }

    #[test]
    fn hostile_refresh_and_id_tokens_and_token_types_are_refused() {
        for body in [
            r#"{"access_token":"a","refresh_token":"r\r\nX: y"}"#,
            r#"{"access_token":"a","refresh_token":"r t"}"#,
            r#"{"access_token":"a","refresh_token":"r\u001b[2J"}"#,
            r#"{"access_token":"a","refresh_token":7}"#,
            r#"{"access_token":"a","id_token":"x.y.z'$(id)'"}"#,
            r#"{"access_token":"a","id_token":"a b.c"}"#,
            r#"{"access_token":"a","token_type":"Bearer\r\nX: y"}"#,
            r#"{"access_token":"a","token_type":5}"#,
            r#"{"access_token":"a","token_type":"mac"}"#,
            r#"{"access_token":"a","token_type":"N_A"}"#,
            r#"{"access_token":"a","token_type":"Bearer2"}"#,
            r#"{"access_token":"a","token_type":""}"#,
        ] {
            let e = parse_token_response(&resp(200, body), 0).unwrap_err();
            assert!(matches!(e, OAuthError::Parse { .. }), "{body}: {e}");
            assert!(!e.to_string().contains("X: y"), "{e}");
        }
        let long = format!(
            r#"{{"access_token":"a","refresh_token":"{}"}}"#,
            "r".repeat(token::MAX_REFRESH_TOKEN + 1)
        );
        assert!(parse_token_response(&resp(200, &long), 0).is_err());
        let ok = parse_token_response(
            &resp(
                200,
                r#"{"access_token":"a","refresh_token":"!r~","id_token":"h.p.s","token_type":"DPoP"}"#,
            ),
            0,
        )
        .unwrap();
        assert_eq!(ok.refresh_token.unwrap().expose(), "!r~");
        assert_eq!(ok.id_token.unwrap().expose(), "h.p.s");
        assert_eq!(ok.access.token_type, "DPoP");
        // Either type in any case, written the one way output.rs presents it.
        for (sent, kept) in [
            ("BEARER", "Bearer"),
            ("bearer", "Bearer"),
            ("dpop", "DPoP"),
            ("DPOP", "DPoP"),
        ] {
            let body = format!(r#"{{"access_token":"a","token_type":"{sent}"}}"#);
            let ok = parse_token_response(&resp(200, &body), 0).unwrap();
            assert_eq!(ok.access.token_type, kept, "{sent}");
        }
        let mac = parse_token_response(&resp(200, r#"{"access_token":"a","token_type":"mac"}"#), 0)
            .unwrap_err()
            .to_string();
        assert!(
            mac.contains("token_type mac is neither Bearer nor DPoP"),
            "{mac}"
        );
        // Empty and null mean absent, as before.
        let none = parse_token_response(
            &resp(
                200,
                r#"{"access_token":"a","refresh_token":"","id_token":null}"#,
            ),
            0,
        )
        .unwrap();
        assert!(none.refresh_token.is_none() && none.id_token.is_none());
    }

    #[test]
    fn lifetimes_are_clamped() {
        let now = 1_700_000_000;
        for expires_in in [
            "253402300799",
            "18446744073709551615",
            "1e300",
            "\"99999999999999\"",
        ] {
            let body = format!(
                r#"{{"access_token":"a","expires_in":{expires_in},"refresh_expires_in":{expires_in}}}"#
            );
            let r = parse_token_response(&resp(200, &body), now).unwrap();
            assert_eq!(
                r.access.expires_at,
                Some(now + token::MAX_LIFETIME),
                "{expires_in}"
            );
            assert_eq!(
                r.refresh_expires_in,
                Some(MAX_REFRESH_EXPIRES_IN),
                "{expires_in}"
            );
            assert!(r.access.is_plausible(now));
        }
        // A JWT's exp far in the future is clamped the same way.
        let jwt = format!(
            "e30.{}.sig",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"exp":99999999999}"#
            )
        );
        let body = format!(r#"{{"access_token":"{jwt}"}}"#);
        let r = parse_token_response(&resp(200, &body), now).unwrap();
        assert_eq!(r.access.expires_at, Some(now + token::MAX_LIFETIME));
        // Near the end of time, nothing overflows and nothing passes the year 9999.
        let r = parse_token_response(
            &resp(200, r#"{"access_token":"a","expires_in":3600}"#),
            u64::MAX,
        )
        .unwrap();
        assert_eq!(r.access.expires_at, Some(token::LATEST_TIME));
        // Offline tokens keep their 0.
        let r = parse_token_response(
            &resp(200, r#"{"access_token":"a","refresh_expires_in":0}"#),
            now,
        )
        .unwrap();
        assert_eq!(r.refresh_expires_in, Some(0));
    }

    #[test]
    fn a_successful_body_is_never_quoted() {
        let form = "access_token=secret-at&refresh_token=secret-rt&token_type=bearer";
        let mut r = resp(200, form);
        r.content_type = Some("application/x-www-form-urlencoded".into());
        let e = parse_token_response(&r, 0).unwrap_err();
        let text = e.to_string();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("expected JSON"), "{text}");
        assert!(text.contains(&format!("{} bytes", form.len())), "{text}");
        // A hostile content type is foreign text too.
        r.content_type = Some("text/html\x1b[2J".into());
        let text = parse_token_response(&r, 0).unwrap_err().to_string();
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    #[test]
    fn server_error_text_is_inert_and_bounded() {
        let body = r#"{"error":"invalid_grant\u001b]0;x\u0007","error_description":"\u001b[2J\u001b[Hlogged in\r\nas \u202eadmin \u001b]8;;https://evil/\u001b\\link\u001b]8;;\u001b\\"}"#;
        let e = parse_token_response(&resp(400, body), 0).unwrap_err();
        assert_eq!(e.server_code(), Some("invalid_grant"));
        let text = e.to_string();
        assert!(text.ends_with(": logged in as admin link"), "{text:?}");
        assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
        let long = format!(
            r#"{{"error":"x","error_description":"{}"}}"#,
            "d".repeat(5000)
        );
        assert!(
            parse_token_response(&resp(400, &long), 0)
                .unwrap_err()
                .to_string()
                .len()
                < 400
        );
        // Error bodies that are not RFC 6749 errors are quoted, short and inert.
        let e = parse_token_response(&resp(500, "<h1>\u{1b}[2Jdown</h1>"), 0).unwrap_err();
        assert!(e.to_string().ends_with(": <h1>down</h1>"), "{e}");
    }
}
