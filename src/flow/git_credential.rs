//! `octoken git-credential get|store|erase`: a git credential helper
//! (gitcredentials(7), git-credential(1)). git writes `key=value` lines up to a blank
//! line; `get` answers with a fresh access token, as a Bearer credential when git
//! announces the `authtype` capability (Git 2.46+), else as a password; `erase` (git
//! saw the token refused) drops the cached access token so the next `get` refreshes;
//! `store` has nothing to do, since octoken keeps its own tokens.
//!
//! The helper answers only for the hosts its line names (`--host`, as git sends
//! `host=`), and only over https, or plain http to a loopback host: a helper set for
//! every host (`credential.helper`) would otherwise hand the token to any server a
//! remote names, in clear over http. Any other request gets nothing on stdout and exit
//! 0, so git goes on to its other helpers.
//!
//! A needed login is one stderr line and octoken's exit code, nothing on stdout, so git
//! falls back to its other helpers or fails; never a browser unless `--login`.

use crate::access_token::AccessToken;
use crate::error::{Error, Result};
use crate::flow;
use crate::output;
use crate::profile_name;
use crate::sanitize;
use crate::session::Session;
use crate::settings::{GitCredentialSettings, GitOperation, GitProfile};
use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};

/// git's requests are a few hundred bytes; read no more than this.
const MAX_INPUT: u64 = 64 * 1024;

pub fn run(settings: GitCredentialSettings) -> Result<()> {
    let erase = match &settings.operation {
        GitOperation::Get => false,
        GitOperation::Erase => true,
        GitOperation::Store => return Ok(()),
        GitOperation::Setup(setup) => return flow::git_setup::run(setup),
        GitOperation::Other(name) => {
            let name = sanitize::foreign(name, 40);
            output::debug(1, format!("ignoring git's unknown operation '{name}'"));
            return Ok(());
        }
    };
    let input = read_input(std::io::stdin().lock())?;
    let request = Request::parse(&input);
    let verdict = verdict(&request, &settings.hosts);
    if verdict != Verdict::Answer {
        // get and erase alike: git erases every helper's entry when a credential is
        // refused, and another host's refusal says nothing about our token.
        tell(&verdict, &request, &settings.global.profile, erase);
        return Ok(());
    }
    let GitCredentialSettings {
        global,
        profile,
        fresh,
        username,
        ..
    } = settings;
    let GitProfile { profile, login } = profile.map_err(Error::one_line)?;
    if erase {
        let session = Session::open(&profile, global.now);
        output::debug(1, "git says the token was refused; dropping the cached one");
        return session.forget_access_token();
    }
    let token = fresh_token(&profile, global.now, &fresh, login).map_err(Error::one_line)?;
    output::stdout(&answer(&request, &token, &username))
        .map_err(|e| Error::other(format!("cannot write to git: {e}")))
}

/// Whether a request gets an answer, and if not, why.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Answer,
    /// The helper line names no host: it answers nothing until it is bound.
    NoBinding,
    /// A host the helper is not bound to (or no valid host at all).
    Unbound,
    /// A bound host over a protocol other than https (plain http to a non-loopback
    /// host sends the token in clear).
    Insecure,
}

fn verdict(request: &Request, bound: &[String]) -> Verdict {
    if bound.is_empty() {
        return Verdict::NoBinding;
    }
    let Some(host) = request.host.as_deref() else {
        return Verdict::Unbound;
    };
    if !bound.iter().any(|b| same_host(b, host)) {
        return Verdict::Unbound;
    }
    if secure_for(request.protocol.as_deref(), host) {
        Verdict::Answer
    } else {
        Verdict::Insecure
    }
}

/// https, or plain http to this machine (whose traffic no one else sees).
fn secure_for(protocol: Option<&str>, host: &str) -> bool {
    match protocol {
        Some(p) if p.eq_ignore_ascii_case("https") => true,
        Some(p) if p.eq_ignore_ascii_case("http") => {
            host_parts(host).is_some_and(|(name, _)| is_loopback(name))
        }
        _ => false,
    }
}

