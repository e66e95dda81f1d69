//! What the listener answers to one request head, and when the login has its answer.
//!
//! Anyone on the machine can reach the listener, and through DNS rebinding so can any
//! web page the user visits. So: a `Host` that is not this listener's is refused before
//! anything else; the convenience redirect to the authorization URL (which carries
//! `state`) is served only at an unguessable path; the callback path takes only this
//! login's `state`, once.

use super::callback::{Callback, Outcome};
use super::pages;
use super::request::Head;
use super::response::Answer;
use super::{Event, Expected};
use crate::output;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Router {
    /// `/<32 hex digits>`: redirects to the authorization URL.
    pub entry_path: String,
    /// The registered redirect URI's path.
    pub callback_path: String,
    /// The `Host` values this listener answers to, lowercase (see `allowed_hosts`).
    pub hosts: Vec<String>,
    pub authorization_url: String,
    pub expected: Expected,
    /// Set by the one request that ended the wait; later ones are only strays.
    pub answered: AtomicBool,
}

/// An answer, and the event for the flow when it ends the login's wait (the listener
/// then closes). The event goes out after the answer, so the browser has its page
/// before octoken moves on and exits.
pub struct Reply {
    pub answer: Answer,
    pub event: Option<Event>,
}

impl Reply {
    fn page(status: u16, body: String) -> Reply {
        Reply {
            answer: Answer::page(status, body),
            event: None,
        }
    }
}

impl Router {
    pub fn answer(&self, head: &Head) -> Reply {
        let Some(host) = &head.host else {
            return ignored("a request without a Host header", 400, pages::bad_request());
        };
        if !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return ignored("a request for another host", 421, pages::misdirected());
        }
        if head.method != "GET" {
            return ignored("a request that is not a GET", 405, pages::bad_request());
        }
        let (path, query) = head.target.split_once('?').unwrap_or((&head.target, ""));
        if constant_time_eq(path.as_bytes(), self.entry_path.as_bytes()) {
            return Reply {
                answer: Answer::redirect(&self.authorization_url),
                event: None,
            };
        }
        if path != self.callback_path {
            return Reply::page(404, pages::not_found());
        }
        let (status, page, event) = match self.expected.check(query) {
            Outcome::Accepted(Callback::Code { code }) => (
                200,
                pages::success(),
                Event::Callback(Callback::Code { code }),
            ),
            Outcome::Accepted(Callback::Error { error, description }) => (
                200,
                pages::failure(&error),
                Event::Callback(Callback::Error { error, description }),
            ),
            Outcome::WrongIssuer { got } => (
                400,
                pages::failure("issuer mismatch"),
                Event::WrongIssuer(got),
            ),
            Outcome::Ignored(why) => {
                output::debug(1, format!("ignored a request to the listener: {why}"));
                return Reply::page(400, pages::ignored());
            }
        };
        // Two requests with the right state at once (a reload): the first one counts.
        if self.answered.swap(true, Ordering::SeqCst) {
            return Reply::page(400, pages::ignored());
        }
        Reply {
            answer: Answer::page(status, page),
            event: Some(event),
        }
    }
}

/// The entry path is a secret: how long a comparison takes must not tell how much of
/// a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn ignored(why: &str, status: u16, page: String) -> Reply {
    output::debug(1, format!("ignored {why}"));
    Reply::page(status, page)
}

