//! A real Secret Service: gnome-keyring-daemon, unlocked, on a private session bus from
//! `dbus-run-session`, with private XDG dirs. One per test, gone on drop.

use super::repo_root;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct KeyringSession {
    child: Child,
    _dir: tempfile::TempDir,
    pub bus_address: String,
}

impl KeyringSession {
    pub fn start() -> KeyringSession {
        let dir = tempfile::Builder::new()
            .prefix("octoken-keyring-")
            .tempdir()
            .unwrap();
        let mut child = Command::new("dbus-run-session")
            .arg("--")
            .arg("bash")
            .arg(repo_root().join("tests/it/support/keyring-session.sh"))
            .arg(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session (apt: dbus gnome-keyring)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let bus_address = line
            .trim()
            .strip_prefix("DBUS_SESSION_BUS_ADDRESS=")
            .unwrap_or_else(|| panic!("keyring session did not start: {line:?}"))
            .to_string();
        KeyringSession {
            child,
            _dir: dir,
            bus_address,
        }
    }

    /// `secret-tool ARGS...` on this session's bus; returns (success, stdout).
    pub fn secret_tool(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("secret-tool")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .output()
            .expect("secret-tool (apt: libsecret-tools)");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        // Closing stdin ends the session script, dbus-run-session, and the daemon.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
