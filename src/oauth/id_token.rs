//! ID token checks at login (OIDC Core 3.1.3.7): signature against the provider's JWKS,
//! `iss`, `aud`, `exp` and `nonce`. Pure: the JWKS document is fetched by the flow.

use crate::jwt;
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
    if let Some(issuer) = issuer {
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss != issuer {
            return Err(format!("iss is '{iss}', expected '{issuer}'"));
        }
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a == client_id),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("aud does not contain the client id '{client_id}'"));
    }
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp + LEEWAY >= now => {}
        Some(_) => return Err("it has expired (check this machine's clock)".into()),
        None => return Err("it has no exp".into()),
    }
    Ok(claims)
}

/// Verifies the JWS signature with the matching key of a JWKS document.
pub fn verify_signature(id_token: &Secret, jwks: &Value) -> Result<(), String> {
    let token = id_token.expose();
    let (signed, sig_b64) = token.rsplit_once('.').ok_or("it is not a JWT")?;
    let header = jwt::header(token).ok_or("its header is not JSON")?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("none");
    let kid = header.get("kid").and_then(Value::as_str);
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
        .collect();
    if candidates.is_empty() {
        return Err(format!("no key in the provider's JWKS matches kid {kid:?}"));
    }
    for key in candidates {
        if verify_with(alg, key, signed.as_bytes(), &signature)? {
            return Ok(());
        }
    }
    Err("its signature does not verify".into())
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
        other => Err(format!("its algorithm {other} is not accepted")),
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
    fn claims_are_checked_one_by_one() {
        let nonce = Secret::new("n1");
        let expected = Expected {
            issuer: Some("https://id"),
            client_id: "cli",
            nonce: &nonce,
            now: 1000,
        };
        let good = r#"{"iss":"https://id","aud":["cli","x"],"exp":2000,"nonce":"n1"}"#;
        assert!(check_claims(&unsigned(good), &expected).is_ok());
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
            (
                r#"{"iss":"https://id","aud":"cli","exp":2000,"nonce":"n2"}"#,
                "nonce",
            ),
            (r#"{"iss":"https://id","aud":"cli","exp":2000}"#, "nonce"),
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
        assert!(err.contains("no key"), "{err}");
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
}
