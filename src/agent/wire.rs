//! The agent's wire protocol, pure: message types and framing over bytes, no I/O.
//!
//! One request and one answer per connection. A frame is a 4-byte big-endian length and
//! that many bytes of JSON (an object). Every message carries `"v"`, the protocol
//! version: a peer of another version is told so in words, not fed a misread message.
//! Requests are capped at [`MAX_REQUEST`] bytes, answers at [`MAX_RESPONSE`]; unknown
//! fields are refused, so an older agent never silently drops a setting (a future
//! `audience`) a newer client asked for.

use crate::access_token::{AccessToken, IdToken};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// The protocol version this octoken speaks.
pub const VERSION: u64 = 1;
/// The largest request body: a profile name, a URL and a few settings.
pub const MAX_REQUEST: usize = 16 * 1024;
/// The largest answer body: an access token (up to 16 KiB), an ID token, a proof.
pub const MAX_RESPONSE: usize = 128 * 1024;
/// The length prefix.
pub const HEADER: usize = 4;

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
// One request per connection, parsed and dropped: boxing the token settings buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Request {
    /// A token (and a proof) of one profile.
    Token {
        profile: String,
        token: TokenRequest,
    },
    /// `docker-credential get` on a machine whose registry bindings are the agent's:
    /// the agent looks the registry up in its own config.toml (among the profiles it
    /// serves) and answers `Registry` or `NotBound`. Added after version 1 first
    /// shipped: an older agent answers it as an unknown request (`UNKNOWN_REGISTRY`).
    RegistryToken {
        /// `HOST` or `HOST:PORT`, as the tool names the registry.
        registry: String,
        /// `-p NAME`: only this profile's bindings count.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<String>,
    },
    /// `octoken agent --stop`.
    Stop,
}

/// The op of [`Request::RegistryToken`], which an agent older than it names in its
/// refusal ("unknown variant `registry-token`").
pub const REGISTRY_OP: &str = "registry-token";

