//! The settings of `docker-credential` and `cargo-credential`. Their errors are told in
//! one line, since the tools show a helper's messages as they are.

use super::fresh_settings;
use crate::cli::{
    CargoCredentialArgs, Cli, Command as CliCommand, DEFAULT_MIN_TTL, DockerCredentialArgs,
    GlobalArgs,
};
use crate::docker_protocol;
use crate::error::{Error, Result};
use crate::host::host_parts;
use crate::output;
use crate::profile_name;
use crate::sanitize;
use crate::settings::{
    CargoCredentialSettings, CargoProvider, Command, DockerCredentialSettings, DockerOperation,
    DockerSetup, FreshSettings, Global, ResolveWords,
};
use clap::Parser;

pub fn docker(args: DockerCredentialArgs, global: Global) -> Result<Command> {
    let DockerCredentialArgs {
        operation,
        host,
        username,
        dir,
    } = args;
    let example = profile_name::command(
        &global.profile,
        "docker-credential setup registry.example.com",
    );
    let only = |what: &str, with: &str, given: bool| -> Result<()> {
        if given && operation != with {
            return Err(Error::Usage {
                message: format!("{what} goes with `{with}` only"),
                hint: Some(example.clone()),
            }
            .one_line());
        }
        Ok(())
    };
    only("a registry argument", "setup", host.is_some())?;
    only("--username", "setup", username.is_some())?;
    only("--dir", "install", dir.is_some())?;
    let operation = match operation.as_str() {
        "get" => DockerOperation::Get,
        "store" => DockerOperation::Store,
        "erase" => DockerOperation::Erase,
        "list" => DockerOperation::List,
        "install" => DockerOperation::Install(dir),
        "setup" => DockerOperation::Setup(docker_setup(host, username, &example)?),
        other => {
            return Err(Error::Usage {
                message: format!("unknown operation '{}'", sanitize::foreign(other, 40)),
                hint: Some(
                    "the tools ask get, store, erase or list; a person runs setup HOST or install"
                        .into(),
                ),
            }
            .one_line());
        }
    };
    let only_profile = (global.profile != profile_name::DEFAULT).then(|| global.profile.clone());
    Ok(Command::DockerCredential(DockerCredentialSettings {
        global,
        operation,
        only_profile,
        fresh: FreshSettings {
            min_ttl: DEFAULT_MIN_TTL,
            ..FreshSettings::default()
        },
    }))
}

/// `login --registry HOST`: each checked as `docker-credential setup HOST` checks it.
pub fn login_registries(given: Vec<String>, profile: &str) -> Result<Vec<String>> {
    let example = profile_name::command(profile, "login --registry registry.example.com");
    given
        .into_iter()
        .map(|host| Ok(docker_setup(Some(host), None, &example)?.host))
        .collect()
}

fn docker_setup(
    host: Option<String>,
    username: Option<String>,
    example: &str,
) -> Result<DockerSetup> {
    let Some(given) = host else {
        return Err(Error::Usage {
            message: "setup needs the registry, as image names start with it".into(),
            hint: Some(example.into()),
        }
        .one_line());
    };
    let (_, host) = docker_protocol::registry(&given).map_err(|why| {
        Error::Usage {
            message: format!("cannot bind a registry: {why}"),
            hint: Some(example.into()),
        }
        .one_line()
    })?;
    if let Some(name) = &username
        && (name.is_empty() || name.contains(|c: char| c.is_control()))
    {
        return Err(Error::usage("--username must be one line and not empty").one_line());
    }
    Ok(DockerSetup {
        host: host.to_string(),
        username,
    })
}

pub fn cargo(args: CargoCredentialArgs, global: Global) -> Result<Command> {
    let per_request = args.cargo_plugin;
    Ok(Command::CargoCredential(CargoCredentialSettings {
        provider: cargo_provider(args, global)?,
        per_request: per_request.then_some(from_request as ResolveWords),
    }))
}

fn cargo_provider(args: CargoCredentialArgs, global: Global) -> Result<CargoProvider> {
    let CargoCredentialArgs {
        hosts,
        cargo_plugin: _, // whether to read the request's words: `cargo` above
        fresh,
    } = args;
    for host in &hosts {
        if host_parts(host).is_none() {
            return Err(Error::Usage {
                message: format!(
                    "--host '{}' is not a host as an index URL names it",
                    sanitize::foreign(host, 100)
                ),
                hint: Some(
                    "give the index URL's host, with :PORT when it has one: --host cargo.example.com"
                        .into(),
                ),
            }
            .one_line());
        }
    }
    Ok(CargoProvider {
        profile: global.profile(),
        global,
        hosts,
        fresh: fresh_settings(fresh),
    })
}

/// The words after the program in a `credential-provider` line, which cargo sends in
/// each request: `-p work cargo-credential --host cargo.example.com`.
fn from_request(words: &[String]) -> Result<CargoProvider> {
    let plain: Vec<&str> = words.iter().map(String::as_str).collect();
    // The usual line, without building clap's command tree (cargo runs the provider for
    // each registry it needs a token for).
    if let Some((profile, args)) = crate::cli::fast_cargo_words(&plain) {
        return cargo_provider(args, Global::resolve(profile)?);
    }
    let argv: Vec<String> = std::iter::once("octoken".to_string())
        .chain(words.iter().cloned())
        .collect();
    let example = "credential-provider = [\"octoken\", \"-p\", \"work\", \"cargo-credential\", \"--host\", \"cargo.example.com\"]";
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        let Error::Usage { message, .. } = crate::cli::usage_error(&e, &argv) else {
            unreachable!("usage_error makes usage errors")
        };
        Error::Usage {
            message: format!("in the credential-provider line: {message}"),
            hint: Some(example.into()),
        }
    })?;
    let Cli { global, command } = cli;
    let CliCommand::CargoCredential(args) = command else {
        return Err(Error::Usage {
            message: "the credential-provider line does not run `cargo-credential`".into(),
            hint: Some(example.into()),
        });
    };
    let GlobalArgs {
        profile,
        verbose,
        quiet,
    } = global;
    output::set_verbosity(verbose, quiet);
    cargo_provider(args, Global::resolve(profile)?)
}
