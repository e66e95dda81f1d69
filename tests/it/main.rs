// The harness builds the environment the binary runs in, so it reads PATH itself;
// the one-room rule for the environment (clippy.toml) is for the binary.
#![allow(clippy::disallowed_methods, clippy::print_stderr, clippy::print_stdout)]

//! octoken's integration tests: the real binary, a real OpenID Connect provider, a real
//! Secret Service. One test binary (faster to link), one module per area.

mod support;

mod agent;
mod agent_helpers;
mod agent_limits;
mod architecture;
mod aws;
mod cached_path;
mod chromium;
mod ci_identity;
mod concurrency;
mod docs;
mod dpop;
mod errors;
mod files;
mod first_contact;
mod fleet;
mod fuzz_seeds;
mod git;
mod help;
mod hostile;
mod import;
mod keyring;
mod keys;
mod kubectl;
mod listener;
mod login;
mod mtls;
mod other_user;
mod process;
mod provider_down;
mod refresh;
mod registries;
mod resources;
mod servers;
mod shell;
mod snapshots;
mod stepup;
