//! Dispatch: resolve the global settings, then run exactly one flow.

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::flow;
use crate::output;
use crate::settings::Global;

pub fn run(cli: Cli) -> Result<()> {
    output::set_verbosity(cli.global.verbose, cli.global.quiet);
    let global = Global::resolve(&cli.global)?;
    match &cli.command {
        Command::Login(args) => flow::login::run(&global, args),
        Command::Token(args) => flow::token::run(&global, args),
        Command::Refresh(_) => flow::refresh::run(&global),
        Command::Status(args) => flow::status::run(&global, args),
        Command::Logout(args) => flow::logout::run(&global, args),
    }
}
