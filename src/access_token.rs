//! An access token as octoken keeps it, and whether it is still good to hand out.
//! Freshness is a value with a reason; `now` is always a parameter (uv's check_fresh).

use crate::sanitize;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// Longest access token accepted, in bytes: real JWTs with many claims stay far below.
pub const MAX_ACCESS_TOKEN: usize = 64 * 1024;
/// Longest ID token accepted, in bytes (a JWT, like most access tokens).
pub const MAX_ID_TOKEN: usize = 64 * 1024;
/// Longest refresh token (or device code) accepted, in bytes.
pub const MAX_REFRESH_TOKEN: usize = 16 * 1024;
/// Longest lifetime octoken believes a server gives an access token: one year. A longer
/// `expires_in` is clamped to it, and a cached expiry further out than this (plus a
/// day of slack) is not trusted (see `AccessToken::is_plausible`).
pub const MAX_LIFETIME: u64 = 365 * 86_400;
const PLAUSIBILITY_SLACK: u64 = 86_400;
/// 9999-12-31T23:59:59Z, the last second RFC 3339 can write: no time octoken keeps or
/// prints lies beyond it.
pub const LATEST_TIME: u64 = 253_402_300_799;
/// Longest scope string kept, in characters.
pub const MAX_SCOPE_CHARS: usize = 4096;

