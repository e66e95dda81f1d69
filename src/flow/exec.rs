//! `octoken exec -- CMD ARGS...`: run a command with a fresh access token (or, with
//! `--type id`, an ID token) in its environment, keeping the token out of argv and
//! shell history. The exit status is the command's.

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::session::Session;
use crate::settings::{ExecSettings, TokenKind};
use std::process::Command;

/// Returns the command's exit code (on Unix the command replaces octoken, so this only
/// returns when it could not be started).
pub fn run(settings: &ExecSettings) -> Result<u8> {
    let session = Session::open(&settings.profile, settings.global.now);
    let fresh = &settings.fresh;
    let token = match settings.kind {
        TokenKind::Access => session.fresh_token(fresh)?.access_token,
        TokenKind::Id => {
            session
                .fresh_id_token_for(fresh.min_ttl, fresh.audience.as_deref())?
                .id_token
        }
    };
    exec_with(
        &settings.program,
        &settings.args,
        &settings.env_name,
        &token,
        &settings.profile.name,
    )
}

/// Runs `program` with `token` in `env_name` (and the profile's name in
/// OCTOKEN_PROFILE); also `exec` through an agent.
pub fn exec_with(
    program: &std::ffi::OsStr,
    args: &[std::ffi::OsString],
    env_name: &str,
    token: &Secret,
    profile: &str,
) -> Result<u8> {
    let mut command = Command::new(program);
    command
        .args(args)
        .env(env_name, token.expose())
        // The child finds the profile again: `octoken token --dpop-proof METHOD URL`
        // signs its DPoP proofs.
        .env(crate::env::OCTOKEN_PROFILE, profile);
    // The command has no business with octoken's secrets.
    for secret in crate::env::SECRET_VARIABLES {
        command.env_remove(secret);
    }
    let not_run = |e: std::io::Error| Error::CommandNotRun {
        message: format!("cannot run {}: {e}", program.to_string_lossy()),
        not_found: e.kind() == std::io::ErrorKind::NotFound,
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // exec: the command gets octoken's pid, signals and exit status directly.
        Err(not_run(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(not_run)?;
        Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
    }
}
