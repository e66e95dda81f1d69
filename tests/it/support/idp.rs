//! The project's real OpenID Connect provider (tests/idp/server.mjs, npm oidc-provider),
//! started per test on 127.0.0.1 at a random port and stopped on drop.

use super::repo_root;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Basic,
    Post,
    Public,
    /// private_key_jwt with the keys given in `IdpOptions::client_keys`.
    Key,
}

impl Client {
    pub fn id(self) -> &'static str {
        match self {
            Client::Basic => "octoken-basic",
            Client::Post => "octoken-post",
            Client::Public => "octoken-public",
            Client::Key => "octoken-key",
        }
    }

    pub fn secret(self) -> &'static str {
        match self {
            Client::Basic => "basic-secret-0123456789",
            Client::Post => "post-secret-0123456789",
            Client::Public | Client::Key => "",
        }
    }

    pub fn auth_method(self) -> &'static str {
        match self {
            Client::Basic => "basic",
            Client::Post => "post",
            Client::Public => "none",
            Client::Key => "private-key-jwt",
        }
    }
}

#[derive(Debug, Clone)]
pub struct IdpOptions {
    pub keycloak: bool,
    pub rotation: bool,
    pub omit_refresh: bool,
    /// Token responses carry no `scope` (RFC 6749 5.1: the requested one was granted).
    pub omit_scope: bool,
    pub access_ttl: u64,
    /// Serve HTTPS with this certificate and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Answer refreshes like a Keycloak offline session (refresh_expires_in: 0).
    pub keycloak_offline: bool,
    /// The token endpoint requires DPoP nonces.
    pub dpop_nonce: bool,
    /// The DPoP proof algorithms it takes (comma-separated) instead of all octoken signs.
    pub dpop_algs: Option<&'static str>,
    /// The only private_key_jwt assertion algorithms it takes (comma-separated).
    pub client_auth_algs: Option<&'static str>,
    /// Client assertions must name the issuer as `aud` (FAPI 2.0).
    pub assertion_aud_issuer: bool,
    /// Register client `octoken-key` (private_key_jwt) with these keys' public halves
    /// (PEM files; each key's kid is its file's base name).
    pub client_keys: Vec<PathBuf>,
    /// With `tls`: ask for client certificates, trust those this CA signed, and register
    /// client `octoken-mtls` (tls_client_auth, subject CN=octoken-mtls).
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: only a second listener asks for certificates, listed in the
    /// discovery document as `mtls_endpoint_aliases` (RFC 8705 5).
    pub mtls_aliases: bool,
    /// The provider takes pushed authorization requests only (RFC 9126 5).
    pub require_par: bool,
}

impl IdpOptions {
    /// A Curity-style server: a new refresh token on every use.
    pub fn rotating() -> Self {
        IdpOptions {
            rotation: true,
            ..IdpOptions::default()
        }
    }
}

impl Default for IdpOptions {
    fn default() -> Self {
        IdpOptions {
            keycloak: true,
            rotation: false,
            omit_refresh: false,
            omit_scope: false,
            access_ttl: 300,
            tls: None,
            keycloak_offline: false,
            dpop_nonce: false,
            dpop_algs: None,
            client_auth_algs: None,
            assertion_aud_issuer: false,
            client_keys: Vec::new(),
            client_ca: None,
            mtls_aliases: false,
            require_par: false,
        }
    }
}

pub struct Idp {
    child: Option<Child>,
    pub issuer: String,
    pub base: String,
    /// With `mtls_aliases`: the certificate-asking listener, `https://127.0.0.1:N`.
    pub mtls_base: Option<String>,
    /// Extra environment for node clients of this provider (a test CA, say).
    pub node_env: Vec<(String, String)>,
}

