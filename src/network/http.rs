//! The one module that sends HTTP. It caps response bodies, never follows redirects
//! (a token endpoint that redirects is misconfigured or hostile), logs exchanges at -v
//! with secrets redacted, retries only what surely never reached the server, and takes
//! the secrets it sent out of a failed answer before anyone reads it (`redact.rs`).

use crate::oauth::redact::Redactor;
use crate::oauth::{FormRequest, HttpResponse, OAuthError, SetupError};
use crate::output;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bodies larger than this are refused: no real token response comes close.
pub const MAX_BODY: usize = 1024 * 1024;
/// Longest `Retry-After` octoken honours before giving up with "try again later".
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// How to talk to a profile's server, resolved once by `settings`.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Extra trusted CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
    /// A proxy for this profile; else the environment's HTTPS_PROXY / NO_PROXY apply.
    pub proxy: Option<String>,
    /// Mutual TLS (RFC 8705): the client certificate presented to every server.
    pub client_identity: Option<ClientIdentity>,
}

/// A client certificate (PEM, maybe with its chain) and its private key (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The files `HttpOptions` names (`ca_file`, `client_identity`) with their contents,
/// read by the caller through the one opener of the user's files (`fsutil`, a floor
/// above), which refuses a trust anchor or key that another user can change.
#[derive(Default)]
pub struct TlsFiles {
    /// The CA file and its bytes.
    pub ca: Option<(PathBuf, Vec<u8>)>,
    /// The client certificate and key files, and their bytes.
    pub identity: Option<(ClientIdentity, Vec<u8>, Vec<u8>)>,
}

/// The clients are built on first use, each for one route: building one loads the
/// system's trust store (on Debian both the bundle file and every file of
/// /etc/ssl/certs, ~8 ms a time measured), and most runs need one route only.
pub struct Http {
    settings: ClientSettings,
    /// As configured: the profile's proxy, else the environment's.
    routed: std::sync::OnceLock<Result<reqwest::Client, String>>,
    /// Without any proxy, for https to loopback destinations (see `is_loopback`).
    direct: std::sync::OnceLock<Result<reqwest::Client, String>>,
    /// Plain http to loopback (a provider on this machine): no trust store to load.
    direct_plain: std::sync::OnceLock<Result<reqwest::Client, String>>,
}

/// What every client of a profile shares, read and checked once by `Http::new`.
struct ClientSettings {
    connect_timeout: Duration,
    request_timeout: Duration,
    certs: Option<Vec<reqwest::Certificate>>,
    identity: Option<reqwest::Identity>,
    proxy: Option<reqwest::Proxy>,
}

/// Which client a request takes.
#[derive(Clone, Copy)]
enum Route {
    Routed,
    Direct,
    DirectPlain,
}

