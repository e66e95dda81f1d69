//! What can go wrong talking to an authorization server, shaped after RFC 6749 section
//! 5.2 and oauth2-rs: the server said no, the request never completed, or the answer
//! made no sense.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OAuthError {
    /// An RFC 6749 error response: `{"error": "...", "error_description": "..."}`.
    #[error("{endpoint} answered {code}{}", describe(description))]
    Server {
        endpoint: &'static str,
        status: u16,
        code: String,
        description: Option<String>,
    },
    /// The request did not complete: connect error, DNS, TLS, timeout.
    #[error("could not reach the {endpoint} at {url}: {message}")]
    Transport {
        endpoint: &'static str,
        url: String,
        message: String,
        /// True when the request surely never reached the server (safe to retry).
        not_sent: bool,
    },
    /// The TLS handshake failed: an unknown CA, a wrong name, an expired certificate.
    /// Not temporary: retrying will not change the certificate.
    #[error("TLS with the {endpoint} at {url} failed: {message}")]
    Tls {
        endpoint: &'static str,
        url: String,
        message: String,
    },
    /// An HTTP status with a body that is not an RFC 6749 error.
    #[error("{endpoint} answered HTTP {status}{}", excerpt_suffix(excerpt))]
    Status {
        endpoint: &'static str,
        status: u16,
        excerpt: String,
    },
    /// A success status whose body octoken cannot use.
    #[error("{endpoint} sent an unusable response (HTTP {status}): {message}")]
    Parse {
        endpoint: &'static str,
        status: u16,
        message: String,
    },
}

impl OAuthError {
    /// The server's answer means "try again later": 5xx, 429 or a transport failure.
    pub fn is_temporary(&self) -> bool {
        match self {
            OAuthError::Transport { .. } => true,
            OAuthError::Server { status, .. } | OAuthError::Status { status, .. } => {
                *status == 429 || *status >= 500
            }
            OAuthError::Parse { .. } | OAuthError::Tls { .. } => false,
        }
    }

    pub fn server_code(&self) -> Option<&str> {
        match self {
            OAuthError::Server { code, .. } => Some(code),
            _ => None,
        }
    }
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

/// A short, single-line, printable excerpt of a response body for error messages.
/// Bodies of failed token requests hold no secrets a client sent, but keep them short.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 120 {
        format!("{}...", flat.chars().take(120).collect::<String>())
    } else {
        flat
    }
}
