//! A command answered by an agent (`OCTOKEN_AGENT_SOCK` set): `token`, `exec`,
//! `git-credential`, `kube-credential`, `cargo-credential` and `aws-credential` send
//! their token settings to the agent and use its answer; `docker-credential get` asks
//! it for the registry's binding and token (`RegistryToken`); this
//! machine needs no octoken config at all. A dead agent, a closed connection or another
//! protocol version is one clear error with a hint, never a hang (client.rs deadlines).

#![cfg_attr(not(unix), allow(dead_code))]

use crate::access_token::{self, AccessToken};
use crate::error::{Error, Result, exit};
use crate::output;
use crate::sanitize;
use crate::secret::Secret;
use crate::settings::{AgentUse, TokenKind, ViaAgent};

/// The longest ID token or proof taken from an agent.
const MAX_JWT: usize = 64 * 1024;

pub fn run(mut settings: ViaAgent) -> Result<u8> {
    #[cfg(not(unix))]
    {
        let _ = settings;
        Err(Error::config(
            "OCTOKEN_AGENT_SOCK is set, but the agent is not supported on this platform",
            Some("unset OCTOKEN_AGENT_SOCK".to_string()),
        ))
    }
    #[cfg(unix)]
    {
        if let AgentUse::Git(git) = settings.then {
            let ask_for = |fresh: &crate::settings::FreshSettings| {
                let mut token = settings.token.clone();
                token.min_ttl = fresh.min_ttl;
                token.scope = fresh.scope.clone();
                token.resource = fresh.resource.clone();
                token.audience = fresh.audience.clone();
                token.strict = fresh.strict;
                let request = ViaAgent {
                    socket: settings.socket.clone(),
                    profile: settings.profile.clone(),
                    token,
                    now: settings.now,
                    then: AgentUse::Print {
                        format: crate::output::TokenFormat::Raw,
                        env_name: String::new(),
                    },
                };
                match ask(&request)? {
                    Answer::Access(token, _) => Ok(token),
                    Answer::Id(_) => Err(Error::other("the agent sent an ID token for git")),
                }
            };
            super::git_credential::run_with(*git, Some(&ask_for))?;
            return Ok(exit::OK);
        }
        let then = std::mem::replace(
            &mut settings.then,
            AgentUse::Print {
                format: crate::output::TokenFormat::Raw,
                env_name: String::new(),
            },
        );
        match then {
            AgentUse::Cargo(cargo) => {
                let ask_for = |profile: &str, fresh: &crate::settings::FreshSettings| {
                    let token = crate::settings::token_request(TokenKind::Access, fresh);
                    match ask(&ViaAgent {
                        socket: settings.socket.clone(),
                        profile: profile.to_string(),
                        token,
                        now: settings.now,
                        then: AgentUse::Print {
                            format: crate::output::TokenFormat::Raw,
                            env_name: String::new(),
                        },
                    })? {
                        Answer::Access(token, _) => Ok(token),
                        Answer::Id(_) => Err(Error::other("the agent sent an ID token for cargo")),
                    }
                };
                super::cargo_credential::run_with(*cargo, Some(&ask_for))?;
                return Ok(exit::OK);
            }
            AgentUse::Aws(aws) => {
                let ask_for = |profile: &str, kind: TokenKind, min_ttl: u64| {
                    let fresh = crate::settings::FreshSettings {
                        min_ttl,
                        ..Default::default()
                    };
                    let answer = ask(&ViaAgent {
                        socket: settings.socket.clone(),
                        profile: profile.to_string(),
                        token: crate::settings::token_request(kind, &fresh),
                        now: settings.now,
                        then: AgentUse::Print {
                            format: crate::output::TokenFormat::Raw,
                            env_name: String::new(),
                        },
                    })?;
                    Ok(match answer {
                        Answer::Access(token, _) => token.access_token,
                        Answer::Id(token) => token.id_token,
                    })
                };
                super::aws_credential::run_with_agent(*aws, &ask_for)?;
                return Ok(exit::OK);
            }
            AgentUse::Docker(docker) => {
                let ask_for = |registry: &str, only: Option<&str>| {
                    ask_registry(&settings.socket, registry, only)
                };
                super::docker_credential::run_with_agent(*docker, &ask_for)?;
                return Ok(exit::OK);
            }
            then => settings.then = then,
        }
        let answer = ask(&settings)?;
        use_answer(settings, answer)
    }
}

