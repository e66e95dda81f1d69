//! Our own secrets taken out of a server's answer. Proxies and web frameworks answer a
//! bad request with an error page that repeats it (`client_secret=...&refresh_token=...`),
//! and any excerpt of that page would otherwise put the secrets in an error message, a
//! log, or a fleet's shared backoff reason. The sender (`http.rs`) runs every failed
//! answer through the `Redactor` of the request it sent, so every reader of the answer
//! sees the redacted text.
//!
//! An echo is matched in the forms the request travelled in and the forms servers quote
//! it in: as sent, form- and percent-encoded (either case of hex digits), JSON-escaped
//! (with or without `\/`, with or without `\uXXXX` for non-ASCII) and HTML-escaped. A
//! server that means to leak what it received can encode it otherwise; it has it anyway.

/// What stands in a redacted answer where a secret was.
pub const REDACTED: &str = "<redacted>";

/// The secrets of one request, each in every form an echo may show it in.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret that holds another is removed whole.
    forms: Vec<Vec<u8>>,
}

impl Redactor {
    /// Adds a secret that was sent. An empty value is nothing to hide (and would match
    /// everywhere).
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        for form in forms(secret) {
            let form = form.into_bytes();
            if !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        self.forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    }

    /// `body` with every form of every secret replaced by `REDACTED`.
    pub fn apply(&self, body: &[u8]) -> Vec<u8> {
        if self.forms.is_empty() {
            return body.to_vec();
        }
        let mut out = Vec::with_capacity(body.len());
        let mut rest = body;
        while let Some(&first) = rest.first() {
            match self.forms.iter().find(|form| rest.starts_with(form)) {
                Some(form) => {
                    out.extend_from_slice(REDACTED.as_bytes());
                    rest = &rest[form.len()..];
                }
                None => {
                    out.push(first);
                    rest = &rest[1..];
                }
            }
        }
        out
    }

    /// `text` redacted, for header values and other short strings.
    pub fn apply_str(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.apply(text.as_bytes())).into_owned()
    }
}

/// The forms `secret` may come back in (duplicates are dropped by the caller).
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    // application/x-www-form-urlencoded as sent (WHATWG: space as +), RFC 3986 strict
    // (space as %20, `~` kept) and JavaScript's encodeURIComponent (also keeps !'()*).
    for encoded in [
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>(),
        percent(secret, |b| b"-._~".contains(&b)),
        percent(secret, |b| b"-_.!~*'()".contains(&b)),
    ] {
        out.push(lower_hex(&encoded));
        out.push(encoded);
    }
    for slash in [false, true] {
        for ascii in [false, true] {
            out.push(json_escape(secret, slash, ascii));
        }
    }
    out.push(go_json_escape(secret));
    for apostrophe in ["&#39;", "&#x27;"] {
        out.push(html_escape(secret, apostrophe));
    }
    out
}

/// `secret` percent-encoded: ASCII letters, digits and the bytes `keep` accepts as they
/// are, every other byte as `%XX` (upper-case hex).
fn percent(secret: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(secret.len() * 3);
    for b in secret.bytes() {
        if b.is_ascii_alphanumeric() || keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The same encoding with lower-case hex digits after each `%` (RFC 3986 2.1 makes
/// them equivalent; some encoders write them so).
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            if c == '%' {
                hex_left = 2;
            }
            out.push(c);
        }
    }
    out
}

/// The inside of a JSON string holding `secret` (RFC 8259 7): `"` `\` and controls
/// escaped; `/` as `\/` when `slash` (PHP's default); every non-ASCII character as
/// `\uXXXX` (UTF-16, lower-case hex) when `ascii` (Python's and PHP's defaults).
fn json_escape(secret: &str, slash: bool, ascii: bool) -> String {
    let mut out = String::with_capacity(secret.len() + 8);
    for c in secret.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The inside of a JSON string as Go's encoding/json writes it: `<`, `>`, `&`, U+2028
/// and U+2029 as `\uXXXX` too (its default HTML-safe escaping).
fn go_json_escape(secret: &str) -> String {
    let mut out = String::with_capacity(secret.len() + 8);
    for c in secret.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push_str(&json_escape(c.encode_utf8(&mut [0; 4]), false, false)),
        }
    }
    out
}

