//! An access token as octoken keeps it, and whether it is still good to hand out.
//! Freshness is a value with a reason; `now` is always a parameter (uv's check_fresh).

use crate::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessToken {
    pub access_token: Secret,
    pub token_type: String,
    /// Unix seconds. None: the server said nothing and the token is not a JWT.
    pub expires_at: Option<u64>,
    pub scope: Option<String>,
    pub obtained_at: u64,
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
}

/// Words for logs: "expired", "without an expiry", "valid for only 49s".
impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StaleReason::NoExpiry => f.write_str("without an expiry"),
            StaleReason::Expired => f.write_str("expired"),
            StaleReason::ExpiresSoon { remaining } => write!(f, "valid for only {remaining}s"),
        }
    }
}

impl AccessToken {
    pub fn freshness(&self, now: u64, min_ttl: u64) -> Freshness {
        let Some(expires_at) = self.expires_at else {
            return Freshness::Stale(StaleReason::NoExpiry);
        };
        if expires_at <= now {
            return Freshness::Stale(StaleReason::Expired);
        }
        let remaining = expires_at - now;
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
}