impl Idp {
    pub fn start(options: IdpOptions) -> Idp {
        let dir = repo_root().join("tests/idp");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "run `npm ci --prefix tests/idp` first (tests/run does it)"
        );
        let mut cmd = Command::new("node");
        // --exit-with-stdin: the provider ends with the test process even on a panic
        // that skips Drop (the pipe closes when the process dies).
        cmd.arg(dir.join("server.mjs"))
            .arg("--exit-with-stdin")
            .args(["--access-ttl", &options.access_ttl.to_string()])
            .args([
                "--layout",
                if options.keycloak {
                    "keycloak"
                } else {
                    "plain"
                },
            ])
            .args(["--rotation", if options.rotation { "on" } else { "off" }]);
        if options.omit_refresh {
            cmd.arg("--omit-refresh");
        }
        if options.omit_scope {
            cmd.arg("--omit-scope");
        }
        if options.keycloak_offline {
            cmd.arg("--keycloak-offline");
        }
        if options.dpop_nonce {
            cmd.arg("--dpop-nonce");
        }
        if let Some(algs) = options.dpop_algs {
            cmd.args(["--dpop-algs", algs]);
        }
        if let Some(algs) = options.client_auth_algs {
            cmd.args(["--client-auth-algs", algs]);
        }
        if options.assertion_aud_issuer {
            cmd.arg("--assertion-aud-issuer");
        }
        for key in &options.client_keys {
            cmd.arg("--client-key").arg(key);
        }
        if let Some(ca) = &options.client_ca {
            cmd.arg("--client-ca").arg(ca);
        }
        if options.mtls_aliases {
            cmd.args(["--mtls-alias-port", "0"]);
        }
        if options.require_par {
            cmd.arg("--require-par");
        }
        if let Some((cert, key)) = &options.tls {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node tests/idp/server.mjs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("idp did not start: {line:?}"));
        Idp {
            child: Some(child),
            issuer: ready["issuer"].as_str().unwrap().to_string(),
            base: ready["base"].as_str().unwrap().to_string(),
            mtls_base: ready["mtls_base"].as_str().map(str::to_string),
            node_env: Vec::new(),
        }
    }

    /// Token-endpoint requests so far, by grant type.
    pub fn counters(&self) -> BTreeMap<String, u64> {
        let body = http_get(&format!("{}/__octoken/counters", self.base));
        serde_json::from_str(&body).unwrap()
    }

    /// Makes the token endpoint answer `status` (with `Retry-After` if given) to every
    /// refresh until `clear_fault`.
    pub fn fault(&self, status: u16, retry_after: Option<u64>) {
        self.fault_grant("refresh_token", status, retry_after);
    }

    /// Makes the token endpoint answer `status` to every request of `grant` (a grant
    /// type) until `clear_fault`.
    pub fn fault_grant(&self, grant: &str, status: u16, retry_after: Option<u64>) {
        let retry = retry_after.map_or(String::new(), |r| format!(",\"retry_after\":{r}"));
        http_post(
            &format!("{}/__octoken/fault", self.base),
            &format!("{{\"status\":{status},\"grant\":\"{grant}\"{retry}}}"),
        );
    }

    pub fn clear_fault(&self) {
        http_post(&format!("{}/__octoken/fault", self.base), "{}");
    }

    /// When each refresh request arrived (ms since the epoch), in order.
    pub fn refresh_times(&self) -> Vec<u64> {
        let body = http_get(&format!("{}/__octoken/requests", self.base));
        let all: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        all.iter()
            .filter(|r| r["grant"] == "refresh_token")
            .map(|r| r["at"].as_u64().unwrap())
            .collect()
    }

    pub fn refreshes(&self) -> u64 {
        self.counters().get("refresh_token").copied().unwrap_or(0)
    }

    /// A first refresh token, obtained through the provider's real login and consent
    /// pages and a code exchange (tests/idp/signin.mjs).
    pub fn refresh_token(&self, client: Client) -> String {
        let out = Command::new("node")
            .arg(repo_root().join("tests/idp/signin.mjs"))
            .args(["refresh-token", "--issuer", &self.issuer])
            .args([
                "--client-id",
                client.id(),
                "--client-secret",
                client.secret(),
            ])
            .args(["--auth-method", client.auth_method()])
            .envs(self.node_env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "signin failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        response["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_string()
    }

    /// Ends the provider, as if the server went down.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A minimal HTTP/1.0 POST of a JSON body to the provider's test routes.
pub fn http_post(url: &str, body: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /{path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// A minimal HTTP/1.0 GET for the provider's test routes (no client crate needed).
pub fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_once("\r\n\r\n").unwrap().1.to_string()
}
