//! `octoken introspect`: ask the server about the access or refresh token (RFC 7662).
//! Servers allow it to confidential clients (resource servers); the answer is printed as
//! JSON.

use crate::cli::{FreshArgs, IntrospectArgs};
use crate::config::AuthMethod;
use crate::error::{Error, Result};
use crate::flow::Network;
use crate::flow::token::fresh_token;
use crate::oauth::FormRequest;
use crate::oauth::grant::json_object;
use crate::output;
use crate::settings::Global;
use crate::store;

pub const INTROSPECTION_ENDPOINT: &str = "introspection endpoint";

pub fn run(global: &Global, args: &IntrospectArgs) -> Result<()> {
    let settings = global.profile()?;
    let profile = &settings.profile;
    let url = profile
        .introspection_url
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
    let secrets = store::open(profile.store, &settings.paths, &settings.name)
        .load()?
        .unwrap_or_default();
    let (token, hint) = if args.refresh_token {
        let token = secrets
            .refresh_token
            .clone()
            .ok_or_else(|| Error::login_required(&settings.name, "no refresh token stored"))?;
        (token, "refresh_token")
    } else {
        let fresh = FreshArgs {
            min_ttl: 0,
            scope: None,
        };
        (
            fresh_token(global, &settings, &fresh)?.access_token,
            "access_token",
        )
    };
    let network = Network::new(&settings.http_options())?;
    let mut request = FormRequest::new(
        INTROSPECTION_ENDPOINT,
        url,
        &settings.client(secrets.client_secret),
    );
    request.push("token", token.expose());
    request.push("token_type_hint", hint);
    let response = network.post(&request)?;
    let answer = json_object(INTROSPECTION_ENDPOINT, &response)?;
    output::stdout(&format!("{:#}\n", serde_json::Value::Object(answer)))
        .map_err(|e| Error::other(format!("cannot write: {e}")))
}
