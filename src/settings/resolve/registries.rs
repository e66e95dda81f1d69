//! The settings of `docker-credential` and `cargo-credential`. Their errors are told in
//! one line, since the tools show a helper's messages as they are.

use super::fresh_settings;
use crate::cli::{CargoCredentialArgs, DEFAULT_MIN_TTL, DockerCredentialArgs};
use crate::docker_protocol;
use crate::error::{Error, Result};
use crate::host::host_parts;
use crate::profile_name;
use crate::sanitize;
use crate::settings::{
    CargoCredentialSettings, Command, DockerCredentialSettings, DockerOperation, DockerSetup,
    FreshSettings, Global,
};

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
                message: format!(
                    "unknown operation '{}'",
                    sanitize::foreign(other, 40)
                ),
                hint: Some(
                    "the tools ask get, store, erase or list; a person runs setup HOST or install"
                        .into(),
                ),
            }
            .one_line());
        }
    };
    let only_profile =
        (global.profile != profile_name::DEFAULT).then(|| global.profile.clone());
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
    let CargoCredentialArgs {
        hosts,
        cargo_plugin: _, // cargo's mark; the protocol is the same without it
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
    Ok(Command::CargoCredential(CargoCredentialSettings {
        profile: global.profile(),
        global,
        hosts,
        fresh: fresh_settings(fresh),
    }))
}
