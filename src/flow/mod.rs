//! One module per command. Flows take resolved settings, talk to oauth/ and store/, and
//! hand results to output. Only flows that need the network build the HTTP client and
//! the async runtime, so the cached `token` path pays for neither.

pub mod exec;
pub mod inspect;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod refresh;
pub mod shell;
pub mod status;
pub mod token;

use crate::error::{Error, Result};
use crate::oauth::http::{Http, HttpOptions, HttpResponse};
use crate::oauth::{FormRequest, OAuthError};

/// The HTTP client and a single-threaded runtime to drive it.
pub struct Network {
    runtime: tokio::runtime::Runtime,
    http: Http,
}

impl Network {
    pub fn new(options: &HttpOptions) -> Result<Network> {
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
