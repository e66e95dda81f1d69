//! Reads an assertion (or a token to exchange, or a client assertion) from where the
//! profile says it comes from, each time one is needed: a file the platform rotates, an
//! environment variable, or a command's stdout. What it yields is a secret: it is never
//! stored, logged, or put on a command line; only where it came from is named.
//!
//! A command is split into words and run directly: a shell runs only when the command
//! line names one (`sh -c '...'`). It gets no stdin and octoken's own secret variables
//! are removed from its environment; its stdout is read up to a cap, it is given
//! `OCTOKEN_ASSERTION_TIMEOUT` seconds (default 30) and then killed with its whole
//! process group; its stderr is shown sanitized when it fails.

use crate::config::AssertionSource;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::{env, fsutil, output, sanitize};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The largest assertion read (CI ID tokens are 1-2 KiB; SAML-sized ones stay below).
pub const MAX_ASSERTION: u64 = 64 * 1024;
/// How much of a failed command's stderr is kept for the message.
const MAX_STDERR: u64 = 4 * 1024;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a value comes from, for `status`, logs and hints: never the value.
pub fn describe(source: &AssertionSource) -> String {
    match source {
        AssertionSource::File(path) => format!("file {}", path.display()),
        AssertionSource::Cmd(line) => format!("command `{}`", sanitize::foreign(line, 200)),
        AssertionSource::Env(name) => format!("environment variable {name}"),
    }
}

/// A command line as the words it runs (shell quoting rules, no expansion); None when
/// its quotes do not close or it is empty.
pub fn words(line: &str) -> Option<Vec<String>> {
    shlex::split(line).filter(|w| !w.is_empty())
}

/// Reads `what` ("assertion", "subject token", ...) from its source now.
pub fn read(source: &AssertionSource, what: &str) -> Result<Secret> {
    let from = describe(source);
    output::debug(1, format!("reading the {what} from the {from}"));
    let bytes = match source {
        AssertionSource::File(path) => fsutil::read_user_file_up_to(path, MAX_ASSERTION)
            .map(|(bytes, _)| bytes)
            .map_err(|e| Error::Config {
                message: format!("cannot read the {what} from the {from}: {e}"),
                hint: Some(
                    "check that the file exists and is the token file the platform writes \
                     (a Kubernetes projected volume: its mountPath and path)"
                        .into(),
                ),
            })?,
        AssertionSource::Env(name) => env::var(name).map(String::into_bytes).ok_or_else(|| {
            Error::Config {
                message: format!("the {what} variable {name} is unset or empty"),
                hint: Some(format!(
                    "set {name} to the token (GitLab CI: declare it under `id_tokens:` in the job)"
                )),
            }
        })?,
        AssertionSource::Cmd(line) => run(line, what, &from)?,
    };
    let text = String::from_utf8(bytes).unwrap_or_default();
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::Config {
            message: format!("the {from} yielded no {what}"),
            hint: Some(format!("make the {from} print or hold the token")),
        });
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        // Not quoted back: it may be a secret with a stray character.
        return Err(Error::Config {
            message: format!(
                "the {what} from the {from} is not a token (it has spaces, control characters or non-ASCII text)"
            ),
            hint: Some(
                "the source must yield the token alone (a JSON answer needs e.g. `| jq -r .value`)"
                    .into(),
            ),
        });
    }
    Ok(Secret::new(token))
}

fn timeout() -> Duration {
    env::var(env::OCTOKEN_ASSERTION_TIMEOUT)
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| (1..=3600).contains(s))
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

