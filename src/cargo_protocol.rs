//! cargo's credential-provider protocol, version 1, as values: the provider writes the
//! hello `{"v":[1]}`, then reads one JSON request a line (`get` with the registry's
//! `index-url` and the `operation`; `login`; `logout`) and answers each with one line,
//! `{"Ok":{...}}` or `{"Err":{"kind":...}}`, until cargo closes its stdin. Pure: the
//! flow reads and writes.

use crate::sanitize;
use serde_json::{Value, json};

/// The versions this provider speaks.
pub const HELLO: &str = "{\"v\":[1]}\n";

/// One request is a few hundred bytes (cargo adds the registry's headers); no line may
/// be longer than this, nor the whole input.
pub const MAX_LINE: usize = 64 * 1024;

/// One request of cargo's.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub kind: Kind,
    /// The words after the program in the registry's `credential-provider` line: cargo
    /// passes them here, not on the command line.
    pub args: Vec<String>,
}

/// What cargo asked.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    /// A token for the registry at `index_url` (for any operation: read, publish, yank,
    /// owners).
    Get { index_url: String },
    /// `cargo login` or `cargo logout`: octoken's tokens come from `octoken login`.
    LoginOrLogout(&'static str),
    /// A kind of a later cargo (made inert).
    Other(String),
}

/// Why a line is not a request.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    NotJson,
    Version,
    Missing(&'static str),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::NotJson => f.write_str("the request is not a JSON object"),
            RequestError::Version => f.write_str("the request is not of protocol version 1"),
            RequestError::Missing(what) => write!(f, "the request has no {what}"),
        }
    }
}

