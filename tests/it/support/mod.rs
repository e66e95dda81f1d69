//! Test support: the real binary in a scrubbed environment, the real identity provider,
//! and a real Secret Service.

pub mod env;
pub mod idp;
pub mod keyring;

pub use env::TestEnv;
pub use idp::{Client, Idp, IdpOptions};
pub use keyring::KeyringSession;

use std::path::PathBuf;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
