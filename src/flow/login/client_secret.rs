//! The client's secret at login: where it comes from, and whether a client given
//! without one is public at all. A confidential client that went ahead as public would
//! fail only after the whole browser sign-in, at the code exchange; asking the token
//! endpoint first finds that out before anyone waits.

use crate::error::{Error, Result};
use crate::network::Network;
use crate::oauth::pkce::random_token;
use crate::oauth::{AuthMethod, ClientAuth, grant};
use crate::output;
use crate::secret::Secret;
use crate::settings::{ClientSecretSource, LoginSettings, ProfileSettings};
use crate::store;

/// A client given without a secret or a method (`ClientSecretSource::IfConfidential`):
/// None if the provider takes it as a public client, or cannot tell; else the method
/// and secret it takes. The secret comes from a no-echo prompt on the terminal, never
/// from argv; without a terminal this is an error naming the ways to give it.
pub fn unless_public(
    network: &Network,
    token_url: &str,
    login: &LoginSettings,
) -> Result<Option<(AuthMethod, Secret)>> {
    let client_id = &login.client_id;
    let public = client(client_id, AuthMethod::None, None);
    let refusal = match probe(network, token_url, &public) {
        Probe::Refused(refusal) => refusal,
        Probe::Accepted | Probe::Unknown => return Ok(None),
    };
    let why =
        format!("the provider does not take client '{client_id}' as a public client ({refusal})");
    if !output::stderr_is_terminal() {
        return Err(Error::Usage {
            message: format!("{why}, and no client secret was given"),
            hint: Some(format!(
                "give the client's secret: {}=... or --client-secret-file PATH (never on the command line); or check --client-id",
                crate::env::OCTOKEN_CLIENT_SECRET
            )),
        });
    }
    output::tell(format!(
        "octoken: {why}.\nEnter its secret (press Ctrl-C if the client id is wrong)."
    ));
    let secret = non_empty(prompt()?)?;
    // Which of the two secret methods it takes, and whether the secret is right: the
    // same question again, with the secret (RFC 6749 2.3.1: basic first).
    let mut last = String::new();
    for method in [AuthMethod::Basic, AuthMethod::Post] {
        match probe(
            network,
            token_url,
            &client(client_id, method, Some(secret.clone())),
        ) {
            Probe::Refused(refusal) => last = refusal,
            Probe::Accepted | Probe::Unknown => {
                output::debug(
                    1,
                    format!(
                        "client '{client_id}' authenticates with {}",
                        method.as_str()
                    ),
                );
                return Ok(Some((method, secret)));
            }
        }
    }
    Err(Error::Config {
        message: format!(
            "the provider refused client '{client_id}' with the secret given ({last})"
        ),
        hint: Some("check the secret the provider shows for this client".into()),
    })
}

fn client(client_id: &str, method: AuthMethod, secret: Option<Secret>) -> ClientAuth {
    ClientAuth {
        client_id: client_id.to_string(),
        method,
        secret,
        dpop: None,
        assertion: None,
    }
}

enum Probe {
    /// The client authenticated; only the made-up code was wrong.
    Accepted,
    /// RFC 6749 5.2 invalid_client or unauthorized_client, as the server put it.
    Refused(String),
    /// Anything else (unreachable, DPoP or other demands): the sign-in will tell.
    Unknown,
}

