//! `octoken cargo-credential`: a cargo credential provider (protocol v1, see
//! `cargo_protocol`), set per registry in `.cargo/config.toml` as `credential-provider =
//! ["octoken", "-p", "work", "cargo-credential", "--host", "cargo.example.com"]`.
//!
//! It answers `get` for the registries whose index URL names a bound host (`--host`),
//! over https or plain http to a loopback host, with `Bearer <access token>` and the
//! token's expiry (cargo caches it until then); any other registry gets `not-found`, so
//! cargo tries its next provider. A failure (a needed login, a refused refresh) is
//! cargo's error shape with octoken's one-line message, which cargo shows. `cargo login`
//! and `cargo logout` get an error naming `octoken login`: nothing is ever read from or
//! prompted on cargo's stdin and stdout, and no browser opens.

use crate::access_token::AccessToken;
use crate::cargo_protocol::{self as protocol, Kind, Request};
use crate::error::{Error, Result};
use crate::host::{same_host, secure_for};
use crate::output;
use crate::profile_name;
use crate::sanitize;
use crate::session::Session;
use crate::settings::{CargoCredentialSettings, CargoProvider, FreshSettings};
use std::io::{BufRead, Read};

/// Requests cargo sends in one run: a handful. Read no more than this in all.
const MAX_INPUT: u64 = 1024 * 1024;

/// A fresh access token of the named profile from the agent (`OCTOKEN_AGENT_SOCK`),
/// instead of this machine's session.
pub type AskToken<'a> = &'a dyn Fn(&str, &FreshSettings) -> Result<AccessToken>;

pub fn run(settings: CargoCredentialSettings) -> Result<()> {
    run_with(settings, None)
}

/// `run`, with the tokens from `ask` when given: the host binding (`--host`, from the
/// credential-provider line) is still checked here.
pub fn run_with(settings: CargoCredentialSettings, ask: Option<AskToken>) -> Result<()> {
    write(protocol::HELLO)?;
    let mut input = std::io::BufReader::new(std::io::stdin().lock().take(MAX_INPUT));
    loop {
        let mut line = Vec::new();
        let read = (&mut input)
            .take(protocol::MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::other(format!("cannot read cargo's request: {e}")).one_line())?;
        if read == 0 {
            return Ok(());
        }
        let request = if line.len() > protocol::MAX_LINE {
            Err(format!(
                "a request is over {} KiB",
                protocol::MAX_LINE / 1024
            ))
        } else {
            match std::str::from_utf8(&line) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => protocol::parse(text.trim_end()).map_err(|e| e.to_string()),
                Err(_) => Err("the request is not text".to_string()),
            }
        };
        match request {
            Ok(request) => write(&answer(&request, &settings, ask))?,
            // Not cargo speaking: say so in the protocol and on stderr, and stop.
            Err(why) => {
                let err = Error::Usage {
                    message: format!("cannot read cargo's request: {why}"),
                    hint: Some(
                        "set octoken as a credential-provider in .cargo/config.toml; cargo \
                         speaks to it"
                            .into(),
                    ),
                };
                write(&protocol::error(&err.to_string(), &[]))?;
                return Err(err.one_line());
            }
        }
    }
}

fn write(text: &str) -> Result<()> {
    output::stdout(text).map_err(|e| Error::other(format!("cannot write to cargo: {e}")))
}

/// The answer to one request, from the provider its words name (run by cargo) or the
/// command line's.
fn answer(request: &Request, settings: &CargoCredentialSettings, ask: Option<AskToken>) -> String {
    match settings.per_request {
        Some(resolve) if !request.args.is_empty() => match resolve(&request.args) {
            Ok(provider) => answer_with(&request.kind, &provider, ask),
            Err(err) => failure(&err),
        },
        _ => answer_with(&request.kind, &settings.provider, ask),
    }
}

fn answer_with(kind: &Kind, settings: &CargoProvider, ask: Option<AskToken>) -> String {
    let index_url = match kind {
        Kind::Get { index_url } => index_url,
        Kind::LoginOrLogout(kind) => {
            let login = profile_name::login_command(&settings.global.profile);
            return protocol::error(
                &format!("octoken's tokens come from `{login}`; cargo {kind} has nothing to do"),
                &[],
            );
        }
        Kind::Other(kind) => {
            output::debug(1, format!("ignoring cargo's unknown request '{kind}'"));
            return protocol::operation_not_supported();
        }
    };
    let shown = sanitize::foreign(index_url, 200);
    let Some((scheme, host)) = protocol::index_host(index_url) else {
        output::debug(1, format!("'{shown}' names no host; no answer"));
        return protocol::not_found();
    };
    if settings.hosts.is_empty() {
        output::warn(format!(
            "this cargo-credential provider is bound to no host, so it answers nothing; \
             add --host {host} to its credential-provider line"
        ));
        return protocol::not_found();
    }
    if !settings.hosts.iter().any(|h| same_host(h, &host)) {
        output::debug(1, format!("not bound to '{host}'; no answer"));
        return protocol::not_found();
    }
    if !secure_for(Some(&scheme), &host) {
        return protocol::error(
            &format!(
                "cargo asked for {shown}: the token goes over https only (plain http only to \
                 a loopback host)"
            ),
            &[],
        );
    }
    let token = match ask {
        Some(ask) => ask(&settings.global.profile, &settings.fresh).map_err(|e| failure(&e)),
        None => settings
            .profile
            .as_ref()
            .map_err(failure)
            .and_then(|profile| {
                Session::open(profile, settings.global.now)
                    .fresh_token(&settings.fresh)
                    .map_err(|e| failure(&e))
            }),
    };
    match token {
        Ok(token) => protocol::token(token.access_token.expose(), token.expires_at),
        Err(text) => text,
    }
}

/// An error as cargo shows it: octoken's message, and its hint as the cause.
fn failure(err: &Error) -> String {
    let hint: Vec<String> = err.hint().into_iter().collect();
    protocol::error(&format!("octoken: {err}"), &hint)
}
