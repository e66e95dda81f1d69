//! The loopback redirect listener (RFC 8252 section 7.3): binds loopback only, answers
//! `GET /` with a redirect to the authorization URL (a short URL to print and open),
//! ignores requests that are not this login's, answers the real callback once, closes.
//! The code exchange happens in the flow, not here.

pub mod callback;
pub mod pages;

use crate::error::{Error, Result};
use crate::output;
use crate::secret::Secret;
use callback::{Callback, Expect, Outcome};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use tokio::sync::mpsc::UnboundedSender;

/// What the listener (or a pasted URL) reports to the waiting flow.
#[derive(Debug)]
pub enum Event {
    Callback(Callback),
    WrongIssuer(Option<String>),
}

pub struct Listener {
    server: tiny_http::Server,
    path: String,
    /// The redirect_uri sent to the provider.
    pub redirect_uri: String,
    /// `http://127.0.0.1:PORT/`: redirects to the authorization URL.
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
        let server = tiny_http::Server::http(addr).map_err(|e| {
            let in_use = e
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
                || e.to_string().contains("in use");
            if in_use {
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
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .unwrap_or(addr.port());
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let redirect_uri = match fixed_redirect_uri {
            Some(raw) => raw.to_string(),
            None => format!("http://{authority}{path}"),
        };
        let ip_authority = match addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]:{port}"),
            IpAddr::V4(ip) => format!("{ip}:{port}"),
        };
        Ok(Listener {
            server,
            path,
            redirect_uri,
            local_url: format!("http://{ip_authority}/"),
        })
    }

    /// Serves on a thread until this login's callback arrives; reports it on `events`.
    pub fn serve(
        self,
        authorization_url: String,
        expected: Expected,
        events: UnboundedSender<Event>,
    ) {
        std::thread::spawn(move || {
            for request in self.server.incoming_requests() {
                if let Some(event) = self.answer(request, &authorization_url, &expected) {
                    let _ = events.send(event);
                    // Answered once: dropping the server closes the socket.
                    return;
                }
            }
        });
    }

    fn answer(
        &self,
        request: tiny_http::Request,
        authorization_url: &str,
        expected: &Expected,
    ) -> Option<Event> {
        let (path, query) = request
            .url()
            .split_once('?')
            .map_or((request.url(), ""), |(p, q)| (p, q));
        let (path, query) = (path.to_string(), query.to_string());
        if *request.method() != tiny_http::Method::Get {
            respond(request, 405, &pages::not_found(), None);
            return None;
        }
        if path == "/" && self.path != "/" {
            respond(request, 302, "", Some(authorization_url));
            return None;
        }
        if path != self.path {
            respond(request, 404, &pages::not_found(), None);
            return None;
        }
        match expected.check(&query) {
            Outcome::Accepted(Callback::Code { code }) => {
                respond(request, 200, &pages::success(), None);
                Some(Event::Callback(Callback::Code { code }))
            }
            Outcome::Accepted(Callback::Error { error, description }) => {
                respond(request, 200, &pages::failure(&error), None);
                Some(Event::Callback(Callback::Error { error, description }))
            }
            Outcome::WrongIssuer { got } => {
                respond(request, 400, &pages::failure("issuer mismatch"), None);
                Some(Event::WrongIssuer(got))
            }
            Outcome::Ignored(why) => {
                output::debug(1, format!("ignored a request to the listener: {why}"));
                respond(request, 400, &pages::ignored(), None);
                None
            }
        }
    }
}

fn respond(request: tiny_http::Request, status: u16, body: &str, location: Option<&str>) {
    let header = |name: &str, value: &str| {
        tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
    };
    let mut response = tiny_http::Response::from_string(body)
        .with_status_code(status)
        .with_header(header("Content-Type", "text/html; charset=utf-8"))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("Referrer-Policy", "no-referrer"));
    if let Some(location) = location {
        response = response.with_header(header("Location", location));
    }
    let _ = request.respond(response);
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
}
