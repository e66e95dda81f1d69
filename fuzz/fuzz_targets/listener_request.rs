//! Bytes any local user can send to the loopback listener before the request head ends.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    octoken::fuzzing::listener_request(data);
});
