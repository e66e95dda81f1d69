//! Reads a JWT's payload for display and expiry. No signature check is made here, so
//! nothing read this way is trusted for a security decision.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The claims of a compact JWS, or None when the string is not one.
pub fn claims(token: &str) -> Option<Map<String, Value>> {
    decode_part(token, 1)
}

pub fn header(token: &str) -> Option<Map<String, Value>> {
    decode_part(token, 0)
}

fn decode_part(token: &str, index: usize) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    if token.split('.').count() != 3 {
        return None;
    }
    let part = parts.nth(index)?;
    // Some servers pad; the spec says they must not. Accept both.
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A string claim made fit for a terminal (`sanitize::foreign`, at most `max_chars`),
/// for display only: `status` shows `sub` this way. Never compare the result: a claim
/// checked for security is compared as sent.
pub fn display_claim(claims: &Map<String, Value>, name: &str, max_chars: usize) -> Option<String> {
    claims
        .get(name)?
        .as_str()
        .map(|text| crate::sanitize::foreign(text, max_chars))
}

pub fn expiry(token: &str) -> Option<u64> {
    claims(token)?.get("exp")?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_exp_and_claims() {
        let token = jwt(r#"{"exp":1700000000,"sub":"alice"}"#);
        assert_eq!(expiry(&token), Some(1_700_000_000));
        assert_eq!(claims(&token).unwrap()["sub"], "alice");
    }

    #[test]
    fn opaque_and_malformed_tokens_have_no_claims() {
        assert!(claims("opaque-token").is_none());
        assert!(claims("a.b.c").is_none());
        assert!(claims(&jwt("[1,2]")).is_none());
        assert!(expiry(&jwt(r#"{"exp":"soon"}"#)).is_none());
    }

    #[test]
    fn display_claims_are_inert() {
        let token = jwt(r#"{"sub":"\u001b[2Jroot\u202e","n":5}"#);
        let claims = claims(&token).unwrap();
        assert_eq!(display_claim(&claims, "sub", 100).as_deref(), Some("root"));
        assert_eq!(display_claim(&claims, "sub", 2).as_deref(), Some("r…"));
        assert_eq!(display_claim(&claims, "n", 100), None);
        assert_eq!(display_claim(&claims, "missing", 100), None);
    }
}
