//! What a profile adds to the authorization request (OIDC Core 3.1.2.1: `acr_values`,
//! `max_age`, `login_hint`, `prompt`, `ui_locales`, `claims`; anything else by name), and
//! how the request may travel: pushed to the provider first (PAR, RFC 9126) and/or as a
//! signed request object (JAR, RFC 9101). Pure: values in, values out.

use crate::oauth::client_key::AssertionSigner;
use crate::oauth::grant::json_object;
use crate::oauth::{ClientAuth, FormRequest, HttpResponse, OAuthError};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const PAR_ENDPOINT: &str = "pushed authorization request endpoint";

/// The parameters octoken sets itself, or sets from a flag of its own and checks in what
/// comes back: `--auth-param` may not name them. A second `scope`, `dpop_jkt` or
/// `acr_values` would replace octoken's in a request object (a JSON object keeps one
/// of each) and escape the checks made on the answer.
pub const RESERVED: &[&str] = &[
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "redirect_uri",
    "client_id",
    "response_type",
    "request",
    "request_uri",
    "scope",
    "resource",
    "audience",
    "dpop_jkt",
    "prompt",
    "acr_values",
    "max_age",
    "claims",
    "login_hint",
    "ui_locales",
];

/// The sign-in options a profile keeps (`[profiles.NAME.sign_in]` in config.toml), so
/// that every later login asks for the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInOptions {
    /// `acr_values`: the authentication context classes wanted, most preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<String>,
    /// `max_age`: the longest time (seconds) since the person last authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    /// `prompt` as given (space-separated); None keeps the `prompt=consent` default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_locales: Option<String>,
    /// The `claims` request parameter (OIDC Core 5.5), a JSON object as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
    /// Further parameters, `NAME=VALUE`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_params: Vec<String>,
    /// A weaker `acr` or an older `auth_time` than asked for is only warned about.
    #[serde(default, skip_serializing_if = "is_false")]
    pub acr_optional: bool,
    /// Push the request to the provider first (RFC 9126).
    #[serde(default, skip_serializing_if = "is_false")]
    pub par: bool,
    /// Send the parameters as a signed request object (RFC 9101).
    #[serde(default, skip_serializing_if = "is_false")]
    pub request_object: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl SignInOptions {
    pub fn is_empty(&self) -> bool {
        *self == SignInOptions::default()
    }

    /// The parameters these options add to an authorization request, in order.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut add = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                out.push((name.to_string(), value));
            }
        };
        add("acr_values", self.acr_values.clone());
        add("max_age", self.max_age.map(|s| s.to_string()));
        add("login_hint", self.login_hint.clone());
        add("ui_locales", self.ui_locales.clone());
        add("claims", self.claims.clone());
        for pair in &self.auth_params {
            if let Some((name, value)) = pair.split_once('=') {
                out.push((name.to_string(), value.to_string()));
            }
        }
        out
    }

    /// Whether the ID token must show how the person authenticated.
    pub fn checks_authentication(&self) -> bool {
        self.acr_values.is_some() || self.max_age.is_some()
    }
}

