//! Where the session's token requests go: the network, built on first use (a cached
//! token never starts TLS or a runtime), or a test's scripted answers.

use crate::error::Result;
use crate::network::Network;
use crate::network::http::HttpOptions;
use crate::oauth::FormRequest;
use crate::oauth::HttpResponse;
use std::cell::OnceCell;

/// Where token requests go. The real one is the network; tests script the answers.
pub trait TokenEndpoint {
    fn post(&self, request: &FormRequest) -> Result<HttpResponse>;
}

impl TokenEndpoint for Network {
    fn post(&self, request: &FormRequest) -> Result<HttpResponse> {
        Ok(Network::post(self, request)?)
    }
}

/// The network, built on first use: a cached token never starts TLS or a runtime.
pub struct LazyNetwork<'a> {
    options: &'a HttpOptions,
    network: OnceCell<Network>,
}

impl<'a> LazyNetwork<'a> {
    pub fn new(options: &'a HttpOptions) -> Self {
        LazyNetwork {
            options,
            network: OnceCell::new(),
        }
    }
}

impl TokenEndpoint for LazyNetwork<'_> {
    fn post(&self, request: &FormRequest) -> Result<HttpResponse> {
        if self.network.get().is_none() {
            let _ = self.network.set(Network::new(self.options)?);
        }
        let network = self.network.get().expect("set just above");
        Ok(network.post(request)?)
    }
}