/// RFC 6750 2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`,
/// at most `max` bytes. What an access token must be to travel in an Authorization
/// header, a shell variable or a terminal without becoming something else.
pub fn is_b64token(token: &str, max: usize) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && token.len() <= max
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// 1 to `max` bytes of printable ASCII (0x21..0x7E, no space): refresh tokens and device
/// codes (RFC 6749 A.17 allows exactly these for a refresh token).
pub fn is_printable_ascii(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// A JWT in compact serialization (RFC 7515 7.1): base64url parts joined by dots (a
/// stray `=` pad tolerated, as `jwt` does), at most `max` bytes.
pub fn is_compact_jwt(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.=".contains(&b))
}

/// A `token_type` (RFC 6749 7.1): "Bearer", "DPoP", RFC 8693's "N_A"; letters, digits,
/// `_` and `-`, at most 32 of them.
pub fn is_token_type(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 32
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The scope a server reports, made inert for a terminal and bounded.
pub fn clean_scope(scope: &str) -> String {
    sanitize::foreign(scope, MAX_SCOPE_CHARS)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "StoredAccessToken")]
pub struct AccessToken {
    pub access_token: Secret,
    pub token_type: String,
    /// Unix seconds. None: the server said nothing and the token is not a JWT.
    pub expires_at: Option<u64>,
    pub scope: Option<String>,
    /// The server's answer listed no scope, so `scope` is the one asked for (RFC 6749
    /// 5.1: an omitted scope means the requested one was granted). `status` says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scope_as_requested: bool,
    pub obtained_at: u64,
}

/// An access token as read back from a file, checked before it becomes an
/// `AccessToken`: a cache file is local state anyone with the account can edit, and what
/// it holds is printed and sent.
#[derive(Deserialize)]
struct StoredAccessToken {
    access_token: Secret,
    token_type: String,
    expires_at: Option<u64>,
    scope: Option<String>,
    #[serde(default)]
    scope_as_requested: bool,
    obtained_at: u64,
}

impl TryFrom<StoredAccessToken> for AccessToken {
    type Error = String;

    fn try_from(stored: StoredAccessToken) -> Result<AccessToken, String> {
        if !is_b64token(stored.access_token.expose(), MAX_ACCESS_TOKEN) {
            return Err("access_token is not an RFC 6750 token".into());
        }
        if !is_token_type(&stored.token_type) {
            return Err("token_type is not a token type".into());
        }
        if stored.expires_at.is_some_and(|at| at > LATEST_TIME) || stored.obtained_at > LATEST_TIME
        {
            return Err("a time is beyond the year 9999".into());
        }
        if stored
            .scope
            .as_deref()
            .is_some_and(|scope| clean_scope(scope) != scope)
        {
            return Err("scope holds control characters".into());
        }
        Ok(AccessToken {
            access_token: stored.access_token,
            token_type: stored.token_type,
            expires_at: stored.expires_at,
            scope: stored.scope,
            scope_as_requested: stored.scope_as_requested,
            obtained_at: stored.obtained_at,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh { remaining: u64 },
    Stale(StaleReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// No expiry known: never reuse such a token.
    NoExpiry,
    Expired,
    /// Still valid, but for less than the caller's minimum.
    ExpiresSoon {
        remaining: u64,
    },
    /// Its expiry is further out than any server gives (see `is_plausible`): a
    /// tampered cache or a clock that jumped back. Refresh rather than trust it.
    Implausible,
}

/// Words for logs: "expired", "without an expiry", "valid for only 49s".
impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StaleReason::NoExpiry => f.write_str("without an expiry"),
            StaleReason::Expired => f.write_str("expired"),
            StaleReason::Implausible => f.write_str("implausible (an expiry beyond any real one)"),
            StaleReason::ExpiresSoon { remaining } => write!(f, "valid for only {remaining}s"),
        }
    }
}

impl AccessToken {
    /// RFC 6749 5.1: an answer without `scope` granted what was asked for; kept as such,
    /// and marked, so that `status` can tell it from a scope the server listed.
    pub fn assume_requested_scope(&mut self, requested: &str) {
        if self.scope.is_none() {
            self.scope = Some(requested.to_string());
            self.scope_as_requested = true;
        }
    }

    /// Whether the expiry is one a server could have given at `now`: at most
    /// `MAX_LIFETIME` (plus a day) ahead, and never beyond the year 9999. A token read
    /// back with an implausible expiry must not be used or printed.
    pub fn is_plausible(&self, now: u64) -> bool {
        let latest = now
            .saturating_add(MAX_LIFETIME)
            .saturating_add(PLAUSIBILITY_SLACK)
            .min(LATEST_TIME);
        self.expires_at.is_none_or(|at| at <= latest)
    }

    pub fn freshness(&self, now: u64, min_ttl: u64) -> Freshness {
        let Some(expires_at) = self.expires_at else {
            return Freshness::Stale(StaleReason::NoExpiry);
        };
        if !self.is_plausible(now) {
            return Freshness::Stale(StaleReason::Implausible);
        }
        if expires_at <= now {
            return Freshness::Stale(StaleReason::Expired);
        }
        let remaining = expires_at.saturating_sub(now);
        if remaining < min_ttl {
            Freshness::Stale(StaleReason::ExpiresSoon { remaining })
        } else {
            Freshness::Fresh { remaining }
        }
    }

    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.map_or(0, |at| at.saturating_sub(now))
    }
}

/// An OpenID Connect ID token as octoken keeps it: beside the access token, with its
/// own expiry (its `exp` claim), for `token --type id` and `kube-credential`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdToken {
    pub id_token: Secret,
    /// Unix seconds: the token's `exp` claim.
    pub expires_at: u64,
    pub obtained_at: u64,
}

