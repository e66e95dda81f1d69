//! private_key_jwt client authentication (RFC 7523 2.2, OIDC Core 9): the client signs a
//! short-lived JWT with its own private key instead of sending a secret. Pure: PEM
//! decoding, the key's algorithm, and the assertion JWT; reading the key file is the
//! caller's job, sending is `http.rs`'s (which signs a fresh assertion for each attempt,
//! so a retried request never replays a `jti`).

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, RsaEncoding,
    RsaKeyPair,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is good for: one request, with room for a slow network.
pub const LIFETIME_SECS: u64 = 60;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("it holds no PEM private key (-----BEGIN PRIVATE KEY-----)")]
    NotPem,
    #[error("its PEM body is not base64")]
    Base64,
    #[error("it is an encrypted private key; octoken reads unencrypted keys only")]
    Encrypted,
    #[error("it is a SEC1 EC key (BEGIN EC PRIVATE KEY); octoken reads EC keys as PKCS#8")]
    Sec1,
    #[error("it is not an RSA (2048 to 4096 bits), P-256 or P-384 private key")]
    Unsupported,
}

/// The JWS algorithms a client assertion can be signed with (RFC 7518 3.1). An RSA key
/// signs RS* (PKCS#1 v1.5) and PS* (PSS): which one a server wants is registered with
/// the client, so it cannot be told from the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientKeyAlg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
}

impl ClientKeyAlg {
    pub const ALL: [ClientKeyAlg; 8] = [
        ClientKeyAlg::RS256,
        ClientKeyAlg::PS256,
        ClientKeyAlg::RS384,
        ClientKeyAlg::PS384,
        ClientKeyAlg::RS512,
        ClientKeyAlg::PS512,
        ClientKeyAlg::ES256,
        ClientKeyAlg::ES384,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientKeyAlg::RS256 => "RS256",
            ClientKeyAlg::RS384 => "RS384",
            ClientKeyAlg::RS512 => "RS512",
            ClientKeyAlg::PS256 => "PS256",
            ClientKeyAlg::PS384 => "PS384",
            ClientKeyAlg::PS512 => "PS512",
            ClientKeyAlg::ES256 => "ES256",
            ClientKeyAlg::ES384 => "ES384",
        }
    }

    /// The padding and digest of an RSA algorithm; None for EC ones.
    fn rsa_encoding(self) -> Option<&'static dyn RsaEncoding> {
        use ring::signature as sig;
        Some(match self {
            ClientKeyAlg::RS256 => &sig::RSA_PKCS1_SHA256,
            ClientKeyAlg::RS384 => &sig::RSA_PKCS1_SHA384,
            ClientKeyAlg::RS512 => &sig::RSA_PKCS1_SHA512,
            ClientKeyAlg::PS256 => &sig::RSA_PSS_SHA256,
            ClientKeyAlg::PS384 => &sig::RSA_PSS_SHA384,
            ClientKeyAlg::PS512 => &sig::RSA_PSS_SHA512,
            ClientKeyAlg::ES256 | ClientKeyAlg::ES384 => return None,
        })
    }
}

/// What a client assertion names as its `aud`. RFC 7523 3 names the token endpoint,
/// which every server takes (Okta and Entra ID take nothing else); FAPI 2.0 and the
/// RFC 7523 update after the 2025 audience-injection finding want the issuer alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AssertionAudience {
    #[default]
    TokenEndpoint,
    Issuer,
}

impl AssertionAudience {
    pub fn as_str(self) -> &'static str {
        match self {
            AssertionAudience::TokenEndpoint => "token-endpoint",
            AssertionAudience::Issuer => "issuer",
        }
    }
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair, ClientKeyAlg),
}

/// The client's private key, parsed, with the `kid` to name it by.
pub struct ClientKey {
    pair: Pair,
    kid: Option<String>,
    rng: SystemRandom,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKey({}, kid {:?})", self.kind(), self.kid)
    }
}

