//! Dispatch: resolve the command's settings, then run exactly one flow.

use crate::cli::Cli;
use crate::error::{Result, exit};
use crate::settings::{Command, resolve};
use crate::{completions, flow, man, output};

/// Runs the command; the exit code on success (0, or the code of `exec`'s command).
pub fn run(cli: Cli) -> Result<u8> {
    let verbosity = resolve::verbosity(&cli.global);
    output::set_verbosity(verbosity.level, verbosity.quiet);
    // One lookup: with OCTOKEN_AGENT_SOCK unset, nothing below changes.
    let cli = match crate::env::path(crate::env::OCTOKEN_AGENT_SOCK) {
        Some(socket) => match resolve::via_agent(cli, socket)? {
            Ok(settings) => return flow::via_agent::run(settings),
            Err(cli) => cli,
        },
        None => cli,
    };
    // The hot path: a cached token under an unchanged config.toml needs no profile.
    if let Some(settings) = resolve::cache_only_token(&cli)
        && flow::token::from_cache(&settings)?
    {
        return Ok(exit::OK);
    }
    match resolve::resolve(cli)? {
        // Output that needs no profile, nor even a home directory.
        Command::Completions(shell) => completions::completions(shell).map(ok),
        Command::Man { command, dir } => man::man(command.as_deref(), dir.as_deref()).map(ok),
        Command::Profiles(settings) => flow::profiles::run(&settings).map(ok),
        Command::Login(settings) => flow::login::run(*settings).map(ok),
        Command::Token(settings) => flow::token::run(&settings).map(ok),
        Command::Exec(settings) => flow::exec::run(&settings),
        Command::Refresh(settings) => flow::refresh::run(&settings).map(ok),
        Command::Status(settings) => flow::status::run(&settings),
        Command::Inspect(settings) => flow::inspect::run(&settings).map(ok),
        Command::Introspect(settings) => flow::introspect::run(&settings).map(ok),
        Command::Logout(settings) => flow::logout::run(&settings).map(ok),
        Command::GitCredential(settings) => flow::git_credential::run(settings).map(ok),
        Command::KubeCredential(settings) => flow::kube_credential::run(settings).map(ok),
        Command::Agent(settings) => flow::agent::run(settings).map(ok),
        Command::KubeconfigUser(settings) => flow::kube_credential::print_user(&settings).map(ok),
        Command::AwsCredential(settings) => flow::aws_credential::run(settings).map(ok),
        Command::DockerCredential(settings) => flow::docker_credential::run(settings).map(ok),
        Command::CargoCredential(settings) => flow::cargo_credential::run(settings).map(ok),
    }
}

fn ok(_: ()) -> u8 {
    exit::OK
}
