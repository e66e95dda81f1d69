//! Browser sign-in: authorization code with PKCE through a loopback redirect (RFC 8252).

use crate::error::{Error, Result};
use crate::loopback::callback::{Callback, Outcome};
use crate::loopback::{Event, Expected, Listener};
use crate::network::Network;
use crate::oauth::authorize::{AuthorizeRequest, wants_consent};
use crate::oauth::grant::{self, TokenResponse};
use crate::oauth::id_token::{self, Expected as IdExpected};
use crate::oauth::pkce::{Pkce, random_token};
use crate::oauth::sign_in;
use crate::oauth::{ClientAuth, discovery::Metadata};
use crate::open_url::{self, Browser};
use crate::output;
use crate::sanitize;
use crate::settings::ProfileSettings;
use std::time::Duration;

use super::pushed;
use tokio::sync::mpsc::{self, UnboundedSender};

/// The sign-in, and whether it had to be pushed (PAR) after the provider refused the
/// plain request: the profile then keeps `par`, so later logins push at once.
pub fn sign_in(
    network: &Network,
    settings: &ProfileSettings,
    metadata: &Metadata,
    client: &ClientAuth,
    how: &Browser,
    wait: &super::Wait<'_>,
    now: u64,
) -> Result<(TokenResponse, bool)> {
    let call = Call {
        network,
        settings,
        metadata,
        client,
        how,
        wait,
        now,
    };
    match attempt(&call, false)? {
        Attempt::Done(response, pushed) => Ok((response, pushed)),
        Attempt::WantsPar => {
            output::warn(
                "the provider takes this client's sign-in requests only pushed (PAR); \
                 signing in again that way (--par, saved with the profile)",
            );
            match attempt(&call, true)? {
                Attempt::Done(response, _) => Ok((response, true)),
                Attempt::WantsPar => Err(Error::Other {
                    message: "the provider refused the pushed sign-in request too".into(),
                    hint: None,
                }),
            }
        }
    }
}

struct Call<'a> {
    network: &'a Network,
    settings: &'a ProfileSettings,
    metadata: &'a Metadata,
    client: &'a ClientAuth,
    how: &'a Browser,
    wait: &'a super::Wait<'a>,
    now: u64,
}

enum Attempt {
    /// The tokens, and whether the request was pushed after the provider refused it.
    Done(TokenResponse, bool),
    /// The provider answered the plain request with an error demanding PAR.
    WantsPar,
}

