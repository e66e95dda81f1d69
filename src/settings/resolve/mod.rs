//! The command line, resolved: each command's settings from its clap struct, by
//! exhaustive destructuring (no `..`), so a new flag does not compile until it is
//! resolved here.

mod again;
mod agent;
mod aws;
mod login;
mod login_assertion;
mod login_fleet;
mod login_keys;
mod login_sign_in;
mod registries;
mod tools;

pub use agent::via_agent;

use crate::cli::{
    Cli, Command as CliCommand, CompletionsArgs, ExecArgs, FreshArgs, GlobalArgs, InspectArgs,
    IntrospectArgs, LogoutArgs, ManArgs, ProfilesArgs, RefreshArgs, StatusArgs, TokenArgs,
    TokenFormatArg, TokenTypeArg,
};
use crate::error::{Error, Result};
use crate::output::TokenFormat;
use crate::settings::{
    CacheOnlyToken, Command, ExecSettings, FreshSettings, Global, InspectSettings,
    IntrospectSettings, LogoutSettings, ProfilesSettings, RefreshSettings, StatusSettings,
    TokenSettings, Verbosity,
};

/// How much octoken says on stderr (`-v`, `-vv`, `-q`): resolved first, so that even
/// resolving the rest can log.
pub fn verbosity(global: &GlobalArgs) -> Verbosity {
    let GlobalArgs {
        profile: _,
        verbose,
        quiet,
    } = global;
    Verbosity {
        level: *verbose,
        quiet: *quiet,
    }
}

/// The command line, resolved. Commands that need no profile (completions, man) need
/// not even a home directory. The verbosity is [`verbosity`]'s.
pub fn resolve(cli: Cli) -> Result<Command> {
    let Cli { global, command } = cli;
    let GlobalArgs {
        profile,
        verbose: _,
        quiet: _,
    } = global;
    let global = || Global::resolve(profile.clone());
    Ok(match command {
        CliCommand::Completions(args) => {
            let CompletionsArgs { shell } = args;
            Command::Completions(shell)
        }
        CliCommand::Man(args) => {
            let ManArgs { command, dir } = args;
            Command::Man { command, dir }
        }
        CliCommand::Profiles(args) => {
            let ProfilesArgs { json, check, names } = args;
            Command::Profiles(ProfilesSettings {
                global: global()?,
                json,
                check,
                names,
            })
        }
        CliCommand::Login(args) => Command::Login(Box::new(login::resolve(*args, global()?)?)),
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
            let dpop_proof = tools::dpop_proof(kind, dpop_proof, dpop_nonce)?;
            let env_name = variable_name(env_name)?;
            let global = global()?;
            Command::Token(TokenSettings {
                profile: global.profile()?,
                global,
                fresh,
                kind,
                format: token_format(format),
                env_name,
                dpop_proof,
                min_acr: min_acr.filter(|a| !a.trim().is_empty()),
            })
        }
        CliCommand::Exec(args) => {
            let ExecArgs {
                env_name,
                token_type,
                fresh,
                command,
            } = args;
            let env_name = variable_name(env_name)?;
            let (kind, fresh) = tools::kind_and_fresh(token_type, fresh)?;
            let mut command = command.into_iter();
            let program = command.next().unwrap_or_default();
            let global = global()?;
            Command::Exec(ExecSettings {
                profile: global.profile()?,
                global,
                fresh,
                kind,
                env_name,
                program,
                args: command.collect(),
            })
        }
        CliCommand::Refresh(args) => {
            let RefreshArgs {
                if_older_than,
                jitter,
            } = args;
            let global = global()?;
            Command::Refresh(RefreshSettings {
                profile: global.profile()?,
                global,
                if_older_than,
                jitter,
            })
        }
        CliCommand::Status(args) => {
            let StatusArgs { json } = args;
            let global = global()?;
            Command::Status(StatusSettings {
                profile: global.profile()?,
                global,
                json,
            })
        }
        CliCommand::Inspect(args) => {
            let InspectArgs { token } = args;
            match token.as_deref() {
                Some("-") => Command::Inspect(InspectSettings::Stdin),
                Some(_) => {
                    return Err(Error::Usage {
                        message: "tokens are not taken from the command line".into(),
                        hint: Some("pipe it in: `octoken inspect - < token.jwt`".into()),
                    });
                }
                None => {
                    let global = global()?;
                    let profile = global.profile()?;
                    Command::Inspect(InspectSettings::Current(Box::new((global, profile))))
                }
            }
        }
        CliCommand::Introspect(args) => {
            let IntrospectArgs { refresh_token } = args;
            let global = global()?;
            Command::Introspect(IntrospectSettings {
                profile: global.profile()?,
                global,
                refresh_token,
            })
        }
        CliCommand::Logout(args) => {
            let LogoutArgs { local } = args;
            let global = global()?;
            Command::Logout(LogoutSettings {
                profile: global.profile()?,
                global,
                local,
            })
        }
        CliCommand::GitCredential(args) => tools::git(args, global().map_err(Error::one_line)?)?,
        CliCommand::KubeCredential(args) => tools::kube(args, global().map_err(Error::one_line)?)?,
        CliCommand::AwsCredential(args) => aws::resolve(args, global().map_err(Error::one_line)?)?,
        CliCommand::Agent(args) => Command::Agent(agent::agent(args)?),
        CliCommand::DockerCredential(args) => {
            registries::docker(args, global().map_err(Error::one_line)?)?
        }
        CliCommand::CargoCredential(args) => {
            registries::cargo(args, global().map_err(Error::one_line)?)?
        }
    })
}

