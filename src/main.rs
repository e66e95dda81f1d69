//! octoken: parse, run, and turn the outcome into an exit code, in this one place.

mod app;
mod browser;
mod cli;
mod config;
mod env;
mod error;
mod flow;
mod jwt;
mod loopback;
mod oauth;
mod output;
mod paths;
mod secret;
mod settings;
mod store;
mod token;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match app::run(cli) {
        Ok(()) => ExitCode::from(error::exit::OK),
        Err(err) => {
            let hint = err.hint();
            output::error(&err.to_string(), hint.as_deref());
            ExitCode::from(err.exit_code())
        }
    }
}
