//! AWS STS `AssumeRoleWithWebIdentity` (API version 2011-06-15): the request, as a form
//! that needs no AWS signature (the web identity token is the credential), and the XML
//! answer parsed into temporary credentials or STS's error code and message. Pure: no
//! I/O; `network/` sends the form, the flow caches and prints.
//!
//! The answer is read with quick-xml's pull parser, element by element, keeping only
//! the few leaf texts STS defines; anything else in the document is skipped. The body is
//! capped before it is looked at, nesting is bounded, and every credential is checked
//! against its grammar here, when it is received.

use crate::oauth::{FormRequest, HttpResponse, OAuthError};
use crate::secret::Secret;
use quick_xml::events::Event;

/// How errors name this endpoint ("STS endpoint answered AccessDenied: ...").
pub const STS_ENDPOINT: &str = "STS endpoint";

/// STS's answers are a few KiB; anything much larger is not one.
pub const MAX_ANSWER: usize = 64 * 1024;

/// Deeper than any STS answer (five levels), shallow enough to bound the work.
const MAX_DEPTH: usize = 12;

/// Session tokens grow with session tags and policies; AWS documents no maximum, and
/// SDKs send them in a header, where servers take up to 16 KiB or so.
const MAX_SESSION_TOKEN: usize = 16 * 1024;

/// What to assume, and with which token.
pub struct AssumeRole<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    /// None: the role's default (one hour).
    pub duration: Option<u64>,
    pub web_identity_token: &'a Secret,
}

/// The form STS takes (AWS STS API reference, AssumeRoleWithWebIdentity). STS answers
/// in XML; asked for JSON, STS would change the shape of its answer.
pub fn assume_role_request(url: &str, role: &AssumeRole<'_>) -> FormRequest {
    let mut request = FormRequest::unauthenticated(STS_ENDPOINT, url, "text/xml");
    request.push("Action", "AssumeRoleWithWebIdentity");
    request.push("Version", "2011-06-15");
    request.push("RoleArn", role.role_arn);
    request.push("RoleSessionName", role.session_name);
    if let Some(duration) = role.duration {
        request.push("DurationSeconds", &duration.to_string());
    }
    request.push("WebIdentityToken", role.web_identity_token.expose());
    request
}

/// Temporary credentials, checked: what `credential_process` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Unix seconds.
    pub expiration: u64,
    /// The assumed role's session ARN (for `-v`), when STS named it.
    pub assumed_role_arn: Option<String>,
}

/// The answer to an `AssumeRoleWithWebIdentity` request: the credentials, or the error
/// STS (or whatever answered in its place) gave, as an `OAuthError` whose `Server` code
/// is STS's (`InvalidIdentityToken`, `ExpiredTokenException`, `AccessDenied`, ...).
pub fn parse_response(response: &HttpResponse, now: u64) -> Result<Credentials, OAuthError> {
    let status = response.status;
    let unusable = |message: String| OAuthError::Parse {
        endpoint: STS_ENDPOINT,
        status,
        message,
    };
    let parsed = if response.body.len() > MAX_ANSWER {
        Err(format!(
            "the answer is larger than {} KiB",
            MAX_ANSWER / 1024
        ))
    } else {
        leaves(&response.body)
    };
    if !(200..300).contains(&status) {
        // STS's error document; anything else (a proxy's page) is quoted, shortened.
        return Err(match parsed.as_ref().ok().and_then(sts_error) {
            Some((code, message)) => OAuthError::Server {
                endpoint: STS_ENDPOINT,
                status,
                code,
                description: message,
            },
            None => OAuthError::Status {
                endpoint: STS_ENDPOINT,
                status,
                excerpt: crate::oauth::error::excerpt(&response.body),
            },
        });
    }
    let leaves = parsed.map_err(unusable)?;
    credentials(&leaves, now).map_err(|why| unusable(why.to_string()))
}

/// The text of every leaf element, by its path of local names from the root
/// (`AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/Credentials/
/// AccessKeyId`), in document order.
type Leaves = Vec<(String, String)>;

fn leaves(body: &[u8]) -> Result<Leaves, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_string())?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Vec::new();
    let mut roots = 0;
    loop {
        // Never the parser's own message: it quotes the answer (a server may put
        // escapes there, or echo the web identity token we sent).
        let event = reader.read_event().map_err(|_| {
            format!(
                "the answer is not XML (at byte {})",
                reader.error_position()
            )
        })?;
        match event {
            Event::Start(start) => {
                if path.len() >= MAX_DEPTH {
                    return Err("the answer's XML is nested too deeply".into());
                }
                if path.is_empty() {
                    roots += 1;
                }
                let name = start.local_name().as_ref().to_string();
                path.push(name);
                text.clear();
            }
            Event::End(_) => {
                if !text.is_empty() {
                    out.push((path.join("/"), std::mem::take(&mut text)));
                }
                path.pop();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                Ok(None) => {
                    let name = r.xml10_content();
                    let entity = quick_xml::escape::resolve_xml_entity(&name)
                        .ok_or_else(|| "the answer uses an unknown XML entity".to_string())?;
                    text.push_str(entity);
                }
                Err(_) => return Err("the answer has an invalid character reference".into()),
            },
            Event::Eof => break,
            Event::Empty(_) if path.is_empty() => roots += 1,
            Event::Empty(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_) => {}
        }
    }
    if roots != 1 || !path.is_empty() {
        return Err("the answer is not one XML document".into());
    }
    Ok(out)
}

