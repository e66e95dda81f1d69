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

    /// The stderr error line, asserting the error contract: one `octoken: error:` line,
    /// at most one `hint:` line, nothing else.
    #[track_caller]
    pub fn error_line(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let errors: Vec<&&str> = lines
            .iter()
            .filter(|l| l.starts_with("octoken: error: "))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "want one error line, stderr:\n{}",
            self.stderr
        );
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with("octoken: ") || l.starts_with("hint: ")),
            "unexpected stderr lines:\n{}",
            self.stderr
        );
        errors[0].to_string()
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
            pipe.write_all(input.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
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