/// The stderr note for a request that gets no answer. An unbound host is a debug note
/// only: a helper set for every host sees all of git's other hosts too.
fn tell(verdict: &Verdict, request: &Request, profile: &str, erase: bool) {
    let host = request.host.as_deref().unwrap_or("");
    let shown = sanitize::foreign(host, 100);
    match verdict {
        Verdict::Answer => {}
        Verdict::Unbound => output::debug(1, format!("not bound to host '{shown}'; no answer")),
        Verdict::NoBinding if erase => output::debug(1, "bound to no host; no answer"),
        Verdict::NoBinding => output::warn(format!(
            "this git-credential helper is bound to no host, so it answers nothing; \
             bind it to the remote: {}",
            setup_command(profile, request)
        )),
        Verdict::Insecure => output::warn(format!(
            "git asked for host '{shown}' over {}: the token goes over https only \
             (plain http only to a loopback host)",
            sanitize::foreign(request.protocol.as_deref().unwrap_or("no protocol"), 20)
        )),
    }
}

/// The command that binds the helper to the request's remote, pasteable: the request's
/// own protocol and host when octoken would answer for them, else a placeholder.
fn setup_command(profile: &str, request: &Request) -> String {
    let remote = match (request.protocol.as_deref(), request.host.as_deref()) {
        (Some(protocol), Some(host))
            if host_parts(host).is_some() && secure_for(Some(protocol), host) =>
        {
            format!("{}://{host}", protocol.to_ascii_lowercase())
        }
        _ => "https://git.example.com".to_string(),
    };
    profile_name::command(profile, &format!("git-credential setup --global {remote}"))
}

/// A host as git writes it in `host=`: the name (or `[IPv6]`) and the port when the
/// remote's URL has one. None for anything else: an empty name, a control character,
/// whitespace, or a character no host name has (`/`, `@`, `'`, ...).
pub fn host_parts(text: &str) -> Option<(&str, Option<&str>)> {
    let (name, port) = if text.starts_with('[') {
        let end = text.find(']')?;
        let (name, rest) = text.split_at(end + 1);
        let inner = &name[1..end];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
        {
            return None;
        }
        (name, port_of(rest)?)
    } else {
        let (name, port) = match text.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        };
        let name_char = |c: char| c.is_alphanumeric() || "-._~".contains(c);
        if name.is_empty() || !name.chars().all(name_char) {
            return None;
        }
        match port {
            Some(port) if !is_port(port) => return None,
            _ => (name, port),
        }
    };
    Some((name, port))
}

/// The port after an `[IPv6]` name: nothing, or `:` and digits.
fn port_of(rest: &str) -> Option<Option<&str>> {
    if rest.is_empty() {
        return Some(None);
    }
    let port = rest.strip_prefix(':')?;
    is_port(port).then_some(Some(port))
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.chars().all(|c| c.is_ascii_digit())
}

/// Names compare as DNS does (ASCII case-insensitively), ports exactly: `host:443` is
/// not `host`, since git sends the port as the URL writes it.
fn same_host(a: &str, b: &str) -> bool {
    match (host_parts(a), host_parts(b)) {
        (Some((a_name, a_port)), Some((b_name, b_port))) => {
            a_name.eq_ignore_ascii_case(b_name) && a_port == b_port
        }
        _ => false,
    }
}

/// `localhost`, 127.0.0.0/8 or `[::1]`: what a loopback listener can be reached at.
pub fn is_loopback(name: &str) -> bool {
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(inner) => inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
        None => name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()),
    }
}

