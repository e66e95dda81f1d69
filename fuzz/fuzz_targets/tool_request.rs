//! What Docker's tools and cargo write to their credential helpers' stdin.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    octoken::fuzzing::tool_request(data);
});
