//! `octoken agent`'s flags, and a command that asks an agent instead of this machine's
//! profiles (`OCTOKEN_AGENT_SOCK` set): `token`, `exec` and the credential helpers.

use super::{fresh_settings, token_format, tools, variable_name};
use crate::agent::wire::{ProofRequest, TokenRequest};
use crate::cli::{AgentArgs, Cli, Command as CliCommand, ExecArgs, KubeCredentialArgs, TokenArgs};
use crate::env;
use crate::error::{Error, Result};
use crate::profile_name;
use crate::settings::{
    AgentSettings, AgentStart, AgentUse, Global, ShellSyntax, TokenKind, ViaAgent, token_request,
};
use std::ffi::OsString;
use std::path::PathBuf;

pub fn agent(args: AgentArgs) -> Result<AgentSettings> {
    let AgentArgs {
        foreground,
        socket,
        idle_timeout,
        profiles,
        no_proofs,
        sh,
        csh,
        fish,
        stop,
    } = args;
    if stop {
        let socket = socket
            .or_else(|| env::path(env::OCTOKEN_AGENT_SOCK))
            .ok_or_else(|| Error::Usage {
                message: "which agent? neither --socket nor OCTOKEN_AGENT_SOCK is set".into(),
                hint: Some("octoken agent --stop --socket PATH".into()),
            })?;
        return Ok(AgentSettings::Stop { socket });
    }
    // None: no runtime directory, the agent makes a fresh one (`AgentStart::socket`).
    let socket = match socket {
        Some(path) => Some(absolute(path)?),
        None => default_socket(),
    };
    if let Some(names) = &profiles
        && let Some(bad) = names.iter().find(|n| !profile_name::is_valid(n))
    {
        return Err(Error::Usage {
            message: format!(
                "invalid profile name '{}' in --profiles",
                crate::sanitize::foreign(bad, profile_name::MAX_SHOWN)
            ),
            hint: Some("octoken agent --profiles work,lab".into()),
        });
    }
    let shell = if csh {
        ShellSyntax::Csh
    } else if fish {
        ShellSyntax::Fish
    } else if sh {
        ShellSyntax::Sh
    } else {
        match env::var(env::SHELL) {
            Some(s) if s.ends_with("csh") => ShellSyntax::Csh,
            Some(s) if s.ends_with("fish") => ShellSyntax::Fish,
            _ => ShellSyntax::Sh,
        }
    };
    let mut background_args: Vec<OsString> = vec!["agent".into(), "--foreground".into()];
    if let Some(idle) = idle_timeout {
        background_args.extend([
            "--idle-timeout".into(),
            format!("{}s", idle.as_secs()).into(),
        ]);
    }
    if let Some(names) = &profiles {
        background_args.extend(["--profiles".into(), names.join(",").into()]);
    }
    if no_proofs {
        background_args.push("--no-proofs".into());
    }
    Ok(AgentSettings::Start(AgentStart {
        socket,
        foreground,
        idle_timeout,
        profiles,
        proofs: !no_proofs,
        shell,
        background_args,
    }))
}

#[cfg(unix)]
fn default_socket() -> Option<PathBuf> {
    use crate::agent::socket;
    socket::default_dir(env::path(env::XDG_RUNTIME_DIR).as_deref())
        .map(|dir| dir.join(socket::SOCKET_NAME))
}

/// No agent here (`flow::agent` says so); a name for the messages.
#[cfg(not(unix))]
fn default_socket() -> Option<PathBuf> {
    Some(PathBuf::from("agent.sock"))
}

/// The shell lines name the socket for other directories too.
fn absolute(path: PathBuf) -> Result<PathBuf> {
    std::path::absolute(&path).map_err(|e| Error::Usage {
        message: format!("--socket {}: {e}", path.display()),
        hint: None,
    })
}

