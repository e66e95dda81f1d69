//! The docker-credential-helpers protocol, as values: Docker, Podman, Buildah and Skopeo
//! run `docker-credential-<name> get|store|erase|list` with the request on stdin (the
//! registry for `get` and `erase`, a JSON object for `store`, nothing for `list`) and
//! read the answer on stdout. A failure is a message on stdout and a non-zero exit;
//! the tools treat exactly [`NOT_FOUND`] as "no credentials here" (and go on without
//! them) and show any other message. Pure: reading stdin and writing stdout are the
//! flow's.

use crate::host::host_parts;
use crate::sanitize;

/// The name Docker and the tools of containers/image run a helper called `octoken` by.
pub const HELPER_NAME: &str = "docker-credential-octoken";

/// The user name sent with the token unless the profile names another (Google's
/// registries' convention for tokens).
pub const DEFAULT_USERNAME: &str = "oauth2accesstoken";

/// The message the tools recognise as "this helper has no credentials for that
/// registry" (docker-credential-helpers' `errCredentialsNotFoundMessage`).
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// A request is a registry name or a small JSON object; read no more than this.
pub const MAX_REQUEST: usize = 64 * 1024;

/// Why a request cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    TooLarge,
    NotText,
    Empty,
    /// Not a registry (the request, made inert and short).
    NotARegistry(String),
    /// `store`'s request is not the JSON object the tools send.
    NotCredentials,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::TooLarge => {
                write!(f, "the request is over {} KiB", MAX_REQUEST / 1024)
            }
            RequestError::NotText => f.write_str("the request is not text"),
            RequestError::Empty => f.write_str("the request names no registry"),
            RequestError::NotARegistry(shown) => write!(f, "'{shown}' is not a registry"),
            RequestError::NotCredentials => {
                f.write_str("the request is not a JSON object with a ServerURL")
            }
        }
    }
}

/// The request's text: at most [`MAX_REQUEST`] bytes (`bytes` may hold one more, to
/// tell), UTF-8 without NUL or other control characters but line ends and tabs.
pub fn request_text(bytes: &[u8]) -> Result<&str, RequestError> {
    if bytes.len() > MAX_REQUEST {
        return Err(RequestError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| RequestError::NotText)?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(RequestError::NotText);
    }
    Ok(text)
}

/// The registry a `get` or `erase` names, as given (trimmed) and as a host
/// (`HOST[:PORT]`). The tools send the host (`registry.example.com:5000`), Docker's own
/// index a URL (`https://index.docker.io/v1/`); a scheme, user and path are dropped.
pub fn registry(text: &str) -> Result<(&str, &str), RequestError> {
    let given = text.trim();
    if given.is_empty() {
        return Err(RequestError::Empty);
    }
    let rest = given.split_once("://").map_or(given, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_parts(host).is_none() {
        return Err(RequestError::NotARegistry(sanitize::foreign(given, 100)));
    }
    Ok((given, host))
}

/// The registry of a `store` request (`{"ServerURL": ..., "Username": ..., "Secret":
/// ...}`), whose secret octoken does not keep.
pub fn store_registry(text: &str) -> Result<String, RequestError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| RequestError::NotCredentials)?;
    let url = value
        .get("ServerURL")
        .and_then(serde_json::Value::as_str)
        .ok_or(RequestError::NotCredentials)?;
    registry(url).map(|(_, host)| host.to_string())
}

/// The answer to `get`.
pub fn credentials(server_url: &str, username: &str, secret: &str) -> String {
    let value = serde_json::json!({
        "ServerURL": server_url,
        "Username": username,
        "Secret": secret,
    });
    sanitize::json_inert(format!("{value}\n"))
}

/// The answer to `list`: each registry and its user name.
pub fn list<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let map: serde_json::Map<String, serde_json::Value> = entries
        .into_iter()
        .map(|(registry, username)| (registry.to_string(), username.into()))
        .collect();
    sanitize::json_inert(format!("{}\n", serde_json::Value::Object(map)))
}

/// The `credHelpers` entry that makes the tools run `docker-credential-octoken` for
/// `host`, to add to `~/.docker/config.json` or containers' `auth.json`.
pub fn cred_helpers(host: &str) -> String {
    let value = serde_json::json!({ "credHelpers": { host: "octoken" } });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_is_its_host_as_image_names_start() {
        for (text, host) in [
            ("registry.example.com", "registry.example.com"),
            ("127.0.0.1:5000\n", "127.0.0.1:5000"),
            ("https://index.docker.io/v1/", "index.docker.io"),
            ("http://me@[::1]:5000/v2/", "[::1]:5000"),
            ("  ghcr.io  ", "ghcr.io"),
        ] {
            assert_eq!(registry(text).unwrap(), (text.trim(), host), "{text:?}");
        }
        assert_eq!(registry(" \n"), Err(RequestError::Empty));
        for bad in ["not a host", "https:///x", "h;rm -rf ~", "h:port"] {
            assert!(
                matches!(registry(bad), Err(RequestError::NotARegistry(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_request_is_bounded_text() {
        assert_eq!(request_text(b"ghcr.io\n"), Ok("ghcr.io\n"));
        assert_eq!(request_text(b"a\0b"), Err(RequestError::NotText));
        assert_eq!(request_text(b"\x1b[2J"), Err(RequestError::NotText));
        assert_eq!(request_text(&[0xff, 0xfe]), Err(RequestError::NotText));
        let huge = vec![b'a'; MAX_REQUEST + 1];
        assert_eq!(request_text(&huge), Err(RequestError::TooLarge));
        let shown = registry("x\u{202e}y z").unwrap_err().to_string();
        assert!(!shown.contains('\u{202e}'), "{shown}");
    }

    #[test]
    fn store_takes_the_registry_and_keeps_nothing_else() {
        let request = r#"{"ServerURL":"https://r.example.com","Username":"u","Secret":"s3cret"}"#;
        assert_eq!(store_registry(request).unwrap(), "r.example.com");
        for bad in ["", "[]", "{}", r#"{"ServerURL":1}"#, "r.example.com"] {
            assert!(store_registry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_are_one_json_line() {
        let text = credentials("127.0.0.1:5000", "oauth2accesstoken", "tok\"en");
        assert_eq!(
            text,
            "{\"Secret\":\"tok\\\"en\",\"ServerURL\":\"127.0.0.1:5000\",\"Username\":\"oauth2accesstoken\"}\n"
        );
        assert_eq!(
            list([("a.example", "u1"), ("b.example:5000", "u2")]),
            "{\"a.example\":\"u1\",\"b.example:5000\":\"u2\"}\n"
        );
        assert_eq!(list([]), "{}\n");
        assert!(cred_helpers("r.example.com").contains("\"r.example.com\": \"octoken\""));
    }
}