/// What the agent handed out.
enum Answer {
    Access(AccessToken, Option<Secret>),
    Id(crate::access_token::IdToken),
}

#[cfg(unix)]
fn ask(settings: &ViaAgent) -> Result<Answer> {
    use crate::agent::client;
    use crate::agent::wire::{Kind, Request, Response};
    let request = Request::Token {
        profile: settings.profile.clone(),
        token: settings.token.clone(),
    };
    let unexpected = || Error::other("the agent gave an answer of another kind than asked for");
    match client::ask(&settings.socket, &request).map_err(ask_error)? {
        Response::Access { token, proof } if settings.token.kind == Kind::Access => {
            if settings.token.dpop_proof.is_some() != proof.is_some() {
                return Err(unexpected());
            }
            if let Some(proof) = &proof
                && !access_token::is_compact_jwt(proof.expose(), MAX_JWT)
            {
                return Err(Error::other("the agent's DPoP proof is not a JWT"));
            }
            Ok(Answer::Access(token, proof))
        }
        Response::Id { token } if settings.token.kind == Kind::Id => {
            if !access_token::is_compact_jwt(token.id_token.expose(), MAX_JWT) {
                return Err(Error::other("the agent's ID token is not a JWT"));
            }
            Ok(Answer::Id(token))
        }
        Response::Error(failure) => Err(agent_failure(failure)),
        _ => Err(unexpected()),
    }
}

/// `RegistryToken`: the user name and access token of the profile the agent binds to
/// `registry`, or None when it binds none. An agent older than the request says it
/// does not know it: that is told as such, with what to do.
#[cfg(unix)]
fn ask_registry(
    socket: &std::path::Path,
    registry: &str,
    only: Option<&str>,
) -> Result<Option<(String, AccessToken)>> {
    use crate::agent::client;
    use crate::agent::wire::{REGISTRY_OP, Request, Response};
    let request = Request::RegistryToken {
        registry: registry.to_string(),
        profile: only.map(str::to_string),
    };
    match client::ask(socket, &request).map_err(ask_error)? {
        Response::Registry {
            username, token, ..
        } => {
            if username.is_empty() || username.contains(|c: char| c.is_control()) {
                return Err(Error::other("the agent sent a user name that is not one line"));
            }
            Ok(Some((username, token)))
        }
        Response::NotBound {} => Ok(None),
        Response::Error(failure) if is_unknown_registry_op(&failure, REGISTRY_OP) => {
            Err(Error::config(
                "the agent is of an older octoken: it does not answer for registries",
                Some(
                    "update octoken on the agent's machine (and restart the agent), or unset \
                     OCTOKEN_AGENT_SOCK and bind the registry here (`octoken docker-credential setup HOST`)"
                        .into(),
                ),
            ))
        }
        Response::Error(failure) => Err(agent_failure(failure)),
        _ => Err(Error::other(
            "the agent gave an answer of another kind than asked for",
        )),
    }
}

/// An agent's refusal of a request it cannot read because its op is newer than it:
/// serde's "unknown variant `registry-token`", in its malformed-message error.
fn is_unknown_registry_op(failure: &crate::agent::wire::Failure, op: &str) -> bool {
    failure.message.contains("unknown variant") && failure.message.contains(&format!("`{op}`"))
}

fn use_answer(settings: ViaAgent, answer: Answer) -> Result<u8> {
    let ViaAgent {
        profile, now, then, ..
    } = settings;
    let wrote = |e: std::io::Error| Error::other(format!("cannot write the token: {e}"));
    match (then, answer) {
        (AgentUse::Print { format, env_name }, Answer::Access(token, None)) => {
            output::token(&token, format, &env_name, now).map_err(wrote)?;
        }
        (AgentUse::Print { format, env_name }, Answer::Access(token, Some(proof))) => {
            output::dpop_token(&token, &proof, format, &env_name, now).map_err(wrote)?;
        }
        (AgentUse::Print { format, env_name }, Answer::Id(token)) => {
            output::id_token(&token, format, &env_name, now).map_err(wrote)?;
        }
        (
            AgentUse::Exec {
                env_name,
                program,
                args,
            },
            Answer::Access(token, _),
        ) => {
            return super::exec::exec_with(&program, &args, &env_name, &token, &profile);
        }
        (AgentUse::Kube { api_version }, answer) => {
            let (token, expires_at) = match answer {
                Answer::Access(token, _) => (token.access_token, token.expires_at),
                Answer::Id(token) => (token.id_token, Some(token.expires_at)),
            };
            output::stdout(&super::kube_credential::exec_credential(
                &api_version,
                &token,
                expires_at,
            ))
            .map_err(|e| Error::other(format!("cannot write to kubectl: {e}")).one_line())?;
        }
        (AgentUse::Exec { .. }, Answer::Id(_)) => {
            return Err(Error::other("the agent sent an ID token for exec"));
        }
        (AgentUse::Git(_) | AgentUse::Cargo(_) | AgentUse::Aws(_) | AgentUse::Docker(_), _) => {
            return Err(Error::other("the credential helpers are answered in `run`"));
        }
    }
    Ok(exit::OK)
}

