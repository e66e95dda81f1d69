//! `octoken inspect`: decode a JWT's header and claims locally. It does not verify the
//! signature, and says so: nothing shown here is proof of anything.

use crate::error::{Error, Result};
use crate::jwt;
use crate::output;
use crate::secret::Secret;
use crate::session::Session;
use crate::settings::{FreshSettings, InspectSettings};
use std::io::Read;

pub fn run(settings: &InspectSettings) -> Result<()> {
    let token = match settings {
        InspectSettings::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .take(1024 * 1024)
                .read_to_string(&mut text)
                .map_err(|e| Error::usage(format!("cannot read the JWT from stdin: {e}")))?;
            Secret::new(text.trim())
        }
        InspectSettings::Current(current) => {
            let (global, profile) = current.as_ref();
            Session::open(profile, global.now)
                .fresh_token(&FreshSettings::default())?
                .access_token
        }
    };
    let (Some(header), Some(claims)) = (jwt::header(token.expose()), jwt::claims(token.expose()))
    else {
        return Err(Error::Other {
            message: "the token is not a JWT (an opaque token has nothing to decode)".into(),
            hint: Some("`octoken introspect` asks the server about opaque tokens".into()),
        });
    };
    output::warn("decoded locally; the signature was NOT verified");
    let value = serde_json::json!({ "header": header, "claims": claims });
    // The claims are the issuer's text (or stdin's): inert before a terminal sees them.
    let text = crate::sanitize::json_inert(format!("{value:#}\n"));
    output::stdout(&text).map_err(|e| Error::other(format!("cannot write: {e}")))
}
