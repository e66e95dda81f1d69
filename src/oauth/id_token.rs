//! ID token checks at login (OIDC Core 3.1.3.7): signature against the provider's JWKS,
//! `iss`, `aud`, `exp` and `nonce`. Pure: the JWKS document is fetched by the flow.

use crate::jwt;
use crate::oauth::HttpResponse;
use crate::sanitize;
use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, UnparsedPublicKey};
use serde_json::{Map, Value};

/// Clock skew tolerated on `exp`.
const LEEWAY: u64 = 120;

pub struct Expected<'a> {
    pub issuer: Option<&'a str>,
    pub client_id: &'a str,
    pub nonce: &'a Secret,
    pub now: u64,
}

/// Checks the claims; the error says which check failed (never the token).
pub fn check_claims(id_token: &Secret, expected: &Expected) -> Result<Map<String, Value>, String> {
    let claims = check_refreshed(id_token, expected.issuer, expected.client_id, expected.now)?;
    match claims.get("nonce").and_then(Value::as_str) {
        Some(n) if n == expected.nonce.expose() => {}
        Some(_) => return Err("its nonce does not match this login's".into()),
        None => return Err("it has no nonce although one was sent".into()),
    }
    Ok(claims)
}

/// OIDC Core 3.1.3.7 (12, 13): with `acr_values` asked for, the `acr` must be one of
/// them (or a higher level: [`acr_satisfies`]); with `max_age`, `auth_time` must be
/// present and no older than that (with the usual clock leeway). The error says what
/// the provider returned.
///
/// [`acr_satisfies`]: crate::oauth::sign_in::acr_satisfies
pub fn check_authentication(
    claims: &Map<String, Value>,
    acr_values: Option<&str>,
    max_age: Option<u64>,
    now: u64,
) -> Result<(), String> {
    if let Some(wanted) = acr_values {
        match claims.get("acr").and_then(Value::as_str) {
            Some(acr) if crate::oauth::sign_in::acr_satisfies(acr, wanted) => {}
            Some(acr) => {
                return Err(format!(
                    "the provider signed you in at level (acr) '{}', not {wanted}",
                    sanitize::foreign(acr, 100)
                ));
            }
            None => {
                return Err(format!(
                    "the ID token has no acr, so nothing shows the sign-in reached {wanted}"
                ));
            }
        }
    }
    if let Some(max_age) = max_age {
        match claims.get("auth_time").and_then(Value::as_u64) {
            Some(at) if at.saturating_add(max_age).saturating_add(LEEWAY) >= now => {}
            Some(at) => {
                return Err(format!(
                    "you last signed in {}s ago (auth_time), longer than --max-age {max_age}",
                    now.saturating_sub(at)
                ));
            }
            None => {
                return Err("the ID token has no auth_time although max_age was sent".to_string());
            }
        }
    }
    Ok(())
}

/// The checks for an ID token from a refresh (OIDC Core 12.2): `iss`, `aud` and `exp`
/// as at login, but no `nonce`, since no authentication request carried one. The token
/// came straight from the token endpoint over the profile's TLS connection, which OIDC
/// Core 3.1.3.7 (6) accepts in place of the signature check.
pub fn check_refreshed(
    id_token: &Secret,
    issuer: Option<&str>,
    client_id: &str,
    now: u64,
) -> Result<Map<String, Value>, String> {
    let claims = jwt::claims(id_token.expose()).ok_or("it is not a JWT")?;
    check_iss(&claims, issuer)?;
    let (aud_ok, audiences) = match claims.get("aud") {
        Some(Value::String(a)) => (a == client_id, 1),
        Some(Value::Array(list)) => (list.iter().any(|a| a == client_id), list.len()),
        _ => (false, 0),
    };
    if !aud_ok {
        return Err(format!("aud does not contain the client id '{client_id}'"));
    }
    // OIDC Core 3.1.3.7 items 4 and 5: with several audiences azp must be present, and
    // when present it must be this client.
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == client_id => {}
        Some(_) => {
            return Err(format!("azp is not the client id '{client_id}'"));
        }
        None if audiences > 1 => {
            return Err("it has several audiences but no azp".into());
        }
        None => {}
    }
    check_exp(&claims, now)?;
    Ok(claims)
}

