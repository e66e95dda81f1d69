//! The redirect back from the authorization server, parsed and checked. Pure.
//!
//! `state` is checked before anything else, `error` included: a request without this
//! login's state is a stray or forged one, and must neither end the login nor be
//! accepted (a forged `error=access_denied` would otherwise cancel a real login).
//!
//! Everything here came from whoever could reach the listener. `code` and `state` must
//! look like tokens (bounded, printable ASCII) or the request is ignored; the text
//! parameters that reach a terminal (`error`, `error_description`, `iss`) are bounded
//! and stripped of control characters before they leave this module.

use crate::secret::Secret;

#[derive(Debug)]
pub enum Callback {
    Code {
        code: Secret,
    },
    Error {
        error: String,
        description: Option<String>,
    },
}

#[derive(Debug)]
pub enum Outcome {
    /// This login's answer: end the wait.
    Accepted(Callback),
    /// Right state, but the `iss` parameter names another server (RFC 9207 mix-up).
    WrongIssuer { got: Option<String> },
    /// Not for this login: answer 400 and keep waiting.
    Ignored(&'static str),
}

pub struct Expect<'a> {
    pub state: &'a Secret,
    /// The issuer the `iss` parameter must equal, when it is present.
    pub issuer: Option<&'a str>,
    /// The provider says it always sends `iss` (authorization_response_iss_parameter_supported).
    pub iss_required: bool,
}

/// The longest `code` or `state` accepted. Real ones are tens to a few hundred bytes.
pub const MAX_TOKEN: usize = 4096;
/// The most characters of `error` / `error_description` / `iss` kept for display.
pub const MAX_TEXT: usize = 300;

pub fn parse(query: &str, expect: &Expect) -> Outcome {
    let mut state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    let mut iss = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        if slot.is_some() {
            // RFC 6749 3.1: parameters must not repeat. A repeat is not a real redirect.
            return Outcome::Ignored("a parameter appears twice");
        }
        *slot = Some(value.into_owned());
    }
    match state {
        None => return Outcome::Ignored("no state parameter"),
        Some(s) if !is_token(&s) => return Outcome::Ignored("the state is not a token"),
        Some(s) if !constant_time_eq(s.as_bytes(), expect.state.expose().as_bytes()) => {
            return Outcome::Ignored("the state does not belong to this login");
        }
        Some(_) => {}
    }
    if let Some(issuer) = expect.issuer {
        let mismatch = match &iss {
            Some(got) => got.trim_end_matches('/') != issuer.trim_end_matches('/'),
            None => expect.iss_required,
        };
        if mismatch {
            return Outcome::WrongIssuer {
                got: iss.map(|i| terminal_safe(&i)),
            };
        }
    }
    if let Some(error) = error {
        return Outcome::Accepted(Callback::Error {
            error: terminal_safe(&error),
            description: description.map(|d| terminal_safe(&d)),
        });
    }
    match code {
        Some(code) if is_token(&code) => Outcome::Accepted(Callback::Code {
            code: Secret::new(code),
        }),
        Some(_) => Outcome::Ignored("the code is empty or not a token"),
        None => Outcome::Ignored("neither code nor error"),
    }
}

/// Non-empty, at most MAX_TOKEN bytes, visible ASCII only (RFC 6749 A.11, A.5: VSCHAR,
/// minus the space no real code or state uses).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_TOKEN && s.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// Foreign text bound for a terminal: control characters (C0 with ESC, DEL, C1) and
/// bidirectional overrides dropped, so it cannot move the cursor or reorder the line;
/// at most MAX_TEXT characters.
fn terminal_safe(s: &str) -> String {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    s.chars()
        .filter(|&c| !c.is_control() && !bidi(c))
        .take(MAX_TEXT)
        .collect()
}