impl ClientKey {
    /// A key from a PEM file's bytes: PKCS#8 (`BEGIN PRIVATE KEY`: RSA, P-256, P-384) or
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &[u8], kid: Option<String>) -> Result<ClientKey, KeyError> {
        let text = std::str::from_utf8(pem).map_err(|_| KeyError::NotPem)?;
        let (label, der) = pem_block(text)?;
        let rng = SystemRandom::new();
        let pair = match label {
            "PRIVATE KEY" => {
                if let Ok(pair) = RsaKeyPair::from_pkcs8(&der) {
                    Pair::Rsa(pair)
                } else if let Ok(pair) =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
                {
                    Pair::Ec(pair, ClientKeyAlg::ES256)
                } else if let Ok(pair) =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &der, &rng)
                {
                    Pair::Ec(pair, ClientKeyAlg::ES384)
                } else {
                    return Err(KeyError::Unsupported);
                }
            }
            "RSA PRIVATE KEY" => {
                Pair::Rsa(RsaKeyPair::from_der(&der).map_err(|_| KeyError::Unsupported)?)
            }
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
            "EC PRIVATE KEY" => return Err(KeyError::Sec1),
            _ => return Err(KeyError::NotPem),
        };
        Ok(ClientKey {
            pair,
            kid: kid.filter(|k| !k.is_empty()),
            rng,
        })
    }

    /// What kind of key it is, for messages: "RSA", "P-256" or "P-384".
    pub fn kind(&self) -> &'static str {
        match self.pair {
            Pair::Rsa(_) => "RSA",
            Pair::Ec(_, ClientKeyAlg::ES384) => "P-384",
            Pair::Ec(..) => "P-256",
        }
    }

    /// The algorithms the key can sign with, the usual one first: RS256 for RSA (then
    /// PS256 and the longer digests), ES256 / ES384 for EC (one each: the curve decides).
    pub fn algs(&self) -> Vec<ClientKeyAlg> {
        match self.pair {
            Pair::Rsa(_) => ClientKeyAlg::ALL
                .into_iter()
                .filter(|alg| alg.rsa_encoding().is_some())
                .collect(),
            Pair::Ec(_, alg) => vec![alg],
        }
    }

    /// A client assertion (RFC 7523 3) signed with `alg` (one of [`Self::algs`]):
    /// `iss` = `sub` = the client id, `aud` the authorization server's token endpoint,
    /// a random `jti`, `iat` = `now` (unix seconds) and `exp` [`LIFETIME_SECS`] later.
    pub fn assertion(
        &self,
        alg: ClientKeyAlg,
        client_id: &str,
        audience: &str,
        now: u64,
    ) -> Secret {
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": crate::oauth::pkce::random_token().expose(),
            "iat": now,
            "exp": now + LIFETIME_SECS,
        });
        self.sign_jwt(alg, "JWT", &claims)
    }

    /// A JWS of `claims` with this key: `alg` (one of [`Self::algs`]), `typ` and the
    /// key's `kid` in the header. Client assertions, and request objects (RFC 9101).
    pub fn sign_jwt(&self, alg: ClientKeyAlg, typ: &str, claims: &serde_json::Value) -> Secret {
        let mut header = serde_json::json!({ "alg": alg.as_str(), "typ": typ });
        if let Some(kid) = &self.kid {
            header["kid"] = kid.as_str().into();
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let encoding = alg
                    .rsa_encoding()
                    .expect("the caller checked the algorithm against algs()");
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(encoding, &self.rng, input.as_bytes(), &mut signature)
                    .expect("RSA signing with a parsed key does not fail");
                signature
            }
            Pair::Ec(pair, _) => pair
                .sign(&self.rng, input.as_bytes())
                .expect("ECDSA signing does not fail")
                .as_ref()
                .to_vec(),
        };
        Secret::new(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// The first PEM block of a private key: its label and DER bytes. Also DPoP key files'.
pub(crate) fn pem_block(text: &str) -> Result<(&str, Vec<u8>), KeyError> {
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|line| {
            line.strip_prefix("-----BEGIN ")
                .and_then(|rest| rest.strip_suffix("-----"))
                .filter(|label| label.ends_with("PRIVATE KEY"))
        })
        .ok_or(KeyError::NotPem)?;
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines.by_ref() {
        if line == end {
            let der = STANDARD.decode(body).map_err(|_| KeyError::Base64)?;
            return Ok((label, der));
        }
        // RFC 7468 headers (Proc-Type, DEK-Info) mean an encrypted legacy key.
        if line.contains(':') {
            return Err(KeyError::Encrypted);
        }
        body.push_str(line);
    }
    Err(KeyError::NotPem)
}

/// The SHA-256 thumbprint (base64url) of the first certificate in a PEM file: what an
/// RFC 8705 certificate-bound token names in `cnf.x5t#S256`.
pub fn certificate_thumbprint(pem: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(pem).ok()?;
    let body: String = text
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != "-----BEGIN CERTIFICATE-----")
        .skip(1)
        .take_while(|line| *line != "-----END CERTIFICATE-----")
        .collect();
    let der = STANDARD.decode(body).ok().filter(|der| !der.is_empty())?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &der);
    Some(URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

/// What a request needs to authenticate with a client assertion: the key, who the
/// client is, and the audience. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AssertionSigner {
    pub key: Arc<ClientKey>,
    /// One of the key's [`ClientKey::algs`].
    pub alg: ClientKeyAlg,
    pub client_id: String,
    /// The token endpoint URL (RFC 7523 3 names it as a value the server must accept,
    /// and servers accept it at their other endpoints too: oidc-provider, Keycloak), or
    /// the issuer where the profile says so ([`AssertionAudience`]).
    pub audience: String,
}

