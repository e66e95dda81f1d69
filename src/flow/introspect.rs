//! `octoken introspect`: ask the server about the access or refresh token (RFC 7662).
//! Servers allow it to confidential clients (resource servers); the answer is printed as
//! JSON.

use crate::error::{Error, Result};
use crate::network::Network;
use crate::oauth::grant::json_object;
use crate::oauth::{AuthMethod, FormRequest};
use crate::output;
use crate::session::Session;
use crate::settings::{FreshSettings, IntrospectSettings};

pub const INTROSPECTION_ENDPOINT: &str = "introspection endpoint";

pub fn run(settings: &IntrospectSettings) -> Result<()> {
    let profile = &settings.profile;
    let url = profile
        .endpoints
        .introspection
        .as_deref()
        .ok_or_else(|| Error::Config {
            message: "the provider has no introspection endpoint".into(),
            hint: Some("the discovery document did not name one".into()),
        })?;
    if profile.auth_method == AuthMethod::None {
        return Err(Error::Config {
            message: "introspection needs a confidential client; this profile's is public".into(),
            hint: Some("use `octoken inspect` to decode a JWT locally".into()),
        });
    }
    let session = Session::open(profile, settings.global.now);
    let secrets = session.store().load()?.unwrap_or_default();
    let (token, hint) = if settings.refresh_token {
        let token = secrets
            .refresh_token
            .clone()
            .ok_or_else(|| Error::login_required(&profile.name, "no refresh token stored"))?;
        (token, "refresh_token")
    } else {
        let token = session.fresh_token(&FreshSettings::default())?;
        (token.access_token, "access_token")
    };
    let network = Network::new(&profile.http)?;
    let mut request = FormRequest::new(
        INTROSPECTION_ENDPOINT,
        url,
        &session.client(secrets.client_secret)?,
    );
    request.push("token", token.expose());
    request.push("token_type_hint", hint);
    let response = network.post(&request)?;
    let answer = json_object(INTROSPECTION_ENDPOINT, &response)?;
    // The server's answer, as it sent it, minus what a terminal would act on.
    output::stdout(&crate::sanitize::json_inert(format!(
        "{:#}\n",
        serde_json::Value::Object(answer)
    )))
    .map_err(|e| Error::other(format!("cannot write: {e}")))
}
