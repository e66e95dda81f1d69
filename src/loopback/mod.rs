//! The loopback redirect listener (RFC 8252 section 7.3): binds loopback only, answers
//! `GET /<random>` with a redirect to the authorization URL (a short URL to print and
//! open), ignores requests that are not this login's, answers the real callback once,
//! closes. The code exchange happens in the flow, not here.
//!
//! Every local user, and any web page through DNS rebinding, can reach the port; the
//! files below each hold one part of standing up to that: peer.rs serves only this
//! user's connections where the system tells (Linux), request.rs reads a request head
//! with byte caps, server.rs bounds connections and time, route.rs checks `Host` and
//! paths, callback.rs checks what the callback carries.

pub mod callback;
mod limits;
pub mod pages;
mod peer;
pub mod request;
mod response;
mod route;
mod server;

use crate::error::{Error, Result};
use crate::secret::Secret;
use callback::{Callback, Expect, Outcome};
use ring::rand::SecureRandom;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::AtomicBool;
use tokio::sync::mpsc::UnboundedSender;

/// What the listener (or a pasted URL) reports to the waiting flow.
#[derive(Debug)]
pub enum Event {
    Callback(Callback),
    WrongIssuer(Option<String>),
}

pub struct Listener {
    socket: TcpListener,
    path: String,
    entry_path: String,
    hosts: Vec<String>,
    peers: peer::Peers,
    /// The redirect_uri sent to the provider.
    pub redirect_uri: String,
    /// `http://127.0.0.1:PORT/<32 hex digits>`: redirects to the authorization URL.
    /// Unguessable, because that URL carries `state`: another local user who could
    /// fetch it could deliver their own code with it (login CSRF). Safe to show other
    /// users only when [`Listener::serves_only_this_user`].
    pub local_url: String,
}

/// What a callback must carry to be accepted.
#[derive(Debug, Clone)]
pub struct Expected {
    pub state: Secret,
    pub issuer: Option<String>,
    pub iss_required: bool,
}

impl Expected {
    pub fn check(&self, query: &str) -> Outcome {
        callback::parse(
            query,
            &Expect {
                state: &self.state,
                issuer: self.issuer.as_deref(),
                iss_required: self.iss_required,
            },
        )
    }
}

impl Listener {
    /// Binds 127.0.0.1 on a free port, or exactly what a fixed redirect URI names.
    pub fn bind(fixed_redirect_uri: Option<&str>) -> Result<Listener> {
        let (addr, host, path) = match fixed_redirect_uri {
            None => (
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
                "127.0.0.1".to_string(),
                "/callback".to_string(),
            ),
            Some(raw) => parse_redirect_uri(raw)?,
        };
        limits::raise_open_files();
        let socket = TcpListener::bind(addr).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                Error::Other {
                    message: format!(
                        "port {} on {} is already in use, so the provider's redirect cannot be received",
                        addr.port(),
                        addr.ip()
                    ),
                    hint: Some(format!(
                        "stop the program listening there (`ss -ltnp 'sport = :{}'` shows it), or use another --redirect-uri the client has registered",
                        addr.port()
                    )),
                }
            } else {
                Error::other(format!("cannot listen on {addr}: {e}"))
            }
        })?;
        let bound = socket
            .local_addr()
            .map_err(|e| Error::other(format!("cannot listen on {addr}: {e}")))?;
        let port = bound.port();
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let redirect_uri = match fixed_redirect_uri {
            Some(raw) => raw.to_string(),
            None => format!("http://{authority}{path}"),
        };
        let ip_authority = match bound.ip() {
            IpAddr::V6(ip) => format!("[{ip}]:{port}"),
            IpAddr::V4(ip) => format!("{ip}:{port}"),
        };
        let entry_path = format!("/{}", random_hex_128()?);
        Ok(Listener {
            peers: peer::Peers::for_listener(bound),
            socket,
            hosts: route::allowed_hosts(bound, &host),
            path,
            redirect_uri,
            local_url: format!("http://{ip_authority}{entry_path}"),
            entry_path,
        })
    }

    /// Whether connections of other local users are refused (Linux, where the kernel
    /// names each socket's owner): then only this user can follow `local_url`, and it
    /// may be handed to a browser, whose argv every user can read.
    pub fn serves_only_this_user(&self) -> bool {
        self.peers.only_ours()
    }

    /// Serves on a thread until this login's callback arrives; reports it on `events`.
    pub fn serve(
        self,
        authorization_url: String,
        expected: Expected,
        events: UnboundedSender<Event>,
    ) {
        let router = route::Router {
            entry_path: self.entry_path,
            callback_path: self.path,
            hosts: self.hosts,
            authorization_url,
            expected,
            answered: AtomicBool::new(false),
        };
        server::spawn(self.socket, router, self.peers, events);
    }
}

/// 128 random bits as 32 lowercase hex digits.
fn random_hex_128() -> Result<String> {
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::other("the system's random source failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A fixed redirect URI must be http on a loopback host with an explicit port.
fn parse_redirect_uri(raw: &str) -> Result<(SocketAddr, String, String)> {
    let bad = |why: &str| Error::Usage {
        message: format!("--redirect-uri {raw}: {why}"),
        hint: Some("use e.g. http://localhost:3000/auth/oauth2/callback".into()),
    };
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" {
        return Err(bad("the loopback redirect must be http:// (RFC 8252 7.3)"));
    }
    let port = url.port().ok_or_else(|| bad("name a port"))?;
    let (ip, host): (IpAddr, String) = match url.host() {
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            (IpAddr::V4(Ipv4Addr::LOCALHOST), "localhost".into())
        }
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => (IpAddr::V4(ip), ip.to_string()),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => (IpAddr::V6(ip), ip.to_string()),
        _ => return Err(bad("the host must be localhost, 127.0.0.1 or [::1]")),
    };
    Ok((SocketAddr::new(ip, port), host, url.path().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_redirect_uris_must_be_loopback_with_a_port() {
        let (addr, host, path) =
            parse_redirect_uri("http://localhost:3000/auth/oauth2/callback").unwrap();
        assert_eq!(addr.to_string(), "127.0.0.1:3000");
        assert_eq!(host, "localhost");
        assert_eq!(path, "/auth/oauth2/callback");
        let (addr, _, _) = parse_redirect_uri("http://[::1]:8400/cb").unwrap();
        assert_eq!(addr.to_string(), "[::1]:8400");
        for bad in [
            "https://localhost:3000/cb",
            "http://example.com:3000/cb",
            "http://localhost/cb",
            "http://10.0.0.1:3000/cb",
        ] {
            assert!(parse_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_local_url_is_an_unguessable_path() {
        let listener = Listener::bind(None).unwrap();
        let (origin, entry) = listener.local_url.rsplit_once('/').unwrap();
        assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
        assert_eq!(entry.len(), 32);
        assert!(entry.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(listener.entry_path, format!("/{entry}"));
        let other = Listener::bind(None).unwrap();
        assert_ne!(other.entry_path, listener.entry_path);
        assert!(listener.redirect_uri.ends_with("/callback"));
    }
}