impl AssertionSigner {
    pub fn sign(&self, now: u64) -> Secret {
        self.key
            .assertion(self.alg, &self.client_id, &self.audience, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn pem(label: &str, der: &[u8]) -> String {
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn ec_assertions_carry_the_rfc_7523_claims_and_verify() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let text = format!("junk before\n{}", pem("PRIVATE KEY", pkcs8.as_ref()));
        let key = ClientKey::from_pem(text.as_bytes(), Some("k1".into())).unwrap();
        assert_eq!(key.algs(), [ClientKeyAlg::ES256]);
        let signer = AssertionSigner {
            key: Arc::new(key),
            alg: ClientKeyAlg::ES256,
            client_id: "cli".into(),
            audience: "https://id.example/token".into(),
        };
        let jwt = signer.sign(1000);
        let jwt2 = signer.sign(1000);
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        let header = decode(parts[0]);
        let claims = decode(parts[1]);
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], "k1");
        assert_eq!(claims["iss"], "cli");
        assert_eq!(claims["sub"], "cli");
        assert_eq!(claims["aud"], "https://id.example/token");
        assert_eq!(claims["iat"], 1000);
        assert_eq!(claims["exp"], 1060);
        let other = decode(jwt2.expose().split('.').nth(1).unwrap());
        assert_ne!(claims["jti"], other["jti"], "a new jti each time");

        let public =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap();
        use ring::signature::KeyPair;
        let verified = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            public.public_key().as_ref(),
        )
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        );
        assert!(verified.is_ok());
    }

    #[test]
    fn rsa_keys_sign_every_rs_and_ps_algorithm_and_each_verifies() {
        use ring::signature as sig;
        let text = include_str!("testdata/rsa-2048.pem");
        let key = ClientKey::from_pem(text.as_bytes(), None).unwrap();
        let der = pem_block(text).unwrap().1;
        assert_eq!(key.kind(), "RSA");
        assert_eq!(key.algs()[0], ClientKeyAlg::RS256, "RS256 unless told");
        let verifiers: [(ClientKeyAlg, &dyn sig::VerificationAlgorithm); 6] = [
            (ClientKeyAlg::RS256, &sig::RSA_PKCS1_2048_8192_SHA256),
            (ClientKeyAlg::RS384, &sig::RSA_PKCS1_2048_8192_SHA384),
            (ClientKeyAlg::RS512, &sig::RSA_PKCS1_2048_8192_SHA512),
            (ClientKeyAlg::PS256, &sig::RSA_PSS_2048_8192_SHA256),
            (ClientKeyAlg::PS384, &sig::RSA_PSS_2048_8192_SHA384),
            (ClientKeyAlg::PS512, &sig::RSA_PSS_2048_8192_SHA512),
        ];
        assert_eq!(key.algs().len(), verifiers.len());
        let public = ring::signature::RsaKeyPair::from_pkcs8(&der)
            .unwrap()
            .public()
            .as_ref()
            .to_vec();
        for (alg, verifier) in verifiers {
            let jwt = key.assertion(alg, "cli", "https://id.example/token", 5);
            let parts: Vec<&str> = jwt.expose().split('.').collect();
            assert_eq!(decode(parts[0])["alg"], alg.as_str());
            let input = format!("{}.{}", parts[0], parts[1]);
            let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            sig::UnparsedPublicKey::new(verifier, &public)
                .verify(input.as_bytes(), &signature)
                .unwrap_or_else(|_| panic!("{alg:?} verifies as {alg:?}"));
            // PKCS#1 v1.5 and PSS are not interchangeable: the other family refuses it.
            let other = verifiers
                .iter()
                .find(|(a, _)| a.as_str()[2..] == alg.as_str()[2..] && *a != alg)
                .unwrap()
                .1;
            assert!(
                sig::UnparsedPublicKey::new(other, &public)
                    .verify(input.as_bytes(), &signature)
                    .is_err()
            );
        }
    }

    #[test]
    fn certificate_thumbprints_are_rfc_8705s_x5t_s256() {
        // A fixed self-signed test certificate; its x5t#S256, computed by openssl:
        //   openssl x509 -in client-cert.pem -outform DER | openssl dgst -sha256 -binary \
        //     | basenc --base64url | tr -d '='
        let cert = include_str!("testdata/client-cert.pem");
        let x5t = "qlAOW2qXSSLF4y6GA9f0Gi6KXPsobgppoXKm6A9Yryc";
        assert_eq!(
            certificate_thumbprint(cert.as_bytes()).as_deref(),
            Some(x5t)
        );
        // The first certificate counts, wherever it starts; indentation and CRLF do not.
        let second = cert.replace("CERTIFICATE", "X");
        let crlf = cert.replace('\n', "\r\n  ");
        for text in [
            format!("key\n{cert}{cert}"),
            format!("{second}{cert}"),
            format!("  {crlf}"),
        ] {
            assert_eq!(
                certificate_thumbprint(text.as_bytes()).as_deref(),
                Some(x5t)
            );
        }
        // Text after the END line is not part of the certificate.
        let trailing = format!("{cert}AAAA\n");
        assert_eq!(
            certificate_thumbprint(trailing.as_bytes()).as_deref(),
            Some(x5t)
        );
        let empty = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
        for bad in [
            &b"\xff"[..],
            b"no pem",
            b"-----BEGIN CERTIFICATE-----\n!!\n",
            empty.as_bytes(),
        ] {
            assert_eq!(certificate_thumbprint(bad), None);
        }
    }

    #[test]
    fn pkcs1_rsa_keys_are_the_same_key_and_debug_shows_no_secret() {
        // The test key as PKCS#1: `openssl pkey -traditional -in rsa-2048.pem`.
        let pkcs8 = include_str!("testdata/rsa-2048.pem");
        let pkcs1 = include_str!("testdata/rsa-2048-pkcs1.pem");
        assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let key = ClientKey::from_pem(pkcs1.as_bytes(), Some(String::new())).unwrap();
        assert_eq!(key.kind(), "RSA");
        let jwt = key.assertion(ClientKeyAlg::RS256, "cli", "aud", 1);
        let header = decode(jwt.expose().split('.').next().unwrap());
        assert!(
            header.get("kid").is_none(),
            "an empty kid is none: {header}"
        );
        // Signed by the key of the PKCS#8 file.
        let input = |jwt: &Secret| jwt.expose().rsplit_once('.').unwrap().0.to_string();
        let public = RsaKeyPair::from_pkcs8(&pem_block(pkcs8).unwrap().1)
            .unwrap()
            .public()
            .as_ref()
            .to_vec();
        let verified = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &public,
        )
        .verify(
            input(&jwt).as_bytes(),
            &URL_SAFE_NO_PAD
                .decode(jwt.expose().rsplit_once('.').unwrap().1)
                .unwrap(),
        );
        assert!(verified.is_ok());
        assert_eq!(format!("{key:?}"), "ClientKey(RSA, kid None)");

        let rng = SystemRandom::new();
        let p384 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
        let key = ClientKey::from_pem(
            pem("PRIVATE KEY", p384.as_ref()).as_bytes(),
            Some("k".into()),
        )
        .unwrap();
        assert_eq!(
            (key.kind(), key.algs()),
            ("P-384", vec![ClientKeyAlg::ES384])
        );
        assert_eq!(format!("{key:?}"), r#"ClientKey(P-384, kid Some("k"))"#);
    }

    #[test]
    fn names_shown_are_the_names_saved() {
        // status prints as_str; config.toml and the fleet entry hold serde's spelling.
        for aud in [AssertionAudience::TokenEndpoint, AssertionAudience::Issuer] {
            assert_eq!(
                serde_json::to_value(aud).unwrap(),
                serde_json::Value::from(aud.as_str())
            );
        }
        for alg in ClientKeyAlg::ALL {
            assert_eq!(
                serde_json::to_value(alg).unwrap(),
                serde_json::Value::from(alg.as_str())
            );
        }
    }

    #[test]
    fn keys_octoken_cannot_use_are_named() {
        let refuse = |text: &str| ClientKey::from_pem(text.as_bytes(), None).unwrap_err();
        assert_eq!(refuse("no pem here"), KeyError::NotPem);
        assert_eq!(
            refuse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            KeyError::NotPem
        );
        assert_eq!(
            refuse("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"),
            KeyError::Base64
        );
        assert_eq!(
            refuse(&pem("PRIVATE KEY", b"not a key")),
            KeyError::Unsupported
        );
        assert_eq!(refuse(&pem("EC PRIVATE KEY", b"x")), KeyError::Sec1);
        assert_eq!(
            refuse(&pem("ENCRYPTED PRIVATE KEY", b"x")),
            KeyError::Encrypted
        );
        assert_eq!(
            refuse(
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"
            ),
            KeyError::Encrypted
        );
        assert_eq!(
            refuse("-----BEGIN PRIVATE KEY-----\nAAAA\n"),
            KeyError::NotPem
        );
    }
}
