//! Bytes on the agent's socket: a client's request (any same-uid process, or whoever
//! uses a forwarded socket) and the agent's answer (whatever listens on the path).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    octoken::fuzzing::agent_message(data);
});