/// The agent's error, as this machine shows it: its words made inert, its hint marked
/// as one for the agent's machine, its exit code kept.
fn agent_failure(failure: crate::agent::wire::Failure) -> Error {
    let message = format!("the agent: {}", sanitize::foreign(&failure.message, 500));
    let hint = failure
        .hint
        .map(|h| format!("on the agent's machine: {}", sanitize::foreign(&h, 500)));
    let or_check = || {
        hint.clone()
            .unwrap_or_else(|| "check the agent's log".into())
    };
    match failure.exit {
        exit::USAGE => Error::Usage { message, hint },
        exit::CONFIG => Error::Config { message, hint },
        exit::LOGIN_REQUIRED => Error::LoginRequired {
            message,
            hint: or_check(),
        },
        exit::TEMPORARY => Error::Temporary {
            message,
            hint: or_check(),
        },
        exit::STORAGE => Error::Storage {
            message,
            hint: or_check(),
        },
        _ => Error::Other { message, hint },
    }
}

/// Why the agent could not be asked, with what to do about it.
#[cfg(unix)]
pub fn ask_error(err: crate::agent::client::AskError) -> Error {
    use crate::agent::client::AskError;
    let text = sanitize::foreign(&err.to_string(), 500);
    match err {
        AskError::NoAgent { .. } => Error::config(
            text,
            Some(
                "start one (`eval \"$(octoken agent)\"`), check the `ssh -R` forwarding, or \
                 unset OCTOKEN_AGENT_SOCK to use this machine's profiles"
                    .into(),
            ),
        ),
        AskError::Closed { .. } | AskError::TimedOut { .. } | AskError::Io { .. } => {
            Error::Temporary {
                message: text,
                hint: "try again; if it persists, check that the agent runs on its machine \
                       (`eval \"$(octoken agent)\"` there) and that an `ssh -R` forwarding stands"
                    .into(),
            }
        }
        AskError::Wire { .. } => Error::config(
            text,
            Some("run the same octoken version on both ends of the socket".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::wire::Failure;

    #[test]
    fn the_agents_error_keeps_its_exit_code_and_is_made_inert() {
        for code in [1u8, 2, 3, 4, 5, 6] {
            let err = agent_failure(Failure {
                exit: code,
                message: "not logged in\u{1b}[2J".into(),
                hint: Some("run `octoken login -p work`".into()),
            });
            assert_eq!(err.exit_code(), code);
            assert!(!err.to_string().contains('\u{1b}'), "{err}");
            assert!(
                err.to_string().starts_with("the agent: not logged in"),
                "{err}"
            );
            assert_eq!(
                err.hint().as_deref(),
                Some("on the agent's machine: run `octoken login -p work`")
            );
        }
        let odd = agent_failure(Failure {
            exit: 200,
            message: "x".into(),
            hint: None,
        });
        assert_eq!(odd.exit_code(), exit::OTHER);
    }

    #[test]
    fn an_older_agents_refusal_of_the_registry_request_is_recognised() {
        let refusal = |message: &str| Failure {
            exit: 1,
            message: message.into(),
            hint: None,
        };
        assert!(is_unknown_registry_op(
            &refusal(
                "a malformed message: unknown variant `registry-token`, expected `token` or `stop`"
            ),
            crate::agent::wire::REGISTRY_OP
        ));
        for other in [
            "a malformed message: unknown variant `frob`, expected `token` or `stop`",
            "registry-token failed",
            "not logged in",
        ] {
            assert!(
                !is_unknown_registry_op(&refusal(other), "registry-token"),
                "{other}"
            );
        }
    }
}
