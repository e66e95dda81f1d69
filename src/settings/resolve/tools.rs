//! The settings of the commands other programs run: `git-credential` (git) and
//! `kube-credential` (kubectl). Their errors are told in one line, since git and kubectl
//! show a helper's stderr as is.

use super::{fresh_settings, login};
use crate::cli::{
    DEFAULT_GIT_USERNAME, DEFAULT_MIN_TTL, FreshArgs, GitCredentialArgs, KubeCredentialArgs,
    TokenTypeArg,
};
use crate::env;
use crate::error::{Error, Result};
use crate::flow::git_setup;
use crate::settings::{
    Command, DpopProofRequest, FreshSettings, GitCredentialSettings, GitOperation, GitProfile,
    GitSetup, Global, KubeCredentialSettings, KubeconfigUserSettings, LoginSettings, TokenKind,
};

/// The ExecCredential version kubectl gets when it does not say (no KUBERNETES_EXEC_INFO).
pub const DEFAULT_KUBE_API_VERSION: &str = "client.authentication.k8s.io/v1";

/// The ExecCredential versions client-go has defined; all answer in the same shape.
const KUBE_API_VERSIONS: [&str; 3] = [
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1alpha1",
];

/// KUBERNETES_EXEC_INFO is a few hundred bytes (more with provideClusterInfo's CA).
const MAX_EXEC_INFO: usize = 1024 * 1024;

pub fn token_kind(arg: TokenTypeArg) -> TokenKind {
    match arg {
        TokenTypeArg::Access => TokenKind::Access,
        TokenTypeArg::Id => TokenKind::Id,
    }
}

/// ID tokens are issued for the login's scope only (or, by token exchange, for an
/// --audience).
/// `--type` and the token flags, resolved and checked together (every command that
/// hands out a token takes both).
pub fn kind_and_fresh(
    token_type: TokenTypeArg,
    fresh: FreshArgs,
) -> Result<(TokenKind, FreshSettings)> {
    let kind = token_kind(token_type);
    let fresh = fresh_settings(fresh);
    check_kind_and_scope(kind, &fresh)?;
    Ok((kind, fresh))
}

fn check_kind_and_scope(kind: TokenKind, fresh: &FreshSettings) -> Result<()> {
    if kind == TokenKind::Id && fresh.resource.is_some() {
        return Err(Error::Usage {
            message: "--resource narrows access tokens only".into(),
            hint: Some("drop --resource, or use --type access".into()),
        });
    }
    if kind == TokenKind::Id && fresh.scope.is_some() {
        return Err(Error::Usage {
            message: "--scope narrows access tokens only".into(),
            hint: Some("drop --scope, or use --type access".into()),
        });
    }
    Ok(())
}

/// `--dpop-proof METHOD URL`: an access token's proof for an http(s) URL.
pub fn dpop_proof(
    kind: TokenKind,
    args: Option<Vec<String>>,
    nonce: Option<String>,
) -> Result<Option<DpopProofRequest>> {
    let Some(args) = args else {
        return Ok(None);
    };
    if kind == TokenKind::Id {
        return Err(Error::Usage {
            message: "--dpop-proof goes with access tokens only".into(),
            hint: Some("drop --type id".into()),
        });
    }
    let [method, url] = <[String; 2]>::try_from(args)
        .map_err(|_| Error::usage("--dpop-proof takes two values: METHOD URL"))?;
    let method = method.to_ascii_uppercase();
    if method.is_empty() || !method.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(Error::Usage {
            message: format!("'{method}' is not an HTTP method"),
            hint: Some("octoken token --dpop-proof GET https://api.example.com/x".into()),
        });
    }
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
        _ => {
            return Err(Error::Usage {
                message: format!("'{url}' is not an http(s) URL"),
                hint: Some(
                    "give the full URL of the API request, e.g. https://api.example.com/x".into(),
                ),
            });
        }
    }
    Ok(Some(DpopProofRequest {
        method,
        url,
        nonce: nonce.filter(|n| !n.trim().is_empty()),
    }))
}

