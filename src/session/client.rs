//! The client as the token endpoint must see it: id, method, secret, and a
//! private_key_jwt client's key, read from the user's file at each use.

use crate::error::{Error, Result};
use crate::fsutil;
use crate::oauth::client_key::{AssertionAudience, AssertionSigner, ClientKey, KeyError};
use crate::oauth::{AuthMethod, ClientAuth};
use crate::output;
use crate::secret::Secret;
use crate::settings::ProfileSettings;

use super::Session;

impl Session<'_> {
    /// The client as the token endpoint must see it, with the stored secret (or the
    /// key of a private_key_jwt client, read now).
    pub fn client(&self, secret: Option<Secret>) -> Result<ClientAuth> {
        client_auth(self.settings, secret)
    }
}

/// The client as a profile's endpoints must see it: its id, method and secret, and for
/// private_key_jwt its key, read from the user's file at each use (never copied).
pub fn client_auth(settings: &ProfileSettings, secret: Option<Secret>) -> Result<ClientAuth> {
    // A federated client's assertion is read fresh for each request (docs/ci.md).
    let secret = match (settings.auth_method, &settings.assertion.client_assertion) {
        (AuthMethod::ClientAssertion, Some(source)) => {
            Some(crate::assertion::read(source, "client assertion")?)
        }
        _ => secret,
    };
    let assertion = match (&settings.client_key, settings.auth_method) {
        (Some(file), AuthMethod::PrivateKeyJwt) => {
            let key = read_client_key(file)?;
            let alg = match file.alg {
                Some(alg) if !key.algs().contains(&alg) => {
                    return Err(Error::Config {
                        message: format!(
                            "the client key {} is a{} {} key, which cannot sign {} assertions",
                            file.path.display(),
                            if key.kind() == "RSA" { "n" } else { "" },
                            key.kind(),
                            alg.as_str()
                        ),
                        hint: Some(format!(
                            "pass the key the client is registered with, or --client-key-alg {}",
                            key.algs()[0].as_str()
                        )),
                    });
                }
                Some(alg) => alg,
                None => key.algs()[0],
            };
            let audience = match (file.aud.unwrap_or_default(), &settings.issuer) {
                (AssertionAudience::TokenEndpoint, _) => settings.endpoints.token.clone(),
                (AssertionAudience::Issuer, Some(issuer)) => issuer.clone(),
                (AssertionAudience::Issuer, None) => {
                    return Err(Error::Config {
                        message: "client assertions for the issuer need the profile's issuer, and it has none".into(),
                        hint: Some(
                            "log in again with --issuer URL, or --client-key-aud token-endpoint"
                                .into(),
                        ),
                    });
                }
            };
            Some(AssertionSigner {
                key: std::sync::Arc::new(key),
                alg,
                client_id: settings.client_id.clone(),
                audience,
            })
        }
        _ => None,
    };
    Ok(ClientAuth {
        client_id: settings.client_id.clone(),
        method: settings.auth_method,
        secret,
        dpop: None,
        assertion,
    })
}

pub(super) fn read_client_key(file: &crate::settings::ClientKeyFile) -> Result<ClientKey> {
    let path = file.path.display();
    let refuse = |why: String| Error::Config {
        message: format!("cannot use the client key file {path}: {why}"),
        hint: Some(
            "pass the client's PEM private key with `octoken login --client-key-file PEM`".into(),
        ),
    };
    let (pem, open_to_others) =
        fsutil::read_user_file(&file.path).map_err(|e| refuse(e.to_string()))?;
    if let Some(mode) = open_to_others {
        output::warn(format!(
            "{path} has permissions {mode:03o}: other users can read the client's private key \
             (`chmod 600` it)"
        ));
    }
    ClientKey::from_pem(&pem, file.kid.clone()).map_err(|e| {
        let mut err = refuse(e.to_string());
        if let (Error::Config { hint, .. }, KeyError::Sec1 | KeyError::Encrypted) = (&mut err, &e)
        {
            *hint = Some(format!(
                "convert it: `openssl pkcs8 -topk8 -nocrypt -in {path} -out key.pem`, then pass --client-key-file key.pem"
            ));
        }
        err
    })
}