/// The command, answered by the agent on `socket`; None for a command the agent does
/// not serve (it runs as usual).
pub fn via_agent(cli: Cli, socket: PathBuf) -> Result<std::result::Result<ViaAgent, Cli>> {
    let Cli { global, command } = cli;
    let profile = global.profile.clone();
    let (token, then) = match command {
        CliCommand::Token(args) => {
            let TokenArgs {
                fresh,
                token_type,
                format,
                env_name,
                dpop_proof,
                dpop_nonce,
                min_acr,
            } = args;
            let (kind, fresh) = tools::kind_and_fresh(token_type, fresh)?;
            let proof = tools::dpop_proof(kind, dpop_proof, dpop_nonce)?;
            let mut token = token_request(kind, &fresh);
            token.min_acr = min_acr.filter(|a| !a.trim().is_empty());
            token.dpop_proof = proof.map(|p| ProofRequest {
                method: p.method,
                url: p.url,
                nonce: p.nonce,
            });
            let then = AgentUse::Print {
                format: token_format(format),
                env_name: variable_name(env_name)?,
            };
            (token, then)
        }
        CliCommand::Exec(args) => {
            let ExecArgs {
                env_name,
                token_type,
                fresh,
                command,
            } = args;
            let (kind, fresh) = tools::kind_and_fresh(token_type, fresh)?;
            let mut command = command.into_iter();
            let then = AgentUse::Exec {
                env_name: variable_name(env_name)?,
                program: command.next().unwrap_or_default(),
                args: command.collect(),
            };
            (token_request(kind, &fresh), then)
        }
        CliCommand::KubeCredential(args) => {
            let KubeCredentialArgs {
                token_type,
                login,
                print_kubeconfig_user,
                fresh,
            } = args;
            if login || print_kubeconfig_user.is_some() {
                // Both are about this machine's profile: not the agent's business.
                let args = KubeCredentialArgs {
                    token_type,
                    login,
                    print_kubeconfig_user,
                    fresh,
                };
                return Ok(Err(Cli {
                    global,
                    command: CliCommand::KubeCredential(args),
                }));
            }
            let (kind, fresh) =
                tools::kind_and_fresh(token_type, fresh).map_err(Error::one_line)?;
            let api_version = match env::var(env::KUBERNETES_EXEC_INFO) {
                Some(text) => tools::exec_info(&text).map_err(Error::one_line)?.0,
                None => tools::DEFAULT_KUBE_API_VERSION.to_string(),
            };
            (token_request(kind, &fresh), AgentUse::Kube { api_version })
        }
        CliCommand::GitCredential(args) => {
            // The token settings go with each request git's answer needs (the flow's).
            let fresh = fresh_settings(args.fresh.clone());
            let local = Global::resolve(profile.clone()).map_err(Error::one_line)?;
            let crate::settings::Command::GitCredential(settings) = tools::git(args, local)? else {
                return Err(Error::other("git-credential resolved to another command"));
            };
            (
                token_request(TokenKind::Access, &fresh),
                AgentUse::Git(settings.into()),
            )
        }
        CliCommand::CargoCredential(args) => {
            // The hosts are the credential-provider line's, checked here; each
            // request's profile asks the agent.
            let local = Global::resolve(profile.clone()).map_err(Error::one_line)?;
            let crate::settings::Command::CargoCredential(settings) =
                super::registries::cargo(args, local)?
            else {
                return Err(Error::other("cargo-credential resolved to another command"));
            };
            (TokenRequest::default(), AgentUse::Cargo(Box::new(settings)))
        }
        CliCommand::AwsCredential(args) if !args.login => {
            let local = Global::resolve(profile.clone()).map_err(Error::one_line)?;
            let crate::settings::Command::AwsCredential(settings) =
                super::aws::resolve(args, local)?
            else {
                return Err(Error::other("aws-credential resolved to another command"));
            };
            (TokenRequest::default(), AgentUse::Aws(Box::new(settings)))
        }
        CliCommand::DockerCredential(args)
            if matches!(args.operation.as_str(), "get" | "erase" | "list") =>
        {
            let local = Global::resolve(profile.clone()).map_err(Error::one_line)?;
            let crate::settings::Command::DockerCredential(settings) =
                super::registries::docker(args, local)?
            else {
                return Err(Error::other(
                    "docker-credential resolved to another command",
                ));
            };
            (
                TokenRequest::default(),
                AgentUse::Docker(Box::new(settings)),
            )
        }
        // `aws-credential --login`, `docker-credential setup|install|store`: this
        // machine's business.
        command => return Ok(Err(Cli { global, command })),
    };
    if !profile_name::is_valid(&profile) {
        // The same refusal as without an agent.
        Global::resolve(profile.clone())?;
    }
    Ok(Ok(ViaAgent {
        socket,
        profile,
        token,
        now: crate::settings::now(),
        then,
    }))
}
