//! Token revocation (RFC 7009).

use crate::oauth::HttpResponse;
use crate::oauth::{ClientAuth, FormRequest, OAuthError, grant::error_response};
use crate::secret::Secret;

pub const REVOCATION_ENDPOINT: &str = "revocation endpoint";

pub fn revoke_request(url: &str, client: &ClientAuth, token: &Secret, hint: &str) -> FormRequest {
    let mut req = FormRequest::new(REVOCATION_ENDPOINT, url, client);
    req.push("token", token.expose());
    req.push("token_type_hint", hint);
    req
}

#[derive(Debug, PartialEq, Eq)]
pub enum Revocation {
    /// RFC 7009 section 2.2: 200 means revoked (or already invalid).
    Revoked,
    /// `unsupported_token_type`: what servers answer for JWT access tokens they cannot
    /// revoke. Not a failure of a logout: the access token simply runs out.
    Unsupported,
}

pub fn check_response(resp: &HttpResponse) -> Result<Revocation, OAuthError> {
    if resp.status == 200 {
        return Ok(Revocation::Revoked);
    }
    let err = error_response(REVOCATION_ENDPOINT, resp);
    if err.server_code() == Some("unsupported_token_type") {
        return Ok(Revocation::Unsupported);
    }
    Err(err)
}
