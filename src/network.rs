//! The HTTP client and a single-threaded runtime to drive it. Built only by commands
//! that talk to a server, and by the session engine only when it must refresh, so the
//! cached `token` path pays for neither.

use crate::error::{Error, Result};
use crate::oauth::http::{Http, HttpOptions, HttpResponse};
use crate::oauth::{FormRequest, OAuthError};

pub struct Network {
    runtime: tokio::runtime::Runtime,
    http: Http,
}

impl Network {
    pub fn new(options: &HttpOptions) -> Result<Network> {
        if let Some(identity) = &options.client_identity {
            check_identity_files(identity)?;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::other(format!("cannot start the async runtime: {e}")))?;
        // reqwest's client must be built inside the runtime it will run on.
        let http = {
            let _guard = runtime.enter();
            Http::new(options)?
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

/// The client certificate and key are the user's files, checked like a private_key_jwt
/// key: regular files, and a warning when others can read the key.
fn check_identity_files(identity: &crate::oauth::http::ClientIdentity) -> Result<()> {
    for (path, what) in [(&identity.cert, "certificate"), (&identity.key, "key")] {
        let (_, open_to_others) = crate::fsutil::read_user_file(path).map_err(|e| Error::Config {
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
    }
    Ok(())
}
