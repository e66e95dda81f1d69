//! The agent's rooms below the engine: the wire protocol (`wire.rs`, pure), the socket
//! as a file and a connection (`socket.rs`), the accept loop (`server.rs`) and the
//! client's one question (`client.rs`). What the agent answers (the engine) is
//! `flow/agent/`.

#[cfg(unix)]
pub mod client;
#[cfg(unix)]
pub mod server;
#[cfg(unix)]
pub mod socket;
pub mod wire;
