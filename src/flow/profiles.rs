//! `octoken profiles`: the profiles in config.toml with issuer, client, store and
//! whether each is logged in. Reads only local files unless `--check` (which reads each
//! secret store, so may touch the keyring); never the network.

use crate::error::{Error, Result};
use crate::output;
use crate::session::Session;
use crate::settings::{ProfileSettings, ProfilesSettings};
use serde_json::{Value, json};

pub fn run(settings: &ProfilesSettings) -> Result<()> {
    let global = &settings.global;
    let config = global.load_config()?;
    if settings.names {
        // Keys of config.toml: foreign text, one line each (shell completion reads them).
        let names: String = config
            .profiles
            .keys()
            .map(|k| {
                format!(
                    "{}\n",
                    crate::sanitize::foreign(k, crate::profile_name::MAX_SHOWN)
                )
            })
            .collect();
        return write(&names);
    }
    let mut rows = Vec::new();
    for (name, profile) in &config.profiles {
        let row = match ProfileSettings::from_profile(name, profile, global) {
            Ok(resolved) => describe(&resolved, global.now, settings.check),
            Err(e) => json!({ "profile": name, "error": e.to_string() }),
        };
        rows.push(row);
    }
    if settings.json {
        return write(&crate::sanitize::json_inert(format!(
            "{:#}\n",
            Value::Array(rows)
        )));
    }
    if rows.is_empty() {
        output::notice("octoken: no profiles yet; run `octoken login --issuer URL --client-id ID`");
        return Ok(());
    }
    let mut text = format!(
        "{:<16} {:<10} {:<8} {:<24} {}\n",
        "PROFILE", "LOGGED IN", "STORE", "CLIENT", "ISSUER"
    );
    for row in &rows {
        // The config file's text (or an attached host's, from Redis): never raw.
        let cell = |key: &str| match &row[key] {
            Value::String(s) => crate::sanitize::foreign(s, 2048),
            Value::Null => "-".into(),
            other => other.to_string(),
        };
        text.push_str(&format!(
            "{:<16} {:<10} {:<8} {:<24} {}\n",
            cell("profile"),
            cell("logged_in"),
            cell("store"),
            cell("client_id"),
            cell("issuer")
        ));
    }
    write(&text)
}

/// One profile. Logged in, without `--check`: the local state says so (written by every
/// login and refresh, removed by logout, marked when the server rejected the token).
/// With `--check`: the store holds the secret the grant needs.
fn describe(profile: &ProfileSettings, now: u64, check: bool) -> Value {
    let session = Session::open(profile, now);
    let state = session.state();
    let logged_in = if check {
        match session.load_secrets() {
            Ok(_) => json!("yes"),
            Err(e) if e.exit_code() == crate::error::exit::LOGIN_REQUIRED => json!("no"),
            Err(_) => json!("unknown"),
        }
    } else if state.rejected_refresh_token.is_some() {
        json!("no")
    } else if state.last_refresh_at.is_some() {
        json!("yes")
    } else {
        json!("no")
    };
    json!({
        "profile": profile.name,
        "issuer": profile.issuer.clone().unwrap_or_else(|| profile.endpoints.token.clone()),
        "client_id": profile.client_id,
        "store": profile.store.kind.as_str(),
        "logged_in": logged_in,
        "last_refresh_at": state.last_refresh_at.map(output::rfc3339),
    })
}

fn write(text: &str) -> Result<()> {
    output::stdout(text).map_err(|e| Error::other(format!("cannot write: {e}")))
}
