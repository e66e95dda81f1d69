//! Device authorization grant (RFC 8628), for machines without a browser.

use crate::access_token as token;
use crate::oauth::HttpResponse;
use crate::oauth::grant::{TOKEN_ENDPOINT, json_object, lenient_u64};
use crate::oauth::{ClientAuth, FormRequest, OAuthError};
use crate::secret::Secret;
use serde_json::Value;

pub const DEVICE_ENDPOINT: &str = "device authorization endpoint";
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 3.2: the interval when the server gives none.
pub const DEFAULT_INTERVAL: u64 = 5;

/// The longest polling interval octoken accepts from a server: one minute. RFC 8628
/// suggests 5 seconds; a server asking for more than a minute between polls would make
/// the sign-in fail by timeout anyway, and a huge value must not overflow a clock.
pub const MAX_INTERVAL: u64 = 60;
/// The longest device-code lifetime believed: one hour (RFC 8628 examples use 30 min).
pub const MAX_EXPIRES_IN: u64 = 3600;
/// Default lifetime when the server gives none (RFC 8628 makes it required).
const DEFAULT_EXPIRES_IN: u64 = 600;
/// Longest user code shown, in characters (RFC 8628 6.1 recommends about 8).
pub const MAX_USER_CODE: usize = 64;
/// Longest verification URI accepted, in bytes.
pub const MAX_URI: usize = 2048;

#[derive(Debug)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    /// Printable ASCII, at most `MAX_USER_CODE` characters: safe to print.
    pub user_code: String,
    /// An https URL (or http on a loopback address), without controls: safe to print.
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    /// Seconds, at most `MAX_EXPIRES_IN`.
    pub expires_in: u64,
    /// Seconds, 1 to `MAX_INTERVAL`.
    pub interval: u64,
}

pub fn device_request(url: &str, client: &ClientAuth, scope: &str) -> FormRequest {
    let mut req = FormRequest::new(DEVICE_ENDPOINT, url, client);
    req.push("scope", scope);
    req
}

/// Parses a device authorization answer. Everything in it that is shown to the user
/// (the user code and the URIs) is validated here, so print sites can use it as is; the
/// numbers are clamped so that no deadline computation can overflow.
pub fn parse_device_response(resp: &HttpResponse) -> Result<DeviceAuthorization, OAuthError> {
    let doc = json_object(DEVICE_ENDPOINT, resp)?;
    let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_string);
    let bad = |message: String| OAuthError::Parse {
        endpoint: DEVICE_ENDPOINT,
        status: resp.status,
        message,
    };
    let missing = |name: &str| bad(format!("no {name} in the response"));
    let device_code = text("device_code").ok_or_else(|| missing("device_code"))?;
    if !token::is_printable_ascii(&device_code, token::MAX_REFRESH_TOKEN) {
        return Err(bad(format!(
            "the device_code is not printable ASCII of at most {} KiB",
            token::MAX_REFRESH_TOKEN / 1024
        )));
    }
    let user_code = text("user_code").ok_or_else(|| missing("user_code"))?;
    // RFC 8628 6.1: user codes are short and typed by hand; a space between groups is
    // seen in the wild, nothing else outside printable ASCII.
    if user_code.chars().count() > MAX_USER_CODE
        || !token::is_printable_ascii(&user_code.replace(' ', "!"), MAX_USER_CODE)
    {
        return Err(bad(format!(
            "the user_code is not printable ASCII of at most {MAX_USER_CODE} characters"
        )));
    }
    // Google says verification_url; RFC 8628 says verification_uri.
    let verification_uri = text("verification_uri")
        .or_else(|| text("verification_url"))
        .ok_or_else(|| missing("verification_uri"))?;
    let verification_uri =
        checked_uri(&verification_uri).map_err(|why| bad(format!("the verification_uri {why}")))?;
    let verification_uri_complete = match text("verification_uri_complete") {
        Some(uri) => Some(
            checked_uri(&uri).map_err(|why| bad(format!("the verification_uri_complete {why}")))?,
        ),
        None => None,
    };
    let number = |name: &str| lenient_u64(doc.get(name));
    Ok(DeviceAuthorization {
        device_code: Secret::new(device_code),
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_in: number("expires_in")
            .unwrap_or(DEFAULT_EXPIRES_IN)
            .min(MAX_EXPIRES_IN),
        interval: number("interval")
            .unwrap_or(DEFAULT_INTERVAL)
            .clamp(1, MAX_INTERVAL),
    })
}

