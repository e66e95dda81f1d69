//! Man pages, generated from the clap definition: octoken(1) and octoken-COMMAND(1).

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::output;
use clap::CommandFactory;

/// The commands that get a page of their own: octoken-login(1) and so on.
pub fn man_commands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

/// octoken(1), or octoken-COMMAND(1); None for an unknown command.
pub fn man_page(command: Option<&str>) -> Option<String> {
    let root = Cli::command();
    let page = match command {
        None => root,
        Some(name) => {
            let sub = root.find_subcommand(name)?.clone();
            sub.name(format!("octoken-{name}"))
        }
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut buf)
        .expect("rendering to memory cannot fail");
    Some(String::from_utf8(buf).expect("clap_mangen writes UTF-8"))
}

pub fn man(command: Option<&str>) -> Result<()> {
    let page = man_page(command).ok_or_else(|| Error::Usage {
        message: format!("no man page for '{}'", command.unwrap_or("")),
        hint: Some(format!("pages: octoken, {}", man_commands().join(", "))),
    })?;
    write(&page)
}

fn write(text: &str) -> Result<()> {
    output::stdout(text).map_err(|e| Error::other(format!("cannot write: {e}")))
}
