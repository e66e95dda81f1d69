//! Query strings arriving at the loopback listener (anyone on the machine can send them).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    octoken::fuzzing::callback_query(&String::from_utf8_lossy(data));
});
