//! The grants that trade a token someone else issued for an access token: the JWT
//! bearer grant (RFC 7523 2.1) and token exchange (RFC 8693). Pure request builders;
//! the answers are ordinary token responses (`grant::parse_token_response`).

use super::error::server_text;
use super::grant::TOKEN_ENDPOINT;
use super::{ClientAuth, FormRequest};
use crate::access_token as token;
use crate::secret::Secret;
use serde_json::{Map, Value};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 3: the token types octoken names by their short names.
pub const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
const TYPES: &[(&str, &str)] = &[
    ("jwt", JWT_TYPE),
    ("id_token", "urn:ietf:params:oauth:token-type:id_token"),
    (
        "access_token",
        "urn:ietf:params:oauth:token-type:access_token",
    ),
    (
        "refresh_token",
        "urn:ietf:params:oauth:token-type:refresh_token",
    ),
];
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";

/// The ID token of an exchange answer asked for with `requested_token_type` id_token:
/// RFC 8693 2.2.1 puts the issued token in `access_token` whatever its type, and names
/// the type in `issued_token_type` (`token_type` is then `N_A`, and not checked). An
/// answer of another type, or without one, is refused: the error says which (the
/// server's text bounded and inert), never the token.
pub fn issued_id_token(answer: &Map<String, Value>) -> Result<Secret, String> {
    match answer.get("issued_token_type") {
        Some(Value::String(t)) if t == ID_TOKEN_TYPE => {}
        Some(Value::String(t)) => {
            return Err(format!(
                "the provider issued a token of type {} where an ID token was asked for",
                server_text(t)
            ));
        }
        _ => {
            return Err(
                "the provider's answer names no issued_token_type (RFC 8693 2.2.1), so it is not known to be an ID token"
                    .into(),
            );
        }
    }
    match answer.get("access_token") {
        Some(Value::String(s)) if token::is_compact_jwt(s, token::MAX_ID_TOKEN) => {
            Ok(Secret::new(s.as_str()))
        }
        _ => Err("the issued ID token is not a JWT in compact form".into()),
    }
}

/// A token type given by its short name (`jwt`, `id_token`, `access_token`,
/// `refresh_token`) or as a URI (any other a server defines); None: neither.
pub fn token_type(given: &str) -> Option<String> {
    let given = given.trim();
    if let Some((_, urn)) = TYPES.iter().find(|(name, _)| *name == given) {
        return Some((*urn).to_string());
    }
    let uri = url::Url::parse(given).ok()?;
    (given.is_ascii() && !given.contains(char::is_whitespace)).then(|| uri.to_string())
}

/// RFC 7523 2.1: an access token for this assertion.
pub fn jwt_bearer_request(
    token_url: &str,
    client: &ClientAuth,
    assertion: &Secret,
    scope: Option<&str>,
) -> FormRequest {
    let mut req = FormRequest::new(TOKEN_ENDPOINT, token_url, client);
    req.push("grant_type", JWT_BEARER);
    req.push("assertion", assertion.expose());
    if let Some(scope) = scope.filter(|s| !s.trim().is_empty()) {
        req.push("scope", scope);
    }
    req
}

/// What a token exchange presents and asks for (RFC 8693 2.1).
#[derive(Debug)]
pub struct Exchange<'a> {
    pub subject: &'a Secret,
    pub subject_type: &'a str,
    pub actor: Option<(&'a Secret, &'a str)>,
    pub requested_type: Option<&'a str>,
}

/// RFC 8693 2.1. `audience` and `resource` are added by the caller, as for any grant.
pub fn token_exchange_request(
    token_url: &str,
    client: &ClientAuth,
    exchange: &Exchange<'_>,
    scope: Option<&str>,
) -> FormRequest {
    let mut req = FormRequest::new(TOKEN_ENDPOINT, token_url, client);
    req.push("grant_type", TOKEN_EXCHANGE);
    req.push("subject_token", exchange.subject.expose());
    req.push("subject_token_type", exchange.subject_type);
    if let Some((actor, actor_type)) = exchange.actor {
        req.push("actor_token", actor.expose());
        req.push("actor_token_type", actor_type);
    }
    if let Some(requested) = exchange.requested_type {
        req.push("requested_token_type", requested);
    }
    if let Some(scope) = scope.filter(|s| !s.trim().is_empty()) {
        req.push("scope", scope);
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::AuthMethod;

    fn public() -> ClientAuth {
        ClientAuth {
            client_id: "ci".into(),
            method: AuthMethod::None,
            secret: None,
            dpop: None,
            assertion: None,
        }
    }

    #[test]
    fn an_id_token_is_taken_only_when_the_answer_says_it_is_one() {
        let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        let answer = |v: Value| v.as_object().unwrap().clone();
        let ok = answer(serde_json::json!({
            "access_token": jwt, "issued_token_type": ID_TOKEN_TYPE, "token_type": "N_A",
        }));
        assert_eq!(issued_id_token(&ok).unwrap().expose(), jwt);
        let other = answer(serde_json::json!({
            "access_token": jwt, "issued_token_type": ACCESS_TOKEN_TYPE,
        }));
        let why = issued_id_token(&other).unwrap_err();
        assert!(why.contains("access_token") && !why.contains(jwt), "{why}");
        let untyped = answer(serde_json::json!({ "access_token": jwt }));
        assert!(
            issued_id_token(&untyped)
                .unwrap_err()
                .contains("no issued_token_type")
        );
        let opaque = answer(serde_json::json!({
            "access_token": "not a jwt", "issued_token_type": ID_TOKEN_TYPE,
        }));
        assert!(issued_id_token(&opaque).unwrap_err().contains("not a JWT"));
    }

    #[test]
    fn short_names_and_uris_are_token_types_and_nothing_else() {
        assert_eq!(token_type("jwt").unwrap(), JWT_TYPE);
        assert_eq!(
            token_type("id_token").unwrap(),
            "urn:ietf:params:oauth:token-type:id_token"
        );
        assert_eq!(
            token_type("urn:x-oath:params:oauth:token-type:custom").unwrap(),
            "urn:x-oath:params:oauth:token-type:custom"
        );
        assert!(token_type("saml").is_none());
        assert!(token_type("").is_none());
    }

    #[test]
    fn the_assertion_and_tokens_are_secret_fields_the_types_are_not() {
        let assertion = Secret::new("eyJ.assertion.sig");
        let req = jwt_bearer_request("https://as/token", &public(), &assertion, Some(""));
        assert_eq!(req.field_names(), "client_id,grant_type,assertion");
        assert_eq!(
            req.redactor().apply_str("grant eyJ.assertion.sig"),
            "grant <redacted>"
        );
        let subject = Secret::new("subject-tok");
        let actor = Secret::new("actor-tok");
        let req = token_exchange_request(
            "https://as/token",
            &public(),
            &Exchange {
                subject: &subject,
                subject_type: JWT_TYPE,
                actor: Some((&actor, ACCESS_TOKEN_TYPE)),
                requested_type: Some(ACCESS_TOKEN_TYPE),
            },
            Some("read"),
        );
        assert_eq!(
            req.field_names(),
            "client_id,grant_type,subject_token,subject_token_type,actor_token,\
             actor_token_type,requested_token_type,scope"
        );
        let echo = format!("subject-tok actor-tok {JWT_TYPE}");
        assert_eq!(
            req.redactor().apply_str(&echo),
            format!("<redacted> <redacted> {JWT_TYPE}")
        );
    }
}
