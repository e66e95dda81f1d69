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