/// The checks for an ID token issued by token exchange (RFC 8693, `requested_token_type`
/// id_token) for `audience`: `iss` and `exp` as for any, and an `aud` naming the
/// audience asked for or this client (servers differ). No nonce: no authentication
/// request carried one.
pub fn check_exchanged(
    id_token: &Secret,
    issuer: Option<&str>,
    audience: &str,
    client_id: &str,
    now: u64,
) -> Result<Map<String, Value>, String> {
    let claims = jwt::claims(id_token.expose()).ok_or("it is not a JWT")?;
    check_iss(&claims, issuer)?;
    let names = |wanted: &str| match claims.get("aud") {
        Some(Value::String(a)) => a == wanted,
        Some(Value::Array(list)) => list.iter().any(|a| a == wanted),
        _ => false,
    };
    if !names(audience) && !names(client_id) {
        return Err(format!(
            "aud names neither the audience '{audience}' nor the client id '{client_id}'"
        ));
    }
    check_exp(&claims, now)?;
    Ok(claims)
}

/// `iss` is the profile's issuer (when it has one).
fn check_iss(claims: &Map<String, Value>, issuer: Option<&str>) -> Result<(), String> {
    if let Some(issuer) = issuer {
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss != issuer {
            return Err(format!(
                "iss is '{}', expected '{issuer}'",
                sanitize::foreign(iss, 200)
            ));
        }
    }
    Ok(())
}

/// `exp` is present and not past (with the usual leeway).
fn check_exp(claims: &Map<String, Value>, now: u64) -> Result<(), String> {
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp.saturating_add(LEEWAY) >= now => Ok(()),
        Some(_) => Err("it has expired (check this machine's clock)".into()),
        None => Err("it has no exp".into()),
    }
}

/// Most keys a JWKS may hold: real ones have a handful; each is tried in turn.
const MAX_JWKS_KEYS: usize = 100;

/// The JWKS document of a `jwks_uri` answer: a 200 with a JSON object holding a `keys`
/// array (RFC 7517 5). Anything else is refused, with the reason (never the body): an
/// error page or a redirect is not a key set, whatever it parses as.
pub fn parse_jwks(resp: &HttpResponse) -> Result<Value, String> {
    if resp.status != 200 {
        return Err(format!(
            "the provider's JWKS endpoint answered HTTP {}",
            resp.status
        ));
    }
    let doc: Value = serde_json::from_slice(&resp.body)
        .map_err(|_| "the provider's JWKS is not JSON".to_string())?;
    match doc.get("keys") {
        Some(Value::Array(keys)) if keys.len() <= MAX_JWKS_KEYS => Ok(doc),
        Some(Value::Array(_)) => Err(format!(
            "the provider's JWKS holds more than {MAX_JWKS_KEYS} keys"
        )),
        _ => Err("the provider's JWKS is not a JSON object with a keys array".into()),
    }
}

/// Verifies the JWS signature with the matching key of a JWKS document. Every candidate
/// key is tried: a key of another type or a malformed key is skipped, not the end.
pub fn verify_signature(id_token: &Secret, jwks: &Value) -> Result<(), String> {
    let token = id_token.expose();
    let (signed, sig_b64) = token.rsplit_once('.').ok_or("it is not a JWT")?;
    let header = jwt::header(token).ok_or("its header is not JSON")?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("none");
    let kid = header.get("kid").and_then(Value::as_str);
    let kty = key_type(alg).ok_or_else(|| {
        format!(
            "its algorithm {} is not accepted",
            sanitize::foreign(alg, 40)
        )
    })?;
    let signature = URL_SAFE_NO_PAD
        .decode(sig_b64)
        .map_err(|_| "its signature is not base64url")?;
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the provider's JWKS has no keys")?;
    let candidates: Vec<&Value> = keys
        .iter()
        .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
        .filter(|k| {
            k.get("use")
                .and_then(Value::as_str)
                .is_none_or(|u| u == "sig")
        })
        // A key without kty is tried too (lenient); one of another type is not.
        .filter(|k| {
            k.get("kty")
                .and_then(Value::as_str)
                .is_none_or(|t| t == kty)
        })
        .collect();
    if candidates.is_empty() {
        return Err(format!(
            "no {kty} key in the provider's JWKS matches kid {:?}",
            kid.map(|k| sanitize::foreign(k, 80))
        ));
    }
    let mut problem = None;
    for key in candidates {
        match verify_with(alg, key, signed.as_bytes(), &signature) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(why) => problem = problem.or(Some(why)),
        }
    }
    match problem {
        Some(why) => Err(format!("its signature does not verify ({why})")),
        None => Err("its signature does not verify".into()),
    }
}

