//! Dispatch: resolve the global settings, then run exactly one flow.

use crate::cli::{Cli, Command};
use crate::error::{Result, exit};
use crate::flow;
use crate::output;
use crate::settings::Global;

/// Runs the command; the exit code on success (0, or the code of `exec`'s command).
pub fn run(cli: Cli) -> Result<u8> {
    output::set_verbosity(cli.global.verbose, cli.global.quiet);
    // Output that needs no profile, nor even a home directory.
    match &cli.command {
        Command::Completions(args) => return flow::shell::completions(args.shell).map(ok),
        Command::Man { command } => return flow::shell::man(command.as_deref()).map(ok),
        _ => {}
    }
    let global = Global::resolve(&cli.global)?;
    match &cli.command {
        Command::Login(args) => flow::login::run(&global, args).map(ok),
        Command::Token(args) => flow::token::run(&global, args).map(ok),
        Command::Exec(args) => flow::exec::run(&global, args),
        Command::Refresh(args) => flow::refresh::run(&global, args).map(ok),
        Command::Status(args) => flow::status::run(&global, args).map(ok),
        Command::Inspect(args) => flow::inspect::run(&global, args).map(ok),
        Command::Introspect(args) => flow::introspect::run(&global, args).map(ok),
        Command::Logout(args) => flow::logout::run(&global, args).map(ok),
        Command::Profiles => flow::shell::profiles(&global).map(ok),
        Command::Completions(_) | Command::Man { .. } => unreachable!("handled above"),
    }
}

fn ok(_: ()) -> u8 {
    exit::OK
}
