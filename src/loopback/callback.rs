//! The redirect back from the authorization server, parsed and checked. Pure.
//!
//! `state` is checked before anything else, `error` included: a request without this
//! login's state is a stray or forged one, and must neither end the login nor be
//! accepted (a forged `error=access_denied` would otherwise cancel a real login).

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
            return Outcome::WrongIssuer { got: iss };
        }
    }
    if let Some(error) = error {
        return Outcome::Accepted(Callback::Error { error, description });
    }
    match code {
        Some(code) if !code.is_empty() => Outcome::Accepted(Callback::Code {
            code: Secret::new(code),
        }),
        _ => Outcome::Ignored("neither code nor error"),
    }
}

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
}