/// `secret` as HTML text: `& < > "` and the apostrophe as `apostrophe`.
fn html_escape(secret: &str, apostrophe: &str) -> String {
    let mut out = String::with_capacity(secret.len() + 8);
    for c in secret.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(secrets: &[&str], body: &str) -> String {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.add(secret);
        }
        String::from_utf8(redactor.apply(body.as_bytes())).unwrap()
    }

    #[test]
    fn a_secret_is_removed_in_every_form_it_is_echoed_in() {
        let secret = "s3cr/t+ä b&\"'~!";
        for echo in [
            "s3cr/t+ä b&\"'~!",
            // form-urlencoded as sent, and with lower-case hex
            "s3cr%2Ft%2B%C3%A4+b%26%22%27%7E%21",
            "s3cr%2ft%2b%c3%a4+b%26%22%27%7e%21",
            // RFC 3986 strict and encodeURIComponent
            "s3cr%2Ft%2B%C3%A4%20b%26%22%27~%21",
            "s3cr%2Ft%2B%C3%A4%20b%26%22'~!",
            // JSON, plain, PHP-style and Python-style
            "s3cr/t+ä b&\\\"'~!",
            "s3cr\\/t+ä b&\\\"'~!",
            "s3cr/t+\\u00e4 b&\\\"'~!",
            "s3cr\\/t+\\u00e4 b&\\\"'~!",
            // Go: <>& as \u escapes
            "s3cr/t+ä b\\u0026\\\"'~!",
            // HTML
            "s3cr/t+ä b&amp;&quot;&#39;~!",
            "s3cr/t+ä b&amp;&quot;&#x27;~!",
        ] {
            assert_eq!(
                redact(&[secret], &format!("[{echo}]")),
                "[<redacted>]",
                "{echo}"
            );
        }
    }

    #[test]
    fn controls_and_astral_characters_in_json() {
        assert_eq!(
            json_escape("a\u{1}\n\r\t\u{8}\u{c}", false, false),
            "a\\u0001\\n\\r\\t\\b\\f"
        );
        assert_eq!(json_escape("🙂", false, true), "\\ud83d\\ude42");
        assert_eq!(json_escape("🙂", false, false), "🙂");
        assert_eq!(json_escape("\u{1f}\u{20}", false, false), "\\u001f ");
        assert_eq!(
            go_json_escape("<a&b>\u{2028}\"\n"),
            "\\u003ca\\u0026b\\u003e\\u2028\\\"\\n"
        );
    }

    #[test]
    fn an_echoed_form_body_keeps_its_public_fields() {
        let body =
            "grant_type=refresh_token&client_id=cli&client_secret=p%40ss%3Aw&refresh_token=rt-123";
        assert_eq!(
            redact(&["p@ss:w", "rt-123"], body),
            "grant_type=refresh_token&client_id=cli&client_secret=<redacted>&refresh_token=<redacted>"
        );
    }

    #[test]
    fn the_longest_secret_goes_first() {
        // A secret that holds another is removed whole, not around the shorter one.
        assert_eq!(
            redact(&["abc", "xxabcxx"], "1xxabcxx2abc3"),
            "1<redacted>2<redacted>3"
        );
        assert_eq!(
            redact(&["xxabcxx", "abc"], "1xxabcxx2abc3"),
            "1<redacted>2<redacted>3"
        );
    }

    #[test]
    fn nothing_to_hide_changes_nothing() {
        assert_eq!(redact(&[], "a body"), "a body");
        assert_eq!(redact(&[""], "a body"), "a body");
        let bytes = b"\xff\x00secret\xfe";
        let mut redactor = Redactor::default();
        redactor.add("secret");
        assert_eq!(redactor.apply(bytes), b"\xff\x00<redacted>\xfe");
        assert_eq!(redactor.apply_str("x secret y"), "x <redacted> y");
    }

    #[test]
    fn every_occurrence_goes() {
        assert_eq!(
            redact(&["tok"], "tok tok tok"),
            "<redacted> <redacted> <redacted>"
        );
        assert_eq!(redact(&["aa"], "aaa"), "<redacted>a");
    }
}
