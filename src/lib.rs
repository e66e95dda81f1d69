//! octoken as a library: the module list and the binary's whole program (parse, run,
//! turn the outcome into an exit code), plus the entry points the fuzz targets drive
//! (`fuzzing`). Nothing here is a stable API.

mod access_token;
mod agent;
mod app;
mod assertion;
mod cargo_protocol;
mod cli;
mod completions;
mod config;
mod docker_protocol;
mod env;
mod error;
mod flow;
mod fsutil;
/// Entry points for the fuzz targets (fuzz/).
#[doc(hidden)]
pub mod fuzzing;
mod host;
mod jwt;
mod loopback;
mod man;
mod network;
mod oauth;
mod open_url;
mod output;
mod paths;
mod process;
mod profile_name;
/// The reference tables (exit codes, environment, files) the man pages and docs/troubleshooting.md share.
#[doc(hidden)]
pub mod reference;
mod sanitize;
mod secret;
mod session;
mod settings;
mod store;

use clap::Parser;
use std::process::ExitCode;

/// The program, as Rust's `main` runs it (macOS, Windows, the fuzz and test builds).
pub fn main() -> ExitCode {
    ExitCode::from(run())
}

/// The Linux binary's C `main` (src/main.rs skips Rust's start-up there): what that
/// start-up does which octoken relies on, then the program. Returns the exit status.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn main_without_rust_start() -> std::ffi::c_int {
    process::start_without_rust_runtime();
    std::ffi::c_int::from(run())
}

/// The program: parse, run, and turn the outcome into an exit code, in this one place.
fn run() -> u8 {
    process::harden();
    // args_os: a non-UTF-8 argument is a usage error below, not a panic here.
    let args = cli::helper_args(std::env::args_os().collect());
    let parsed = match cli::fast_token(&args)
        .or_else(|| cli::fast_helper(&args))
        .or_else(|| cli::fast_aws_credential(&args))
    {
        Some(cli) => Ok(cli),
        None => cli::Cli::try_parse_from(&args),
    };
    let outcome = match parsed {
        Ok(cli) => app::run(cli),
        Err(err) if !err.use_stderr() => err.exit(), // --help, --version: clap prints them
        Err(err)
            if err.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            err.exit() // bare `octoken`: the help on stderr, exit 2
        }
        Err(err) => {
            let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
            Err(cli::usage_error(&err, &args))
        }
    };
    let code = match outcome {
        Ok(code) => code,
        Err(err) => {
            let hint = err.hint();
            output::error(&err.to_string(), hint.as_deref());
            err.exit_code()
        }
    };
    // What is still buffered goes out before the exit (Rust's start-up would flush it
    // on return from `main`; the Linux binary has none).
    output::flush();
    code
}