/// The first text at `path`, trimmed.
fn leaf<'a>(leaves: &'a Leaves, path: &str) -> Option<&'a str> {
    leaves
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, text)| text.trim())
}

/// STS's `<ErrorResponse><Error><Code>` and `<Message>`, made safe to show.
fn sts_error(leaves: &Leaves) -> Option<(String, Option<String>)> {
    let code = leaf(leaves, "ErrorResponse/Error/Code")?;
    let code = crate::oauth::error::server_text(code);
    if code.is_empty() {
        return None;
    }
    let message = leaf(leaves, "ErrorResponse/Error/Message")
        .map(crate::oauth::error::server_text)
        .filter(|m| !m.is_empty());
    Some((code, message))
}

const RESULT: &str = "AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult";

fn credentials(leaves: &Leaves, now: u64) -> Result<Credentials, &'static str> {
    let field = |name: &str| leaf(leaves, &format!("{RESULT}/Credentials/{name}"));
    let access_key_id = field("AccessKeyId").ok_or("no Credentials/AccessKeyId")?;
    // AWS: 16 to 128 word characters.
    if !(16..=128).contains(&access_key_id.len())
        || !access_key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err("the AccessKeyId is not an access key id");
    }
    let secret_access_key = field("SecretAccessKey").ok_or("no Credentials/SecretAccessKey")?;
    if !visible_ascii(secret_access_key, 1024) {
        return Err("the SecretAccessKey is not a secret key");
    }
    let session_token = field("SessionToken").ok_or("no Credentials/SessionToken")?;
    if !visible_ascii(session_token, MAX_SESSION_TOKEN) {
        return Err("the SessionToken is not a session token");
    }
    let expiration = field("Expiration").ok_or("no Credentials/Expiration")?;
    let expiration = parse_time(expiration).ok_or("the Expiration is not an RFC 3339 time")?;
    if expiration <= now {
        return Err(
            "the credentials had expired when they arrived (is this machine's clock right?)",
        );
    }
    let assumed_role_arn = leaf(leaves, &format!("{RESULT}/AssumedRoleUser/Arn"))
        .filter(|arn| visible_ascii(arn, 2048))
        .map(str::to_string);
    Ok(Credentials {
        access_key_id: access_key_id.to_string(),
        secret_access_key: Secret::new(secret_access_key),
        session_token: Secret::new(session_token),
        expiration,
        assumed_role_arn,
    })
}

/// Printable ASCII without spaces, 1 to `max` characters.
fn visible_ascii(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|b| b.is_ascii_graphic())
}