/// One `--auth-param NAME=VALUE`: a name that is a plain word and not one octoken owns.
pub fn auth_param(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(format!(
            "'{}' is not NAME=VALUE",
            crate::sanitize::foreign(text, 100)
        ));
    };
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !plain {
        return Err(format!(
            "'{}' is not a parameter name (letters, digits, '_', '-', '.')",
            crate::sanitize::foreign(name, 100)
        ));
    }
    if RESERVED.contains(&name) {
        // The ones a flag of octoken's sets are named with it.
        let flag = match name {
            "scope" | "resource" | "audience" | "prompt" | "acr_values" | "max_age" | "claims"
            | "login_hint" | "ui_locales" => {
                format!(" (use --{})", name.replace('_', "-"))
            }
            "dpop_jkt" => " (use --dpop)".to_string(),
            _ => String::new(),
        };
        return Err(format!(
            "'{name}' is set by octoken itself and cannot be given{flag}"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// Whether an `acr` the provider returned is one of those asked for. Besides equal
/// names, a higher level of the same kind counts: decimal levels (Keycloak's "1",
/// "2", ...) compare as numbers.
pub fn acr_satisfies(got: &str, wanted: &str) -> bool {
    wanted.split_whitespace().any(|want| {
        want == got
            || matches!(
                (got.parse::<u64>(), want.parse::<u64>()),
                (Ok(g), Ok(w)) if g >= w
            )
    })
}

/// RFC 9126 2.1: the request pushed to the provider, authenticated as the client is at
/// the token endpoint. The parameters' values are secrets to the sender's log.
pub fn par_request(url: &str, client: &ClientAuth, params: &[(String, String)]) -> FormRequest {
    let mut request = FormRequest::new(PAR_ENDPOINT, url, client);
    // The client's authentication already named it (except client_secret_basic).
    let named = request
        .form
        .iter()
        .any(|(name, _)| name.as_ref() == "client_id");
    for (name, value) in params {
        if name == "client_id" && named {
            continue;
        }
        request.push_owned(name.clone(), value);
    }
    request
}

/// The provider's answer to a pushed request (RFC 9126 2.2): 201 with `request_uri`.
pub fn parse_par_response(resp: &HttpResponse) -> Result<Secret, OAuthError> {
    let object = json_object(PAR_ENDPOINT, resp)?;
    match object.get("request_uri") {
        Some(Value::String(uri))
            if !uri.is_empty()
                && uri.len() <= 2048
                && uri.chars().all(|c| c.is_ascii_graphic()) =>
        {
            Ok(Secret::new(uri.as_str()))
        }
        Some(_) => Err(OAuthError::Parse {
            endpoint: PAR_ENDPOINT,
            status: resp.status,
            message: "its request_uri is not a URI".into(),
        }),
        None => Err(OAuthError::Parse {
            endpoint: PAR_ENDPOINT,
            status: resp.status,
            message: "the answer has no request_uri".into(),
        }),
    }
}

/// Whether an error a provider answered the plain request with demands PAR: RFC 9126
/// names no error code, so the words say it (oidc-provider "Pushed Authorization
/// Request must be used", Keycloak "Pushed Authorization Request is only allowed").
pub fn demands_par(text: &str) -> bool {
    let text = text.to_ascii_lowercase().replace('+', " ");
    text.contains("pushed authorization request") || text.contains("pushed_authorization")
}

/// RFC 9101 4: the request object, signed with the client's private_key_jwt key: every
/// authorization parameter, and `iss` (the client), `aud` (the issuer), `iat`, `nbf`,
/// `exp` (five minutes) and a `jti`.
pub fn request_object(
    signer: &AssertionSigner,
    issuer: &str,
    params: &[(String, String)],
    now: u64,
) -> Secret {
    let mut claims = Map::new();
    for (name, value) in params {
        // Several resource indicators (RFC 8707) stay several: an array in the object.
        if name == "resource"
            && let Some(Value::String(first)) = claims.get(name).cloned()
        {
            claims.insert(name.clone(), Value::from(vec![first, value.clone()]));
            continue;
        }
        if name == "resource"
            && let Some(Value::Array(all)) = claims.get_mut(name)
        {
            all.push(Value::from(value.as_str()));
            continue;
        }
        let value = match name.as_str() {
            // OIDC Core 6.1: claims is a JSON object in a request object, max_age a number.
            "claims" => serde_json::from_str(value).unwrap_or_else(|_| value.as_str().into()),
            "max_age" => value
                .parse::<u64>()
                .map_or_else(|_| value.as_str().into(), Value::from),
            _ => Value::from(value.as_str()),
        };
        claims.insert(name.clone(), value);
    }
    claims.insert("iss".into(), signer.client_id.as_str().into());
    claims.insert("aud".into(), issuer.into());
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), (now + 300).into());
    claims.insert(
        "jti".into(),
        crate::oauth::pkce::random_token().expose().into(),
    );
    signer
        .key
        .sign_jwt(signer.alg, "oauth-authz-req+jwt", &Value::Object(claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::AuthMethod;

    #[test]
    fn reserved_and_malformed_auth_params_are_refused() {
        assert_eq!(
            auth_param("kc_idp_hint=github").unwrap(),
            ("kc_idp_hint".into(), "github".into())
        );
        assert_eq!(auth_param("a=b=c").unwrap().1, "b=c");
        for reserved in RESERVED {
            let err = auth_param(&format!("{reserved}=x")).unwrap_err();
            assert!(err.contains("set by octoken"), "{err}");
        }
        assert!(auth_param("novalue").unwrap_err().contains("NAME=VALUE"));
        assert!(auth_param("=x").is_err());
        assert!(auth_param("a b=x").is_err());
    }

    /// Several resource indicators stay several in a request object (RFC 8707 allows
    /// repeating the parameter; a JSON object holds one value per name).
    #[test]
    fn resources_stay_an_array_in_a_request_object() {
        use base64::Engine;
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
        );
        let key = crate::oauth::client_key::ClientKey::from_pem(pem.as_bytes(), None).unwrap();
        let signer = AssertionSigner {
            alg: key.algs()[0],
            key: std::sync::Arc::new(key),
            client_id: "cli".into(),
            audience: "https://id.example".into(),
        };
        let params = [
            ("scope".to_string(), "openid".to_string()),
            ("resource".to_string(), "https://a.example".to_string()),
            ("resource".to_string(), "https://b.example".to_string()),
            ("resource".to_string(), "https://c.example".to_string()),
        ];
        let jwt = request_object(&signer, "https://id.example", &params, 1_700_000_000);
        let claims = crate::jwt::claims(jwt.expose()).unwrap();
        assert_eq!(
            claims["resource"],
            serde_json::json!([
                "https://a.example",
                "https://b.example",
                "https://c.example"
            ])
        );
        assert_eq!(claims["scope"], "openid");
    }

    #[test]
    fn acr_levels_compare_by_name_or_number() {
        assert!(acr_satisfies("gold", "gold"));
        assert!(acr_satisfies("gold", "silver gold"));
        assert!(!acr_satisfies("silver", "gold"));
        assert!(acr_satisfies("3", "2"));
        assert!(!acr_satisfies("1", "2"));
        assert!(!acr_satisfies("gold", ""));
    }

    #[test]
    fn options_become_parameters_in_order() {
        let options = SignInOptions {
            acr_values: Some("gold".into()),
            max_age: Some(60),
            login_hint: Some("alice@example.com".into()),
            ui_locales: Some("de en".into()),
            claims: Some(r#"{"id_token":{"acr":{"essential":true}}}"#.into()),
            auth_params: vec!["kc_idp_hint=github".into()],
            ..SignInOptions::default()
        };
        let names: Vec<String> = options.params().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "acr_values",
                "max_age",
                "login_hint",
                "ui_locales",
                "claims",
                "kc_idp_hint"
            ]
        );
        assert!(options.checks_authentication());
        assert!(SignInOptions::default().is_empty());
    }

    #[test]
    fn pushed_requests_name_the_client_once_and_hide_the_values() {
        let client = ClientAuth {
            client_id: "cli".into(),
            method: AuthMethod::None,
            secret: None,
            dpop: None,
            assertion: None,
        };
        let params = vec![
            ("client_id".to_string(), "cli".to_string()),
            ("login_hint".to_string(), "alice".to_string()),
        ];
        let request = par_request("https://id.example/par", &client, &params);
        assert_eq!(request.field_names(), "client_id,login_hint");
        assert_eq!(
            request.redactor().apply_str("login_hint=alice"),
            "login_hint=<redacted>"
        );
    }

    #[test]
    fn par_answers_and_demands_are_read() {
        let resp = |status, body: &str| HttpResponse {
            status,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
            retry_after: None,
            dpop_nonce: None,
        };
        let uri = parse_par_response(&resp(
            201,
            r#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#,
        ))
        .unwrap();
        assert_eq!(uri.expose(), "urn:ietf:params:oauth:request_uri:abc");
        assert!(parse_par_response(&resp(201, r#"{"expires_in":60}"#)).is_err());
        assert!(parse_par_response(&resp(201, r#"{"request_uri":"a b"}"#)).is_err());
        let err = parse_par_response(&resp(
            400,
            r#"{"error":"invalid_request","error_description":"bad"}"#,
        ))
        .unwrap_err();
        assert_eq!(err.server_code(), Some("invalid_request"));
        assert!(demands_par("Pushed+Authorization+Request+must+be+used"));
        assert!(demands_par("Pushed Authorization Request is only allowed."));
        assert!(!demands_par("invalid redirect_uri"));
    }
}