fn attempt(call: &Call<'_>, retry_par: bool) -> Result<Attempt> {
    let Call {
        network,
        settings,
        metadata,
        client,
        how,
        wait,
        now,
    } = *call;
    let super::Wait { timeout, again } = *wait;
    let profile = settings;
    let authorization_url =
        profile
            .endpoints
            .authorization
            .as_deref()
            .ok_or_else(|| Error::Config {
                message: "the provider has no authorization endpoint".into(),
                hint: Some("give it with --auth-url, or use --device".into()),
            })?;
    let listener = Listener::bind(profile.redirect_uri.as_deref())?;
    let pkce = Pkce::new();
    let state = random_token();
    let nonce = random_token();
    let jkt = client.dpop.as_ref().map(|signer| signer.key.thumbprint());
    let request = AuthorizeRequest {
        authorization_url,
        client_id: &profile.client_id,
        redirect_uri: &listener.redirect_uri,
        scope: &profile.scope,
        state: &state,
        nonce: &nonce,
        code_challenge: &pkce.challenge,
        prompt_consent: wants_consent(&profile.scope, profile.prompt_consent),
        dpop_jkt: jkt.as_deref(),
        resources: &profile.resources,
        audience: &profile.audience,
        options: &profile.sign_in,
    };
    let par = pushed::wants_par(settings, metadata, retry_par);
    let mut target = pushed::browser_url(network, settings, metadata, client, &request, par, now)?;
    // A pushed reference, or a signed request object, may be good for one use only.
    if !target.pushed && !profile.sign_in.request_object {
        match preflight(
            network,
            &target.url,
            &listener.redirect_uri,
            &profile.client_id,
        )? {
            Preflight::Passed => {}
            Preflight::WantsPar => {
                output::warn(
                    "the provider takes this client's sign-in requests only pushed (PAR); pushing it (--par, saved with the profile)",
                );
                target =
                    pushed::browser_url(network, settings, metadata, client, &request, true, now)?;
            }
        }
    }
    let pushed_now = target.pushed && !par;
    let url = target.url;
    let expected = Expected {
        state,
        issuer: profile.issuer.clone(),
        iss_required: metadata.iss_parameter_supported,
    };
    let redirect_uri = listener.redirect_uri.clone();
    let local_url = listener.local_url.clone();
    // Only then may the local URL appear in a browser's argv, which every user can read.
    let only_ours = listener.serves_only_this_user();
    let (events, mut received) = mpsc::unbounded_channel();
    listener.serve(url.clone(), expected.clone(), events.clone());
    // stderr is the user's own terminal: the whole URL may be shown there.
    output::tell(format!(
        "Sign in with your browser at:\n\n    {url}\n\n(or open {local_url} on this machine)"
    ));
    // What the browser was given: on some systems a private page, removed when this
    // function returns.
    let opened = match how {
        Browser::None => None,
        how => match open_url::sign_in(only_ours.then_some(local_url.as_str()), &url, how) {
            Ok(opened) => Some(opened),
            Err(why) => {
                output::warn(format!(
                    "could not open a browser ({why}); open the URL above yourself. \
                     Where no browser can run (SSH, no display), use --no-browser to paste \
                     the address back, or --device to sign in on another device"
                ));
                None
            }
        },
    };
    // No browser here: the person may sign in elsewhere and paste the address back.
    let pasting = opened.is_none();
    if pasting {
        output::tell(format!(
            "If the browser runs on another machine, paste the address of the page it ends on \
             (it starts with {redirect_uri}) here and press Enter."
        ));
        read_pasted_redirects(expected, events);
    }

    let login = again;
    // No spinner while the person may be pasting a URL on the same line.
    let mut spinner = output::Spinner::new(format!("waiting for the sign-in at {local_url}"));
    let event = network.block_on(async {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticks = tokio::time::interval(Duration::from_millis(120));
        loop {
            tokio::select! {
                event = received.recv() => return Ok(event.expect("the listener holds a sender")),
                _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted),
                _ = &mut deadline => return Err(Error::LoginRequired {
                    message: format!("no sign-in arrived within {}s", timeout.as_secs()),
                    hint: format!(
                        "if the browser showed an error, check --client-id and that the provider has {redirect_uri} registered (or give the registered one with --redirect-uri); otherwise run `{login}` again, with --timeout SECS for more time"
                    ),
                }),
                _ = ticks.tick() => if !pasting { spinner.tick() },
            }
        }
    });
    drop(spinner);
    let event = event?;
    let code = match event {
        Event::Callback(Callback::Code { code }) => code,
        Event::Callback(Callback::Error { error, description })
            if !target.pushed
                && error == "invalid_request"
                && description.as_deref().is_some_and(sign_in::demands_par) =>
        {
            return Ok(Attempt::WantsPar);
        }
        Event::Callback(Callback::Error { error, description }) => {
            // Both came from whoever called the listener: inert text only.
            let error = sanitize::foreign(&error, 100);
            let detail = description
                .map(|d| format!(": {}", sanitize::foreign(&d, 300)))
                .unwrap_or_default();
            return Err(Error::LoginRequired {
                message: format!("the provider refused the sign-in ({error}{detail})"),
                hint: format!("sign in and allow access, then run `{login}` again"),
            });
        }
        Event::WrongIssuer(got) => {
            return Err(Error::Other {
                message: format!(
                    "the sign-in answer names issuer {}, not {} (RFC 9207 mix-up defence); nothing was saved",
                    got.as_deref()
                        .map_or_else(|| "(none)".into(), |g| sanitize::foreign(g, 200)),
                    profile.issuer.as_deref().unwrap_or("?")
                ),
                hint: Some("check that --issuer is the server you signed in at".into()),
            });
        }
    };
    output::debug(1, "received the authorization code; exchanging it");
    let mut request = grant::code_request(
        &profile.endpoints.token,
        client,
        &code,
        &redirect_uri,
        &pkce.verifier,
    );
    profile.name_the_resource(&mut request);
    let response = network.post(&request)?;
    let response = grant::parse_token_response(&response, now)?;
    check_id_token(network, settings, metadata, &response, &nonce, now)?;
    Ok(Attempt::Done(response, pushed_now))
}

