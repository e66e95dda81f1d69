//! How the authorization request reaches the provider: in the browser's address (the
//! default), as a signed request object (JAR, RFC 9101: `--request-object`), and/or
//! pushed to the provider first (PAR, RFC 9126: `--par`, or when the provider requires
//! it), after which the browser carries only `client_id` and `request_uri`.

use crate::error::{Error, Result};
use crate::network::Network;
use crate::oauth::ClientAuth;
use crate::oauth::authorize::{AuthorizeRequest, with_query};
use crate::oauth::discovery::Metadata;
use crate::oauth::sign_in::{self, parse_par_response, request_object};
use crate::output;
use crate::settings::ProfileSettings;

/// The address the browser is sent to, and whether it was pushed.
pub struct BrowserUrl {
    pub url: String,
    pub pushed: bool,
}

/// Whether this login pushes its request: asked for (`--par`, or a retry after the
/// provider demanded it), or required by the provider's metadata.
pub fn wants_par(settings: &ProfileSettings, metadata: &Metadata, retry: bool) -> bool {
    retry || settings.sign_in.par || metadata.require_pushed_authorization_requests
}

pub fn browser_url(
    network: &Network,
    settings: &ProfileSettings,
    metadata: &Metadata,
    client: &ClientAuth,
    request: &AuthorizeRequest<'_>,
    par: bool,
    now: u64,
) -> Result<BrowserUrl> {
    let mut params = request.params();
    if settings.sign_in.request_object {
        let Some(signer) = client.assertion.as_ref() else {
            return Err(Error::Config {
                message: "a request object is signed with the client's key, and this profile has none".into(),
                hint: Some("log in with --auth-method private-key-jwt --client-key-file PEM, or --request-object false".into()),
            });
        };
        let Some(issuer) = settings.issuer.as_deref() else {
            return Err(Error::Config {
                message:
                    "a request object names the issuer as its audience, and this profile has none"
                        .into(),
                hint: Some("log in with --issuer URL, or --request-object false".into()),
            });
        };
        let jwt = request_object(signer, issuer, &params, now);
        output::debug(
            1,
            "the authorization request travels as a signed request object",
        );
        // RFC 9101 5: client_id and the object; OIDC Core 6.1 also wants response_type
        // and scope outside it (the same values).
        params = vec![
            ("client_id".into(), settings.client_id.clone()),
            ("request".into(), jwt.expose().to_string()),
        ];
        if !par {
            params.push(("response_type".into(), "code".into()));
            params.push(("scope".into(), settings.scope.clone()));
        }
    }
    let invalid =
        |e: url::ParseError| Error::config(format!("invalid authorization URL: {e}"), None);
    if !par {
        let url = with_query(request.authorization_url, &params).map_err(invalid)?;
        return Ok(BrowserUrl {
            url: url.to_string(),
            pushed: false,
        });
    }
    let Some(endpoint) = metadata.pushed_authorization_request_endpoint.as_deref() else {
        return Err(Error::Config {
            message: "the provider lists no usable pushed_authorization_request_endpoint (an https URL), so the request cannot be pushed (PAR)".into(),
            hint: Some("log in with --par false".into()),
        });
    };
    // The pushed request carries the client's credentials (secret, assertion or
    // certificate), which octoken sends only to the server of the token endpoint: a
    // discovery document must not be able to collect them (or an assertion to replay
    // there) by naming a PAR endpoint elsewhere.
    let home = crate::oauth::dpop::origin(&settings.endpoints.token);
    if client.method != crate::oauth::AuthMethod::None
        && crate::oauth::dpop::origin(endpoint) != home
    {
        return Err(Error::Config {
            message: format!(
                "the provider's PAR endpoint {} is on another server than its token endpoint ({home}); octoken sends this client's credentials only there",
                crate::sanitize::foreign(endpoint, 200)
            ),
            hint: Some(
                "this provider's discovery document is inconsistent; ask its operator, or log in with --par false if it does not require PAR".into(),
            ),
        });
    }
    let form = sign_in::par_request(endpoint, client, &params);
    let response = network.post(&form)?;
    let request_uri = parse_par_response(&response)?;
    output::debug(1, "pushed the authorization request (PAR)");
    let url = with_query(
        request.authorization_url,
        &[
            ("client_id".into(), settings.client_id.clone()),
            ("request_uri".into(), request_uri.expose().to_string()),
        ],
    )
    .map_err(invalid)?;
    Ok(BrowserUrl {
        url: url.to_string(),
        pushed: true,
    })
}