/// The `Host` values a browser sends to this listener: the loopback literal it bound
/// (`127.0.0.1:PORT`, `[::1]:PORT`) and the redirect URI's own authority (say
/// `localhost:3000`), each also without the port when the port is 80. Any other name is
/// a DNS-rebinding page or a stray, and is refused.
pub fn allowed_hosts(bound: std::net::SocketAddr, redirect_host: &str) -> Vec<String> {
    let port = bound.port();
    let literal = match bound.ip() {
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let named = if redirect_host.contains(':') && !redirect_host.starts_with('[') {
        format!("[{redirect_host}]")
    } else {
        redirect_host.to_string()
    };
    let mut hosts = Vec::new();
    for host in [literal, named] {
        let host = host.to_ascii_lowercase();
        for value in [format!("{host}:{port}"), host.clone()] {
            let with_port = value.len() > host.len();
            if (with_port || port == 80) && !hosts.contains(&value) {
                hosts.push(value);
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn router() -> Router {
        Router {
            entry_path: "/0123456789abcdef0123456789abcdef".into(),
            callback_path: "/callback".into(),
            hosts: allowed_hosts("127.0.0.1:8400".parse().unwrap(), "localhost"),
            authorization_url: "https://id.example/auth?state=s3cret".into(),
            expected: Expected {
                state: Secret::new("s3cret"),
                issuer: None,
                iss_required: false,
            },
            answered: AtomicBool::new(false),
        }
    }

    fn get(target: &str, host: Option<&str>) -> Head {
        Head {
            method: "GET".into(),
            target: target.into(),
            host: host.map(str::to_string),
        }
    }

    #[test]
    fn hosts_are_the_bound_literal_and_the_redirect_name() {
        let v4 = allowed_hosts("127.0.0.1:8400".parse().unwrap(), "127.0.0.1");
        assert_eq!(v4, ["127.0.0.1:8400"]);
        let named = allowed_hosts("127.0.0.1:3000".parse().unwrap(), "LocalHost");
        assert_eq!(named, ["127.0.0.1:3000", "localhost:3000"]);
        let v6 = allowed_hosts("[::1]:8400".parse().unwrap(), "::1");
        assert_eq!(v6, ["[::1]:8400"]);
        let port80 = allowed_hosts("127.0.0.1:80".parse().unwrap(), "localhost");
        assert_eq!(
            port80,
            ["127.0.0.1:80", "127.0.0.1", "localhost:80", "localhost"]
        );
    }

    #[test]
    fn another_host_is_refused_before_anything_else() {
        let router = router();
        for host in [
            Some("evil.example:8400"),
            Some("127.0.0.1:8401"),
            Some("127.0.0.1"),
            None,
        ] {
            for target in [
                "/0123456789abcdef0123456789abcdef",
                "/callback?state=s3cret&code=c",
            ] {
                let reply = router.answer(&get(target, host));
                assert!(
                    matches!(reply.answer.status, 400 | 421) && reply.event.is_none(),
                    "{host:?} {target}"
                );
                assert_eq!(reply.answer.location, None);
            }
        }
        let reply = router.answer(&get(
            "/callback?state=s3cret&code=c",
            Some("LOCALHOST:8400"),
        ));
        assert!(reply.event.is_some());
    }

    #[test]
    fn the_root_reveals_nothing_and_the_entry_path_redirects() {
        let router = router();
        let root = router.answer(&get("/", Some("127.0.0.1:8400")));
        assert_eq!(root.answer.status, 404);
        assert!(!root.answer.body.contains("s3cret"));
        assert_eq!(root.answer.location, None);
        let entry = router.answer(&get(
            "/0123456789abcdef0123456789abcdef",
            Some("127.0.0.1:8400"),
        ));
        assert_eq!(entry.answer.status, 302);
        assert_eq!(
            entry.answer.location.as_deref(),
            Some("https://id.example/auth?state=s3cret")
        );
        let near = router.answer(&get(
            "/0123456789abcdef0123456789abcde",
            Some("127.0.0.1:8400"),
        ));
        assert_eq!(near.answer.status, 404);
    }

    #[test]
    fn the_callback_counts_once() {
        let router = router();
        let head = get("/callback?state=s3cret&code=c", Some("127.0.0.1:8400"));
        let post = Head {
            method: "POST".into(),
            ..get("/callback?state=s3cret&code=c", Some("127.0.0.1:8400"))
        };
        assert_eq!(router.answer(&post).answer.status, 405);
        let stray = router.answer(&get("/callback?state=no&code=c", Some("127.0.0.1:8400")));
        assert_eq!((stray.answer.status, stray.event.is_some()), (400, false));
        let first = router.answer(&head);
        assert_eq!((first.answer.status, first.event.is_some()), (200, true));
        let again = router.answer(&head);
        assert_eq!((again.answer.status, again.event.is_some()), (400, false));
    }
}
