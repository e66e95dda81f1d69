//! The key and certificate files a login names: the DPoP key (`--dpop-key-file`), the
//! private_key_jwt key (`--client-key-file`) and the mTLS certificate (`--client-cert`).

use crate::cli::DpopAlgArg;
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::oauth::AuthMethod;
use crate::oauth::client_key::{AssertionAudience, ClientKeyAlg};
use crate::oauth::dpop::DpopAlg;
use crate::settings::{ClientKeyFile, DpopKeySource};
use std::path::PathBuf;

/// --dpop, --dpop-alg and --dpop-key-file over the profile's DPoP: where this login's
/// key comes from. Any of them turns DPoP on; an existing DPoP profile stays one, with
/// its algorithm unless another is asked for. octoken generates no RSA keys, so RS256
/// takes the user's key file, or keeps the key an RS256 profile already has.
pub(super) fn dpop_key(
    on: bool,
    alg: Option<DpopAlgArg>,
    file: Option<PathBuf>,
    attach: bool,
    prev: Option<&Profile>,
) -> Result<Option<DpopKeySource>> {
    if attach {
        // An attaching host signs with the fleet's key, from the shared entry.
        return match file {
            Some(_) => Err(Error::Usage {
                message: "--dpop-key-file does not go with --attach: the fleet's DPoP key is in the shared entry".into(),
                hint: Some("drop --dpop-key-file".into()),
            }),
            None => Ok(None),
        };
    }
    let alg = alg.map(|alg| match alg {
        DpopAlgArg::Es256 => DpopAlg::ES256,
        DpopAlgArg::EdDsa => DpopAlg::EdDSA,
        DpopAlgArg::Rs256 => DpopAlg::RS256,
    });
    if let Some(path) = file {
        return Ok(Some(DpopKeySource::File {
            path: std::path::absolute(&path).unwrap_or(path),
            alg,
        }));
    }
    let previous = prev.and_then(|p| p.dpop);
    let alg = match (alg, previous) {
        (Some(alg), _) => alg,
        (None, Some(alg)) => alg,
        (None, None) if on => DpopAlg::ES256,
        (None, None) => return Ok(None),
    };
    match alg {
        DpopAlg::RS256 if previous == Some(DpopAlg::RS256) => Ok(Some(DpopKeySource::Stored)),
        DpopAlg::RS256 => Err(Error::Usage {
            message: "--dpop-alg RS256 needs your RSA key: octoken generates no RSA keys".into(),
            hint: Some(
                "make one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out dpop.pem` and add --dpop-key-file dpop.pem"
                    .into(),
            ),
        }),
        alg => Ok(Some(DpopKeySource::New(alg))),
    }
}

/// The key file of a private_key_jwt client: the one given, else the profile's. A key
/// file with another method is a mistake, not something to save and ignore.
pub(super) fn client_key(
    method: AuthMethod,
    file: Option<PathBuf>,
    kid: Option<String>,
    (alg, aud): (Option<ClientKeyAlg>, Option<AssertionAudience>),
    prev: Option<&Profile>,
) -> Result<Option<ClientKeyFile>> {
    let keyed = [AuthMethod::PrivateKeyJwt, AuthMethod::TlsClientAuth];
    if !keyed.contains(&method) {
        if file.is_some() || kid.is_some() {
            return Err(Error::Usage {
                message: format!(
                    "--client-key-file and --client-key-id go with --auth-method private-key-jwt or tls-client-auth, not {}",
                    method.as_str()
                ),
                hint: Some(
                    "drop --auth-method, or pass --auth-method private-key-jwt or tls-client-auth"
                        .into(),
                ),
            });
        }
        return Ok(None);
    }
    let prev = prev.filter(|p| p.auth_method == method);
    let kid = kid.or_else(|| prev.and_then(|p| p.client_key_id.clone()));
    let aud = aud.or_else(|| prev.and_then(|p| p.client_key_aud));
    // A saved algorithm belongs to the saved key: a new key file starts afresh.
    let alg = match file {
        None => alg.or_else(|| prev.and_then(|p| p.client_key_alg)),
        Some(_) => alg,
    };
    match file.or_else(|| prev.and_then(|p| p.client_key_file.clone())) {
        Some(path) => Ok(Some(ClientKeyFile {
            path,
            kid: kid.filter(|k| !k.is_empty()),
            alg,
            aud,
        })),
        None => Err(Error::Usage {
            message: format!(
                "--auth-method {} needs the client's private key",
                method.as_str()
            ),
            hint: Some(
                "pass --client-key-file PEM (and --client-key-id KID if the provider wants one)"
                    .into(),
            ),
        }),
    }
}

/// The certificate of a tls_client_auth client: the one given, else the profile's.
pub(super) fn client_cert_file(
    method: AuthMethod,
    file: Option<PathBuf>,
    prev: Option<&Profile>,
) -> Result<Option<PathBuf>> {
    if method != AuthMethod::TlsClientAuth {
        if file.is_some() {
            return Err(Error::Usage {
                message: format!(
                    "--client-cert goes with --auth-method tls-client-auth, not {}",
                    method.as_str()
                ),
                hint: Some("drop --auth-method, or pass --auth-method tls-client-auth".into()),
            });
        }
        return Ok(None);
    }
    let prev = prev.filter(|p| p.auth_method == method);
    match file.or_else(|| prev.and_then(|p| p.client_cert_file.clone())) {
        Some(path) => Ok(Some(path)),
        None => Err(Error::Usage {
            message: "--auth-method tls-client-auth needs the client's certificate".into(),
            hint: Some("pass --client-cert PEM and --client-key-file PEM".into()),
        }),
    }
}
