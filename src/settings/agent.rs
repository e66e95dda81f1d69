//! The settings of `octoken agent`, and of a command that asks an agent
//! (`OCTOKEN_AGENT_SOCK` set), the credential helpers included: plain values, built by `settings::resolve::agent`.

use super::{FreshSettings, TokenKind};
use crate::agent::wire::{Kind, TokenRequest};
use crate::output::TokenFormat;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// `octoken agent`.
#[derive(Debug)]
pub enum AgentSettings {
    Start(AgentStart),
    /// `--stop`: ask the agent on this socket to stop.
    Stop {
        socket: PathBuf,
    },
}

#[derive(Debug)]
pub struct AgentStart {
    /// None: no `--socket` and no `$XDG_RUNTIME_DIR`; the agent makes a directory of a
    /// random name in the temporary directory (as `ssh-agent` does).
    pub socket: Option<PathBuf>,
    /// Stay in the foreground (systemd, tests); else start in the background and print
    /// the shell lines.
    pub foreground: bool,
    /// Stop after this long without a connection.
    pub idle_timeout: Option<Duration>,
    /// `--profiles a,b`: serve these only; None: every profile.
    pub profiles: Option<Vec<String>>,
    /// `--no-proofs` turns this off: tokens only, no DPoP proofs signed.
    pub proofs: bool,
    pub shell: ShellSyntax,
    /// The arguments to start the background agent with (`--foreground` added;
    /// `--socket` is added by the flow).
    pub background_args: Vec<OsString>,
}

/// The syntax of the lines that set `OCTOKEN_AGENT_SOCK` (as `ssh-agent -s`/`-c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellSyntax {
    Sh,
    Csh,
    Fish,
}

/// A command answered by the agent on `socket` instead of this machine's profiles.
#[derive(Debug)]
pub struct ViaAgent {
    pub socket: PathBuf,
    pub profile: String,
    pub token: TokenRequest,
    /// Unix seconds (for `expires_in`).
    pub now: u64,
    pub then: AgentUse,
}

/// What the command does with the agent's answer.
#[derive(Debug)]
pub enum AgentUse {
    /// `token`: print it.
    Print {
        format: TokenFormat,
        env_name: String,
    },
    /// `exec`: run a command with it in its environment.
    Exec {
        env_name: String,
        program: OsString,
        args: Vec<OsString>,
    },
    /// `kube-credential`: an ExecCredential for kubectl.
    Kube { api_version: String },
    /// `git-credential`: git's request read and answered as without an agent.
    Git(Box<super::GitCredentialSettings>),
    /// `cargo-credential`: cargo's requests read and the hosts checked here, the
    /// tokens from the agent.
    Cargo(Box<super::CargoCredentialSettings>),
    /// `aws-credential`: the web identity token from the agent; STS, its cache and
    /// lock here.
    Aws(Box<super::AwsCredentialSettings>),
    /// `docker-credential get|erase|list`: the registry's binding is the agent's.
    Docker(Box<super::DockerCredentialSettings>),
}

/// The token settings of a request, as the agent's wire carries them.
pub fn token_request(kind: TokenKind, fresh: &FreshSettings) -> TokenRequest {
    let FreshSettings {
        min_ttl,
        scope,
        resource,
        audience,
        strict,
    } = fresh.clone();
    TokenRequest {
        kind: match kind {
            TokenKind::Access => Kind::Access,
            TokenKind::Id => Kind::Id,
        },
        min_ttl,
        scope,
        resource,
        audience,
        strict,
        dpop_proof: None,
        min_acr: None,
    }
}