/// A verification URI a user may be sent to: an absolute https URL, or http on a
/// loopback address (test servers), at most `MAX_URI` bytes, with nothing a terminal
/// would interpret. Returns the URL as given (so that it matches what the server
/// shows), the reason otherwise.
fn checked_uri(uri: &str) -> Result<String, String> {
    if uri.len() > MAX_URI {
        return Err(format!("is longer than {MAX_URI} bytes"));
    }
    // The URL parser quietly drops tabs and newlines; a URI that needs that is not one.
    if !token::is_printable_ascii(uri, MAX_URI) {
        return Err("holds characters outside printable ASCII".into());
    }
    let url = url::Url::parse(uri).map_err(|_| "is not a URL".to_string())?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(uri.to_string()),
        "http" if loopback => Ok(uri.to_string()),
        _ => Err("is not an https URL".into()),
    }
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

    fn device(body: &str) -> Result<DeviceAuthorization, OAuthError> {
        parse_device_response(&HttpResponse {
            status: 200,
            content_type: None,
            body: body.as_bytes().to_vec(),
            retry_after: None,
            dpop_nonce: None,
        })
    }

    fn with(field: &str, value: &str) -> String {
        let mut doc = serde_json::json!({
            "device_code": "dc",
            "user_code": "ABCD-EFGH",
            "verification_uri": "https://id.example.com/device",
        });
        doc[field] = serde_json::from_str(value).unwrap();
        doc.to_string()
    }

    #[test]
    fn numbers_are_clamped() {
        let d = device(&with("interval", "253402300799")).unwrap();
        assert_eq!(d.interval, MAX_INTERVAL);
        let d = device(&with("interval", "0")).unwrap();
        assert_eq!(d.interval, 1);
        let d = device(&with("interval", "-3")).unwrap();
        assert_eq!(d.interval, 1);
        let d = device(&with("interval", "7")).unwrap();
        assert_eq!(d.interval, 7);
        let d = device(&with("expires_in", "1e300")).unwrap();
        assert_eq!(d.expires_in, MAX_EXPIRES_IN);
        let d = device(&with("expires_in", "\"18446744073709551615\"")).unwrap();
        assert_eq!(d.expires_in, MAX_EXPIRES_IN);
        let d = device(&with("expires_in", "120")).unwrap();
        assert_eq!(d.expires_in, 120);
    }

    #[test]
    fn hostile_user_codes_are_refused() {
        for code in [
            r#""\u001b[2J\u001b[HLogged in""#,
            r#""AB\r\nCD""#,
            r#""\u202eDCBA""#,
            r#""ABCD\u0007""#,
            r#""""#,
            "5",
        ] {
            let e = device(&with("user_code", code)).unwrap_err();
            assert!(matches!(e, OAuthError::Parse { .. }), "{code}: {e}");
            assert!(!e.to_string().contains("Logged"), "{e}");
        }
        let long = format!("\"{}\"", "A".repeat(MAX_USER_CODE + 1));
        assert!(device(&with("user_code", &long)).is_err());
        let max = format!("\"{}\"", "A".repeat(MAX_USER_CODE));
        assert!(device(&with("user_code", &max)).is_ok());
        assert_eq!(
            device(&with("user_code", r#""WDJB MJHT""#))
                .unwrap()
                .user_code,
            "WDJB MJHT"
        );
    }

    #[test]
    fn verification_uris_must_be_https_or_loopback_http() {
        for uri in [
            "https://id.example.com/device",
            "https://id.example.com/device?user_code=ABCD-EFGH",
            "http://127.0.0.1:8080/device",
            "http://localhost/device",
            "http://[::1]:9/device",
        ] {
            let d = device(&with("verification_uri", &format!("\"{uri}\""))).unwrap();
            assert_eq!(d.verification_uri, uri);
            let d = device(&with("verification_uri_complete", &format!("\"{uri}\""))).unwrap();
            assert_eq!(d.verification_uri_complete.as_deref(), Some(uri));
        }
        for uri in [
            "http://id.example.com/device",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "/device",
            r"https://id.example.com/\u001b]8;;https://evil/\u0007x",
            r"https://id.example.com/\r\nfake",
            "https://id.example.com/ dev",
            r"https://id.example.com/\u202e",
            "https://",
        ] {
            let field = format!("\"{uri}\"");
            for name in ["verification_uri", "verification_uri_complete"] {
                let e = device(&with(name, &field)).unwrap_err();
                assert!(matches!(e, OAuthError::Parse { .. }), "{uri}: {e}");
                assert!(e.to_string().contains(name), "{e}");
                assert!(!e.to_string().contains("evil"), "{e}");
            }
        }
        let long = format!("\"https://x/{}\"", "a".repeat(MAX_URI));
        assert!(device(&with("verification_uri", &long)).is_err());
    }

    #[test]
    fn hostile_device_codes_are_refused() {
        for code in [r#""d c""#, r#""d\r\n""#, r#""\u00e9""#] {
            assert!(device(&with("device_code", code)).is_err(), "{code}");
        }
    }
}