impl IdToken {
    /// The same freshness rules as an access token's.
    pub fn freshness(&self, now: u64, min_ttl: u64) -> Freshness {
        if self.expires_at <= now {
            return Freshness::Stale(StaleReason::Expired);
        }
        let remaining = self.expires_at - now;
        if remaining < min_ttl {
            Freshness::Stale(StaleReason::ExpiresSoon { remaining })
        } else {
            Freshness::Fresh { remaining }
        }
    }

    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: Option<u64>) -> AccessToken {
        AccessToken {
            access_token: Secret::new("t"),
            token_type: "Bearer".into(),
            expires_at,
            scope: None,
            scope_as_requested: false,
            obtained_at: 0,
        }
    }

    #[test]
    fn freshness_has_a_reason() {
        assert_eq!(
            token(None).freshness(100, 60),
            Freshness::Stale(StaleReason::NoExpiry)
        );
        assert_eq!(
            token(Some(100)).freshness(100, 0),
            Freshness::Stale(StaleReason::Expired)
        );
        assert_eq!(
            token(Some(150)).freshness(100, 60),
            Freshness::Stale(StaleReason::ExpiresSoon { remaining: 50 })
        );
        assert_eq!(
            token(Some(200)).freshness(100, 60),
            Freshness::Fresh { remaining: 100 }
        );
    }

    #[test]
    fn an_expiry_beyond_the_longest_lifetime_is_implausible_and_stale() {
        let now = 1_700_000_000;
        let limit = now + MAX_LIFETIME + PLAUSIBILITY_SLACK;
        assert!(token(Some(limit)).is_plausible(now));
        assert!(!token(Some(limit + 1)).is_plausible(now));
        assert!(token(None).is_plausible(now));
        assert_eq!(
            token(Some(limit + 1)).freshness(now, 0),
            Freshness::Stale(StaleReason::Implausible)
        );
        assert_eq!(
            token(Some(LATEST_TIME + 1)).freshness(u64::MAX - 5, 0),
            Freshness::Stale(StaleReason::Implausible)
        );
        assert!(token(Some(LATEST_TIME)).is_plausible(LATEST_TIME));
        assert!(!token(Some(u64::MAX)).is_plausible(u64::MAX));
    }

    #[test]
    fn access_tokens_follow_rfc6750_b64token() {
        for good in ["a", "abc.DEF-_~+/", "eyJh.eyJ.sig==", "x="] {
            assert!(is_b64token(good, 100), "{good}");
        }
        for bad in [
            "",
            "=",
            "a b",
            "a\r\nX-Injected: evil",
            "'$(touch /tmp/x)'",
            "\x1b[2J",
            "a=b",
            "tok\u{e9}n",
            "a,b",
        ] {
            assert!(!is_b64token(bad, 100), "{bad:?}");
        }
        assert!(is_b64token(&"a".repeat(100), 100));
        assert!(!is_b64token(&"a".repeat(101), 100));
    }

    #[test]
    fn printable_ascii_jwt_and_token_type_rules() {
        assert!(is_printable_ascii("!~azAZ09", 8));
        assert!(!is_printable_ascii("!~azAZ09x", 8));
        for bad in ["", "a b", "a\x7f", "a\u{1b}", "\u{e9}", "a\n"] {
            assert!(!is_printable_ascii(bad, 100), "{bad:?}");
        }
        assert!(is_compact_jwt("aA0-_.b.c=", 100));
        for bad in ["", "a b.c", "a+b.c", "a/b", "a\r\n"] {
            assert!(!is_compact_jwt(bad, 100), "{bad:?}");
        }
        assert!(!is_compact_jwt("abc", 2));
        for good in ["Bearer", "DPoP", "N_A", "mac-1"] {
            assert!(is_token_type(good), "{good}");
        }
        for bad in ["", "Bearer x", "Bearer\r\n", &"B".repeat(33)] {
            assert!(!is_token_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_tampered_cached_token_does_not_deserialize() {
        let read = |json: &str| serde_json::from_str::<AccessToken>(json);
        let good = r#"{"access_token":"at","token_type":"Bearer","expires_at":1700000000,"scope":"openid","obtained_at":0}"#;
        assert!(read(good).is_ok());
        for bad in [
            r#"{"access_token":"a\r\nX: y","token_type":"Bearer","expires_at":1,"scope":null,"obtained_at":0}"#,
            r#"{"access_token":"at","token_type":"Bearer x","expires_at":1,"scope":null,"obtained_at":0}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_at":253402300800,"scope":null,"obtained_at":0}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_at":1,"scope":null,"obtained_at":18446744073709551615}"#,
            r#"{"access_token":"at","token_type":"Bearer","expires_at":1,"scope":"a\u001b[2J","obtained_at":0}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        let round = serde_json::to_string(&read(good).unwrap()).unwrap();
        assert!(read(&round).is_ok());
    }
}
