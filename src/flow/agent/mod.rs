//! `octoken agent`: one signed-in session that serves local scripts and, through an
//! `ssh -R` forwarded socket, remote machines. `--foreground` serves on this process;
//! without it the agent starts itself in the background (a new session, no terminal)
//! and this process prints the shell lines that point `OCTOKEN_AGENT_SOCK` at it, as
//! `ssh-agent` does. `--stop` asks a running agent to stop. What it answers:
//! `engine.rs`; the socket and the protocol: `crate::agent`.

#![cfg_attr(not(unix), allow(dead_code))]

mod engine;
mod limits;
mod memo;

use crate::error::{Error, Result};
use crate::output;
use crate::settings::{AgentSettings, AgentStart, ShellSyntax};
use std::path::Path;

pub use engine::Engine;

pub fn run(settings: AgentSettings) -> Result<()> {
    #[cfg(not(unix))]
    {
        let _ = settings;
        Err(Error::config(
            "octoken agent is not supported on this platform (it needs Unix sockets with peer credentials)",
            Some("use `octoken token` directly".to_string()),
        ))
    }
    #[cfg(unix)]
    match settings {
        AgentSettings::Stop { socket } => stop(&socket),
        AgentSettings::Start(start) => {
            let socket = socket_path(&start)?;
            if start.foreground {
                foreground(start, &socket)
            } else {
                background(&start, &socket)
            }
        }
    }
}

/// `--socket`, else `$XDG_RUNTIME_DIR/octoken/agent.sock`, else `agent.sock` in a new
/// directory of a random name (mkdtemp, 0700), as `ssh-agent` makes its own: a fixed
/// name in /tmp is one another user can take first.
#[cfg(unix)]
fn socket_path(start: &AgentStart) -> Result<std::path::PathBuf> {
    use crate::agent::socket;
    match &start.socket {
        Some(path) => Ok(path.clone()),
        None => socket::fresh_dir()
            .map(|dir| dir.join(socket::SOCKET_NAME))
            .map_err(|e| {
                Error::config(
                    format!(
                        "cannot make a directory for the agent's socket in {}: {e}",
                        std::env::temp_dir().display()
                    ),
                    Some("pick a --socket PATH, or set XDG_RUNTIME_DIR".into()),
                )
            }),
    }
}

/// The directory [`socket_path`] made, removed once the agent is done with it (only if
/// it is one of those and empty).
#[cfg(unix)]
fn remove_fresh_dir(socket: &Path) {
    let Some(dir) = socket.parent() else { return };
    let fresh = dir.parent() == Some(std::env::temp_dir().as_path())
        && dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(crate::agent::socket::FRESH_PREFIX));
    if fresh {
        let _ = std::fs::remove_dir(dir);
    }
}

#[cfg(unix)]
fn foreground(start: AgentStart, socket: &Path) -> Result<()> {
    use crate::agent::server;
    use std::sync::Arc;
    // From here a termination signal waits for the accept loop, which removes the socket.
    server::hold_termination_signals();
    let lines = shell_lines(start.shell, socket, std::process::id()).inspect_err(|_| {
        remove_fresh_dir(socket);
    })?;
    let listener = crate::agent::socket::bind(socket).map_err(|e| {
        remove_fresh_dir(socket);
        bind_error(e)
    })?;
    output::stdout(&lines)
        .map_err(|e| Error::other(format!("cannot write the shell lines: {e}")))?;
    let engine = Arc::new(Engine::new(start.profiles, start.proofs));
    let handler: server::Handler = Arc::new(move |request| engine.answer(request));
    let options = server::Options {
        idle_timeout: start.idle_timeout,
        client_deadline: server::CLIENT_DEADLINE,
    };
    let ended = server::serve(listener, socket, &options, handler);
    remove_fresh_dir(socket);
    output::tell(format!(
        "octoken: agent on {} stopped ({})",
        socket.display(),
        match ended {
            server::Ended::Stopped => "asked to".to_string(),
            server::Ended::Idle => "idle".to_string(),
            server::Ended::Signal(n) => format!("signal {n}"),
            server::Ended::SocketGone => "its socket was removed".to_string(),
        }
    ));
    Ok(())
}

