//! `octoken git-credential get|store|erase`: a git credential helper
//! (gitcredentials(7), git-credential(1)). git writes `key=value` lines up to a blank
//! line; `get` answers with a fresh access token, as a Bearer credential when git
//! announces the `authtype` capability (Git 2.46+), else as a password; `erase` (git
//! saw the token refused) drops the cached access token so the next `get` refreshes;
//! `store` has nothing to do, since octoken keeps its own tokens.
//!
//! A needed login is one stderr line and octoken's exit code, nothing on stdout, so git
//! falls back to its other helpers or fails; never a browser unless `--login`.

use crate::access_token::AccessToken;
use crate::error::{Error, Result};
use crate::flow;
use crate::output;
use crate::session::Session;
use crate::settings::{GitCredentialSettings, GitOperation};
use std::io::Read;

/// git's requests are a few hundred bytes; read no more than this.
const MAX_INPUT: u64 = 64 * 1024;

pub fn run(settings: GitCredentialSettings) -> Result<()> {
    let input = read_input(std::io::stdin().lock())?;
    let request = Request::parse(&input);
    match &settings.operation {
        GitOperation::Get => {}
        GitOperation::Store => return Ok(()),
        GitOperation::Erase => {
            let session = Session::open(&settings.profile, settings.global.now);
            output::debug(1, "git says the token was refused; dropping the cached one");
            return session.forget_access_token();
        }
        GitOperation::Other(name) => {
            output::debug(1, format!("ignoring git's unknown operation '{name}'"));
            return Ok(());
        }
    }
    let token = fresh_token(settings).map_err(Error::one_line)?;
    output::stdout(&answer(&request, &token.0, &token.1))
        .map_err(|e| Error::other(format!("cannot write to git: {e}")))
}

/// The token, after the profile's login when one is needed and `--login` allows it.
fn fresh_token(settings: GitCredentialSettings) -> Result<(AccessToken, String)> {
    let GitCredentialSettings {
        global,
        profile,
        fresh,
        username,
        login,
        ..
    } = settings;
    match Session::open(&profile, global.now).fresh_token(&fresh) {
        Err(Error::LoginRequired { .. }) if login.is_some() => {
            output::tell(format!(
                "octoken: git needs a login for profile '{}'; signing in",
                profile.name
            ));
            flow::login::run(*login.expect("checked above"))?;
            let token = Session::open(&profile, global.now).fresh_token(&fresh)?;
            Ok((token, username))
        }
        other => other.map(|token| (token, username)),
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
            if let Some(("capability[]", "authtype")) = line.split_once('=') {
                request.authtype = true;
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
            scope_as_requested: false,
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
