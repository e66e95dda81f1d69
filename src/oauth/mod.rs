//! OAuth 2.0 / OpenID Connect protocol code. Request builders and response parsers are
//! pure functions over values (`message.rs`); nothing here does I/O: `network/` sends.

pub mod authorize;
pub mod client_key;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod exchange;
pub mod grant;
pub mod id_token;
pub mod message;
pub mod pkce;
pub mod redact;
pub mod revoke;
pub mod sign_in;
pub mod sts;

pub use error::OAuthError;
pub use message::{HttpResponse, SetupError};

use crate::secret::Secret;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// How the client authenticates at the token endpoint (RFC 6749 2.3.1; OIDC Core 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// client_secret_basic: id and secret in an HTTP Basic header.
    Basic,
    /// client_secret_post: id and secret in the form body.
    Post,
    /// A public client (RFC 8252): only the id.
    None,
    /// private_key_jwt (RFC 7523 2.2): a JWT signed with the client's private key.
    #[serde(rename = "private-key-jwt")]
    PrivateKeyJwt,
    /// tls_client_auth (RFC 8705 2.1): the client certificate of the TLS connection.
    #[serde(rename = "tls-client-auth")]
    TlsClientAuth,
    /// A client assertion someone else signed (RFC 7523 2.2; Entra ID's workload
    /// identity federation): read from its source for each request, sent as is.
    #[serde(rename = "client-assertion")]
    ClientAssertion,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Basic => "basic",
            AuthMethod::Post => "post",
            AuthMethod::None => "none",
            AuthMethod::PrivateKeyJwt => "private-key-jwt",
            AuthMethod::TlsClientAuth => "tls-client-auth",
            AuthMethod::ClientAssertion => "client-assertion",
        }
    }
}

/// How this client proves who it is at the token endpoint.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    pub client_id: String,
    pub method: AuthMethod,
    /// The client secret; with `ClientAssertion`, the assertion read for this request.
    pub secret: Option<Secret>,
    /// DPoP (RFC 9449): token-endpoint requests carry a proof signed with this key.
    pub dpop: Option<dpop::DpopSigner>,
    /// private_key_jwt: the client's key, the id and the assertion's audience.
    pub assertion: Option<client_key::AssertionSigner>,
}

/// A form POST, ready to send. Every value is kept as a Secret so that nothing in the
/// form can be logged by accident; logs name the fields only.
#[derive(Debug)]
pub struct FormRequest {
    pub endpoint: &'static str,
    pub url: String,
    pub authorization: Option<Secret>,
    pub form: Vec<(std::borrow::Cow<'static, str>, Secret)>,
    /// Sign a DPoP proof for each attempt (token-endpoint requests of a DPoP profile).
    pub dpop: Option<dpop::DpopSigner>,
    /// Sign a client assertion for each attempt and send it as `client_assertion`.
    pub assertion: Option<client_key::AssertionSigner>,
    /// The `Accept` header: JSON for OAuth endpoints; AWS STS answers in XML.
    pub accept: &'static str,
    /// The client secret when it travels in the Authorization header (client_secret_basic):
    /// an echo of the decoded header shows it as is.
    basic_secret: Option<Secret>,
}

/// Form fields whose values are public: the grant's name, the client's id, what is
/// asked for. Every other field's value is a secret that a server's answer must not
/// repeat (`secrets`): a field added later is hidden until it is named here.
const PUBLIC_FIELDS: &[&str] = &[
    "grant_type",
    "client_id",
    "client_assertion_type",
    "scope",
    "redirect_uri",
    "resource",
    "audience",
    "token_type_hint",
    "subject_token_type",
    "actor_token_type",
    "requested_token_type",
    // AWS STS (`sts.rs`): what is asked for; the web identity token stays hidden.
    "Action",
    "Version",
    "RoleArn",
    "RoleSessionName",
    "DurationSeconds",
];

impl FormRequest {
    pub fn new(endpoint: &'static str, url: &str, client: &ClientAuth) -> FormRequest {
        let mut request = FormRequest {
            endpoint,
            url: url.to_string(),
            authorization: None,
            form: Vec::new(),
            dpop: client
                .dpop
                .clone()
                .filter(|_| endpoint == grant::TOKEN_ENDPOINT),
            assertion: None,
            accept: "application/json",
            basic_secret: None,
        };
        let secret = client.secret.as_ref().map(Secret::expose).unwrap_or("");
        match client.method {
            AuthMethod::Basic => {
                // RFC 6749 section 2.3.1: form-urlencode id and secret, then base64.
                let pair = format!("{}:{}", form_encode(&client.client_id), form_encode(secret));
                let b64 = base64::engine::general_purpose::STANDARD.encode(pair);
                request.authorization = Some(Secret::new(format!("Basic {b64}")));
                request.basic_secret = client.secret.clone();
            }
            AuthMethod::Post => {
                request.push("client_id", &client.client_id);
                request.push("client_secret", secret);
            }
            // The TLS connection carries the certificate; the form names the client.
            AuthMethod::None | AuthMethod::TlsClientAuth => {
                request.push("client_id", &client.client_id);
            }
            AuthMethod::PrivateKeyJwt => {
                // The assertion itself is signed per attempt by the sender.
                request.push("client_id", &client.client_id);
                request.push("client_assertion_type", client_key::ASSERTION_TYPE);
                request.assertion = client.assertion.clone();
            }
            AuthMethod::ClientAssertion => {
                // Signed by someone else (the CI, the platform): a secret form field.
                request.push("client_id", &client.client_id);
                request.push("client_assertion_type", client_key::ASSERTION_TYPE);
                request.push("client_assertion", secret);
            }
        }
        request
    }

