//! Device authorization grant (RFC 8628), for machines without a browser.

use crate::oauth::grant::{TOKEN_ENDPOINT, json_object};
use crate::oauth::http::HttpResponse;
use crate::oauth::{ClientAuth, FormRequest, OAuthError};
use crate::secret::Secret;
use serde_json::Value;

pub const DEVICE_ENDPOINT: &str = "device authorization endpoint";
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 3.2: the interval when the server gives none.
pub const DEFAULT_INTERVAL: u64 = 5;

#[derive(Debug)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    pub interval: u64,
}

pub fn device_request(url: &str, client: &ClientAuth, scope: &str) -> FormRequest {
    let mut req = FormRequest::new(DEVICE_ENDPOINT, url, client);
    req.push("scope", scope);
    req
}

pub fn parse_device_response(resp: &HttpResponse) -> Result<DeviceAuthorization, OAuthError> {
    let doc = json_object(DEVICE_ENDPOINT, resp)?;
    let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_string);
    let missing = |name: &str| OAuthError::Parse {
        endpoint: DEVICE_ENDPOINT,
        status: resp.status,
        message: format!("no {name} in the response"),
    };
    let number = |name: &str| match doc.get(name) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(DeviceAuthorization {
        device_code: Secret::new(text("device_code").ok_or_else(|| missing("device_code"))?),
        user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
        // Google says verification_url; RFC 8628 says verification_uri.
        verification_uri: text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?,
        verification_uri_complete: text("verification_uri_complete"),
        expires_in: number("expires_in").unwrap_or(600),
        interval: number("interval").unwrap_or(DEFAULT_INTERVAL).max(1),
    })
}

pub fn poll_request(token_url: &str, client: &ClientAuth, device_code: &Secret) -> FormRequest {
    let mut req = FormRequest::new(TOKEN_ENDPOINT, token_url, client);
    req.push("grant_type", DEVICE_CODE_GRANT);
    req.push("device_code", device_code.expose());
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc8628_and_google_style_answers() {
        let resp = HttpResponse {
            status: 200,
            content_type: None,
            body: br#"{"device_code":"d","user_code":"ABCD-EFGH","verification_url":"https://x/device","expires_in":"900"}"#.to_vec(),
            retry_after: None,
            dpop_nonce: None,
        };
        let d = parse_device_response(&resp).unwrap();
        assert_eq!(d.verification_uri, "https://x/device");
        assert_eq!(d.interval, DEFAULT_INTERVAL);
        assert_eq!(d.expires_in, 900);
    }
}
