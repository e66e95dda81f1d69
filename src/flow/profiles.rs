//! `octoken __profiles`: the profile names, one a line, for shell completion.

use crate::error::{Error, Result};
use crate::output;
use crate::settings::Global;

pub fn profiles(global: &Global) -> Result<()> {
    let config = global.load_config()?;
    let names: String = config.profiles.keys().map(|k| format!("{k}\n")).collect();
    write(&names)
}

fn write(text: &str) -> Result<()> {
    output::stdout(text).map_err(|e| Error::other(format!("cannot write: {e}")))
}
