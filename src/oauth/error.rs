//! What can go wrong talking to an authorization server, shaped after RFC 6749 section
//! 5.2 and oauth2-rs: the server said no, the request never completed, or the answer
//! made no sense.

use crate::sanitize;
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

/// Longest excerpt of an error body, in characters.
pub const EXCERPT_CHARS: usize = 120;
/// Longest server-supplied error code or description kept, in characters.
pub const DESCRIPTION_CHARS: usize = 300;

/// A short, single-line, printable excerpt of an error response's body for messages:
/// controls and escape sequences stripped (`sanitize::foreign`), whitespace runs
/// collapsed, at most `EXCERPT_CHARS` characters. Only for bodies of failed requests:
/// the body of a successful token, device or introspection answer holds the very
/// secrets octoken asked for and is never quoted.
pub fn excerpt(body: &[u8]) -> String {
    // Bound the work before the text is looked at: a 1 MiB body needs no full pass.
    let head = &body[..body.len().min(EXCERPT_CHARS * 8)];
    let text = String::from_utf8_lossy(head);
    let flat = sanitize::foreign(&text, usize::MAX);
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = body.len() > head.len();
    let mut out = sanitize::foreign(&flat, EXCERPT_CHARS);
    if cut && !out.ends_with(sanitize::ELLIPSIS) {
        out.push(sanitize::ELLIPSIS);
    }
    out
}

/// A server's own words (an RFC 6749 `error` or `error_description`), made safe for a
/// terminal and bounded.
pub fn server_text(text: &str) -> String {
    let flat = sanitize::foreign(text, DESCRIPTION_CHARS);
    flat.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_printable_and_one_line() {
        assert_eq!(
            excerpt(b"<html>\r\n  <h1>Bad</h1>\n</html>"),
            "<html> <h1>Bad</h1> </html>"
        );
        assert_eq!(excerpt(b"a\x1b[2J\x1b]8;;https://evil/\x07b"), "ab");
        assert_eq!(excerpt(b"\xff\xfeok"), "\u{fffd}\u{fffd}ok");
        let long = excerpt(&[b'x'; 5000]);
        assert_eq!(long.chars().count(), EXCERPT_CHARS);
        assert!(long.ends_with('\u{2026}'));
        assert_eq!(
            excerpt(&[b'x'; EXCERPT_CHARS]).chars().count(),
            EXCERPT_CHARS
        );
        assert!(!excerpt(&[b'x'; EXCERPT_CHARS]).ends_with('\u{2026}'));
    }

    #[test]
    fn server_text_is_bounded_and_inert() {
        assert_eq!(
            server_text("\x1b[H\x1b[2JLogged in as admin\r\n"),
            "Logged in as admin"
        );
        assert_eq!(server_text("\u{202e}gnp.exe"), "gnp.exe");
        assert_eq!(
            server_text(&"y".repeat(1000)).chars().count(),
            DESCRIPTION_CHARS
        );
    }
}
