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
use crate::host::{host_parts, same_host, secure_for};
use crate::output;
use crate::profile_name;
use crate::sanitize;
use crate::session::Session;
use crate::settings::{GitCredentialSettings, GitOperation, GitProfile};
use std::io::Read;

/// git's requests are a few hundred bytes; read no more than this.
const MAX_INPUT: u64 = 64 * 1024;

pub fn run(settings: GitCredentialSettings) -> Result<()> {
    run_with(settings, None)
}

/// The token from an agent instead of this machine's profile (`OCTOKEN_AGENT_SOCK`).
pub type AgentToken<'a> = &'a dyn Fn(&crate::settings::FreshSettings) -> Result<AccessToken>;

/// `run`, with the token from `agent` when given.
pub fn run_with(settings: GitCredentialSettings, agent: Option<AgentToken<'_>>) -> Result<()> {
    if let GitOperation::Setup(setup) = &settings.operation {
        return flow::git_setup::run(setup);
    }
    let input = read_input(std::io::stdin().lock())?;
    let request = Request::parse(&input);
    let action = decide(
        &settings.operation,
        &request,
        &settings.hosts,
        &settings.global.profile,
    );
    let GitCredentialSettings {
        global,
        profile,
        fresh,
        username,
        ..
    } = settings;
    match action {
        Action::Decline(note) => {
            match note {
                Some(Note::Warn(text)) => output::warn(text),
                Some(Note::Debug(text)) => output::debug(1, text),
                None => {}
            }
            Ok(())
        }
        Action::Erase if agent.is_some() => {
            output::debug(
                1,
                "git says the token was refused; the agent keeps its cache",
            );
            Ok(())
        }
        Action::Answer if agent.is_some() => {
            let get = agent.expect("checked above");
            let token = get(&fresh).map_err(Error::one_line)?;
            output::stdout(&answer(&request, &token, &username))
                .map_err(|e| Error::other(format!("cannot write to git: {e}")))
        }
        Action::Erase => {
            let GitProfile { profile, .. } = profile.map_err(Error::one_line)?;
            output::debug(1, "git says the token was refused; dropping the cached one");
            Session::open(&profile, global.now).forget_access_token()
        }
        Action::Answer => {
            let GitProfile { profile, login } = profile.map_err(Error::one_line)?;
            let token =
                fresh_token(&profile, global.now, &fresh, login).map_err(Error::one_line)?;
            output::stdout(&answer(&request, &token, &username))
                .map_err(|e| Error::other(format!("cannot write to git: {e}")))
        }
    }
}

/// What to do with git's request.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    /// Nothing on stdout, so git goes on to its other helpers; maybe a note on stderr.
    Decline(Option<Note>),
    /// Drop the cached access token (git saw it refused).
    Erase,
    /// A fresh token on stdout.
    Answer,
}

/// A line for stderr: a warning the user needs, or a note for `-v`.
#[derive(Debug, PartialEq, Eq)]
enum Note {
    Warn(String),
    Debug(String),
}

