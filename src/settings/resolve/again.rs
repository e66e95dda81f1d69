//! The `octoken login ...` a hint tells the user to run again after a sign-in that did
//! not finish (a timeout, a refusal, an unreachable server). Nothing was saved then, so
//! `octoken login -p NAME` alone would start over without the flags that made the
//! attempt: for a new profile it fails at once ("--client-id is required"). The
//! command repeats every flag given, each value quoted for a POSIX shell, except
//! `--timeout` (the hints offer it themselves). No secret is ever a flag: a secret
//! file's path is repeated, OCTOKEN_CLIENT_SECRET stays in the environment.

use crate::cli::LoginArgs;
use clap::ValueEnum;

/// The login command line that repeats this attempt, as one string for a hint.
pub fn login_again(profile: &str, args: &LoginArgs) -> String {
    // Exhaustive, like `resolve`: a new flag does not compile until it is decided here.
    let LoginArgs {
        issuer,
        client_id,
        auth_method,
        scope,
        store,
        ca_file,
        client_secret_file,
        client_key_file,
        client_key_id,
        client_key_alg,
        client_key_aud,
        client_cert,
        resource,
        audience,
        refresh_token_stdin,
        token_url,
        auth_url,
        revocation_url,
        device_url,
        jwks_url,
        allow_insecure_http,
        proxy,
        grant,
        device,
        redirect_uri,
        browser,
        no_browser,
        timeout: _,
        prompt_consent,
        dpop,
        dpop_alg,
        dpop_key_file,
        redis_url,
        redis_password_file,
        namespace,
        attach,
        store_key_file,
        redis_lease,
        redis_timeout,
        redis_wait_replicas,
        ci,
        sign_in,
        registries,
    } = args;
    let mut words = vec![crate::profile_name::login_command(profile)];
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            words.push(format!("--{name} {}", shell_word(&value)));
        }
    };
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    flag("issuer", issuer.clone());
    flag("token-url", token_url.clone());
    flag("auth-url", auth_url.clone());
    flag("revocation-url", revocation_url.clone());
    flag("device-url", device_url.clone());
    flag("jwks-url", jwks_url.clone());
    flag("client-id", client_id.clone());
    flag("auth-method", auth_method.as_ref().and_then(choice));
    flag("client-secret-file", path(client_secret_file));
    flag("client-key-file", path(client_key_file));
    flag("client-key-id", client_key_id.clone());
    flag("client-key-alg", client_key_alg.clone());
    flag("client-key-aud", client_key_aud.as_ref().and_then(choice));
    flag("client-cert", path(client_cert));
    flag("scope", scope.clone());
    for uri in resource {
        flag("resource", Some(uri.clone()));
    }
    flag("audience", audience.clone());
    for host in registries {
        flag("registry", Some(host.clone()));
    }
    flag("store", store.as_ref().and_then(choice));
    flag("ca-file", path(ca_file));
    flag("proxy", proxy.clone());
    if *grant != crate::cli::GrantArg::AuthorizationCode {
        flag("grant", choice(grant));
    }
    flag("redirect-uri", redirect_uri.clone());
    flag("browser", browser.clone());
    flag("prompt-consent", prompt_consent.map(|b| b.to_string()));
    flag("dpop-alg", dpop_alg.as_ref().and_then(choice));
    flag("dpop-key-file", path(dpop_key_file));
    flag("redis-url", redis_url.clone());
    flag("redis-password-file", path(redis_password_file));
    flag("namespace", namespace.clone());
    flag("store-key-file", path(store_key_file));
    flag("redis-lease", redis_lease.map(|n| n.to_string()));
    flag("redis-timeout", redis_timeout.map(|n| n.to_string()));
    flag(
        "redis-wait-replicas",
        redis_wait_replicas.map(|n| n.to_string()),
    );
    let crate::cli::SignInArgs {
        acr_values,
        max_age,
        acr_optional,
        login_hint,
        prompt,
        ui_locales,
        claims,
        auth_param,
        par,
        request_object,
    } = sign_in;
    flag("acr-values", acr_values.clone());
    flag("max-age", max_age.clone());
    flag("acr-optional", acr_optional.map(|b| b.to_string()));
    flag("login-hint", login_hint.clone());
    flag("prompt", prompt.clone());
    flag("ui-locales", ui_locales.clone());
    flag("claims", claims.clone());
    for param in auth_param {
        flag("auth-param", Some(param.clone()));
    }
    flag("par", par.map(|b| b.to_string()));
    flag("request-object", request_object.map(|b| b.to_string()));
    super::login_assertion::again_flags(ci, &mut flag);
    for (given, name) in [
        (*allow_insecure_http, "--allow-insecure-http"),
        (*dpop && dpop_alg.is_none(), "--dpop"),
        (*device, "--device"),
        (*no_browser, "--no-browser"),
        (*refresh_token_stdin, "--refresh-token-stdin"),
        (*attach, "--attach"),
    ] {
        if given {
            words.push(name.to_string());
        }
    }
    words.join(" ")
}

/// A value-enum flag's value as typed on the command line.
fn choice(value: &impl ValueEnum) -> Option<String> {
    value.to_possible_value().map(|v| v.get_name().to_string())
}

/// `value` as one word of a POSIX shell: as is when it holds only characters no shell
/// treats specially, else in single quotes (a quote inside as `'\''`).
pub fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn again(line: &[&str]) -> String {
        let cli = Cli::try_parse_from(line).unwrap();
        let crate::cli::Command::Login(args) = cli.command else {
            panic!("a login")
        };
        login_again(&cli.global.profile, &args)
    }

    #[test]
    fn a_new_profiles_flags_are_repeated_without_the_timeout() {
        assert_eq!(
            again(&[
                "octoken",
                "-p",
                "t3",
                "login",
                "--issuer",
                "https://id.example.com/r",
                "--client-id",
                "cli",
                "--store",
                "file",
                "--timeout",
                "1",
                "--scope",
                "openid read",
                "--client-secret-file",
                "my secret's.txt",
                "--device",
            ]),
            "octoken login -p t3 --issuer https://id.example.com/r --client-id cli \
             --client-secret-file 'my secret'\\''s.txt' --scope 'openid read' --store file --device"
        );
        assert_eq!(again(&["octoken", "login"]), "octoken login");
        assert_eq!(
            again(&[
                "octoken",
                "login",
                "--auth-method",
                "post",
                "--grant",
                "client-credentials"
            ]),
            "octoken login --auth-method post --grant client-credentials"
        );
    }

    #[test]
    fn words_are_quoted_only_when_a_shell_would_change_them() {
        assert_eq!(
            shell_word("https://x.example/a?b=1"),
            "'https://x.example/a?b=1'"
        );
        assert_eq!(shell_word("a-b_c.d/e:f@g"), "a-b_c.d/e:f@g");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME `x`"), "'$HOME `x`'");
    }
}
