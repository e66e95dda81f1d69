//! Test support: the real binary in a scrubbed environment, the real identity provider,
//! and a real Secret Service.

pub mod env;
pub mod fake;
pub mod idp;
pub mod keyring;
pub mod profile;
pub mod redis;
pub mod resource;
pub mod signin;
pub mod tinyproxy;

pub use env::TestEnv;
pub use idp::{Client, Idp, IdpOptions};
pub use keyring::KeyringSession;

use std::path::PathBuf;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sign-in driver (tests/idp/signin.mjs) as a browser command.
pub fn driver(extra: &str) -> String {
    let script = repo_root().join("tests/idp/signin.mjs");
    format!("node {} browse {extra}", script.display())
        .trim_end()
        .to_string()
}

/// Runs the sign-in driver once and returns its stdout.
pub fn run_driver(args: &[&str]) -> String {
    let out = std::process::Command::new("node")
        .arg(repo_root().join("tests/idp/signin.mjs"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The first ```sh block of the README section titled `heading` (a recipe a test runs).
pub fn readme_sh_block(heading: &str) -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split(&format!("\n## {heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("README has no section {heading}"));
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    block.split("```").next().unwrap().to_string()
}