impl Http {
    /// Two clients with the same TLS settings: one routed as configured (the profile's
    /// proxy, else HTTP(S)_PROXY/ALL_PROXY/NO_PROXY from the environment), one that never
    /// uses a proxy. Loopback destinations always take the second: a token endpoint on
    /// this machine is reached directly, whatever the environment says, so that a proxy
    /// (or whoever set HTTP_PROXY) never sees a refresh token sent in plain http to
    /// 127.0.0.1. Names other than `localhost` are proxied as configured.
    pub fn new(options: &HttpOptions, files: &TlsFiles) -> Result<Http, SetupError> {
        // One process-wide TLS provider; ring keeps the binary small.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let certs = match &files.ca {
            Some((path, pem)) => Some(parse_ca_file(path, pem)?),
            None => None,
        };
        let identity = match &files.identity {
            Some((identity, cert, key)) => Some(parse_identity(identity, cert, key)?),
            None => None,
        };
        let proxy = match &options.proxy {
            Some(proxy) => Some(reqwest::Proxy::all(proxy).map_err(|e| SetupError::Proxy {
                url: proxy.clone(),
                message: e.to_string(),
            })?),
            None => None,
        };
        Ok(Http {
            settings: ClientSettings {
                connect_timeout: options.connect_timeout,
                request_timeout: options.request_timeout,
                certs,
                identity,
                proxy,
            },
            routed: std::sync::OnceLock::new(),
            direct: std::sync::OnceLock::new(),
            direct_plain: std::sync::OnceLock::new(),
        })
    }

    /// The client for `url`, built on first use: the direct one for a loopback
    /// destination, without a trust store when that is plain http.
    fn client_for(&self, url: &str) -> Result<&reqwest::Client, String> {
        let route = match (is_loopback(url), url.starts_with("http://")) {
            (true, true) => Route::DirectPlain,
            (true, false) => Route::Direct,
            (false, _) => Route::Routed,
        };
        let cell = match route {
            Route::Routed => &self.routed,
            Route::Direct => &self.direct,
            Route::DirectPlain => &self.direct_plain,
        };
        cell.get_or_init(|| self.build(route))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn build(&self, route: Route) -> Result<reqwest::Client, String> {
        let settings = &self.settings;
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("octoken/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout);
        builder = match route {
            // Plain http never verifies a certificate: an empty trust store spares
            // loading the system's.
            Route::DirectPlain => builder.no_proxy().tls_certs_only([]),
            Route::Direct | Route::Routed => {
                if let Some(certs) = &settings.certs {
                    builder = builder.tls_certs_merge(certs.clone());
                }
                if let Some(identity) = &settings.identity {
                    builder = builder.identity(identity.clone());
                }
                match (route, &settings.proxy) {
                    (Route::Routed, Some(proxy)) => builder.proxy(proxy.clone()),
                    (Route::Routed, None) => builder,
                    _ => builder.no_proxy(),
                }
            }
        };
        builder
            .build()
            .map_err(|e| format!("cannot set up HTTP: {}", chain(&e)))
    }

    /// Sends a form. The body of a failed answer (any status outside 2xx) comes back
    /// with every secret of the request taken out (`FormRequest::redactor`): servers and
    /// proxies echo a bad request into their error page, and whatever quotes the answer
    /// (an error message, a log line, a fleet's backoff reason) must not carry them. A
    /// successful answer is left whole: it holds the tokens asked for, and a server may
    /// rightly send back the refresh token it was given.
    pub async fn post_form(&self, req: &FormRequest) -> Result<HttpResponse, OAuthError> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(req.form.iter().map(|(k, v)| (k.as_ref(), v.expose())))
            .finish();
        let fields = req.field_names();
        let sent = Mutex::new(req.redactor());
        let mut resp = self.send_form(req, &body, &fields, &sent).await?;
        // RFC 9449 8: a server that wants a nonce answers use_dpop_nonce with one;
        // sign again with it, once.
        if let Some(signer) = &req.dpop
            && let Some(nonce) = &resp.dpop_nonce
            && signer.learn_nonce(nonce)
            && (resp.status == 400 || resp.status == 401)
            && resp.body.windows(14).any(|w| w == b"use_dpop_nonce")
        {
            output::debug(1, "the server asks for a DPoP nonce; signing again with it");
            resp = self.send_form(req, &body, &fields, &sent).await?;
        }
        if !(200..300).contains(&resp.status) {
            resp.body = lock(&sent).apply(&resp.body);
        }
        Ok(resp)
    }

    async fn send_form(
        &self,
        req: &FormRequest,
        body: &str,
        fields: &str,
        sent: &Mutex<Redactor>,
    ) -> Result<HttpResponse, OAuthError> {
        self.send(req.endpoint, "POST", &req.url, sent, |client| {
            let body = match &req.assertion {
                // A fresh assertion (new jti, current iat) for every attempt: servers
                // refuse a jti they have seen (RFC 7523 3).
                Some(signer) => {
                    let assertion = signer.sign(unix_now());
                    lock(sent).add(assertion.expose());
                    url::form_urlencoded::Serializer::new(body.to_string())
                        .append_pair("client_assertion", assertion.expose())
                        .finish()
                }
                None => body.to_string(),
            };
            let mut builder = client
                .post(&req.url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", req.accept)
                .body(body);
            if let Some(auth) = &req.authorization {
                builder = builder.header("authorization", auth.expose());
            }
            if let Some(signer) = &req.dpop {
                // A fresh proof (new jti, current iat) for every attempt.
                let proof = signer.token_proof(&req.url, unix_now());
                lock(sent).add(proof.expose());
                builder = builder.header("dpop", proof.expose());
            }
            output::debug(2, format!("> POST {}", req.url));
            output::debug(
                2,
                format!(
                    "> content-type: application/x-www-form-urlencoded; accept: {}{}; form fields: {fields} (values redacted)",
                    req.accept,
                    if req.authorization.is_some() { "; authorization: <redacted>" } else { "" }
                ),
            );
            if req.dpop.is_some() {
                output::debug(2, "> dpop: <a proof, redacted>");
            }
            builder
        })
        .await
    }

    pub async fn get(&self, endpoint: &'static str, url: &str) -> Result<HttpResponse, OAuthError> {
        self.send(endpoint, "GET", url, &Mutex::default(), |client| {
            output::debug(2, format!("> GET {url}"));
            output::debug(2, "> accept: application/json");
            client.get(url).header("accept", "application/json")
        })
        .await
    }

    async fn send(
        &self,
        endpoint: &'static str,
        method: &str,
        url: &str,
        sent: &Mutex<Redactor>,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<HttpResponse, OAuthError> {
        // A client that cannot be set up (no trust store at all, say) is a TLS problem
        // of this destination, told with its hint.
        let client = self.client_for(url).map_err(|message| OAuthError::Tls {
            endpoint,
            url: url.to_string(),
            message,
        })?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let start = Instant::now();
            let request = build(client);
            // What this attempt sent, for the headers logged at -vv.
            let redactor = lock(sent).clone();
            let result = self.send_once(endpoint, url, request, &redactor).await;
            let elapsed = start.elapsed().as_millis();
            match &result {
                Ok(resp) => output::debug(
                    1,
                    format!("{method} {url} -> {} ({elapsed} ms)", resp.status),
                ),
                Err(e) => output::debug(1, format!("{method} {url} -> failed ({elapsed} ms): {e}")),
            }
            let pause = match &result {
                // Never reached the server: safe to try again, a couple of times.
                Err(OAuthError::Transport { not_sent: true, .. }) if attempt < 3 => {
                    Some(Duration::from_millis(250 * u64::from(attempt * attempt)))
                }
                Ok(resp) if attempt < 2 => resp.retry_after(),
                _ => None,
            };
            match pause {
                Some(pause) => {
                    output::debug(1, format!("retrying in {} ms", pause.as_millis()));
                    tokio::time::sleep(pause).await;
                }
                None => return result,
            }
        }
    }

    async fn send_once(
        &self,
        endpoint: &'static str,
        url: &str,
        request: reqwest::RequestBuilder,
        sent: &Redactor,
    ) -> Result<HttpResponse, OAuthError> {
        let transport = |e: reqwest::Error| {
            let cause = root_cause(&e);
            if is_certificate_problem(&cause) {
                return OAuthError::Tls {
                    endpoint,
                    url: url.to_string(),
                    message: cause,
                };
            }
            OAuthError::Transport {
                endpoint,
                url: url.to_string(),
                not_sent: e.is_connect() && !e.is_timeout(),
                message: if e.is_timeout() {
                    "timed out".to_string()
                } else {
                    cause
                },
            }
        };
        let mut resp = request.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        // Only ever shown (in "expected JSON, got ..."): an echo of ours goes.
        let content_type = header("content-type").map(|v| sent.apply_str(&v));
        let retry_after = header("retry-after");
        let dpop_nonce = header("dpop-nonce");
        if output::verbosity() >= 2 {
            for (name, value) in resp.headers() {
                let shown = if name == "set-cookie" {
                    "<redacted>".to_string()
                } else {
                    sent.apply_str(value.to_str().unwrap_or("<binary>"))
                };
                output::debug(2, format!("< {name}: {shown}"));
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(OAuthError::Parse {
                    endpoint,
                    status,
                    message: format!("the response body is larger than {} KiB", MAX_BODY / 1024),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            content_type,
            body,
            retry_after: retry_after.as_deref().and_then(parse_retry_after),
            dpop_nonce,
        })
    }
}

/// The redactor of a request, also after a panic elsewhere poisoned its lock (it holds
/// plain data that a panic cannot leave half-written in a way that matters).
fn lock(sent: &Mutex<Redactor>) -> std::sync::MutexGuard<'_, Redactor> {
    sent.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The PEM certificates of a `--ca-file` (`pem`, read from `path`), at least one.
fn parse_ca_file(path: &Path, pem: &[u8]) -> Result<Vec<reqwest::Certificate>, SetupError> {
    let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| SetupError::CaNotPem {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(SetupError::CaEmpty {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The client certificate and key (read from `identity`'s files) as one PEM identity
/// for rustls.
fn parse_identity(
    identity: &ClientIdentity,
    cert: &[u8],
    key: &[u8],
) -> Result<reqwest::Identity, SetupError> {
    if !String::from_utf8_lossy(cert).contains("-----BEGIN CERTIFICATE-----") {
        return Err(SetupError::ClientIdentity {
            path: identity.cert.clone(),
            message: "it holds no PEM certificate".into(),
        });
    }
    let mut pem = cert.to_vec();
    pem.push(b'\n');
    pem.extend_from_slice(key);
    reqwest::Identity::from_pem(&pem).map_err(|e| SetupError::ClientIdentity {
        path: identity.cert.clone(),
        message: format!("{} (with the key {})", chain(&e), identity.key.display()),
    })
}

/// Whether `url` names this machine literally: an address in 127.0.0.0/8, [::1] (or
/// an IPv4-mapped loopback), or the name `localhost` (RFC 6761 6.3). Such destinations are never
/// proxied. An unparsable URL is not loopback (and fails later on its own).
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(name)) => name
            .strip_suffix('.')
            .unwrap_or(name)
            .eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Longest `Retry-After` kept from a header: a day. Only short waits are honoured
/// (`MAX_RETRY_AFTER`); the bound keeps any later arithmetic on the value sane.
const RETRY_AFTER_CAP: u64 = 86_400;

/// A `Retry-After` given in seconds (RFC 9110 10.2.3 delay-seconds), clamped to a day.
/// An HTTP-date is not honoured (None): octoken then does not retry.
fn parse_retry_after(value: &str) -> Option<u64> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits: a parse failure can only be an overflow, which is "very long".
    Some(
        digits
            .parse::<u64>()
            .unwrap_or(u64::MAX)
            .min(RETRY_AFTER_CAP),
    )
}

impl HttpResponse {
    /// How long to wait before one retry: only for 429/503 with a short Retry-After.
    fn retry_after(&self) -> Option<Duration> {
        if self.status != 429 && self.status != 503 {
            return None;
        }
        let wait = Duration::from_secs(self.retry_after?);
        (wait <= MAX_RETRY_AFTER).then_some(wait)
    }
}

/// The wall clock for proofs' `iat`: the server compares it with its own.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// rustls reports certificate failures as "invalid peer certificate: ..." and the
/// platform verifier in its own words; both name the certificate.
fn is_certificate_problem(cause: &str) -> bool {
    let lower = cause.to_ascii_lowercase();
    lower.contains("certificate") || lower.contains("unknownissuer")
}

/// The innermost cause ("Connection refused (os error 111)", "invalid peer certificate:
/// UnknownIssuer"): what a user can act on, without reqwest's wrapping.
fn root_cause(err: &dyn std::error::Error) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string().replace('\n', " ")
}

/// An error with its causes, on one line ("error sending request: connection refused").
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_literals_and_localhost_only() {
        for url in [
            "http://127.0.0.1:8080/token",
            "http://127.9.8.7/token",
            "https://[::1]:443/token",
            "http://[::ffff:127.0.0.1]/token",
            "http://localhost:1/token",
            "http://LOCALHOST./token",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "http://128.0.0.1/token",
            "http://10.0.0.1/token",
            "https://[::2]/token",
            "https://id.example.com/token",
            "http://localhost.example.com/token",
            "http://mylocalhost/token",
            "http://id.localhost/token",
            "not a url",
            "file:///tmp/x",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn retry_after_is_seconds_clamped_to_a_day() {
        assert_eq!(parse_retry_after("1"), Some(1));
        assert_eq!(parse_retry_after(" 120 "), Some(120));
        assert_eq!(parse_retry_after("86400"), Some(86_400));
        assert_eq!(parse_retry_after("86401"), Some(RETRY_AFTER_CAP));
        assert_eq!(parse_retry_after("253402300799"), Some(RETRY_AFTER_CAP));
        assert_eq!(
            parse_retry_after("99999999999999999999999999"),
            Some(RETRY_AFTER_CAP)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "+3",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "0x10",
        ] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_a_short_retry_after_on_429_or_503_is_honoured() {
        let resp = |status, retry_after| HttpResponse {
            status,
            content_type: None,
            body: Vec::new(),
            retry_after,
            dpop_nonce: None,
        };
        assert_eq!(
            resp(429, Some(3)).retry_after(),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            resp(503, Some(10)).retry_after(),
            Some(Duration::from_secs(10))
        );
        assert_eq!(resp(503, Some(11)).retry_after(), None);
        assert_eq!(resp(500, Some(1)).retry_after(), None);
        assert_eq!(resp(429, Some(u64::MAX)).retry_after(), None);
        assert_eq!(resp(429, None).retry_after(), None);
    }
}
