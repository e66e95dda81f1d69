//! A profile's CI and workload identity settings (docs/ci.md): where the JWT bearer
//! grant's assertion or token exchange's subject token comes from, and a federated
//! client assertion's source. Sources only: what they yield is read at each use by
//! `src/assertion.rs` and never stored.

use crate::config::{AssertionSource, ExchangeProfile, Grant, Profile};
use crate::error::{Error, Result};
use crate::oauth::AuthMethod;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssertionSettings {
    /// jwt_bearer: the assertion; token_exchange: the subject token.
    pub assertion: Option<AssertionSource>,
    /// token_exchange: types and the actor token.
    pub exchange: Option<ExchangeProfile>,
    /// auth_method client-assertion: the client assertion (RFC 7523 2.2).
    pub client_assertion: Option<AssertionSource>,
}

impl AssertionSettings {
    /// A stored profile's, checked: each grant and method has the source it needs.
    pub fn from_profile(name: &str, profile: &Profile) -> Result<Self> {
        let missing = |what: &str, flag: &str| Error::Usage {
            message: format!("profile '{name}' has no {what} source"),
            hint: Some(format!(
                "run `{} {flag} ...` again",
                crate::error::login_command(name)
            )),
        };
        if profile.grant.reads_assertions() && profile.assertion.is_none() {
            return Err(match profile.grant {
                Grant::TokenExchange => missing("subject token", "--subject-token-file"),
                _ => missing("assertion", "--assertion-file"),
            });
        }
        if profile.auth_method == AuthMethod::ClientAssertion && profile.client_assertion.is_none()
        {
            return Err(missing("client assertion", "--client-assertion-file"));
        }
        Ok(AssertionSettings {
            assertion: profile.assertion.clone(),
            exchange: match profile.grant {
                Grant::TokenExchange => Some(profile.exchange.clone().unwrap_or(ExchangeProfile {
                    subject_token_type: crate::oauth::exchange::JWT_TYPE.into(),
                    actor: None,
                    actor_token_type: None,
                    requested_token_type: None,
                })),
                _ => None,
            },
            client_assertion: profile.client_assertion.clone(),
        })
    }
}