/// `2026-12-06T21:53:18Z` or with fractions (`.418492Z`), as Unix seconds.
pub fn parse_time(text: &str) -> Option<u64> {
    let time = humantime::parse_rfc3339_weak(text).ok()?;
    if !text.ends_with('Z') && !text.ends_with('z') {
        // Only UTC: humantime's weak parser would read a time without an offset as
        // UTC, which STS never sends.
        return None;
    }
    time.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_765_000_000; // 2025-12-06T05:46:40Z

    fn answer(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some("text/xml".into()),
            body: body.as_bytes().to_vec(),
            retry_after: None,
            dpop_nonce: None,
        }
    }

    /// AWS's documented example answer, its Expiration moved after NOW.
    const AWS_EXAMPLE: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2025-12-06T06:46:40Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <SourceIdentity>SourceIdentityValue</SourceIdentity>
    <Provider>www.amazon.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#;

    /// A 200 answer that is no XML: the message says where, and quotes none of it
    /// (escapes a server put there, or the web identity token it echoes).
    #[test]
    fn a_broken_answer_is_described_never_quoted() {
        for body in [
            "<a></b\u{1b}[31mRED>",
            "<a>&\u{1b}]0;title\u{7};</a>",
            "<a></eyJ.echoed.idtoken>",
            "<a>&#xZZ;</a>",
        ] {
            let err = parse_response(&answer(200, body), NOW)
                .unwrap_err()
                .to_string();
            assert!(!err.contains('\u{1b}'), "{err:?}");
            assert!(!err.contains("eyJ"), "{err}");
            assert!(!err.contains("RED") && !err.contains("title"), "{err}");
            assert!(err.len() < 200, "{err}");
        }
    }

    #[test]
    fn the_request_is_an_unsigned_form_with_the_token_hidden() {
        let token = Secret::new("eyJ.id.token");
        let request = assume_role_request(
            "https://sts.amazonaws.com/",
            &AssumeRole {
                role_arn: "arn:aws:iam::123456789012:role/ci",
                session_name: "octoken-work",
                duration: Some(900),
                web_identity_token: &token,
            },
        );
        assert!(request.authorization.is_none());
        assert_eq!(request.accept, "text/xml");
        assert_eq!(
            request.field_names(),
            "Action,Version,RoleArn,RoleSessionName,DurationSeconds,WebIdentityToken"
        );
        let echo = "RoleArn=arn:aws:iam::123456789012:role/ci&WebIdentityToken=eyJ.id.token";
        assert_eq!(
            request.redactor().apply_str(echo),
            "RoleArn=arn:aws:iam::123456789012:role/ci&WebIdentityToken=<redacted>"
        );
    }

    #[test]
    fn awss_example_answer_gives_the_credentials() {
        let creds = parse_response(&answer(200, AWS_EXAMPLE), NOW).unwrap();
        assert_eq!(creds.access_key_id, "ASgeIAIOSFODNN7EXAMPLE");
        assert_eq!(
            creds.secret_access_key.expose(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        );
        assert_eq!(
            creds.session_token.expose(),
            "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE"
        );
        assert_eq!(creds.expiration, NOW + 3600);
        assert_eq!(
            creds.assumed_role_arn.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1")
        );
    }

    #[test]
    fn fractional_seconds_and_entities_are_read() {
        let body = AWS_EXAMPLE
            .replace("06:46:40Z", "06:46:40.418492Z")
            .replace("IEXAMPLE</SessionToken>", "I&#x41;&amp;B</SessionToken>");
        let creds = parse_response(&answer(200, &body), NOW).unwrap();
        assert_eq!(creds.expiration, NOW + 3600);
        assert!(creds.session_token.expose().ends_with("+IA&B"));
    }

    #[test]
    fn sts_errors_keep_their_code_and_message() {
        for (status, code, message) in [
            (400, "InvalidIdentityToken", "Incorrect token audience"),
            (
                400,
                "ExpiredTokenException",
                "Token expired: current date/time 1 must be before the expiration date/time 0",
            ),
            (
                403,
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            ),
        ] {
            let body = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  <RequestId>4e1d7b8a</RequestId>\n</ErrorResponse>\n"
            );
            match parse_response(&answer(status, &body), NOW) {
                Err(OAuthError::Server {
                    status: s,
                    code: c,
                    description: Some(d),
                    ..
                }) => {
                    assert_eq!((s, c.as_str(), d.as_str()), (status, code, message));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn an_error_page_is_quoted_short_and_inert() {
        let err = parse_response(&answer(502, "<html>\x1b[2JBad gateway</html>"), NOW).unwrap_err();
        assert!(err.is_temporary());
        assert_eq!(
            err.to_string(),
            "STS endpoint answered HTTP 502: <html>Bad gateway</html>"
        );
        // A foreign code is made inert too.
        let body = "<ErrorResponse><Error><Code>Bad\x1b]0;x\x07One</Code></Error></ErrorResponse>";
        let err = parse_response(&answer(400, body), NOW).unwrap_err();
        assert_eq!(err.server_code(), Some("BadOne"));
    }

    #[test]
    fn unusable_answers_are_refused_with_a_reason() {
        let cases = [
            ("", "not one XML document"),
            ("not xml", "not one XML document"),
            ("<a>", "not one XML document"),
            ("<a></b>", "not XML"),
            ("<a></a><b></b>", "not one XML document"),
            ("<a>&bogus;</a>", "unknown XML entity"),
            (
                "<AssumeRoleWithWebIdentityResponse/>",
                "no Credentials/AccessKeyId",
            ),
        ];
        for (body, why) in cases {
            let err = parse_response(&answer(200, body), NOW)
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{body:?}: {err}");
        }
        let deep = "<a>".repeat(50) + &"</a>".repeat(50);
        let err = parse_response(&answer(200, &deep), NOW)
            .unwrap_err()
            .to_string();
        assert!(err.contains("nested too deeply"), "{err}");
        let huge = format!("<a>{}</a>", "x".repeat(MAX_ANSWER));
        let err = parse_response(&answer(200, &huge), NOW)
            .unwrap_err()
            .to_string();
        assert!(err.contains("larger than 64 KiB"), "{err}");
        for (from, to, why) in [
            ("ASgeIAIOSFODNN7EXAMPLE", "AS\u{1b}[2J", "AccessKeyId"),
            ("wJalrXUtnFEMI/K7", "wJalr XU", "SecretAccessKey"),
            ("AQoDYXdzEE0a8", "AQo\"DY\nX", "SessionToken"),
            ("2025-12-06T06:46:40Z", "tomorrow", "Expiration"),
            ("2025-12-06T06:46:40Z", "2025-12-06T06:46:40", "Expiration"),
            ("2025-12-06T06:46:40Z", "2025-12-06T05:46:40Z", "expired"),
        ] {
            let body = AWS_EXAMPLE.replace(from, to);
            let err = parse_response(&answer(200, &body), NOW)
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{to:?}: {err}");
            assert!(!err.contains(to), "{err}");
        }
    }
}
