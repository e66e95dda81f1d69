//! `octoken kube-credential`: a kubectl exec credential plugin (client-go's
//! ExecCredential, `client.authentication.k8s.io/v1` and `v1beta1`). The answer repeats
//! the `apiVersion` kubectl sent in KUBERNETES_EXEC_INFO and carries `status.token` and
//! `status.expirationTimestamp` (RFC 3339), so kubectl runs octoken again only when the
//! token is about to expire. The token is the ID token (what an API server's OIDC
//! authenticator checks) unless `--type access`.
//!
//! Never interactive unless kubectl says a person is there (`spec.interactive`) and
//! `--login` was given; otherwise a needed login is one stderr line and a non-zero exit.

use crate::error::{Error, Result};
use crate::flow;
use crate::output;
use crate::profile_name;
use crate::sanitize;
use crate::secret::Secret;
use crate::session::Session;
use crate::settings::{KubeCredentialSettings, KubeconfigUserSettings, TokenKind};

pub fn run(settings: KubeCredentialSettings) -> Result<()> {
    let api_version = settings.api_version.clone();
    let (token, expires_at) = fresh_token(settings).map_err(Error::one_line)?;
    output::stdout(&exec_credential(&api_version, &token, expires_at))
        .map_err(|e| Error::other(format!("cannot write to kubectl: {e}")))
}

fn fresh_token(settings: KubeCredentialSettings) -> Result<(Secret, Option<u64>)> {
    let KubeCredentialSettings {
        global,
        profile,
        fresh,
        kind,
        interactive,
        login,
        ..
    } = settings;
    let get = || -> Result<(Secret, Option<u64>)> {
        let session = Session::open(&profile, global.now);
        match kind {
            TokenKind::Access => {
                let token = session.fresh_token(&fresh)?;
                Ok((token.access_token, token.expires_at))
            }
            TokenKind::Id => {
                let token = session.fresh_id_token_for(fresh.min_ttl, fresh.audience.as_deref())?;
                Ok((token.id_token, Some(token.expires_at)))
            }
        }
    };
    match get() {
        Err(Error::LoginRequired { .. }) if interactive && login.is_some() => {
            output::tell(format!(
                "octoken: kubectl needs a login for profile '{}'; signing in",
                profile.name
            ));
            flow::login::run(*login.expect("checked above"))?;
            get()
        }
        other => other,
    }
}

/// The ExecCredential kubectl reads (the same shape in v1, v1beta1 and v1alpha1).
pub fn exec_credential(api_version: &str, token: &Secret, expires_at: Option<u64>) -> String {
    let mut status = serde_json::json!({ "token": token.expose() });
    if let Some(at) = expires_at {
        status["expirationTimestamp"] = output::rfc3339(at).into();
    }
    let value = serde_json::json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "status": status,
    });
    format!("{value}\n")
}

/// `--print-kubeconfig-user NAME`: the `users:` entry to paste into a kubeconfig.
pub fn print_user(settings: &KubeconfigUserSettings) -> Result<()> {
    output::stdout(&kubeconfig_user(settings))
        .map_err(|e| Error::other(format!("cannot write: {e}")))
}

/// The entry as YAML. Every string is a JSON string, which YAML reads as a
/// double-quoted scalar, so no name can end its line or start a key; settings refused
/// control characters in the name, and what else could reorder a terminal is escaped.
fn kubeconfig_user(settings: &KubeconfigUserSettings) -> String {
    let quoted = |text: &str| sanitize::json_inert(serde_json::Value::from(text).to_string());
    let mut args = Vec::new();
    if settings.profile != profile_name::DEFAULT {
        args.extend(["-p", settings.profile.as_str()]);
    }
    args.push("kube-credential");
    if settings.kind == TokenKind::Access {
        args.extend(["--type", "access"]);
    }
    if settings.login {
        args.push("--login");
    }
    args.extend(settings.fresh.iter().map(String::as_str));
    let args: Vec<String> = args.iter().map(|a| quoted(a)).collect();
    // kubectl tells the plugin a person is there only if the entry allows asking.
    let interactive = if settings.login {
        "IfAvailable"
    } else {
        "Never"
    };
    format!(
        "users:\n\
         - name: {user}\n  \
           user:\n    \
             exec:\n      \
               apiVersion: client.authentication.k8s.io/v1\n      \
               command: octoken\n      \
               args: [{args}]\n      \
               interactiveMode: {interactive}\n      \
               provideClusterInfo: false\n",
        user = quoted(&settings.user),
        args = args.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_repeats_kubectls_api_version() {
        for version in [
            "client.authentication.k8s.io/v1",
            "client.authentication.k8s.io/v1beta1",
        ] {
            let text = exec_credential(version, &Secret::new("tok"), Some(1_700_000_000));
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                value,
                serde_json::json!({
                    "apiVersion": version,
                    "kind": "ExecCredential",
                    "status": {"token": "tok", "expirationTimestamp": "2023-11-14T22:13:20Z"},
                })
            );
        }
    }

    #[test]
    fn the_kubeconfig_entry_names_the_profile() {
        let text = kubeconfig_user(&KubeconfigUserSettings {
            profile: "work".into(),
            user: "work-oidc".into(),
            kind: TokenKind::Access,
            login: false,
            fresh: Vec::new(),
        });
        assert!(text.contains("- name: \"work-oidc\"\n"), "{text}");
        assert!(
            text.contains(r#"args: ["-p", "work", "kube-credential", "--type", "access"]"#),
            "{text}"
        );
        assert!(text.contains("interactiveMode: Never\n"), "{text}");
    }

    /// The entry asks for the token the command was given: `--audience`, `--scope` and
    /// the rest repeated, and `--login` with kubectl allowed to say a person is there.
    #[test]
    fn the_kubeconfig_entry_repeats_the_token_flags_and_the_login() {
        let text = kubeconfig_user(&KubeconfigUserSettings {
            profile: "default".into(),
            user: "u".into(),
            kind: TokenKind::Id,
            login: true,
            fresh: ["--audience=https://kube.example", "--strict"]
                .map(String::from)
                .to_vec(),
        });
        assert!(
            text.contains(
                r#"args: ["kube-credential", "--login", "--audience=https://kube.example", "--strict"]"#
            ),
            "{text}"
        );
        assert!(text.contains("interactiveMode: IfAvailable\n"), "{text}");
    }

    #[test]
    fn a_name_yaml_would_read_as_syntax_stays_one_quoted_string() {
        let text = kubeconfig_user(&KubeconfigUserSettings {
            profile: "default".into(),
            user: "a: b #c\", \"d\u{202e}".into(),
            kind: TokenKind::Id,
            login: false,
            fresh: Vec::new(),
        });
        assert!(
            text.contains("- name: \"a: b #c\\\", \\\"d\\u202e\"\n"),
            "{text}"
        );
        assert!(text.contains(r#"args: ["kube-credential"]"#), "{text}");
        assert_eq!(text.lines().count(), 9, "{text}");
    }
}