/// OIDC Core 3.1.3.7: the ID token's issuer, audience, expiry and nonce, and its
/// signature against the provider's JWKS when the provider publishes one.
fn check_id_token(
    network: &Network,
    settings: &ProfileSettings,
    metadata: &Metadata,
    response: &TokenResponse,
    nonce: &crate::secret::Secret,
    now: u64,
) -> Result<()> {
    let options = &settings.sign_in;
    let Some(id_token) = &response.id_token else {
        if options.checks_authentication() {
            return weak_sign_in(
                settings,
                "the provider returned no ID token, so nothing shows how you signed in".into(),
            );
        }
        return Ok(());
    };
    let invalid = |why: String| Error::Other {
        message: format!("the ID token failed validation: {why}; nothing was saved"),
        hint: Some("check --issuer and --client-id, and this machine's clock".into()),
    };
    let claims = id_token::check_claims(
        id_token,
        &IdExpected {
            issuer: settings.issuer.as_deref(),
            client_id: &settings.client_id,
            nonce,
            now,
        },
    )
    .map_err(invalid)?;
    match &metadata.jwks_uri {
        Some(jwks_uri) => {
            let resp = network.get("JWKS endpoint", jwks_uri)?;
            let jwks = id_token::parse_jwks(&resp).map_err(invalid)?;
            id_token::verify_signature(id_token, &jwks).map_err(invalid)?;
            output::debug(1, "ID token signature verified");
        }
        None => output::debug(1, "no JWKS known: ID token signature not checked"),
    }
    // Only once the token is the provider's own does what it says about the sign-in count.
    match id_token::check_authentication(
        &claims,
        options.acr_values.as_deref(),
        options.max_age,
        now,
    ) {
        Ok(()) => Ok(()),
        Err(why) => weak_sign_in(settings, why),
    }
}

/// OIDC Core 3.1.3.7 (12, 13): a sign-in weaker or older than asked for ends the login
/// (exit 4: nothing was saved), unless the profile takes it (`--acr-optional`).
pub(super) fn weak_sign_in(settings: &ProfileSettings, why: String) -> Result<()> {
    if settings.sign_in.acr_optional {
        output::warn(format!("{why}; accepted (--acr-optional)"));
        return Ok(());
    }
    Err(Error::LoginRequired {
        message: format!("{why}; nothing was saved"),
        hint: "sign in again with the stronger method the provider offers, or pass --acr-optional to accept it".into(),
    })
}

/// `--no-browser` on a remote machine: the final redirect fails to load in the user's
/// browser; they paste its address here instead.
fn read_pasted_redirects(expected: Expected, events: UnboundedSender<Event>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { return };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let query = line.split_once('?').map_or("", |(_, q)| q);
            let query = query.split('#').next().unwrap_or("");
            let event = match expected.check(query) {
                Outcome::Accepted(callback) => Event::Callback(callback),
                Outcome::WrongIssuer { got } => Event::WrongIssuer(got),
                Outcome::Ignored(why) => {
                    output::tell(format!(
                        "octoken: that address is not this sign-in's redirect ({why}); paste the whole address"
                    ));
                    continue;
                }
            };
            let _ = events.send(event);
            return;
        }
    });
}

/// Many providers refuse a bad authorization request (unknown client, unregistered
/// redirect URI) right away with a 4xx page. Asking once without following redirects
/// catches that before a person waits out the timeout in front of an error page. A
/// provider that answers anything else (its login page, a redirect) passes.
enum Preflight {
    Passed,
    /// The provider's error page says the request must be pushed (RFC 9126).
    WantsPar,
}

fn preflight(
    network: &Network,
    url: &str,
    redirect_uri: &str,
    client_id: &str,
) -> Result<Preflight> {
    let response = match network.get("authorization endpoint", url) {
        Ok(response) => response,
        // Unreachable now: the real request will say so in the browser; not our call.
        Err(e) => {
            output::debug(1, format!("authorization pre-flight failed: {e}"));
            return Ok(Preflight::Passed);
        }
    };
    if !(400..500).contains(&response.status) {
        return Ok(Preflight::Passed);
    }
    let body = String::from_utf8_lossy(&response.body);
    if sign_in::demands_par(&body) {
        return Ok(Preflight::WantsPar);
    }
    let code = [
        "invalid_client",
        "unauthorized_client",
        "invalid_redirect_uri",
        "invalid_request",
        "invalid_scope",
    ]
    .into_iter()
    .find(|code| body.contains(code));
    Err(Error::Config {
        message: format!(
            "the provider refused the sign-in request (HTTP {}{})",
            response.status,
            code.map(|c| format!(", {c}")).unwrap_or_default()
        ),
        hint: Some(format!(
            "check --client-id ('{client_id}') and that the client has the redirect URI {redirect_uri} registered (or give the registered one with --redirect-uri)"
        )),
    })
}