/// The token, after the profile's login when one is needed and `--login` allows it.
fn fresh_token(
    profile: &crate::settings::ProfileSettings,
    now: u64,
    fresh: &crate::settings::FreshSettings,
    login: Option<Box<crate::settings::LoginSettings>>,
) -> Result<AccessToken> {
    match Session::open(profile, now).fresh_token(fresh) {
        Err(Error::LoginRequired { .. }) if login.is_some() => {
            output::tell(format!(
                "octoken: git needs a login for profile '{}'; signing in",
                profile.name
            ));
            flow::login::run(*login.expect("checked above"))?;
            Session::open(profile, now).fresh_token(fresh)
        }
        other => other,
    }
}

/// Reads git's request: up to a blank line or end of input, at most `MAX_INPUT` bytes.
fn read_input(reader: impl Read) -> Result<String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::other(format!("cannot read git's request: {e}")).one_line())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// What octoken uses of git's request. Everything else (a password, wwwauth[] lines,
/// keys of later gits) is ignored, and nothing received is echoed back.
#[derive(Debug, Default, PartialEq, Eq)]
struct Request {
    /// `protocol=`: https, or http.
    protocol: Option<String>,
    /// `host=`: the remote's host, with `:PORT` when its URL has one.
    host: Option<String>,
    /// git announced `capability[]=authtype`: it can send a pre-encoded credential.
    authtype: bool,
}

impl Request {
    fn parse(input: &str) -> Request {
        let mut request = Request::default();
        for line in input.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                break;
            }
            // A later line for the same key replaces an earlier one, as in git.
            match line.split_once('=') {
                Some(("capability[]", "authtype")) => request.authtype = true,
                Some(("protocol", value)) => request.protocol = Some(value.to_string()),
                Some(("host", value)) => request.host = Some(value.to_string()),
                _ => {}
            }
        }
        request
    }
}

/// The answer to `get`. Tokens are checked against their grammar when received, so a
/// token holds no newline; the expiry lets git (2.41+) skip an expired one.
fn answer(request: &Request, token: &AccessToken, username: &str) -> String {
    let secret = token.access_token.expose();
    let mut text = if request.authtype {
        format!("capability[]=authtype\nauthtype=Bearer\ncredential={secret}\nephemeral=true\n")
    } else {
        format!("username={username}\npassword={secret}\n")
    };
    if let Some(expires_at) = token.expires_at {
        text.push_str(&format!("password_expiry_utc={expires_at}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn token() -> AccessToken {
        AccessToken {
            access_token: Secret::new("at-1"),
            token_type: "Bearer".into(),
            expires_at: Some(1_700_000_300),
            scope: None,
            obtained_at: 1_700_000_000,
        }
    }

    #[test]
    fn a_git_without_authtype_gets_a_user_name_and_password() {
        let request = Request::parse(
            "protocol=https\nhost=git.example.com\nusername=me\npassword=old-secret\n\n",
        );
        assert!(!request.authtype);
        let text = answer(&request, &token(), "oauth2");
        assert_eq!(
            text,
            "username=oauth2\npassword=at-1\npassword_expiry_utc=1700000300\n"
        );
        assert!(!text.contains("old-secret"));
    }

    #[test]
    fn a_git_announcing_authtype_gets_a_bearer_credential() {
        let request = Request::parse(
            "capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=h\nwwwauth[]=Bearer realm=\"x\"\n",
        );
        assert!(request.authtype);
        assert_eq!(
            answer(&request, &token(), "oauth2"),
            "capability[]=authtype\nauthtype=Bearer\ncredential=at-1\nephemeral=true\npassword_expiry_utc=1700000300\n"
        );
    }

    #[test]
    fn only_the_request_before_the_blank_line_counts() {
        assert!(!Request::parse("host=h\n\ncapability[]=authtype\n").authtype);
        assert!(Request::parse("capability[]=authtype\r\nhost=h\r\n").authtype);
    }

    #[test]
    fn input_is_bounded() {
        let huge = "x".repeat(MAX_INPUT as usize * 2);
        assert_eq!(
            read_input(huge.as_bytes()).unwrap().len(),
            MAX_INPUT as usize
        );
    }
}