/// Asks the token endpoint to exchange a made-up authorization code as `client`.
/// Servers check the client before the code (RFC 6749 5.2 orders the errors so), so
/// the answer says whether the client may come like this, and nothing is granted.
fn probe(network: &Network, token_url: &str, client: &ClientAuth) -> Probe {
    let code = Secret::new(format!("octoken-probe-{}", random_token().expose()));
    let request = grant::code_request(
        token_url,
        client,
        &code,
        "http://127.0.0.1/octoken-probe",
        &random_token(),
    );
    output::debug(
        1,
        format!(
            "asking the token endpoint whether it takes client '{}' with {} (a made-up code)",
            client.client_id,
            client.method.as_str()
        ),
    );
    let answer = network
        .post(&request)
        .and_then(|response| grant::parse_token_response(&response, 0).map(|_| ()));
    match answer {
        Err(e)
            if matches!(
                e.server_code(),
                Some("invalid_client" | "unauthorized_client")
            ) =>
        {
            Probe::Refused(e.to_string())
        }
        Err(e) if e.server_code() == Some("invalid_grant") => Probe::Accepted,
        Err(e) => {
            output::debug(1, format!("no answer about the client: {e}"));
            Probe::Unknown
        }
        Ok(()) => Probe::Accepted,
    }
}

/// The secret typed on the terminal without echo. rpassword reads the terminal itself,
/// so this works with stdin piped too.
fn prompt() -> Result<String> {
    Ok(rpassword::prompt_password("Client secret: ")
        .map_err(|e| Error::usage(format!("cannot read the client secret: {e}")))?
        .trim()
        .to_string())
}

/// The client secret: env, file, the one already stored for this profile, or a prompt
/// (when a confidential method was asked for explicitly, or the profile saved this
/// client as confidential). Never an empty one. A client that may be public has none
/// yet: see [`unless_public`].
pub fn client_secret(login: &LoginSettings) -> Result<Option<Secret>> {
    let secret = match &login.client_secret {
        ClientSecretSource::None | ClientSecretSource::IfConfidential => return Ok(None),
        ClientSecretSource::Env(secret) => secret.expose().trim().to_string(),
        ClientSecretSource::File(path) => read_secret_file(path)?,
        ClientSecretSource::Stored { may_prompt } => {
            if let Some(prev) = &login.previous
                && prev.client_id == login.client_id
            {
                let settings =
                    ProfileSettings::from_profile(&login.global.profile, prev, &login.global)?;
                // A store that cannot be read is an error, not "no secret stored".
                if let Some(stored) = store::open(&settings.name, &settings.store).load()?
                    && stored.client_secret.is_some()
                {
                    return Ok(stored.client_secret);
                }
            }
            if !*may_prompt || !output::stderr_is_terminal() {
                return Err(Error::Usage {
                    message: format!(
                        "client '{}' uses --auth-method {} and needs a client secret",
                        login.client_id,
                        login.auth_method.as_str()
                    ),
                    hint: Some(format!(
                        "set {} or pass --client-secret-file PATH (never on the command line); a public client needs --auth-method none",
                        crate::env::OCTOKEN_CLIENT_SECRET
                    )),
                });
            }
            prompt()?
        }
    };
    non_empty(secret).map(Some)
}

fn non_empty(secret: String) -> Result<Secret> {
    if secret.is_empty() {
        return Err(Error::Usage {
            message: "the client secret is empty".into(),
            hint: Some(
                "give the secret the provider shows for this client, or use --auth-method none for a public client"
                    .into(),
            ),
        });
    }
    Ok(Secret::new(secret))
}

fn read_secret_file(path: &std::path::Path) -> Result<String> {
    // Through the one opener for files the user names: no FIFO, a size cap, and refused
    // when another user could change it.
    let (bytes, readable_by_others) =
        crate::fsutil::read_user_file(path).map_err(|e| Error::Usage {
            message: format!("cannot use the client secret file {}: {e}", path.display()),
            hint: Some("pass a file that holds only the client secret".into()),
        })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Usage {
        message: format!(
            "the client secret file {} is not UTF-8 text",
            path.display()
        ),
        hint: Some("pass a file that holds only the client secret".into()),
    })?;
    // Read anyway (a mounted secret is often 0644), but say so: others can copy it.
    if let Some(mode) = readable_by_others {
        output::warn(format!(
            "{} has permissions {mode:03o}: other users can read the client secret \
             (`chmod 600` it)",
            path.display()
        ));
    }
    Ok(text.trim().to_string())
}
