//! The transport: the HTTP client (`http.rs`: reqwest, TLS, proxies, retries, logging)
//! and a single-threaded runtime to drive it. The protocol code (`oauth/`) builds the
//! requests and parses the answers as values; this is where they are sent. Built only
//! by commands that talk to a server, and by the session engine only when it must
//! refresh, so the cached `token` path pays for neither.

pub mod http;

use crate::error::{Error, Result};
use crate::oauth::{FormRequest, HttpResponse, OAuthError, SetupError};
use http::{ClientIdentity, Http, HttpOptions, TlsFiles};

pub struct Network {
    runtime: tokio::runtime::Runtime,
    http: Http,
}

impl Network {
    pub fn new(options: &HttpOptions) -> Result<Network> {
        let files = TlsFiles {
            ca: match &options.ca_file {
                Some(path) => Some((path.clone(), read_ca_file(path)?)),
                None => None,
            },
            identity: match &options.client_identity {
                Some(identity) => {
                    let (cert, key) = read_identity_files(identity)?;
                    Some((identity.clone(), cert, key))
                }
                None => None,
            },
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::other(format!("cannot start the async runtime: {e}")))?;
        // reqwest's client must be built inside the runtime it will run on.
        let http = {
            let _guard = runtime.enter();
            Http::new(options, &files)?
        };
        Ok(Network { runtime, http })
    }

    pub fn post(&self, request: &FormRequest) -> Result<HttpResponse, OAuthError> {
        self.runtime.block_on(self.http.post_form(request))
    }

    /// Drives a future on the runtime (waits that race a signal or a deadline).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn get(&self, endpoint: &'static str, url: &str) -> Result<HttpResponse, OAuthError> {
        self.runtime.block_on(self.http.get(endpoint, url))
    }
}

/// A trust anchor: whoever can change it can read every token, so it is read through
/// the one opener of the user's files, which refuses it when another user can.
fn read_ca_file(path: &std::path::Path) -> Result<Vec<u8>> {
    let (pem, _) = crate::fsutil::read_user_file_up_to(path, crate::fsutil::CA_READ_LIMIT)
        .map_err(|e| SetupError::CaUnreadable {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(pem)
}

/// The client certificate and key are the user's files, read like a private_key_jwt
/// key: refused when another user can change them, a warning when others can read the
/// key.
fn read_identity_files(identity: &ClientIdentity) -> Result<(Vec<u8>, Vec<u8>)> {
    let read = |path: &std::path::Path, what: &str| -> Result<Vec<u8>> {
        let (bytes, open_to_others) =
            crate::fsutil::read_user_file(path).map_err(|e| Error::Config {
                message: format!("cannot use the client {what} file {}: {e}", path.display()),
                hint: Some(
                    "pass the client's PEM certificate with --client-cert and its key with --client-key-file"
                        .into(),
                ),
            })?;
        if let (Some(mode), "key") = (open_to_others, what) {
            crate::output::warn(format!(
                "{} has permissions {mode:03o}: other users can read the client's private key \
                 (`chmod 600` it)",
                path.display()
            ));
        }
        Ok(bytes)
    };
    Ok((
        read(&identity.cert, "certificate")?,
        read(&identity.key, "key")?,
    ))
}
