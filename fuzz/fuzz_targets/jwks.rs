//! JWKS documents, as a provider's `jwks_uri` may answer: any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    octoken::fuzzing::jwks(data);
});
