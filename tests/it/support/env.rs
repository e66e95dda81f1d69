//! A scrubbed environment per test: temp HOME, XDG_* and OCTOKEN_* dirs, nothing
//! inherited but PATH; and the real `octoken` binary run in it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub vars: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// The stderr error line, asserting the error contract: exactly one
    /// `octoken: error:` line, at the end, followed by at most one `hint:` line.
    #[track_caller]
    pub fn error_line(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let errors: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].starts_with("octoken: error: "))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "want one error line, stderr:\n{}",
            self.stderr
        );
        let tail = &lines[errors[0] + 1..];
        assert!(
            tail.is_empty() || (tail.len() == 1 && tail[0].starts_with("hint: ")),
            "the error must end stderr, with at most a hint after it:\n{}",
            self.stderr
        );
        lines[errors[0]].to_string()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("octoken-it-")
            .tempdir()
            .unwrap();
        let mut vars = BTreeMap::new();
        let p = |sub: &str| dir.path().join(sub).display().to_string();
        vars.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        vars.insert("HOME".into(), p("home"));
        vars.insert("XDG_CONFIG_HOME".into(), p("xdg-config"));
        vars.insert("XDG_DATA_HOME".into(), p("xdg-data"));
        vars.insert("XDG_CACHE_HOME".into(), p("xdg-cache"));
        vars.insert("OCTOKEN_CONFIG_DIR".into(), p("config"));
        vars.insert("OCTOKEN_DATA_DIR".into(), p("data"));
        vars.insert("OCTOKEN_CACHE_DIR".into(), p("cache"));
        // No session bus unless a test brings one: the keyring must fail fast, not hang.
        vars.insert(
            "DBUS_SESSION_BUS_ADDRESS".into(),
            format!("unix:path={}", p("no-bus")),
        );
        TestEnv { dir, vars }
    }

    /// The default profile's file-store secrets.
    pub fn secret_file(&self) -> PathBuf {
        self.path("data/secrets/default.json")
    }

    /// The refresh token in the default profile's file store.
    #[track_caller]
    pub fn stored_refresh_token(&self) -> String {
        let bytes = std::fs::read(self.secret_file()).expect("a file-store profile");
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        value["refresh_token"]
            .as_str()
            .expect("a stored refresh token")
            .to_string()
    }

    pub fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None, &[])
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(args, Some(stdin), &[])
    }

    /// Runs the binary with extra env vars for this one call.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, extra: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let start = Instant::now();
        let mut child = cmd.spawn().expect("spawn octoken");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            // octoken may exit before reading stdin (an early usage error): not a failure.
            let _ = pipe.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }

    /// Starts the binary with stdin and stderr piped, for tests that talk to it while it
    /// waits (pasted URLs, device codes, Ctrl-C).
    pub fn spawn(&self, args: &[&str], extra: &[(&str, &str)]) -> Waiting {
        let mut cmd = self.command(args);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.stdin(Stdio::piped()).spawn().expect("spawn octoken");
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        Waiting {
            child,
            stderr,
            seen: String::new(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_octoken"));
        cmd.args(args)
            .env_clear()
            .envs(&self.vars)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Every regular file under the env's octoken dirs, with its content.
    pub fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        walk(self.dir.path(), &mut files);
        files
    }
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            walk(&path, out);
        } else if ft.is_file() {
            out.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
        }
    }
}

/// A running `octoken` whose stderr is read line by line.
pub struct Waiting {
    pub child: std::process::Child,
    stderr: std::io::BufReader<std::process::ChildStderr>,
    pub seen: String,
}

impl Waiting {
    /// Reads stderr until a line contains `needle`; returns that line.
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        use std::io::BufRead;
        loop {
            let mut line = String::new();
            let n = self.stderr.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "octoken ended before printing {needle:?}; stderr:\n{}",
                self.seen
            );
            self.seen.push_str(&line);
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The first http(s) URL in the next line that contains `needle`.
    pub fn wait_for_url(&mut self, needle: &str) -> String {
        let line = self.wait_for_line(needle);
        let start = line.find("http").expect("a URL");
        line[start..].split_whitespace().next().unwrap().to_string()
    }

    pub fn write_stdin(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the exit; returns the code (None when killed by a signal) and stderr.
    pub fn finish(mut self) -> (Option<i32>, String) {
        use std::io::Read;
        drop(self.child.stdin.take());
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        self.seen.push_str(&rest);
        let status = self.child.wait().unwrap();
        (status.code(), self.seen)
    }
}
