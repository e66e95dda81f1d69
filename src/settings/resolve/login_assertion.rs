//! `login`'s CI and workload identity flags (docs/ci.md) resolved: the sources of the
//! JWT bearer assertion, token exchange's subject and actor tokens, and a federated
//! client assertion. Each is checked here (a path made absolute, a command line that
//! splits, a variable name), nothing is read: the flow and the engine read them.

use crate::cli::AssertionArgs;
use crate::config::{AssertionSource, ExchangeProfile, Grant, Profile, StoreKind};
use crate::error::{Error, Result};
use crate::oauth::AuthMethod;
use crate::oauth::exchange;
use crate::settings::AssertionSettings;
use std::path::PathBuf;

/// Whether any client-assertion flag was given (it implies the method).
pub fn client_assertion_given(ci: &AssertionArgs) -> bool {
    ci.client_assertion_file.is_some()
        || ci.client_assertion_cmd.is_some()
        || ci.client_assertion_env.is_some()
}

pub fn resolve(
    ci: AssertionArgs,
    grant: Grant,
    auth_method: AuthMethod,
    store: StoreKind,
    prev: Option<&Profile>,
) -> Result<AssertionSettings> {
    let AssertionArgs {
        assertion_file,
        assertion_cmd,
        assertion_env,
        subject_token_file,
        subject_token_cmd,
        subject_token_env,
        subject_token_type,
        actor_token_file,
        actor_token_cmd,
        actor_token_env,
        actor_token_type,
        requested_token_type,
        client_assertion_file,
        client_assertion_cmd,
        client_assertion_env,
    } = ci;
    let assertion = source("assertion", assertion_file, assertion_cmd, assertion_env)?;
    let subject = source(
        "subject-token",
        subject_token_file,
        subject_token_cmd,
        subject_token_env,
    )?;
    let actor = source(
        "actor-token",
        actor_token_file,
        actor_token_cmd,
        actor_token_env,
    )?;
    let client_assertion = source(
        "client-assertion",
        client_assertion_file,
        client_assertion_cmd,
        client_assertion_env,
    )?;
    // The same grant's saved sources stay when none is given again.
    let same_grant = prev.filter(|p| p.grant == grant);
    let wrong = |flags: &str, goes_with: &str| Error::Usage {
        message: format!("{flags} go with {goes_with}"),
        hint: Some(format!("drop them, or pass {goes_with}")),
    };
    let typed = |flag: &str, given: Option<String>| -> Result<Option<String>> {
        given
            .map(|t| {
                exchange::token_type(&t).ok_or_else(|| Error::Usage {
                    message: format!(
                        "{flag} '{}' is neither a token type name nor a URI",
                        crate::sanitize::foreign(&t, 100)
                    ),
                    hint: Some(format!(
                        "use {flag} jwt, id_token, access_token, refresh_token or a urn:..."
                    )),
                })
            })
            .transpose()
    };
    if grant != Grant::TokenExchange
        && (subject_token_type.is_some()
            || actor_token_type.is_some()
            || requested_token_type.is_some())
    {
        return Err(wrong("the token type flags", "--grant token-exchange"));
    }
    let (assertion, exchange) = match grant {
        Grant::JwtBearer => {
            if subject.is_some() || actor.is_some() {
                return Err(wrong(
                    "--subject-token-* and --actor-token-*",
                    "--grant token-exchange",
                ));
            }
            let assertion = assertion
                .or_else(|| same_grant.and_then(|p| p.assertion.clone()))
                .ok_or_else(|| Error::Usage {
                    message:
                        "--grant jwt-bearer needs --assertion-file, --assertion-cmd or --assertion-env"
                            .into(),
                    hint: Some(
                        "e.g. --assertion-file /var/run/secrets/tokens/octoken (docs/ci.md)".into(),
                    ),
                })?;
            (Some(assertion), None)
        }
        Grant::TokenExchange => {
            if assertion.is_some() {
                return Err(wrong("--assertion-*", "--grant jwt-bearer"));
            }
            let old = same_grant.and_then(|p| p.exchange.clone());
            let subject = subject
                .or_else(|| same_grant.and_then(|p| p.assertion.clone()))
                .ok_or_else(|| Error::Usage {
                    message: "--grant token-exchange needs --subject-token-file, --subject-token-cmd or --subject-token-env".into(),
                    hint: Some("e.g. --subject-token-env CI_JOB_JWT (docs/ci.md)".into()),
                })?;
            let subject_token_type = typed("--subject-token-type", subject_token_type)?
                .or_else(|| old.as_ref().map(|o| o.subject_token_type.clone()))
                .unwrap_or_else(|| exchange::JWT_TYPE.to_string());
            let actor = actor.or_else(|| old.as_ref().and_then(|o| o.actor.clone()));
            let exchange = ExchangeProfile {
                subject_token_type,
                actor_token_type: typed("--actor-token-type", actor_token_type)?
                    .or_else(|| old.as_ref().and_then(|o| o.actor_token_type.clone()))
                    .filter(|_| actor.is_some()),
                actor,
                requested_token_type: typed("--requested-token-type", requested_token_type)?
                    .or_else(|| old.and_then(|o| o.requested_token_type)),
            };
            (Some(subject), Some(exchange))
        }
        Grant::RefreshToken | Grant::ClientCredentials => {
            if assertion.is_some() {
                return Err(wrong("--assertion-*", "--grant jwt-bearer"));
            }
            if subject.is_some() || actor.is_some() {
                return Err(wrong(
                    "--subject-token-* and --actor-token-*",
                    "--grant token-exchange",
                ));
            }
            (None, None)
        }
    };
    let client_assertion = match (auth_method, client_assertion) {
        (AuthMethod::ClientAssertion, Some(given)) => Some(given),
        (AuthMethod::ClientAssertion, None) => Some(
            prev.and_then(|p| p.client_assertion.clone())
                .ok_or_else(|| Error::Usage {
                    message: "--auth-method client-assertion needs --client-assertion-file, --client-assertion-cmd or --client-assertion-env".into(),
                    hint: Some(
                        "e.g. --client-assertion-file $AZURE_FEDERATED_TOKEN_FILE (docs/ci.md)".into(),
                    ),
                })?,
        ),
        (_, Some(_)) => {
            return Err(wrong(
                "--client-assertion-*",
                "--auth-method client-assertion",
            ));
        }
        (_, None) => None,
    };
    if store == StoreKind::Redis
        && (grant.reads_assertions() || auth_method == AuthMethod::ClientAssertion)
    {
        // Each host of a fleet would read its own assertion; nothing to share yet.
        return Err(Error::Usage {
            message: "assertion-based logins (--grant jwt-bearer, token-exchange, --auth-method client-assertion) cannot use --store redis".into(),
            hint: Some("use --store file on each host: each reads its own assertion".into()),
        });
    }
    Ok(AssertionSettings {
        assertion,
        exchange,
        client_assertion,
    })
}