/// Compares every byte whatever the first difference, so timing does not tell an
/// attacker how much of a guessed state was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(state: &Secret) -> Expect<'_> {
        Expect {
            state,
            issuer: Some("https://id.example.com"),
            iss_required: false,
        }
    }

    #[test]
    fn accepts_this_logins_code() {
        let s = Secret::new("abc");
        let out = parse(
            "code=c0de&state=abc&iss=https%3A%2F%2Fid.example.com",
            &expect(&s),
        );
        assert!(
            matches!(out, Outcome::Accepted(Callback::Code { code }) if code.expose() == "c0de")
        );
    }

    #[test]
    fn state_comes_before_error() {
        let s = Secret::new("abc");
        assert!(matches!(
            parse("error=access_denied", &expect(&s)),
            Outcome::Ignored(_)
        ));
        assert!(matches!(
            parse("error=access_denied&state=zzz", &expect(&s)),
            Outcome::Ignored(_)
        ));
        let out = parse(
            "error=access_denied&error_description=no+way&state=abc",
            &expect(&s),
        );
        assert!(
            matches!(out, Outcome::Accepted(Callback::Error { ref description, .. })
            if description.as_deref() == Some("no way"))
        );
    }

    #[test]
    fn mix_up_defence() {
        let s = Secret::new("abc");
        let out = parse("code=c&state=abc&iss=https%3A%2F%2Fevil", &expect(&s));
        assert!(matches!(out, Outcome::WrongIssuer { .. }));
        let mut e = expect(&s);
        e.iss_required = true;
        assert!(matches!(
            parse("code=c&state=abc", &e),
            Outcome::WrongIssuer { got: None }
        ));
    }

    #[test]
    fn repeated_or_garbage_parameters_are_ignored() {
        let s = Secret::new("abc");
        assert!(matches!(
            parse("code=a&code=b&state=abc", &expect(&s)),
            Outcome::Ignored(_)
        ));
        assert!(matches!(
            parse("%%%&&&==", &expect(&s)),
            Outcome::Ignored(_)
        ));
        assert!(matches!(
            parse("state=abc", &expect(&s)),
            Outcome::Ignored(_)
        ));
    }

    #[test]
    fn a_state_differing_in_two_bytes_is_refused() {
        // 'a' ^ 'b' == 'b' ^ 'a': folded with XOR instead of OR, these two differences
        // would cancel and "bac" would pass for "abc".
        let s = Secret::new("abc");
        assert!(matches!(
            parse("code=c&state=bac", &expect(&s)),
            Outcome::Ignored(_)
        ));
        assert!(!constant_time_eq(b"abc", b"bac"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"abc", b"abc"));
    }

    #[test]
    fn an_empty_code_is_refused() {
        let s = Secret::new("abc");
        assert!(matches!(
            parse("code=&state=abc", &expect(&s)),
            Outcome::Ignored(_)
        ));
    }

    #[test]
    fn code_and_state_must_be_bounded_printable_ascii() {
        let long = "x".repeat(MAX_TOKEN + 1);
        let s = Secret::new(long.clone());
        assert!(matches!(
            parse(&format!("code=c&state={long}"), &expect(&s)),
            Outcome::Ignored(_)
        ));
        let s = Secret::new("abc");
        let longest = "x".repeat(MAX_TOKEN);
        assert!(matches!(
            parse(&format!("code={longest}&state=abc"), &expect(&s)),
            Outcome::Accepted(Callback::Code { .. })
        ));
        for bad in ["c%20d", "c%0Ad", "c%1Bd", "c%7Fd", "c%C3%A9"] {
            assert!(
                matches!(
                    parse(&format!("code={bad}&state=abc"), &expect(&s)),
                    Outcome::Ignored(_)
                ),
                "{bad}"
            );
        }
        let s = Secret::new("a b");
        assert!(matches!(
            parse("code=c&state=a+b", &expect(&s)),
            Outcome::Ignored(_)
        ));
    }

    #[test]
    fn provider_text_is_stripped_and_bounded_before_the_terminal() {
        let s = Secret::new("abc");
        let out = parse(
            "error=access%1B%5B2J_denied&error_description=a%07b%C2%9Bc%E2%80%AEd%0D%0Ae&state=abc",
            &expect(&s),
        );
        let Outcome::Accepted(Callback::Error { error, description }) = out else {
            panic!("{out:?}")
        };
        assert_eq!(error, "access[2J_denied");
        assert_eq!(description.as_deref(), Some("abcde"));
        let long = "y".repeat(5000);
        let out = parse(&format!("error={long}&state=abc"), &expect(&s));
        let Outcome::Accepted(Callback::Error { error, .. }) = out else {
            panic!("{out:?}")
        };
        assert_eq!(error.chars().count(), MAX_TEXT);
        let out = parse("code=c&state=abc&iss=https%3A%2F%2Fevil%1B%5D", &expect(&s));
        assert!(
            matches!(out, Outcome::WrongIssuer { got: Some(ref g) } if g == "https://evil]"),
            "{out:?}"
        );
    }
}
