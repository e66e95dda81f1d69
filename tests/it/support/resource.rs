//! The resource servers of tests/idp/resource.mjs: a git smart-HTTP server (`git
//! http-backend` behind a CGI wrapper) and an API-server stand-in for kubectl, both
//! accepting the test provider's tokens. Stopped on drop.

use super::{Idp, repo_root};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Resource {
    child: Child,
    pub base: String,
}

impl Resource {
    /// `args`: resource.mjs's options after `--issuer`.
    pub fn start(idp: &Idp, args: &[&str]) -> Resource {
        Resource::start_script("resource.mjs", idp, args)
    }

    /// A server of tests/idp/ (`script`) that prints `{"base": ...}` once ready.
    pub fn start_script(script: &str, idp: &Idp, args: &[&str]) -> Resource {
        let mut child = Command::new("node")
            .arg(repo_root().join("tests/idp").join(script))
            .args(["--issuer", &idp.issuer])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node tests/idp/resource.mjs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("resource server did not start: {line:?}"));
        Resource {
            child,
            base: ready["base"].as_str().unwrap().to_string(),
        }
    }

    /// Accepted requests by scheme ("bearer", "basic") and refused ones ("refused").
    /// Plain HTTP only (the git server).
    pub fn stats(&self) -> serde_json::Value {
        let body = super::idp::http_get(&format!("{}/__stats", self.base));
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Resource {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