/// The JWK `kty` (RFC 7518 6.1) an accepted algorithm needs.
fn key_type(alg: &str) -> Option<&'static str> {
    match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => Some("RSA"),
        "ES256" | "ES384" => Some("EC"),
        "EdDSA" | "Ed25519" => Some("OKP"),
        _ => None,
    }
}

fn verify_with(alg: &str, key: &Value, message: &[u8], sig: &[u8]) -> Result<bool, String> {
    let field = |name: &str| -> Result<Vec<u8>, String> {
        let text = key
            .get(name)
            .and_then(Value::as_str)
            .ok_or(format!("key lacks {name}"))?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| format!("key field {name} is not base64url"))
    };
    let rsa = |params: &'static signature::RsaParameters| -> Result<bool, String> {
        let components = signature::RsaPublicKeyComponents {
            n: field("n")?,
            e: field("e")?,
        };
        Ok(components.verify(params, message, sig).is_ok())
    };
    let ec = |params: &'static dyn signature::VerificationAlgorithm| -> Result<bool, String> {
        let mut point = vec![4u8];
        point.extend(field("x")?);
        point.extend(field("y")?);
        Ok(UnparsedPublicKey::new(params, point)
            .verify(message, sig)
            .is_ok())
    };
    match alg {
        "RS256" => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        "RS384" => rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        "RS512" => rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        "PS256" => rsa(&signature::RSA_PSS_2048_8192_SHA256),
        "PS384" => rsa(&signature::RSA_PSS_2048_8192_SHA384),
        "PS512" => rsa(&signature::RSA_PSS_2048_8192_SHA512),
        "ES256" => ec(&signature::ECDSA_P256_SHA256_FIXED),
        "ES384" => ec(&signature::ECDSA_P384_SHA384_FIXED),
        "EdDSA" | "Ed25519" => Ok(UnparsedPublicKey::new(&signature::ED25519, field("x")?)
            .verify(message, sig)
            .is_ok()),
        other => Err(format!(
            "its algorithm {} is not accepted",
            sanitize::foreign(other, 40)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(payload: &str) -> Secret {
        Secret::new(format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        ))
    }

    #[test]
    fn an_exchanged_id_token_names_the_audience_or_the_client() {
        let check = |payload: &str| {
            check_exchanged(
                &unsigned(payload),
                Some("https://id"),
                "https://api",
                "cli",
                1000,
            )
        };
        assert!(check(r#"{"iss":"https://id","aud":"https://api","exp":2000}"#).is_ok());
        assert!(check(r#"{"iss":"https://id","aud":["x","cli"],"exp":2000}"#).is_ok());
        for (bad, why) in [
            (
                r#"{"iss":"https://id","aud":"x","exp":2000}"#,
                "aud names neither",
            ),
            (r#"{"iss":"https://evil","aud":"cli","exp":2000}"#, "iss is"),
            (r#"{"iss":"https://id","aud":"cli","exp":10}"#, "expired"),
            (r#"{"iss":"https://id","aud":"cli"}"#, "no exp"),
        ] {
            assert!(check(bad).unwrap_err().contains(why), "{bad}");
        }
    }

    #[test]
    fn claims_are_checked_one_by_one() {
        let nonce = Secret::new("n1");
        let expected = Expected {
            issuer: Some("https://id"),
            client_id: "cli",
            nonce: &nonce,
            now: 1000,
        };
        for good in [
            r#"{"iss":"https://id","aud":["cli","x"],"azp":"cli","exp":2000,"nonce":"n1"}"#,
            r#"{"iss":"https://id","aud":["cli"],"exp":2000,"nonce":"n1"}"#,
            r#"{"iss":"https://id","aud":"cli","azp":"cli","exp":2000,"nonce":"n1"}"#,
            r#"{"iss":"https://id","aud":"cli","exp":18446744073709551615,"nonce":"n1"}"#,
        ] {
            assert!(check_claims(&unsigned(good), &expected).is_ok(), "{good}");
        }
        for (bad, why) in [
            (
                r#"{"iss":"https://evil","aud":"cli","exp":2000,"nonce":"n1"}"#,
                "iss",
            ),
            (
                r#"{"iss":"https://id","aud":"other","exp":2000,"nonce":"n1"}"#,
                "aud",
            ),
            (
                r#"{"iss":"https://id","aud":"cli","exp":10,"nonce":"n1"}"#,
                "expired",
            ),
            // A hostile iss is named, inert.
            (
                r#"{"iss":"https://id\u001b[2J","aud":"cli","exp":2000,"nonce":"n1"}"#,
                "iss is 'https://id', expected",
            ),
            (
                r#"{"iss":"https://id","aud":"cli","exp":2000,"nonce":"n2"}"#,
                "nonce",
            ),
            (r#"{"iss":"https://id","aud":"cli","exp":2000}"#, "nonce"),
            // An aud list without this client, even with azp naming it.
            (
                r#"{"iss":"https://id","aud":["other"],"exp":2000,"nonce":"n1"}"#,
                "aud",
            ),
            (
                r#"{"iss":"https://id","aud":["other","x"],"azp":"cli","exp":2000,"nonce":"n1"}"#,
                "aud",
            ),
            (
                r#"{"iss":"https://id","aud":[],"exp":2000,"nonce":"n1"}"#,
                "aud",
            ),
            // OIDC Core 3.1.3.7: several audiences need azp, and azp must be this client.
            (
                r#"{"iss":"https://id","aud":["cli","x"],"exp":2000,"nonce":"n1"}"#,
                "no azp",
            ),
            (
                r#"{"iss":"https://id","aud":["cli","x"],"azp":"x","exp":2000,"nonce":"n1"}"#,
                "azp",
            ),
            (
                r#"{"iss":"https://id","aud":"cli","azp":"x","exp":2000,"nonce":"n1"}"#,
                "azp",
            ),
            (
                r#"{"iss":"https://id","aud":"cli","azp":7,"exp":2000,"nonce":"n1"}"#,
                "azp",
            ),
        ] {
            let err = check_claims(&unsigned(bad), &expected).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn a_refreshed_token_needs_no_nonce_but_the_rest() {
        let good = r#"{"iss":"https://id","aud":"cli","exp":2000}"#;
        let claims = check_refreshed(&unsigned(good), Some("https://id"), "cli", 1000).unwrap();
        assert_eq!(claims["exp"], 2000);
        let other_client = check_refreshed(&unsigned(good), Some("https://id"), "x", 1000);
        assert!(other_client.unwrap_err().contains("aud"));
        let late = check_refreshed(&unsigned(good), Some("https://id"), "cli", 9000);
        assert!(late.unwrap_err().contains("expired"));
    }

    #[test]
    fn unknown_keys_and_algorithms_are_refused() {
        let jwks = serde_json::json!({"keys": [{"kty":"RSA","kid":"other","n":"AQAB","e":"AQAB"}]});
        let err = verify_signature(&unsigned("{}"), &jwks).unwrap_err();
        assert!(err.contains("no RSA key"), "{err}");
        let none = Secret::new(format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode("{}")
        ));
        let jwks = serde_json::json!({"keys": [{"kty":"RSA","n":"AQAB","e":"AQAB"}]});
        assert!(
            verify_signature(&none, &jwks)
                .unwrap_err()
                .contains("not accepted")
        );
    }

    fn jwks_response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
            retry_after: None,
            dpop_nonce: None,
        }
    }

    #[test]
    fn only_a_200_with_a_keys_array_is_a_jwks() {
        assert!(parse_jwks(&jwks_response(200, r#"{"keys":[]}"#)).is_ok());
        for (status, body, why) in [
            (404, r#"{"keys":[]}"#, "HTTP 404"),
            (500, "<html>down</html>", "HTTP 500"),
            (302, "", "HTTP 302"),
            (200, "<html>", "not JSON"),
            (200, "[]", "keys array"),
            (200, r#"{"keys":{}}"#, "keys array"),
            (200, r#"{"key":[]}"#, "keys array"),
        ] {
            let err = parse_jwks(&jwks_response(status, body)).unwrap_err();
            assert!(err.contains(why), "{status} {body}: {err}");
        }
        let many = format!(
            r#"{{"keys":[{}]}}"#,
            vec!["{}"; MAX_JWKS_KEYS + 1].join(",")
        );
        let err = parse_jwks(&jwks_response(200, &many)).unwrap_err();
        assert!(err.contains("more than"), "{err}");
    }

    #[test]
    fn es256_signatures_verify_with_an_ec_key() {
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"e1"}"#),
            URL_SAFE_NO_PAD.encode("{}")
        );
        let sig = pair.sign(&rng, signed.as_bytes()).unwrap();
        let token = Secret::new(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())));
        // The public key is the uncompressed point 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "e1",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        assert_eq!(
            verify_signature(&token, &serde_json::json!({"keys": [jwk]})),
            Ok(())
        );
    }

    /// An Ed25519 key pair and a token it signed, built with ring.
    fn ed25519_signed(kid: &str) -> (Secret, Value) {
        use ring::signature::KeyPair;
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"EdDSA","kid":"{kid}"}}"#)),
            URL_SAFE_NO_PAD.encode("{}")
        );
        let sig = pair.sign(signed.as_bytes());
        let token = Secret::new(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())));
        let jwk = serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
        });
        (token, jwk)
    }

    #[test]
    fn every_matching_key_is_tried() {
        let (token, good) = ed25519_signed("k1");
        let (_, other) = ed25519_signed("k1");
        // A malformed key and a wrong key before the right one: still verified.
        let broken = serde_json::json!({"kty": "OKP", "kid": "k1"});
        let untyped_broken = serde_json::json!({"kid": "k1", "x": "!!"});
        let rsa = serde_json::json!({"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"});
        let jwks = serde_json::json!({"keys": [rsa, broken, untyped_broken, other, good]});
        assert_eq!(verify_signature(&token, &jwks), Ok(()));
        // Without the right key: refused, with the first problem named.
        let jwks = serde_json::json!({"keys": [broken, other]});
        let err = verify_signature(&token, &jwks).unwrap_err();
        assert!(
            err.contains("does not verify") && err.contains("lacks x"),
            "{err}"
        );
        let jwks = serde_json::json!({"keys": [other]});
        assert_eq!(
            verify_signature(&token, &jwks).unwrap_err(),
            "its signature does not verify"
        );
        // Keys of another type are not candidates at all.
        let jwks = serde_json::json!({"keys": [rsa]});
        assert!(
            verify_signature(&token, &jwks)
                .unwrap_err()
                .contains("no OKP key")
        );
        // A key for encryption is not used for signatures.
        let mut enc = good.clone();
        enc["use"] = "enc".into();
        let jwks = serde_json::json!({"keys": [enc]});
        assert!(
            verify_signature(&token, &jwks)
                .unwrap_err()
                .contains("no OKP key")
        );
    }

    #[test]
    fn acr_and_auth_time_are_held_to_what_was_asked() {
        let claims = |v: serde_json::Value| v.as_object().unwrap().clone();
        let now = 10_000;
        let strong = claims(serde_json::json!({"acr": "gold", "auth_time": now - 30}));
        assert!(check_authentication(&strong, Some("silver gold"), Some(60), now).is_ok());
        let err = check_authentication(&strong, Some("platinum"), None, now).unwrap_err();
        assert!(err.contains("'gold', not platinum"), "{err}");
        let old = claims(serde_json::json!({"acr": "2", "auth_time": now - 1000}));
        assert!(check_authentication(&old, Some("1"), None, now).is_ok());
        let err = check_authentication(&old, None, Some(300), now).unwrap_err();
        assert!(err.contains("1000s ago"), "{err}");
        let bare = claims(serde_json::json!({}));
        assert!(check_authentication(&bare, Some("1"), None, now).is_err());
        assert!(check_authentication(&bare, None, Some(0), now).is_err());
        assert!(check_authentication(&bare, None, None, now).is_ok());
    }
}