/// The token settings of a request: the flags of `token` (and of `exec` and the
/// credential helpers) as plain fields. A new setting is one field with
/// `#[serde(default, skip_serializing_if = ...)]`: a request without it reads as before,
/// and an agent that does not know it refuses it by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[serde(rename = "type", default)]
    pub kind: Kind,
    /// Seconds the token must have left.
    pub min_ttl: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// `--audience`: the profile's token exchanged for one meant for it (RFC 8693).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// `--dpop-proof METHOD URL [--dpop-nonce NONCE]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_proof: Option<ProofRequest>,
    /// `--min-acr`: the session must have signed in at this level or above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_acr: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Access,
    Id,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofRequest {
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// What the agent answers. Never a refresh token, client secret or private key: the
/// types here have no field that could hold one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Response {
    /// An access token, with the proof when one was asked for.
    Access {
        token: AccessToken,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proof: Option<Secret>,
    },
    Id {
        token: IdToken,
    },
    /// `RegistryToken`: the profile bound to the registry, the user name the registry
    /// takes with its tokens, and a fresh access token.
    Registry {
        profile: String,
        username: String,
        token: AccessToken,
    },
    /// `RegistryToken`: no profile the agent serves is bound to that registry.
    NotBound {},
    /// The request failed: what `octoken token` would have said on the agent's machine.
    Error(Failure),
    /// The agent is stopping (`--stop`).
    Stopping {},
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// The exit code (the documented table).
    pub exit: u8,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("a message of {len} bytes is over the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("the peer speaks agent protocol version {theirs}; this octoken speaks version {ours}")]
    Version { theirs: u64, ours: u64 },
    #[error("a malformed message: {0}")]
    Malformed(String),
}

/// A message's frame: the length prefix and the JSON body with the version.
pub fn encode<T: Serialize>(message: &T, max: usize) -> Result<Vec<u8>, WireError> {
    let value = serde_json::to_value(message).map_err(|e| WireError::Malformed(e.to_string()))?;
    // Every message is an object (no unit variants), so the version goes beside its fields.
    let serde_json::Value::Object(mut object) = value else {
        return Err(WireError::Malformed(
            "a message that is not an object".into(),
        ));
    };
    object.insert("v".into(), VERSION.into());
    let body = serde_json::to_vec(&object).map_err(|e| WireError::Malformed(e.to_string()))?;
    if body.len() > max {
        return Err(WireError::TooLarge {
            len: body.len(),
            max,
        });
    }
    let mut frame = Vec::with_capacity(HEADER + body.len());
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// The body length a frame header announces, refused over `max` before anything is
/// read or allocated.
pub fn body_len(header: [u8; HEADER], max: usize) -> Result<usize, WireError> {
    let len = u32::from_be_bytes(header) as usize;
    if len > max {
        return Err(WireError::TooLarge { len, max });
    }
    Ok(len)
}

/// One whole frame at the start of `bytes`: its body and the bytes it took. Ok(None):
/// not all of it is there yet.
pub fn split_frame(bytes: &[u8], max: usize) -> Result<Option<(&[u8], usize)>, WireError> {
    let Some(header) = bytes.first_chunk::<HEADER>() else {
        return Ok(None);
    };
    let len = body_len(*header, max)?;
    Ok(bytes
        .get(HEADER..HEADER + len)
        .map(|body| (body, HEADER + len)))
}

pub fn decode_request(body: &[u8]) -> Result<Request, WireError> {
    decode(body, MAX_REQUEST)
}

pub fn decode_response(body: &[u8]) -> Result<Response, WireError> {
    decode(body, MAX_RESPONSE)
}

/// The version first (so another version's message is named as such, whatever else
/// it holds), then the message without it.
fn decode<T: serde::de::DeserializeOwned>(body: &[u8], max: usize) -> Result<T, WireError> {
    if body.len() > max {
        return Err(WireError::TooLarge {
            len: body.len(),
            max,
        });
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| WireError::Malformed(e.to_string()))?;
    let serde_json::Value::Object(mut object) = value else {
        return Err(WireError::Malformed("not a JSON object".into()));
    };
    match object.remove("v").and_then(|v| v.as_u64()) {
        Some(VERSION) => {}
        Some(theirs) => {
            return Err(WireError::Version {
                theirs,
                ours: VERSION,
            });
        }
        None => return Err(WireError::Malformed("no protocol version".into())),
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| WireError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_request() -> Request {
        Request::Token {
            profile: "work".into(),
            token: TokenRequest {
                kind: Kind::Access,
                min_ttl: 60,
                scope: Some("read".into()),
                resource: None,
                audience: Some("https://api.example.com".into()),
                strict: true,
                dpop_proof: Some(ProofRequest {
                    method: "GET".into(),
                    url: "https://api.example.com/x".into(),
                    nonce: None,
                }),
                min_acr: Some("2".into()),
            },
        }
    }

    fn body(frame: &[u8]) -> &[u8] {
        let (body, used) = split_frame(frame, MAX_RESPONSE).unwrap().unwrap();
        assert_eq!(used, frame.len());
        body
    }

    #[test]
    fn requests_round_trip_with_the_version_and_plain_fields() {
        let registry = Request::RegistryToken {
            registry: "127.0.0.1:5000".into(),
            profile: Some("work".into()),
        };
        for request in [token_request(), Request::Stop, registry] {
            let frame = encode(&request, MAX_REQUEST).unwrap();
            let text = std::str::from_utf8(body(&frame)).unwrap();
            assert!(text.contains("\"v\":1"), "{text}");
            assert_eq!(decode_request(body(&frame)).unwrap(), request);
        }
        let frame = encode(&token_request(), MAX_REQUEST).unwrap();
        let json: serde_json::Value = serde_json::from_slice(body(&frame)).unwrap();
        assert_eq!(json["op"], "token");
        assert_eq!(json["token"]["type"], "access");
        assert_eq!(json["token"]["dpop_proof"]["method"], "GET");
        assert!(json["token"].get("resource").is_none(), "{json}");
    }

    #[test]
    fn answers_round_trip_and_carry_no_secret_fields_but_the_tokens() {
        let token: AccessToken = serde_json::from_value(serde_json::json!({
            "access_token": "at-123", "token_type": "Bearer", "expires_at": 2_000_000_000u64,
            "scope": "openid", "obtained_at": 1_900_000_000u64
        }))
        .unwrap();
        let answers = [
            Response::Access {
                token: token.clone(),
                proof: Some(Secret::new("proof.jwt.x")),
            },
            Response::Registry {
                profile: "work".into(),
                username: "oauth2accesstoken".into(),
                token,
            },
            Response::Error(Failure {
                exit: 4,
                message: "not logged in".into(),
                hint: Some("run `octoken login`".into()),
            }),
            Response::Stopping {},
            Response::NotBound {},
        ];
        for answer in answers {
            let frame = encode(&answer, MAX_RESPONSE).unwrap();
            let back = decode_response(body(&frame)).unwrap();
            assert_eq!(format!("{back:?}"), format!("{answer:?}"));
        }
    }

    #[test]
    fn another_version_is_named_whatever_the_rest_says() {
        for text in [
            r#"{"v":2,"op":"token","profile":"x","token":{"min_ttl":1}}"#,
            r#"{"v":2,"op":"something-new"}"#,
            r#"{"v":2}"#,
        ] {
            assert_eq!(
                decode_request(text.as_bytes()),
                Err(WireError::Version { theirs: 2, ours: 1 })
            );
        }
        let err = decode_response(br#"{"v":0,"stopping":{}}"#).unwrap_err();
        assert!(err.to_string().contains("version 0"), "{err}");
    }

    #[test]
    fn unknown_fields_and_shapes_are_refused_by_name() {
        let err = decode_request(
            br#"{"v":1,"op":"token","profile":"x","token":{"min_ttl":1,"min_color":"a"}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("min_color"), "{err}");
        for bad in [
            &b""[..],
            b"[]",
            b"\"stop\"",
            b"{}",
            br#"{"v":"1","op":"stop"}"#,
            br#"{"v":1,"op":"nope"}"#,
            br#"{"v":1,"op":"token","profile":"x"}"#,
            br#"{"v":1,"op":"token","profile":"x","token":{"min_ttl":-1}}"#,
            b"{\"v\":1,\"op\":\"stop\"",
        ] {
            assert!(
                matches!(decode_request(bad), Err(WireError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn frames_are_capped_before_anything_is_read() {
        assert_eq!(
            body_len(u32::MAX.to_be_bytes(), MAX_REQUEST),
            Err(WireError::TooLarge {
                len: u32::MAX as usize,
                max: MAX_REQUEST
            })
        );
        assert_eq!(body_len(5u32.to_be_bytes(), MAX_REQUEST), Ok(5));
        let huge = Request::Token {
            profile: "x".repeat(MAX_REQUEST),
            token: TokenRequest::default(),
        };
        assert!(matches!(
            encode(&huge, MAX_REQUEST),
            Err(WireError::TooLarge { .. })
        ));
        assert!(matches!(
            decode_request(&vec![b' '; MAX_REQUEST + 1]),
            Err(WireError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_partial_frame_asks_for_more() {
        let frame = encode(&Request::Stop, MAX_REQUEST).unwrap();
        for cut in 0..frame.len() {
            assert_eq!(split_frame(&frame[..cut], MAX_REQUEST), Ok(None), "{cut}");
        }
        let mut two = frame.clone();
        two.extend_from_slice(&frame);
        let (_, used) = split_frame(&two, MAX_REQUEST).unwrap().unwrap();
        assert_eq!(used, frame.len());
    }
}