/// One of a source's three flags, checked.
fn source(
    flag: &str,
    file: Option<PathBuf>,
    cmd: Option<String>,
    var: Option<String>,
) -> Result<Option<AssertionSource>> {
    if let Some(path) = file {
        let path = std::path::absolute(&path).map_err(|e| Error::Usage {
            message: format!("--{flag}-file: {e}"),
            hint: Some(format!("give --{flag}-file the token file's path")),
        })?;
        return Ok(Some(AssertionSource::File(path)));
    }
    if let Some(line) = cmd {
        if crate::assertion::words(&line).is_none() {
            return Err(Error::Usage {
                message: format!("--{flag}-cmd is empty or has an unclosed quote"),
                hint: Some(format!(
                    "quote it as in a POSIX shell: --{flag}-cmd \"sh -c 'ci-token | jq -r .value'\""
                )),
            });
        }
        return Ok(Some(AssertionSource::Cmd(line)));
    }
    if let Some(name) = var {
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            // Not quoted back: a token pasted where its variable's name belongs is a secret.
            return Err(Error::Usage {
                message: format!(
                    "--{flag}-env takes a variable name (letters, digits, _), and what was given ({} characters) is not one",
                    name.chars().count()
                ),
                hint: Some(format!(
                    "give the variable's name, not its value: --{flag}-env ID_TOKEN"
                )),
            });
        }
        return Ok(Some(AssertionSource::Env(name)));
    }
    Ok(None)
}

/// The flags `again` repeats (sources and types are not secrets).
pub fn again_flags(ci: &AssertionArgs, flag: &mut dyn FnMut(&str, Option<String>)) {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    flag("assertion-file", path(&ci.assertion_file));
    flag("assertion-cmd", ci.assertion_cmd.clone());
    flag("assertion-env", ci.assertion_env.clone());
    flag("subject-token-file", path(&ci.subject_token_file));
    flag("subject-token-cmd", ci.subject_token_cmd.clone());
    flag("subject-token-env", ci.subject_token_env.clone());
    flag("subject-token-type", ci.subject_token_type.clone());
    flag("actor-token-file", path(&ci.actor_token_file));
    flag("actor-token-cmd", ci.actor_token_cmd.clone());
    flag("actor-token-env", ci.actor_token_env.clone());
    flag("actor-token-type", ci.actor_token_type.clone());
    flag("requested-token-type", ci.requested_token_type.clone());
    flag("client-assertion-file", path(&ci.client_assertion_file));
    flag("client-assertion-cmd", ci.client_assertion_cmd.clone());
    flag("client-assertion-env", ci.client_assertion_env.clone());
}
