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

    /// A GET of the provider's (its JWKS, to check an exchanged ID token's signature).
    /// None: this endpoint cannot (tests' scripted ones), and the check is skipped.
    fn get(&self, _what: &'static str, _url: &str) -> Option<Result<HttpResponse>> {
        None
    }
}

impl TokenEndpoint for Network {
    fn post(&self, request: &FormRequest) -> Result<HttpResponse> {
        Ok(Network::post(self, request)?)
    }

    fn get(&self, what: &'static str, url: &str) -> Option<Result<HttpResponse>> {
        Some(Network::get(self, what, url).map_err(Into::into))
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

    fn get(&self, what: &'static str, url: &str) -> Option<Result<HttpResponse>> {
        if self.network.get().is_none() {
            match Network::new(self.options) {
                Ok(network) => {
                    let _ = self.network.set(network);
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let network = self.network.get().expect("set just above");
        Some(network.get(what, url).map_err(Into::into))
    }
}
