//! Device sign-in (RFC 8628): show a code and a URL, poll until the user approves.

use crate::error::{Error, Result};
use crate::network::Network;
use crate::oauth::device::{self, DeviceAuthorization};
use crate::oauth::grant::{self, TokenResponse};
use crate::oauth::sign_in::SignInOptions;
use crate::oauth::{ClientAuth, OAuthError};
use crate::output;
use crate::settings::ProfileSettings;
use std::time::{Duration, Instant};

/// RFC 8628 3.5: slow_down adds 5 seconds to the interval.
const SLOW_DOWN_STEP: u64 = 5;

pub fn sign_in(
    network: &Network,
    settings: &ProfileSettings,
    client: &ClientAuth,
    wait: &super::Wait<'_>,
    now: u64,
) -> Result<TokenResponse> {
    let super::Wait { timeout, again } = *wait;
    let profile = settings;
    let device_url = profile
        .endpoints
        .device
        .as_deref()
        .ok_or_else(|| Error::Config {
            message: "the provider has no device authorization endpoint".into(),
            hint: Some("give it with --device-url, or sign in with a browser".into()),
        })?;
    let mut request = device::device_request(device_url, client, &profile.scope);
    profile.ask_for_resources(&mut request);
    pass_sign_in_options(&mut request, &profile.sign_in);
    let response = network.post(&request)?;
    let auth = device::parse_device_response(&response)?;
    announce(&auth);

    let deadline = Instant::now() + timeout.min(Duration::from_secs(auth.expires_in));
    let mut interval = auth.interval;
    let mut spinner = crate::output::Spinner::new(format!(
        "waiting for approval of code {} at {}",
        auth.user_code, auth.verification_uri
    ));
    loop {
        let pause = Duration::from_secs(interval);
        if Instant::now() + pause > deadline {
            return Err(Error::LoginRequired {
                message: "the device sign-in was not approved in time".into(),
                hint: format!("run `{again}` again"),
            });
        }
        network.block_on(async {
            let wake = tokio::time::sleep(pause);
            tokio::pin!(wake);
            let mut ticks = tokio::time::interval(Duration::from_millis(120));
            loop {
                tokio::select! {
                    _ = &mut wake => return Ok(()),
                    _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted),
                    _ = ticks.tick() => spinner.tick(),
                }
            }
        })?;
        let mut request = device::poll_request(&profile.endpoints.token, client, &auth.device_code);
        profile.name_the_resource(&mut request);
        let answer = network
            .post(&request)
            .and_then(|r| grant::parse_token_response(&r, now));
        match answer {
            Ok(tokens) => return Ok(tokens),
            Err(e) => match e.server_code() {
                Some("authorization_pending") => {}
                Some("slow_down") => interval += SLOW_DOWN_STEP,
                Some("expired_token") => {
                    return Err(Error::LoginRequired {
                        message: "the device code expired before the sign-in was approved".into(),
                        hint: format!("run `{again}` again"),
                    });
                }
                Some("access_denied") => {
                    return Err(Error::LoginRequired {
                        message: format!("the sign-in was denied ({e})"),
                        hint: format!(
                            "approve the request on the verification page, then run `{again}` again"
                        ),
                    });
                }
                // A network blip while polling is not the end of the sign-in.
                _ if matches!(e, OAuthError::Transport { not_sent: true, .. }) => {}
                _ => return Err(e.into()),
            },
        }
    }
}

fn announce(auth: &DeviceAuthorization) {
    output::tell(format!(
        "To sign in, open {} and enter the code {}",
        auth.verification_uri, auth.user_code
    ));
    if let Some(complete) = &auth.verification_uri_complete {
        output::tell(format!("or open {complete}"));
    }
    output::tell("Waiting for approval...");
}

/// The device authorization request (RFC 8628 3.1) carries the options about how the
/// person signs in where providers take them there (oidc-provider, Keycloak: OIDC
/// parameters at the device endpoint); those about the browser's request do not apply.
fn pass_sign_in_options(request: &mut crate::oauth::FormRequest, options: &SignInOptions) {
    for (name, value) in options.params() {
        if DEVICE_PARAMS.contains(&name.as_str()) {
            request.push_owned(name, &value);
        }
    }
    let mut ignored: Vec<&str> = Vec::new();
    if options.login_hint.is_some() {
        ignored.push("--login-hint");
    }
    if options.prompt.is_some() {
        ignored.push("--prompt");
    }
    if !options.auth_params.is_empty() {
        ignored.push("--auth-param");
    }
    if options.par {
        ignored.push("--par");
    }
    if options.request_object {
        ignored.push("--request-object");
    }
    if !ignored.is_empty() {
        output::notice(format!(
            "octoken: the device flow sends no {} (they apply to the browser's sign-in request)",
            ignored.join(", ")
        ));
    }
}

/// The sign-in options a device authorization request carries.
const DEVICE_PARAMS: &[&str] = &["acr_values", "max_age", "ui_locales", "claims"];

/// With --acr-values or --max-age, the ID token of a device sign-in must show them too
/// (it came straight from the token endpoint over TLS: OIDC Core 3.1.3.7 (6)).
pub fn check_sign_in(settings: &ProfileSettings, response: &TokenResponse, now: u64) -> Result<()> {
    let options = &settings.sign_in;
    if !options.checks_authentication() {
        return Ok(());
    }
    let claims = response
        .id_token
        .as_ref()
        .and_then(|t| crate::jwt::claims(t.expose()));
    let verdict = match claims {
        Some(claims) => crate::oauth::id_token::check_authentication(
            &claims,
            options.acr_values.as_deref(),
            options.max_age,
            now,
        ),
        None => Err("the provider returned no ID token, so nothing shows how you signed in".into()),
    };
    match verdict {
        Ok(()) => Ok(()),
        Err(why) => super::redirect::weak_sign_in(settings, why),
    }
}