/// Runs the command line and returns its stdout (capped).
fn run(line: &str, what: &str, from: &str) -> Result<Vec<u8>> {
    let Some(words) = words(line) else {
        return Err(Error::Config {
            message: format!("the {from} is not a command line (unclosed quote, or empty)"),
            hint: Some("quote it as in a POSIX shell; `sh -c '...'` for pipes".into()),
        });
    };
    let mut command = Command::new(&words[0]);
    command
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in env::SECRET_VARIABLES {
        command.env_remove(name);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so that a timeout ends what it started too.
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|e| Error::Config {
        message: format!("cannot run the {from}: {e}"),
        hint: Some("check the command's name and PATH".into()),
    })?;
    let reader = |pipe: Option<Box<dyn Read + Send>>, cap: u64| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(pipe) = pipe {
                // One byte over the cap tells an oversized answer from a full one.
                let _ = pipe.take(cap + 1).read_to_end(&mut out);
            }
            out
        })
    };
    fn boxed(pipe: Option<impl Read + Send + 'static>) -> Option<Box<dyn Read + Send>> {
        pipe.map(|p| Box::new(p) as Box<dyn Read + Send>)
    }
    let stdout = reader(boxed(child.stdout.take()), MAX_ASSERTION);
    let stderr = reader(boxed(child.stderr.take()), MAX_STDERR);
    let limit = timeout();
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= limit => {
                kill_group(&mut child);
                return Err(Error::Temporary {
                    message: format!(
                        "the {from} did not finish within {} s; it was stopped",
                        limit.as_secs()
                    ),
                    hint: format!(
                        "check why it hangs, or give it longer with {}=SECS",
                        env::OCTOKEN_ASSERTION_TIMEOUT
                    ),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                kill_group(&mut child);
                return Err(Error::other(format!("cannot wait for the {from}: {e}")));
            }
        }
    };
    // The group may still hold the pipes (a background child): end it before reading.
    kill_group(&mut child);
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    let said = String::from_utf8_lossy(&err);
    let said = sanitize::foreign(said.trim(), 500);
    if !status.success() {
        let code = status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
        let tail = if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        };
        return Err(Error::Config {
            message: format!("the {from} failed ({code}){tail}"),
            hint: Some(format!("run it by hand to see why it yields no {what}")),
        });
    }
    if out.iter().all(u8::is_ascii_whitespace) && !said.is_empty() {
        // It "succeeded" without a token (a pipe's last command hides the failure).
        return Err(Error::Config {
            message: format!("the {from} yielded no {what}: {said}"),
            hint: Some(format!("run it by hand to see why it yields no {what}")),
        });
    }
    if !said.is_empty() {
        output::debug(1, format!("the {from} said on stderr: {said}"));
    }
    if out.len() as u64 > MAX_ASSERTION {
        return Err(Error::Config {
            message: format!("the {from} printed more than {MAX_ASSERTION} bytes"),
            hint: Some(format!("it must print the {what} alone")),
        });
    }
    Ok(out)
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals that process group, which
            // `process_group(0)` made this child's own; no memory is involved.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell_without_one() {
        assert_eq!(
            words("sh -c 'curl -s \"$URL\" | jq -r .value'").unwrap(),
            ["sh", "-c", "curl -s \"$URL\" | jq -r .value"]
        );
        assert_eq!(words("cat /run/tok").unwrap(), ["cat", "/run/tok"]);
        assert!(words("echo 'unclosed").is_none());
        assert!(words("   ").is_none());
    }

    #[test]
    fn a_command_yields_its_stdout_and_failures_are_config_errors() {
        let ok = read(&AssertionSource::Cmd("echo eyJ.a.b".into()), "assertion").unwrap();
        assert_eq!(ok.expose(), "eyJ.a.b");
        let failed = read(
            &AssertionSource::Cmd("sh -c 'echo \"no \\033[31mtoken\" >&2; exit 7'".into()),
            "assertion",
        )
        .unwrap_err();
        assert_eq!(failed.exit_code(), 3);
        let message = failed.to_string();
        assert!(
            message.contains("status 7") && message.contains("no"),
            "{message}"
        );
        assert!(!message.contains('\u{1b}'), "sanitized: {message:?}");
        let silent = read(&AssertionSource::Cmd("true".into()), "assertion").unwrap_err();
        assert!(
            silent.to_string().contains("yielded no assertion"),
            "{silent}"
        );
        let spaced = read(
            &AssertionSource::Cmd("printf 'se%scret two' x".into()),
            "assertion",
        )
        .unwrap_err();
        assert!(spaced.to_string().contains("is not a token"), "{spaced}");
        assert!(
            !spaced.to_string().contains("sexcret"),
            "not quoted: {spaced}"
        );
    }
}