/// The settings of a `token` that the cache alone may answer (see
/// `flow::token::from_cache`), without reading config.toml; None for any other command,
/// or any `token` whose flags need the profile (narrower scope or resource, an ID token,
/// a DPoP proof), or `-v` (the long way logs what it does). None also when resolving
/// fails: [`resolve`] then reports it.
pub fn cache_only_token(cli: &Cli) -> Option<CacheOnlyToken> {
    let CliCommand::Token(args) = &cli.command else {
        return None;
    };
    let TokenArgs {
        fresh,
        token_type,
        format,
        env_name,
        dpop_proof,
        dpop_nonce,
        min_acr,
    } = args;
    let FreshArgs {
        min_ttl,
        scope,
        resource,
        audience,
        strict: _, // only matters when renewing fails, which the long way does
    } = fresh;
    let plain = *token_type == TokenTypeArg::Access
        && scope.is_none()
        && resource.is_none()
        && audience.is_none()
        && dpop_proof.is_none()
        && dpop_nonce.is_none()
        && min_acr.is_none()
        && cli.global.verbose == 0;
    if !plain {
        return None;
    }
    Some(CacheOnlyToken {
        global: Global::resolve(cli.global.profile.clone()).ok()?,
        min_ttl: *min_ttl,
        format: token_format(*format),
        env_name: variable_name(env_name.clone()).ok()?,
    })
}

fn token_format(format: TokenFormatArg) -> TokenFormat {
    match format {
        TokenFormatArg::Raw => TokenFormat::Raw,
        TokenFormatArg::Json => TokenFormat::Json,
        TokenFormatArg::Header => TokenFormat::Header,
        TokenFormatArg::Env => TokenFormat::Env,
    }
}

fn fresh_settings(args: FreshArgs) -> FreshSettings {
    let FreshArgs {
        min_ttl,
        scope,
        resource,
        audience,
        strict,
    } = args;
    FreshSettings {
        min_ttl,
        scope: scope.filter(|s| !s.trim().is_empty()),
        resource: resource.filter(|r| !r.trim().is_empty()),
        audience: audience.filter(|a| !a.trim().is_empty()),
        strict,
    }
}

/// `exec --env NAME` and `--format env` put NAME where a shell reads it.
fn variable_name(name: String) -> Result<String> {
    if crate::env::is_variable_name(&name) {
        return Ok(name);
    }
    Err(crate::error::Error::Usage {
        message: format!(
            "'{}' is not a variable name",
            crate::sanitize::foreign(&name, 64)
        ),
        hint: Some("use letters, digits and '_', not starting with a digit".into()),
    })
}
