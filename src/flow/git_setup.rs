//! `octoken git-credential setup URL`: writes the git config that runs the helper for
//! URL's host, the way `gh auth setup-git` does. Two `git config` calls on
//! `credential.<url>.helper`: first one empty value in place of any there were, since
//! an empty helper empties the list git has collected so far (gitcredentials(7)), so a
//! `store` or keychain helper set for every host in a lower-priority config is neither
//! asked before octoken nor handed the token to keep; then the helper line,
//! `!octoken -p NAME git-credential --host HOST`, bound to that one host. Running both
//! again leaves the same two lines.

use crate::error::{Error, Result};
use crate::host::{host_parts, is_loopback};
use crate::output;
use crate::sanitize;
use crate::settings::GitSetup;
use std::process::{Command, Stdio};

/// The remote a `setup URL` is for.
#[derive(Debug, PartialEq, Eq)]
pub struct Remote {
    /// `scheme://host[:port]`: git matches a config URL with a path only when
    /// `credential.useHttpPath` is set, so the path is left out.
    pub url: String,
    /// The host as git will send it in `host=` (with the port when the URL has one).
    pub host: String,
}

/// The remote of `url`, or why octoken cannot be its helper.
pub fn remote(url: &str) -> std::result::Result<Remote, &'static str> {
    let not_http = "it is not an https URL";
    let (scheme, rest) = url.split_once("://").ok_or(not_http)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(not_http);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // A user name (Bitbucket's clone URLs carry one) is no part of the pattern: one
    // without a user matches requests with any.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (name, _) = host_parts(authority).ok_or("its host is not a host name")?;
    if scheme == "http" && !is_loopback(name) {
        return Err(
            "octoken gives git tokens over https only (plain http only to a loopback host)",
        );
    }
    Ok(Remote {
        url: format!("{scheme}://{authority}"),
        host: authority.to_string(),
    })
}

pub fn run(setup: &GitSetup) -> Result<()> {
    let key = format!("credential.{}.helper", setup.url);
    let value = helper_value(&setup.helper_args);
    let scope: &[&str] = if setup.global_config {
        &["--global"]
    } else {
        &[]
    };
    for args in [["--replace-all", &key, ""], ["--add", &key, &value]] {
        git_config(scope, &args, setup.global_config)?;
        let shown: Vec<String> = ["git", "config"]
            .iter()
            .chain(scope)
            .chain(&args)
            .map(|w| shell_word(w))
            .collect();
        output::notice(format!("octoken: ran {}", shown.join(" ")));
    }
    Ok(())
}

/// The helper's config value: a shell snippet (`!`), run by git with the operation
/// appended, each word quoted for the shell.
pub fn helper_value(args: &[String]) -> String {
    let words: Vec<String> = args.iter().map(|w| shell_word(w)).collect();
    format!("!octoken {}", words.join(" "))
}

/// `word` as one shell word: as is when it holds only characters no shell treats
/// specially, else in single quotes.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.,:/=+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn git_config(scope: &[&str], args: &[&str], global: bool) -> Result<()> {
    let out = Command::new("git")
        .arg("config")
        .args(scope)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Other {
            message: format!("cannot run git: {e}"),
            hint: Some("install git, or put it on PATH".into()),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = said.lines().next().unwrap_or("no message");
    Err(Error::Other {
        message: format!("git config failed: {}", sanitize::foreign(said, 200)),
        hint: (!global)
            .then(|| "run it inside the repository, or add --global for every repository".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_is_its_scheme_and_host_as_git_sends_it() {
        for (url, want_url, want_host) in [
            (
                "https://git.example.com/team/repo.git",
                "https://git.example.com",
                "git.example.com",
            ),
            (
                "HTTPS://Git.Example.com:8443",
                "https://Git.Example.com:8443",
                "Git.Example.com:8443",
            ),
            (
                "http://127.0.0.1:9000/x?y#z",
                "http://127.0.0.1:9000",
                "127.0.0.1:9000",
            ),
            ("http://[::1]:80/", "http://[::1]:80", "[::1]:80"),
            ("http://localhost", "http://localhost", "localhost"),
            (
                "https://me@bitbucket.org/team/r.git",
                "https://bitbucket.org",
                "bitbucket.org",
            ),
        ] {
            assert_eq!(
                remote(url),
                Ok(Remote {
                    url: want_url.into(),
                    host: want_host.into()
                }),
                "{url}"
            );
        }
    }

    #[test]
    fn a_remote_octoken_cannot_serve_is_refused_with_the_reason() {
        for (url, why) in [
            ("git.example.com", "not an https URL"),
            ("ssh://git.example.com/x", "not an https URL"),
            ("https://*.example.com", "not a host name"),
            ("https://git.example.com\n.evil/x", "not a host name"),
            ("https:///x", "not a host name"),
            ("http://git.example.com/x", "https only"),
            ("http://127.0.0.1.evil.example/x", "https only"),
        ] {
            let err = remote(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    #[test]
    fn the_helper_line_quotes_what_the_shell_would_read() {
        let args: Vec<String> = ["-p", "work", "git-credential", "--host", "[::1]:8080"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            helper_value(&args),
            "!octoken -p work git-credential --host '[::1]:8080'"
        );
        assert_eq!(shell_word("it's $x"), r"'it'\''s $x'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("x-token-auth"), "x-token-auth");
    }
}