pub fn git(args: GitCredentialArgs, global: Global) -> Result<Command> {
    let GitCredentialArgs {
        operation,
        url,
        hosts,
        global: global_config,
        username,
        login,
        fresh,
    } = args;
    if username.is_empty() || username.contains(|c: char| c.is_control()) {
        return Err(Error::usage("--username must be one line and not empty").one_line());
    }
    for host in &hosts {
        if crate::host::host_parts(host).is_none() {
            return Err(Error::Usage {
                message: format!(
                    "--host '{}' is not a host as git names it",
                    crate::sanitize::foreign(host, 100)
                ),
                hint: Some("give the remote's host, with :PORT when its URL has one: --host git.example.com:8443".into()),
            }
            .one_line());
        }
    }
    let setup = operation == "setup";
    if !setup && (url.is_some() || global_config) {
        return Err(Error::Usage {
            message: format!(
                "{} goes with `setup` only",
                if global_config { "--global" } else { "a URL" }
            ),
            hint: Some("octoken git-credential setup --global https://git.example.com".into()),
        }
        .one_line());
    }
    let operation = match operation.as_str() {
        "get" => GitOperation::Get,
        "store" => GitOperation::Store,
        "erase" => GitOperation::Erase,
        "setup" => GitOperation::Setup(git_setup(
            url,
            hosts.is_empty(),
            global_config,
            &global,
            &username,
            login,
            &fresh,
        )?),
        _ => GitOperation::Other(operation),
    };
    let profile = global.profile().and_then(|profile| {
        Ok(GitProfile {
            profile,
            login: stored_login(login, &global)?,
        })
    });
    Ok(Command::GitCredential(GitCredentialSettings {
        operation,
        hosts,
        fresh: fresh_settings(fresh),
        username,
        profile,
        global,
    }))
}

/// `setup URL`: the helper line for URL's host, with the flags given beside `setup`.
fn git_setup(
    url: Option<String>,
    no_hosts: bool,
    global_config: bool,
    global: &Global,
    username: &str,
    login: bool,
    fresh: &FreshArgs,
) -> Result<GitSetup> {
    let example = "octoken git-credential setup --global https://git.example.com";
    let Some(url) = url else {
        return Err(Error::Usage {
            message: "setup needs the remote's URL".into(),
            hint: Some(example.into()),
        });
    };
    if !no_hosts {
        return Err(Error::Usage {
            message: "setup takes the host from the URL, not from --host".into(),
            hint: Some(example.into()),
        });
    }
    let remote = git_setup::remote(&url).map_err(|why| Error::Usage {
        message: format!(
            "cannot set octoken up for '{}': {why}",
            crate::sanitize::foreign(&url, 200)
        ),
        hint: Some(example.into()),
    })?;
    // The helper runs the profile: a typo here would fail every fetch later.
    global.profile()?;
    let mut words = vec![
        "-p".to_string(),
        global.profile.clone(),
        "git-credential".into(),
        "--host".into(),
        remote.host,
    ];
    if username != DEFAULT_GIT_USERNAME {
        words.extend(["--username".into(), username.to_string()]);
    }
    if login {
        words.push("--login".into());
    }
    words.extend(fresh_words(&fresh_settings(fresh.clone()))?);
    Ok(GitSetup {
        url: remote.url,
        helper_args: words,
        global_config,
    })
}

/// The token flags a helper line repeats (git's `setup`, a kubeconfig entry), so the
/// helper asks for the same token the command that printed it was given; defaults left
/// out. Each is one `--flag=VALUE` word, so a value that starts with `-` stays a value
/// when the line is run. Values are printable ASCII (scopes, URIs and names are): the
/// line is pasted into files other programs parse, and kubectl's YAML reader refuses
/// some characters that JSON and a terminal let pass.
fn fresh_words(fresh: &FreshSettings) -> Result<Vec<String>> {
    let FreshSettings {
        min_ttl,
        scope,
        resource,
        audience,
        strict,
    } = fresh;
    let mut words = Vec::new();
    if *min_ttl != DEFAULT_MIN_TTL {
        words.push(format!("--min-ttl={min_ttl}"));
    }
    for (flag, value) in [
        ("--scope", scope),
        ("--resource", resource),
        ("--audience", audience),
    ] {
        let Some(value) = value else { continue };
        if !value.chars().all(|c| matches!(c, ' '..='~')) {
            return Err(Error::Usage {
                message: format!(
                    "{flag} '{}' has characters a helper line cannot carry (printable ASCII only)",
                    crate::sanitize::foreign(value, 200)
                ),
                hint: Some(format!(
                    "{flag} takes a URI or a name, e.g. {flag}=https://api.example.com"
                )),
            });
        }
        words.push(format!("{flag}={value}"));
    }
    if *strict {
        words.push("--strict".into());
    }
    Ok(words)
}

/// U+FDD0..U+FDEF and the last two code points of every plane: never text, and
/// refused by YAML readers.
fn is_noncharacter(c: char) -> bool {
    let c = c as u32;
    (0xfdd0..=0xfdef).contains(&c) || c & 0xfffe == 0xfffe
}

