//! The DPoP key of a login: a new one (ES256, EdDSA), the user's own from
//! `--dpop-key-file` (the only way to an RS256 key: octoken generates no RSA keys), or,
//! for a new login of an RS256 profile, the key its store already holds. Whichever it
//! is, it is stored with the profile's secrets, so later runs need no file.

use crate::config::StoreKind;
use crate::error::{Error, Result};
use crate::oauth::client_key::KeyError;
use crate::oauth::discovery::Metadata;
use crate::oauth::dpop::{DpopAlg, DpopKey, PemError};
use crate::output;
use crate::secret::Secret;
use crate::settings::{DpopKeySource, LoginSettings};
use crate::store::{self, StoreOptions};
use std::path::Path;

/// The login's key and its stored form, before anything goes to the network.
pub fn key(login: &LoginSettings, source: &DpopKeySource) -> Result<(DpopKey, Secret)> {
    let (key, stored) = match source {
        DpopKeySource::New(alg) => {
            let (key, stored) = DpopKey::generate(*alg).expect("settings ask for ES256 or EdDSA");
            output::debug(
                1,
                format!(
                    "new {} DPoP key, thumbprint {}",
                    alg.as_str(),
                    key.thumbprint()
                ),
            );
            (key, stored)
        }
        DpopKeySource::File { path, alg } => read_file(path, *alg)?,
        DpopKeySource::Stored => stored_key(login)?,
    };
    if key.alg() == DpopAlg::RS256
        && login.store == StoreKind::Keyring
        && !store::keyring::room_for_an_rsa_key()
    {
        return Err(Error::Usage {
            message: "an RS256 DPoP key (1.6 kB and more) and a refresh token do not fit in one entry of this keyring (Windows Credential Manager: 2560 bytes)".into(),
            hint: Some("use --store file, or a P-256 key (--dpop-alg ES256)".into()),
        });
    }
    Ok((key, stored))
}

/// `--dpop-key-file`: read through the one opener for the user's files, and refused
/// when others may read it: it is a private key, and a copy another user took would
/// sign proofs for every token bound to it.
fn read_file(path: &Path, alg: Option<DpopAlg>) -> Result<(DpopKey, Secret)> {
    let shown = path.display();
    let refuse = |why: String, hint: String| Error::Usage {
        message: format!("cannot use the DPoP key file {shown}: {why}"),
        hint: Some(hint),
    };
    let make = || {
        "make one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out dpop.pem` and pass --dpop-key-file dpop.pem".to_string()
    };
    let (pem, open_to_others) =
        crate::fsutil::read_user_file(path).map_err(|e| refuse(e.to_string(), make()))?;
    if let Some(mode) = open_to_others {
        return Err(refuse(
            format!("its permissions {mode:03o} let other users read the private key"),
            format!("run `chmod 600 {shown}` (and make a new key if others may have copied it)"),
        ));
    }
    let (key, stored) = DpopKey::from_pem(&pem).map_err(|e| {
        let hint = match e {
            PemError::Pkcs1 | PemError::Pem(KeyError::Sec1 | KeyError::Encrypted) => format!(
                "convert it: `openssl pkcs8 -topk8 -nocrypt -in {shown} -out dpop.pem`, then pass --dpop-key-file dpop.pem"
            ),
            _ => make(),
        };
        refuse(e.to_string(), hint)
    })?;
    if let Some(alg) = alg.filter(|alg| *alg != key.alg()) {
        return Err(refuse(
            format!(
                "it is a key for {}, not {}",
                key.alg().as_str(),
                alg.as_str()
            ),
            format!("drop --dpop-alg, or pass a key for {}", alg.as_str()),
        ));
    }
    output::debug(
        1,
        format!(
            "{} DPoP key from {shown}, thumbprint {}",
            key.alg().as_str(),
            key.thumbprint()
        ),
    );
    Ok((key, stored))
}

/// The key an RS256 profile already has, from the store its secrets are in.
fn stored_key(login: &LoginSettings) -> Result<(DpopKey, Secret)> {
    let kind = login.previous.as_ref().map_or(login.store, |p| p.store);
    let options = StoreOptions {
        kind,
        ..login.store_options()
    };
    let stored = store::open(&login.global.profile, &options)
        .load()?
        .and_then(|secrets| secrets.dpop_key);
    let key = stored
        .as_ref()
        .and_then(|stored| DpopKey::from_stored(stored).ok());
    match (key, stored) {
        (Some(key), Some(stored)) => Ok((key, stored)),
        _ => Err(Error::Usage {
            message: "this RS256 DPoP profile has no usable key in its store".into(),
            hint: Some("give the RSA key again: --dpop-key-file PEM".into()),
        }),
    }
}

/// Refuses a key the server does not take proofs of, before anyone signs in.
pub fn check_provider(alg: DpopAlg, metadata: &Metadata) -> Result<()> {
    match &metadata.dpop_signing_alg_values_supported {
        Some(supported) if !alg.supported_by(supported) => {
            // The list is the server's text: cleaned before it reaches a terminal.
            let listed = crate::sanitize::foreign(&supported.join(", "), 200);
            let usable: Vec<&str> = DpopAlg::ALL
                .iter()
                .filter(|other| other.supported_by(supported))
                .map(|other| other.as_str())
                .collect();
            Err(Error::Config {
                message: format!(
                    "the provider does not accept {} DPoP proofs (it lists {listed})",
                    alg.as_str(),
                ),
                hint: Some(match usable.first() {
                    Some(&"RS256") => {
                        "use one it takes: --dpop-alg RS256 --dpop-key-file PEM (an RSA key)".into()
                    }
                    Some(first) => format!("use one it takes: --dpop-alg {first}"),
                    None => "octoken signs ES256, EdDSA and RS256 proofs; this provider takes none of them".into(),
                }),
            })
        }
        Some(_) => Ok(()),
        None => {
            output::warn(
                "the provider's metadata names no dpop_signing_alg_values_supported; trying DPoP anyway",
            );
            Ok(())
        }
    }
}