    /// A form for an endpoint that takes no client authentication (AWS STS's
    /// `AssumeRoleWithWebIdentity`: the token in the form is the credential).
    pub fn unauthenticated(endpoint: &'static str, url: &str, accept: &'static str) -> FormRequest {
        FormRequest {
            endpoint,
            url: url.to_string(),
            authorization: None,
            form: Vec::new(),
            dpop: None,
            assertion: None,
            accept,
            basic_secret: None,
        }
    }

    pub fn push(&mut self, name: &'static str, value: &str) {
        self.form.push((name.into(), Secret::new(value)));
    }

    /// A field whose name is not known when octoken is built (`--auth-param`).
    pub fn push_owned(&mut self, name: String, value: &str) {
        self.form.push((name.into(), Secret::new(value)));
    }

    /// Everything this request carries that an echo of it must not show: the values of
    /// the secret form fields, the Authorization header (whole, its credentials, and the
    /// client secret inside them). The client assertion and the DPoP proof are signed
    /// for each attempt; the sender adds them as it signs.
    pub fn redactor(&self) -> redact::Redactor {
        let mut redactor = redact::Redactor::default();
        for (name, value) in &self.form {
            if !PUBLIC_FIELDS.contains(&name.as_ref()) {
                redactor.add(value.expose());
            }
        }
        if let Some(header) = &self.authorization {
            redactor.add(header.expose());
            if let Some((_, credentials)) = header.expose().split_once(' ') {
                redactor.add(credentials);
            }
        }
        if let Some(secret) = &self.basic_secret {
            redactor.add(secret.expose());
        }
        redactor
    }

    pub fn field_names(&self) -> String {
        self.form
            .iter()
            .map(|(name, _)| name.as_ref())
            .collect::<Vec<_>>()
            .join(",")
            + if self.assertion.is_some() {
                ",client_assertion"
            } else {
                ""
            }
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_before_base64() {
        let client = ClientAuth {
            client_id: "my client".into(),
            method: AuthMethod::Basic,
            secret: Some(Secret::new("p@ss:word")),
            dpop: None,
            assertion: None,
        };
        let req = FormRequest::new("token endpoint", "https://x/token", &client);
        let header = req.authorization.unwrap();
        let b64 = header.expose().strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "my+client:p%40ss%3Aword"
        );
        assert!(req.form.is_empty());
    }

    #[test]
    fn post_and_none_put_the_client_in_the_form() {
        let mut client = ClientAuth {
            client_id: "c".into(),
            method: AuthMethod::Post,
            secret: Some(Secret::new("s")),
            dpop: None,
            assertion: None,
        };
        let req = FormRequest::new("token endpoint", "u", &client);
        assert_eq!(req.field_names(), "client_id,client_secret");
        client.method = AuthMethod::None;
        let req = FormRequest::new("token endpoint", "u", &client);
        assert_eq!(req.field_names(), "client_id");
        assert!(req.authorization.is_none());
    }

    #[test]
    fn keyed_methods_send_no_secret() {
        let mut client = ClientAuth {
            client_id: "c".into(),
            method: AuthMethod::PrivateKeyJwt,
            secret: Some(Secret::new("never sent")),
            dpop: None,
            assertion: None,
        };
        let req = FormRequest::new("token endpoint", "u", &client);
        assert_eq!(req.field_names(), "client_id,client_assertion_type");
        assert_eq!(req.form[1].1.expose(), client_key::ASSERTION_TYPE);
        client.method = AuthMethod::TlsClientAuth;
        let req = FormRequest::new("token endpoint", "u", &client);
        assert_eq!(req.field_names(), "client_id");
        assert!(req.authorization.is_none());
    }

    #[test]
    fn the_redactor_hides_secret_fields_and_the_basic_credentials_only() {
        let mut client = ClientAuth {
            client_id: "cli".into(),
            method: AuthMethod::Basic,
            secret: Some(Secret::new("p@ss:word")),
            dpop: None,
            assertion: None,
        };
        let mut req = FormRequest::new("token endpoint", "u", &client);
        req.push("grant_type", "refresh_token");
        req.push("refresh_token", "rt-1");
        req.push("scope", "openid");
        req.push("some_future_field", "hidden-by-default");
        let header = req.authorization.as_ref().unwrap().expose().to_string();
        let credentials = header.strip_prefix("Basic ").unwrap().to_string();
        let echo = format!(
            "grant_type=refresh_token&refresh_token=rt-1&scope=openid&some_future_field=hidden-by-default \
             client_id=cli authorization: {header} | {credentials} | cli:p%40ss%3Aword | p@ss:word"
        );
        let shown = req.redactor().apply_str(&echo);
        assert_eq!(
            shown,
            "grant_type=refresh_token&refresh_token=<redacted>&scope=openid&some_future_field=<redacted> \
             client_id=cli authorization: <redacted> | <redacted> | cli:<redacted> | <redacted>"
        );
        // client_secret_post: the secret is a form field like any other.
        client.method = AuthMethod::Post;
        let req = FormRequest::new("token endpoint", "u", &client);
        assert_eq!(
            req.redactor()
                .apply_str("client_id=cli&client_secret=p%40ss%3Aword"),
            "client_id=cli&client_secret=<redacted>"
        );
        // A key-based client sends no secret: none to hide, nothing else touched.
        client.method = AuthMethod::PrivateKeyJwt;
        let req = FormRequest::new("token endpoint", "u", &client);
        assert_eq!(req.redactor().apply_str("p@ss:word cli"), "p@ss:word cli");
    }
}