pub fn kube(args: KubeCredentialArgs, global: Global) -> Result<Command> {
    let KubeCredentialArgs {
        token_type,
        login,
        print_kubeconfig_user,
        fresh,
    } = args;
    let (kind, fresh) = kind_and_fresh(token_type, fresh).map_err(Error::one_line)?;
    let profile = global.profile().map_err(Error::one_line)?;
    if let Some(user) = print_kubeconfig_user {
        // The name is quoted in the YAML; a line break or other control character in
        // it is a mistake, not a name, and so are the characters that hide text and
        // the noncharacters kubectl's YAML reader refuses.
        let odd =
            |c: char| c.is_control() || crate::sanitize::hides_or_reorders(c) || is_noncharacter(c);
        if user.is_empty() || user.contains(odd) {
            return Err(Error::Usage {
                message:
                    "--print-kubeconfig-user takes a name on one line, without control or invisible characters"
                        .into(),
                hint: Some(crate::profile_name::command(
                    &profile.name,
                    "kube-credential --print-kubeconfig-user work-oidc",
                )),
            }
            .one_line());
        }
        return Ok(Command::KubeconfigUser(KubeconfigUserSettings {
            profile: profile.name,
            user,
            kind,
            login,
            fresh: fresh_words(&fresh).map_err(Error::one_line)?,
        }));
    }
    let (api_version, interactive) = match env::var(env::KUBERNETES_EXEC_INFO) {
        Some(text) => exec_info(&text).map_err(Error::one_line)?,
        None => (DEFAULT_KUBE_API_VERSION.to_string(), false),
    };
    let login = stored_login(login, &global)?;
    Ok(Command::KubeCredential(KubeCredentialSettings {
        global,
        profile,
        fresh,
        kind,
        api_version,
        interactive,
        login,
    }))
}

/// `--login`: the stored profile's own login, as `octoken login -p NAME` would run it.
fn stored_login(wanted: bool, global: &Global) -> Result<Option<Box<LoginSettings>>> {
    if !wanted {
        return Ok(None);
    }
    let settings = login::for_stored_profile(global.clone()).map_err(Error::one_line)?;
    Ok(Some(Box::new(settings)))
}

/// The `apiVersion` and `spec.interactive` of kubectl's ExecCredential request.
pub fn exec_info(text: &str) -> Result<(String, bool)> {
    let invalid = |why: &str| Error::Config {
        message: format!(
            "{} is not an ExecCredential: {why}",
            env::KUBERNETES_EXEC_INFO
        ),
        hint: Some("run octoken from kubectl's exec credential plugin settings".into()),
    };
    if text.len() > MAX_EXEC_INFO {
        return Err(invalid("it is too large"));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| invalid("it is not JSON"))?;
    let api_version = value
        .get("apiVersion")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| invalid("it has no apiVersion"))?;
    if !KUBE_API_VERSIONS.contains(&api_version) {
        return Err(Error::Config {
            message: format!(
                "kubectl asked for ExecCredential {}, which octoken does not speak",
                crate::sanitize::foreign(api_version, 100)
            ),
            hint: Some(format!(
                "set apiVersion: {DEFAULT_KUBE_API_VERSION} in the kubeconfig's exec section"
            )),
        });
    }
    let interactive = value
        .pointer("/spec/interactive")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    Ok((api_version.to_string(), interactive))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A helper line carries each token flag as one word, so a value that starts with
    /// `-` is not read as another flag when git or kubectl runs the line; characters a
    /// kubeconfig or terminal would change are refused.
    #[test]
    fn helper_lines_carry_each_token_flag_as_one_word_of_printable_ascii() {
        let fresh = FreshSettings {
            min_ttl: 300,
            scope: Some("--strict".into()),
            resource: None,
            audience: Some("-p other".into()),
            strict: true,
        };
        assert_eq!(
            fresh_words(&fresh).unwrap(),
            [
                "--min-ttl=300",
                "--scope=--strict",
                "--audience=-p other",
                "--strict"
            ]
        );
        for odd in ["x\u{e0041}y", "x\u{ffff}", "caf\u{e9}", "a\nb"] {
            let fresh = FreshSettings {
                audience: Some(odd.into()),
                ..fresh.clone()
            };
            let err = fresh_words(&fresh).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{odd:?}");
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    #[test]
    fn exec_info_gives_the_version_and_whether_a_person_is_there() {
        let v1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}"#;
        assert_eq!(
            exec_info(v1).unwrap(),
            ("client.authentication.k8s.io/v1".to_string(), true)
        );
        let beta = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}"#;
        assert_eq!(
            exec_info(beta).unwrap(),
            ("client.authentication.k8s.io/v1beta1".to_string(), false)
        );
        for bad in [
            "",
            "[]",
            r#"{"apiVersion":"client.authentication.k8s.io/v2"}"#,
        ] {
            assert_eq!(exec_info(bad).unwrap_err().exit_code(), 3, "{bad}");
        }
    }

    #[test]
    fn an_unknown_api_version_is_shown_inert() {
        let info = r#"{"apiVersion":"v9\u001b]0;owned\u0007\u009b31m"}"#;
        let err = exec_info(info).unwrap_err().to_string();
        assert!(err.contains("ExecCredential v9"), "{err}");
        assert!(!err.contains(|c: char| c.is_control()), "{err:?}");
    }
}
