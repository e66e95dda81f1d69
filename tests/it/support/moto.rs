//! moto's server (PyPI `moto[server]`): a local AWS with STS's AssumeRoleWithWebIdentity
//! and S3, started per test on 127.0.0.1 at a free port (tests/aws/moto_server.py) and
//! stopped on drop. Installed on first use by tests/pypi-packages (a venv under the
//! user's cache directory; tests/run installs it first).

use super::repo_root;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:N`: STS, S3 and the rest, told apart by each request.
    pub url: String,
    log: PathBuf,
}

/// The venv with moto's server, installed once per test binary if missing.
fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let out = Command::new(repo_root().join("tests/pypi-packages"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run tests/pypi-packages");
        assert!(out.status.success(), "tests/pypi-packages failed");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

impl Moto {
    /// Starts a server that logs the AssumeRoleWithWebIdentity requests it gets into a
    /// file in `dir`.
    pub fn start(dir: &Path) -> Moto {
        let log = dir.join("moto-sts-requests.jsonl");
        let mut child = Command::new(venv().join("bin/python"))
            .arg(repo_root().join("tests/aws/moto_server.py"))
            .arg(&log)
            // --exit-with-stdin's way: the server ends when this pipe closes, even when
            // a panic skips Drop.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto's server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("moto's server did not start: {line:?}"));
        Moto {
            child,
            url: format!("http://127.0.0.1:{}", ready["port"]),
            log,
        }
    }

    /// The AssumeRoleWithWebIdentity requests received so far: each one's form fields,
    /// `authorization` and `accept` headers.
    pub fn assume_role_requests(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
