//! `login`'s additions to the authorization request (`--acr-values`, `--max-age`,
//! `--login-hint`, `--prompt`, `--ui-locales`, `--claims`, `--auth-param`, `--par`,
//! `--request-object`, `--acr-optional`), merged over what the profile saved: a flag
//! given replaces the saved value, an empty one removes it, none keeps it.

use crate::cli::SignInArgs;
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::oauth::AuthMethod;
use crate::oauth::sign_in::{SignInOptions, auth_param};
use crate::sanitize;

/// The `prompt` values of OIDC Core 3.1.2.1.
const PROMPTS: &[&str] = &["none", "login", "consent", "select_account", "create"];

/// The longest `max_age` taken: a year (a larger one asks for nothing).
const MAX_MAX_AGE: u64 = 366 * 86_400;

pub fn sign_in(
    args: SignInArgs,
    prev: Option<&Profile>,
    auth_method: AuthMethod,
) -> Result<SignInOptions> {
    let SignInArgs {
        acr_values,
        max_age,
        acr_optional,
        login_hint,
        prompt,
        ui_locales,
        claims,
        auth_param: auth_params,
        par,
        request_object,
    } = args;
    let saved = prev.map(|p| p.sign_in.clone()).unwrap_or_default();
    // Given: the value, or nothing when empty. Not given: the saved value.
    let text = |given: Option<String>, saved: Option<String>| match given {
        Some(value) if value.trim().is_empty() => None,
        Some(value) => Some(value.trim().to_string()),
        None => saved,
    };
    let max_age = match max_age {
        Some(value) if value.trim().is_empty() => None,
        Some(value) => Some(
            value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|secs| *secs <= MAX_MAX_AGE)
                .ok_or_else(|| Error::Usage {
                    message: format!(
                        "--max-age '{}' is not a number of seconds",
                        sanitize::foreign(&value, 40)
                    ),
                    hint: Some(format!(
                        "give seconds from 0 to {MAX_MAX_AGE}, e.g. --max-age 300"
                    )),
                })?,
        ),
        None => saved.max_age,
    };
    let prompt = text(prompt, saved.prompt);
    if let Some(prompt) = &prompt
        && let Some(word) = prompt.split_whitespace().find(|w| !PROMPTS.contains(w))
    {
        return Err(Error::Usage {
            message: format!(
                "--prompt '{}' is not a prompt value",
                sanitize::foreign(word, 40)
            ),
            hint: Some(
                "use login, consent, select_account or none (several space-separated)".into(),
            ),
        });
    }
    let claims = text(claims, saved.claims);
    if let Some(json) = &claims
        && !matches!(
            serde_json::from_str::<serde_json::Value>(json),
            Ok(serde_json::Value::Object(_))
        )
    {
        return Err(Error::Usage {
            message: "--claims is not a JSON object".into(),
            hint: Some(
                r#"e.g. --claims '{"id_token":{"acr":{"essential":true,"values":["gold"]}}}'"#
                    .into(),
            ),
        });
    }
    let auth_params = if auth_params.is_empty() {
        saved.auth_params
    } else {
        let mut kept = Vec::new();
        for given in auth_params.iter().filter(|p| !p.is_empty()) {
            let (name, value) = auth_param(given).map_err(|why| Error::Usage {
                message: format!("--auth-param {why}"),
                hint: Some(
                    "give other parameters as --auth-param NAME=VALUE; octoken sets state, nonce, \
                     PKCE, redirect_uri, client_id, response_type and request(_uri) itself"
                        .into(),
                ),
            })?;
            kept.push(format!("{name}={value}"));
        }
        kept
    };
    let request_object = request_object.unwrap_or(saved.request_object);
    if request_object && auth_method != AuthMethod::PrivateKeyJwt {
        return Err(Error::Usage {
            message: format!(
                "--request-object signs the request with the client's key, and this client authenticates with {}",
                auth_method.as_str()
            ),
            hint: Some(
                "use --auth-method private-key-jwt --client-key-file PEM, or --request-object false"
                    .into(),
            ),
        });
    }
    Ok(SignInOptions {
        acr_values: text(acr_values, saved.acr_values),
        max_age,
        login_hint: text(login_hint, saved.login_hint),
        prompt,
        ui_locales: text(ui_locales, saved.ui_locales),
        claims,
        auth_params,
        acr_optional: acr_optional.unwrap_or(saved.acr_optional),
        par: par.unwrap_or(saved.par),
        request_object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved() -> Profile {
        let text = r#"
[profiles.default]
client_id = "cli"
auth_method = "none"
scope = "openid"
store = "file"
token_url = "https://id.example.com/token"

[profiles.default.sign_in]
acr_values = "gold"
login_hint = "alice"
auth_params = ["kc_idp_hint=corp"]
par = true
"#;
        let config = crate::config::Config::parse(text, std::path::Path::new("c")).unwrap();
        config.profiles["default"].clone()
    }

    #[test]
    fn given_flags_replace_empty_ones_remove_and_the_rest_is_kept() {
        let prev = saved();
        let kept = sign_in(SignInArgs::default(), Some(&prev), AuthMethod::None).unwrap();
        assert_eq!(kept, prev.sign_in);
        let args = SignInArgs {
            acr_values: Some(String::new()),
            login_hint: Some(" bob ".into()),
            auth_param: vec!["domain_hint=example.com".into()],
            par: Some(false),
            max_age: Some("0".into()),
            ..SignInArgs::default()
        };
        let merged = sign_in(args, Some(&prev), AuthMethod::None).unwrap();
        assert_eq!(merged.acr_values, None);
        assert_eq!(merged.login_hint.as_deref(), Some("bob"));
        assert_eq!(merged.auth_params, ["domain_hint=example.com"]);
        assert!(!merged.par);
        assert_eq!(merged.max_age, Some(0));
        let cleared = SignInArgs {
            auth_param: vec![String::new()],
            ..SignInArgs::default()
        };
        let merged = sign_in(cleared, Some(&prev), AuthMethod::None).unwrap();
        assert!(merged.auth_params.is_empty());
    }
}