/// One line of cargo's input.
pub fn parse(line: &str) -> Result<Request, RequestError> {
    let value: Value = serde_json::from_str(line).map_err(|_| RequestError::NotJson)?;
    if !value.is_object() {
        return Err(RequestError::NotJson);
    }
    if value.get("v").and_then(Value::as_u64) != Some(1) {
        return Err(RequestError::Version);
    }
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .ok_or(RequestError::Missing("kind"))?;
    let kind = match kind {
        "get" => Kind::Get {
            index_url: value
                .pointer("/registry/index-url")
                .and_then(Value::as_str)
                .ok_or(RequestError::Missing("registry.index-url"))?
                .to_string(),
        },
        "login" => Kind::LoginOrLogout("login"),
        "logout" => Kind::LoginOrLogout("logout"),
        other => Kind::Other(sanitize::foreign(other, 40)),
    };
    let args = match value.get("args") {
        None => Vec::new(),
        Some(Value::Array(words)) => words
            .iter()
            .map(|w| w.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or(RequestError::Missing("args as strings"))?,
        Some(_) => return Err(RequestError::Missing("args as strings")),
    };
    Ok(Request { kind, args })
}

/// The scheme and host (`HOST[:PORT]`, the port only when the URL names one that is
/// not the scheme's default) of an index URL (`sparse+https://...`, or a git index's
/// `https://...`). None for anything else.
pub fn index_host(index_url: &str) -> Option<(String, String)> {
    let url = index_url.strip_prefix("sparse+").unwrap_or(index_url);
    let url = url::Url::parse(url).ok()?;
    let host = match url.host()? {
        url::Host::Ipv6(ip) => format!("[{ip}]"),
        other => other.to_string(),
    };
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    Some((url.scheme().to_string(), host))
}

/// The token for `get`: sent by cargo as the `Authorization` header's value. Cached by
/// cargo until `expiration` (Unix seconds), else for this cargo run only.
pub fn token(access_token: &str, expiration: Option<u64>) -> String {
    let mut ok = json!({
        "kind": "get",
        "token": format!("Bearer {access_token}"),
        "cache": "session",
        "operation_independent": true,
    });
    if let Some(at) = expiration {
        ok["cache"] = "expires".into();
        ok["expiration"] = at.into();
    }
    format!("{}\n", json!({ "Ok": ok }))
}

/// This provider has no token for the registry: cargo tries its next provider.
pub fn not_found() -> String {
    "{\"Err\":{\"kind\":\"not-found\"}}\n".to_string()
}

/// A request of a kind this provider does not serve.
pub fn operation_not_supported() -> String {
    "{\"Err\":{\"kind\":\"operation-not-supported\"}}\n".to_string()
}

/// A failure cargo shows: `message`, then each of `caused_by` as "Caused by:".
pub fn error(message: &str, caused_by: &[String]) -> String {
    let mut err = json!({ "kind": "other", "message": message });
    if !caused_by.is_empty() {
        err["caused-by"] = caused_by.into();
    }
    // Messages hold foreign text (made inert where it entered); JSON escapes the rest.
    sanitize::json_inert(format!("{}\n", json!({ "Err": err })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_asks_for_a_registrys_token() {
        let line = r#"{"v":1,"registry":{"index-url":"sparse+https://cargo.example.com/index/","name":"work","headers":["WWW-Authenticate: Cargo login_url=x"]},"kind":"get","operation":"read","args":[]}"#;
        assert_eq!(
            parse(line),
            Ok(Request {
                kind: Kind::Get {
                    index_url: "sparse+https://cargo.example.com/index/".into()
                },
                args: vec![],
            })
        );
        let words = r#"{"v":1,"registry":{"index-url":"x"},"kind":"get","args":["-p","work","cargo-credential"]}"#;
        assert_eq!(
            parse(words).unwrap().args,
            ["-p", "work", "cargo-credential"]
        );
        let login = r#"{"v":1,"registry":{"index-url":"x"},"kind":"login","token":"t"}"#;
        assert_eq!(parse(login).unwrap().kind, Kind::LoginOrLogout("login"));
        let later = r#"{"v":1,"kind":"frob\u001b[2J"}"#;
        assert_eq!(parse(later).unwrap().kind, Kind::Other("frob".into()));
    }

    #[test]
    fn what_is_not_a_version_1_request_is_refused() {
        for (line, want) in [
            ("", RequestError::NotJson),
            ("get", RequestError::NotJson),
            ("[1]", RequestError::NotJson),
            ("a\0b", RequestError::NotJson),
            (r#"{"v":2,"kind":"get"}"#, RequestError::Version),
            (r#"{"kind":"get"}"#, RequestError::Version),
            (r#"{"v":1}"#, RequestError::Missing("kind")),
            (
                r#"{"v":1,"kind":"login","args":[1]}"#,
                RequestError::Missing("args as strings"),
            ),
            (
                r#"{"v":1,"kind":"get","registry":{}}"#,
                RequestError::Missing("registry.index-url"),
            ),
        ] {
            assert_eq!(parse(line), Err(want), "{line:?}");
        }
    }

    #[test]
    fn the_index_host_names_the_port_only_when_the_url_does() {
        for (url, scheme, host) in [
            (
                "sparse+https://cargo.example.com/index/",
                "https",
                "cargo.example.com",
            ),
            (
                "sparse+http://127.0.0.1:8080/index/",
                "http",
                "127.0.0.1:8080",
            ),
            (
                "https://Cargo.Example.com:443/i",
                "https",
                "cargo.example.com",
            ),
            ("https://h:8443/git/index", "https", "h:8443"),
            ("sparse+http://[::1]:9/", "http", "[::1]:9"),
        ] {
            assert_eq!(
                index_host(url),
                Some((scheme.to_string(), host.to_string())),
                "{url}"
            );
        }
        assert_eq!(index_host("sparse+"), None);
        assert_eq!(index_host("file:///srv/index"), None);
    }

    #[test]
    fn answers_have_cargos_shapes() {
        let ok: Value = serde_json::from_str(&token("at", Some(1_700_000_000))).unwrap();
        assert_eq!(
            ok,
            json!({"Ok": {"kind": "get", "token": "Bearer at", "cache": "expires",
                "expiration": 1_700_000_000u64, "operation_independent": true}})
        );
        let session: Value = serde_json::from_str(&token("at", None)).unwrap();
        assert_eq!(session["Ok"]["cache"], "session");
        assert_eq!(not_found(), "{\"Err\":{\"kind\":\"not-found\"}}\n");
        let err: Value = serde_json::from_str(&error("m", &["why".into()])).unwrap();
        assert_eq!(
            err,
            json!({"Err": {"kind": "other", "message": "m", "caused-by": ["why"]}})
        );
        assert!(!error("m", &[]).contains("caused-by"));
    }
}
