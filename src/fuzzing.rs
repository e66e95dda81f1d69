//! Parsers that read untrusted input, for `cargo fuzz` (fuzz/) and the fuzz seeds test
//! (tests/it/fuzz_seeds.rs). Each must return, never panic, whatever the bytes. Nothing
//! here is a stable API.

use crate::oauth::HttpResponse;
use crate::secret::Secret;

/// A token-endpoint (or STS) answer with any status and body.
pub fn token_response(status: u16, body: &[u8]) {
    let resp = HttpResponse {
        status,
        content_type: Some("application/json".into()),
        body: body.to_vec(),
        retry_after: None,
        dpop_nonce: None,
    };
    let _ = crate::oauth::grant::parse_token_response(&resp, 1_700_000_000);
    let _ = crate::oauth::discovery::parse(&resp, "https://id.example.com");
    let _ = crate::oauth::device::parse_device_response(&resp);
    // AWS STS's XML answers (`aws-credential`) come through the same transport.
    let _ = crate::oauth::sts::parse_response(&resp, 1_700_000_000);
}

/// The query string of a request to the loopback listener.
pub fn callback_query(query: &str) {
    let state = Secret::new("expected-state");
    let _ = crate::loopback::callback::parse(
        query,
        &crate::loopback::callback::Expect {
            state: &state,
            issuer: Some("https://id.example.com"),
            iss_required: true,
        },
    );
}

/// Bytes a client sends to the loopback listener: its request head is read with
/// byte caps and must come out a head or a refusal.
pub fn listener_request(data: &[u8]) {
    use crate::loopback::request::{self, MAX_HEADERS, MAX_LINE};
    match request::read_head(data) {
        Ok(head) => assert!(head.target.len() < MAX_LINE && head.method.len() < MAX_LINE),
        Err(refused) => {
            let _ = refused.status();
        }
    }
    // The caps hold however much is sent: at most this much is ever consumed.
    let mut reader = data;
    let _ = request::read_head(&mut reader);
    assert!(data.len() - reader.len() <= MAX_LINE + MAX_HEADERS + 4096);
}

/// A config file's text.
pub fn config(text: &str) {
    let _ = crate::config::Config::parse(text, std::path::Path::new("config.toml"));
}

/// A `jwks_uri` answer's body, as login reads it, then used to check signatures of
/// tokens (with each accepted key type) that no key can have signed.
pub fn jwks(body: &[u8]) {
    let resp = HttpResponse {
        status: 200,
        content_type: Some("application/json".into()),
        body: body.to_vec(),
        retry_after: None,
        dpop_nonce: None,
    };
    let Ok(jwks) = crate::oauth::id_token::parse_jwks(&resp) else {
        return;
    };
    // base64url of {"alg":"RS256"}, {"alg":"ES256","kid":"k1"}, {"alg":"EdDSA"}.
    for header in [
        "eyJhbGciOiJSUzI1NiJ9",
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0",
        "eyJhbGciOiJFZERTQSJ9",
    ] {
        let token = Secret::new(format!("{header}.e30.c2lnbmF0dXJl"));
        let _ = crate::oauth::id_token::verify_signature(&token, &jwks);
    }
}

/// A JWT's parts, as `status` and login read them.
pub fn jwt(token: &str) {
    if let Some(claims) = crate::jwt::claims(token) {
        let _ = crate::jwt::display_claim(&claims, "sub", 200);
    }
    let _ = crate::jwt::expiry(token);
}

/// Bytes on the agent's socket, from either end: frames split with the size cap, each
/// body read as a request and as an answer. Refused or read, never a panic.
pub fn agent_message(data: &[u8]) {
    use crate::agent::wire;
    let mut rest = data;
    while let Ok(Some((body, used))) = wire::split_frame(rest, wire::MAX_RESPONSE) {
        let _ = wire::decode_request(body);
        let _ = wire::decode_response(body);
        rest = &rest[used..];
    }
    let _ = wire::decode_request(data);
    let _ = wire::decode_response(data);
}

/// A credential helper's request from a tool: a registry or a `store` object for
/// docker-credential, a line of cargo's protocol for cargo-credential.
pub fn tool_request(data: &[u8]) {
    if let Ok(text) = crate::docker_protocol::request_text(data) {
        if let Ok((given, host)) = crate::docker_protocol::registry(text) {
            assert!(given.contains(host) && crate::host::host_parts(host).is_some());
        }
        let _ = crate::docker_protocol::store_registry(text);
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(request) = crate::cargo_protocol::parse(&text)
        && let crate::cargo_protocol::Kind::Get { index_url } = request.kind
        && let Some((_, host)) = crate::cargo_protocol::index_host(&index_url)
    {
        let _ = crate::host::host_parts(&host);
    }
}
