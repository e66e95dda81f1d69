//! Token, discovery, device and AWS STS answers: any status, any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    octoken::fuzzing::token_response(status, body);
    if let Ok(text) = std::str::from_utf8(body) {
        octoken::fuzzing::jwt(text);
    }
});