fn decide(operation: &GitOperation, request: &Request, hosts: &[String], profile: &str) -> Action {
    let erase = match operation {
        GitOperation::Get => false,
        GitOperation::Erase => true,
        GitOperation::Store | GitOperation::Setup(_) => return Action::Decline(None),
        GitOperation::Other(name) => {
            let name = sanitize::foreign(name, 40);
            let note = format!("ignoring git's unknown operation '{name}'");
            return Action::Decline(Some(Note::Debug(note)));
        }
    };
    match verdict(request, hosts) {
        Verdict::Answer if erase => Action::Erase,
        Verdict::Answer => Action::Answer,
        // get and erase alike: git erases every helper's entry when a credential is
        // refused, and another host's refusal says nothing about our token.
        refused => Action::Decline(Some(note(&refused, request, profile, erase))),
    }
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

/// The stderr note for a request that gets no answer. An unbound host is a debug note
/// only: a helper set for every host sees all of git's other hosts too.
fn note(verdict: &Verdict, request: &Request, profile: &str, erase: bool) -> Note {
    let shown = sanitize::foreign(request.host.as_deref().unwrap_or(""), 100);
    match verdict {
        Verdict::Answer | Verdict::Unbound => {
            Note::Debug(format!("not bound to host '{shown}'; no answer"))
        }
        Verdict::NoBinding if erase => Note::Debug("bound to no host; no answer".into()),
        Verdict::NoBinding => Note::Warn(format!(
            "this git-credential helper is bound to no host, so it answers nothing; \
             bind it to the remote: {}",
            setup_command(profile, request)
        )),
        Verdict::Insecure => Note::Warn(format!(
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
        // 64 KiB: far more than any request git sends, read whole; no more.
        let huge = "x".repeat(200_000);
        assert_eq!(read_input(huge.as_bytes()).unwrap().len(), 65_536);
    }

    fn request(protocol: &str, host: &str) -> Request {
        Request {
            protocol: Some(protocol.into()),
            host: Some(host.into()),
            authtype: false,
        }
    }

    fn hosts(names: &[&str]) -> Vec<String> {
        names.iter().map(|h| h.to_string()).collect()
    }

    #[test]
    fn the_verdict_needs_a_binding_a_bound_host_and_a_secure_protocol() {
        let bound = hosts(&["git.example.com", "localhost:8080"]);
        let cases = [
            (request("https", "git.example.com"), Verdict::Answer),
            (request("https", "GIT.example.com"), Verdict::Answer),
            (request("http", "localhost:8080"), Verdict::Answer),
            (request("https", "localhost:8080"), Verdict::Answer),
            (request("https", "evil.example"), Verdict::Unbound),
            (request("https", "git.example.com:443"), Verdict::Unbound),
            (request("http", "localhost"), Verdict::Unbound),
            (request("https", "git.example.com\n"), Verdict::Unbound),
            (request("http", "git.example.com"), Verdict::Insecure),
            (request("ftp", "git.example.com"), Verdict::Insecure),
        ];
        for (req, want) in cases {
            assert_eq!(verdict(&req, &bound), want, "{req:?}");
        }
        let no_host = Request {
            protocol: Some("https".into()),
            ..Request::default()
        };
        assert_eq!(verdict(&no_host, &bound), Verdict::Unbound);
        let no_protocol = Request {
            host: Some("git.example.com".into()),
            ..Request::default()
        };
        assert_eq!(verdict(&no_protocol, &bound), Verdict::Insecure);
        // Not bound at all: nothing, for any request (the plain-http one too).
        for req in [
            request("https", "git.example.com"),
            request("http", "evil.example"),
        ] {
            assert_eq!(verdict(&req, &[]), Verdict::NoBinding);
        }
    }

    #[test]
    fn git_asks_get_and_erase_only_for_bound_hosts() {
        let bound = hosts(&["git.example.com"]);
        let ours = request("https", "git.example.com");
        let theirs = request("https", "evil.example");
        let decide =
            |op: GitOperation, req: &Request, hosts: &[String]| decide(&op, req, hosts, "work");
        assert_eq!(decide(GitOperation::Get, &ours, &bound), Action::Answer);
        assert_eq!(decide(GitOperation::Erase, &ours, &bound), Action::Erase);
        let unbound = Action::Decline(Some(Note::Debug(
            "not bound to host 'evil.example'; no answer".into(),
        )));
        assert_eq!(decide(GitOperation::Get, &theirs, &bound), unbound);
        assert_eq!(decide(GitOperation::Erase, &theirs, &bound), unbound);
        assert_eq!(
            decide(GitOperation::Store, &ours, &bound),
            Action::Decline(None)
        );
        let setup = GitOperation::Setup(crate::settings::GitSetup {
            url: "https://git.example.com".into(),
            helper_args: vec![],
            global_config: true,
        });
        assert_eq!(decide(setup, &ours, &bound), Action::Decline(None));
        assert_eq!(
            decide(GitOperation::Other("frob\x1b[2J".into()), &ours, &bound),
            Action::Decline(Some(Note::Debug(
                "ignoring git's unknown operation 'frob'".into()
            )))
        );
        // No binding: get says how to bind, erase only notes it.
        let Action::Decline(Some(Note::Warn(warning))) = decide(GitOperation::Get, &ours, &[])
        else {
            panic!("a warning")
        };
        assert!(
            warning.ends_with(
                "bind it to the remote: octoken git-credential setup --global https://git.example.com -p work"
            ),
            "{warning}"
        );
        assert_eq!(
            decide(GitOperation::Erase, &ours, &[]),
            Action::Decline(Some(Note::Debug("bound to no host; no answer".into())))
        );
        let Action::Decline(Some(Note::Warn(insecure))) = decide(
            GitOperation::Get,
            &request("http", "git.example.com"),
            &bound,
        ) else {
            panic!("a warning")
        };
        assert_eq!(
            insecure,
            "git asked for host 'git.example.com' over http: the token goes over https only \
             (plain http only to a loopback host)"
        );
    }

    #[test]
    fn notes_show_what_git_sent_inert() {
        let req = Request {
            protocol: Some("gopher\x1b]0;x\x07".into()),
            host: Some("h\x1b[31m".into()),
            authtype: false,
        };
        for verdict in [Verdict::Unbound, Verdict::Insecure, Verdict::NoBinding] {
            let (Note::Warn(text) | Note::Debug(text)) = note(&verdict, &req, "default", false);
            assert!(!text.contains(|c: char| c.is_control()), "{text:?}");
        }
        let none = Request::default();
        assert_eq!(
            note(&Verdict::Insecure, &none, "default", false),
            Note::Warn(
                "git asked for host '' over no protocol: the token goes over https only \
                 (plain http only to a loopback host)"
                    .into()
            )
        );
    }

    #[test]
    fn the_bind_hint_names_the_remote_only_when_octoken_would_answer_for_it() {
        for (req, remote) in [
            (
                request("https", "Git.Example.com:8443"),
                "https://Git.Example.com:8443",
            ),
            (
                request("HTTPS", "git.example.com"),
                "https://git.example.com",
            ),
            (request("http", "127.0.0.1:9000"), "http://127.0.0.1:9000"),
            (request("http", "evil.example"), "https://git.example.com"),
            (request("https", "h\n.evil"), "https://git.example.com"),
            (request("https", "h;rm -rf ~"), "https://git.example.com"),
            (Request::default(), "https://git.example.com"),
        ] {
            assert_eq!(
                setup_command("default", &req),
                format!("octoken git-credential setup --global {remote}"),
                "{req:?}"
            );
        }
        assert_eq!(
            setup_command("work", &request("https", "h")),
            "octoken git-credential setup --global https://h -p work"
        );
    }

    #[test]
    fn the_request_keeps_protocol_and_host_the_last_line_wins() {
        let req = Request::parse(
            "protocol=http\nhost=a\nprotocol=https\nhost=b:1\npath=x\nhost\n\nhost=c\n",
        );
        assert_eq!(
            req,
            Request {
                protocol: Some("https".into()),
                host: Some("b:1".into()),
                authtype: false,
            }
        );
        // A value may hold '=' (git splits at the first one).
        assert_eq!(Request::parse("host=a=b\n").host.as_deref(), Some("a=b"));
        assert_eq!(Request::parse("capability[]=state\n"), Request::default());
    }
}
