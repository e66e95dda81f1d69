//! Test support: the real binary in a scrubbed environment, the real identity provider,
//! and a real Secret Service.

pub mod env;
pub mod fake;
pub mod idp;
pub mod keyring;
pub mod moto;
pub mod profile;
pub mod redis;
pub mod resource;
pub mod signin;
pub mod sshd;
pub mod stampede;
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

/// The text of `file` (a path from the repository root: README.md, docs/scripts.md...).
pub fn doc(file: &str) -> String {
    std::fs::read_to_string(repo_root().join(file))
        .unwrap_or_else(|e| panic!("cannot read {file}: {e}"))
}

/// The first ```sh block of the section titled `heading` (at any level: `## heading`,
/// `### heading`) in the documentation file `file`, up to the next heading: a recipe a
/// test runs as written. Lines inside code blocks (`# a comment`) are no headings.
pub fn doc_sh_block(file: &str, heading: &str) -> String {
    let text = doc(file);
    let mut in_code = false;
    let mut in_section = false;
    let mut block: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("```") {
            if in_section && !in_code && line == "```sh" {
                block = Some(String::new());
            } else if in_code && block.is_some() {
                break;
            }
            in_code = !in_code;
            continue;
        }
        if in_code {
            if let Some(block) = block.as_mut() {
                block.push_str(line);
                block.push('\n');
            }
            continue;
        }
        if line.starts_with('#') {
            if in_section {
                break;
            }
            in_section = line.trim_start_matches('#').strip_prefix(' ') == Some(heading);
        }
    }
    assert!(in_section, "{file} has no section {heading:?}");
    block.unwrap_or_else(|| panic!("{file}, section {heading:?}: no sh block"))
}