/// Starts `octoken agent --foreground` in a new session, without a terminal, and passes
/// on its shell lines once it serves (or its error, if it could not start).
#[cfg(unix)]
fn background(start: &AgentStart, socket: &Path) -> Result<()> {
    use std::io::{BufRead, BufReader, Read};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    // Checked here too, so that a refused path is this process's error.
    if let Err(e) = shell_lines(start.shell, socket, 0) {
        remove_fresh_dir(socket);
        return Err(e);
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::other(format!("cannot find the octoken binary: {e}")))?;
    let mut command = Command::new(exe);
    command
        .args(&start.background_args)
        .arg("--socket")
        .arg(socket)
        .arg(match start.shell {
            ShellSyntax::Sh => "--sh",
            ShellSyntax::Csh => "--csh",
            ShellSyntax::Fish => "--fish",
        })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; the child leaves the terminal's session, so
    // closing the terminal does not stop it.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| Error::other(format!("cannot start the agent: {e}")))?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = String::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        lines.push_str(&line);
        lines.push('\n');
        if line.starts_with("echo ") {
            output::stdout(&lines)
                .map_err(|e| Error::other(format!("cannot write the shell lines: {e}")))?;
            return Ok(());
        }
    }
    // It stopped before serving: its error is the last line of its stderr.
    remove_fresh_dir(socket);
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let status = child.wait().ok().and_then(|s| s.code()).unwrap_or(1);
    let message = stderr
        .lines()
        .find_map(|l| l.strip_prefix("octoken: error: "))
        .unwrap_or("the agent stopped before serving")
        .to_string();
    let hint = stderr
        .lines()
        .find_map(|l| l.strip_prefix("hint: "))
        .map(str::to_string);
    Err(match status {
        3 => Error::config(message, hint),
        _ => Error::Other { message, hint },
    })
}

#[cfg(unix)]
fn stop(socket: &Path) -> Result<()> {
    use crate::agent::{client, wire::Response};
    match client::ask(socket, &crate::agent::wire::Request::Stop) {
        Ok(Response::Stopping {}) => {}
        Ok(Response::Error(failure)) => return Err(Error::other(failure.message)),
        Ok(_) => {
            return Err(Error::other(
                "the agent gave an unexpected answer to --stop",
            ));
        }
        Err(e) => return Err(super::via_agent::ask_error(e)),
    }
    // It removes its socket before it finishes the requests in flight.
    let start = std::time::Instant::now();
    while socket.exists() && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    output::tell(format!(
        "octoken: the agent on {} stopped",
        socket.display()
    ));
    Ok(())
}

#[cfg(unix)]
fn bind_error(err: crate::agent::socket::BindError) -> Error {
    use crate::agent::socket::BindError;
    let hint = match &err {
        BindError::Live(path) => Some(format!(
            "use it (OCTOKEN_AGENT_SOCK={}), or stop it first: `octoken agent --stop --socket {}`",
            path.display(),
            path.display()
        )),
        BindError::NotASocket(_) => Some("remove it, or pick another --socket PATH".into()),
        BindError::Directory { .. } => {
            Some("use a directory only you can enter (chmod 700), or another --socket".into())
        }
        BindError::Io { .. } => Some("pick another --socket PATH".into()),
    };
    Error::config(err.to_string(), hint)
}

/// The lines that point a shell at the agent, as `ssh-agent -s`/`-c` print them.
fn shell_lines(shell: ShellSyntax, socket: &Path, pid: u32) -> Result<String> {
    let path = socket.to_str().filter(|p| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b))
    });
    let Some(path) = path else {
        return Err(Error::Usage {
            message: format!(
                "the socket path {} has characters a shell would read as syntax",
                crate::sanitize::foreign(&socket.to_string_lossy(), 200)
            ),
            hint: Some("pick a --socket PATH of letters, digits and /._-".into()),
        });
    };
    let var = crate::env::OCTOKEN_AGENT_SOCK;
    let set = match shell {
        ShellSyntax::Sh => format!("{var}={path}; export {var};\n"),
        ShellSyntax::Csh => format!("setenv {var} {path};\n"),
        ShellSyntax::Fish => format!("set -x {var} {path};\n"),
    };
    Ok(format!("{set}echo octoken agent pid {pid};\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_lines_are_those_of_ssh_agent_for_each_shell() {
        let path = Path::new("/run/user/1000/octoken/agent.sock");
        assert_eq!(
            shell_lines(ShellSyntax::Sh, path, 42).unwrap(),
            "OCTOKEN_AGENT_SOCK=/run/user/1000/octoken/agent.sock; export OCTOKEN_AGENT_SOCK;\n\
             echo octoken agent pid 42;\n"
        );
        assert!(
            shell_lines(ShellSyntax::Csh, path, 42)
                .unwrap()
                .starts_with("setenv OCTOKEN_AGENT_SOCK /run/user/1000/octoken/agent.sock;\n")
        );
        assert!(
            shell_lines(ShellSyntax::Fish, path, 42)
                .unwrap()
                .starts_with("set -x OCTOKEN_AGENT_SOCK /run/user/1000/octoken/agent.sock;\n")
        );
        for bad in ["/tmp/a b", "/tmp/$(x)", "/tmp/a'b", "/tmp/a;b", "/tmp/a\nb"] {
            assert!(
                shell_lines(ShellSyntax::Sh, Path::new(bad), 1).is_err(),
                "{bad}"
            );
        }
    }
}
