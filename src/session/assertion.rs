//! The grants fed by an assertion read at each use (docs/ci.md): the JWT bearer grant
//! (RFC 7523 2.1) and token exchange (RFC 8693), and what their refusals mean. The
//! assertion is read here, under the profile lock, so that any number of waiting
//! processes read the source once per new token.

use crate::assertion;
use crate::config::{AssertionSource, Grant};
use crate::error::{Error, Result};
use crate::oauth::exchange::{self, Exchange};
use crate::oauth::{AuthMethod, ClientAuth, FormRequest};
use crate::settings::ProfileSettings;

/// The token request of a `jwt_bearer` or `token_exchange` profile, with the
/// assertion (subject and actor tokens) read from their sources now.
pub fn assertion_request(
    settings: &ProfileSettings,
    client: &ClientAuth,
    scope: &str,
) -> Result<FormRequest> {
    let token_url = &settings.endpoints.token;
    let source = settings.assertion.assertion.as_ref().ok_or_else(|| {
        Error::login_required(&settings.name, "the profile names no assertion source")
    })?;
    let scope = Some(scope);
    let mut request = match (settings.grant, &settings.assertion.exchange) {
        (Grant::TokenExchange, Some(types)) => {
            let subject = assertion::read(source, "subject token")?;
            let actor = match &types.actor {
                Some(actor) => Some(assertion::read(actor, "actor token")?),
                None => None,
            };
            let actor_type = types
                .actor_token_type
                .as_deref()
                .unwrap_or(exchange::JWT_TYPE);
            exchange::token_exchange_request(
                token_url,
                client,
                &Exchange {
                    subject: &subject,
                    subject_type: &types.subject_token_type,
                    actor: actor.as_ref().map(|a| (a, actor_type)),
                    requested_type: types.requested_token_type.as_deref(),
                },
                scope,
            )
        }
        _ => {
            let assertion = assertion::read(source, "assertion")?;
            exchange::jwt_bearer_request(token_url, client, &assertion, scope)
        }
    };
    settings.ask_for_resources(&mut request);
    Ok(request)
}

/// A provider's refusal told for what it is: an assertion it does not accept (exit 4,
/// naming where the assertion came from), or a grant it does not offer (exit 3).
pub fn assertion_refused(settings: &ProfileSettings, err: Error) -> Error {
    let Error::OAuth(oauth) = &err else {
        return err;
    };
    let code = oauth.server_code();
    let grant_name = match settings.grant {
        Grant::TokenExchange => "token exchange (RFC 8693)",
        _ => "JWT bearer (RFC 7523)",
    };
    let source = |what: &str, s: Option<&AssertionSource>| {
        s.map_or_else(String::new, |s| {
            format!(" the {what} from the {}", assertion::describe(s))
        })
    };
    match code {
        Some("invalid_grant") if settings.grant.reads_assertions() => {
            let what = match settings.grant {
                Grant::TokenExchange => "subject token",
                _ => "assertion",
            };
            Error::LoginRequired {
                message: format!(
                    "the provider refused{} ({err})",
                    source(what, settings.assertion.assertion.as_ref())
                ),
                hint: format!(
                    "check what the source yields now: a token the provider trusts (its issuer and signing keys), with `aud` {} and an unexpired `exp`",
                    settings.issuer.as_deref().unwrap_or(&settings.endpoints.token)
                ),
            }
        }
        Some("invalid_client") if settings.auth_method == AuthMethod::ClientAssertion => {
            Error::LoginRequired {
                message: format!(
                    "the provider refused{} ({err})",
                    source(
                        "client assertion",
                        settings.assertion.client_assertion.as_ref()
                    )
                ),
                hint: "check that the client is set up to trust this issuer and subject (a federated credential), and the assertion's `aud`".into(),
            }
        }
        Some("unsupported_grant_type") if settings.grant.reads_assertions() => Error::Config {
            message: format!("the provider does not offer the {grant_name} grant ({err})"),
            hint: Some(
                "enable the grant for this client at the provider (docs/ci.md lists what each provider needs)"
                    .into(),
            ),
        },
        _ => err,
    }
}
