//! DPoP (RFC 9449): a per-profile key pair and the proofs signed with it. Pure: key
//! generation, the public JWK and its thumbprint (RFC 7638), and proof JWTs; nothing
//! here reads files or sends requests. The sender (`http.rs`) signs a fresh proof for
//! each attempt and follows a server's `use_dpop_nonce` once.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// The DPoP signing algorithms octoken signs proofs with. ring (already in the tree
/// through rustls) signs all three and generates EC and Ed25519 keys; it cannot generate
/// RSA keys, so an RS256 key is one the user brings ([`DpopKey::from_pem`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DpopAlg {
    ES256,
    EdDSA,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (a 2048 to 4096-bit key, what ring signs with):
    /// for servers that take no EC or Ed25519 proofs.
    RS256,
}

impl DpopAlg {
    /// In the order octoken prefers them: small keys and fast signatures first.
    pub const ALL: [DpopAlg; 3] = [DpopAlg::ES256, DpopAlg::EdDSA, DpopAlg::RS256];

    pub fn as_str(self) -> &'static str {
        match self {
            DpopAlg::ES256 => "ES256",
            DpopAlg::EdDSA => "EdDSA",
            DpopAlg::RS256 => "RS256",
        }
    }

    /// The names a server may list in `dpop_signing_alg_values_supported` for this one.
    fn server_names(self) -> &'static [&'static str] {
        match self {
            DpopAlg::ES256 => &["ES256"],
            DpopAlg::EdDSA => &["EdDSA", "Ed25519"],
            DpopAlg::RS256 => &["RS256"],
        }
    }

    /// Whether a server that lists `supported` accepts proofs of this algorithm.
    pub fn supported_by(self, supported: &[String]) -> bool {
        self.server_names()
            .iter()
            .any(|name| supported.iter().any(|s| s == name))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the stored DPoP key is not base64url")]
    Encoding,
    #[error("the stored DPoP key is not a P-256, Ed25519 or RSA PKCS#8 key")]
    Unknown,
}

/// Why a key file cannot be a DPoP key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PemError {
    /// Not PEM, not base64, encrypted, or SEC1 (the client key file's reasons).
    #[error(transparent)]
    Pem(#[from] crate::oauth::client_key::KeyError),
    #[error("it is a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY); octoken reads DPoP keys as PKCS#8")]
    Pkcs1,
    #[error("it is not an RSA (2048 to 4096 bits) or P-256 private key")]
    Unsupported,
}

enum Pair {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A DPoP key pair: the private half stays in the profile's secret store as PKCS#8.
pub struct DpopKey {
    pair: Pair,
    rng: SystemRandom,
    /// The proofs' header, base64url: the same for every proof of this key, made once
    /// (the agent signs many proofs with one key).
    header: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DpopKey({}, jkt {})",
            self.alg().as_str(),
            self.thumbprint()
        )
    }
}

impl DpopKey {
    /// A new key pair and its PKCS#8 encoding (base64url), to store. None for RS256:
    /// ring cannot generate RSA keys (the one crate that could, `rsa`, carries an advisory
    /// with no fix, RUSTSEC-2023-0071), so an RSA key comes from the user.
    pub fn generate(alg: DpopAlg) -> Option<(DpopKey, Secret)> {
        let rng = SystemRandom::new();
        let pkcs8 = match alg {
            DpopAlg::ES256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map(|d| d.as_ref().to_vec()),
            DpopAlg::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng).map(|d| d.as_ref().to_vec()),
            DpopAlg::RS256 => return None,
        }
        .expect("the OS random source is available");
        let stored = Secret::new(URL_SAFE_NO_PAD.encode(&pkcs8));
        let key = DpopKey::from_stored(&stored).expect("a key ring just generated parses");
        Some((key, stored))
    }

    /// The user's own key (`login --dpop-key-file`) from a PEM file's bytes: PKCS#8
    /// (`BEGIN PRIVATE KEY`) of an RSA key (RS256) or a P-256 key (ES256), as `openssl
    /// genpkey` writes them; with the stored form, which is the same as a generated
    /// key's, so later runs need no file.
    pub fn from_pem(pem: &[u8]) -> Result<(DpopKey, Secret), PemError> {
        use crate::oauth::client_key::{self, KeyError as Pem};
        let text = std::str::from_utf8(pem).map_err(|_| Pem::NotPem)?;
        let (label, der) = client_key::pem_block(text)?;
        match label {
            "PRIVATE KEY" => {}
            "RSA PRIVATE KEY" => return Err(PemError::Pkcs1),
            "ENCRYPTED PRIVATE KEY" => return Err(Pem::Encrypted.into()),
            "EC PRIVATE KEY" => return Err(Pem::Sec1.into()),
            _ => return Err(Pem::NotPem.into()),
        }
        let stored = Secret::new(URL_SAFE_NO_PAD.encode(&der));
        let key = DpopKey::from_stored(&stored).map_err(|_| PemError::Unsupported)?;
        Ok((key, stored))
    }

    /// The key from its stored form (base64url PKCS#8 of a P-256, Ed25519 or RSA key).
    pub fn from_stored(stored: &Secret) -> Result<DpopKey, KeyError> {
        let der = URL_SAFE_NO_PAD
            .decode(stored.expose().trim())
            .map_err(|_| KeyError::Encoding)?;
        let rng = SystemRandom::new();
        let pair = if let Ok(pair) =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
        {
            Pair::Ec(pair)
        } else if let Ok(pair) = Ed25519KeyPair::from_pkcs8(&der) {
            Pair::Ed(pair)
        } else {
            Pair::Rsa(RsaKeyPair::from_pkcs8(&der).map_err(|_| KeyError::Unknown)?)
        };
        Ok(DpopKey {
            pair,
            rng,
            header: std::sync::OnceLock::new(),
        })
    }

    pub fn alg(&self) -> DpopAlg {
        match self.pair {
            Pair::Ec(_) => DpopAlg::ES256,
            Pair::Ed(_) => DpopAlg::EdDSA,
            Pair::Rsa(_) => DpopAlg::RS256,
        }
    }

    /// The public key as a JWK with only the required members, in the lexicographic
    /// order RFC 7638 hashes them in.
    pub fn public_jwk(&self) -> serde_json::Value {
        match &self.pair {
            Pair::Ec(pair) => {
                // An uncompressed SEC1 point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                serde_json::json!({
                    "crv": "P-256",
                    "kty": "EC",
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
                })
            }
            Pair::Ed(pair) => serde_json::json!({
                "crv": "Ed25519",
                "kty": "OKP",
                "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            }),
            Pair::Rsa(pair) => {
                // Big-endian without leading zeros, as RFC 7518 6.3.1 wants `n` and `e`.
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                serde_json::json!({
                    "e": URL_SAFE_NO_PAD.encode(&public.e),
                    "kty": "RSA",
                    "n": URL_SAFE_NO_PAD.encode(&public.n),
                })
            }
        }
    }

    /// The JWK SHA-256 thumbprint (RFC 7638), base64url: `dpop_jkt` and `cnf.jkt`.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.public_jwk())
    }

    /// A proof JWT (RFC 9449 4.2) for one request. `htu` loses its query and fragment;
    /// `access_token` adds `ath`; `now` is unix seconds.
    pub fn proof(
        &self,
        htm: &str,
        htu: &str,
        nonce: Option<&str>,
        access_token: Option<&Secret>,
        now: u64,
    ) -> Secret {
        let header = self.header.get_or_init(|| {
            let header = serde_json::json!({
                "typ": "dpop+jwt",
                "alg": self.alg().as_str(),
                "jwk": self.public_jwk(),
            });
            URL_SAFE_NO_PAD.encode(header.to_string())
        });
        let mut claims = serde_json::json!({
            "jti": crate::oauth::pkce::random_token().expose(),
            "htm": htm,
            "htu": target_uri(htu),
            "iat": now,
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        if let Some(token) = access_token {
            claims["ath"] = ath(token).into();
        }
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = match &self.pair {
            Pair::Ec(pair) => pair
                .sign(&self.rng, input.as_bytes())
                .expect("P-256 signing does not fail")
                .as_ref()
                .to_vec(),
            Pair::Ed(pair) => pair.sign(input.as_bytes()).as_ref().to_vec(),
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &self.rng,
                    input.as_bytes(),
                    &mut signature,
                )
                .expect("RSA signing with a parsed key does not fail");
                signature
            }
        };
        Secret::new(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// The RFC 7638 thumbprint of a public JWK octoken makes (EC, OKP or RSA): SHA-256 of
/// the required members in lexicographic order without whitespace (RFC 7638 3.3),
/// written out rather than trusting a JSON map's order.
fn jwk_thumbprint(jwk: &serde_json::Value) -> String {
    let member = |name: &str| jwk[name].as_str().unwrap_or_default();
    let canonical = match member("kty") {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            member("crv"),
            member("x"),
            member("y")
        ),
        "OKP" => format!(
            r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
            member("crv"),
            member("x")
        ),
        _ => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            member("e"),
            member("n")
        ),
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// base64url(SHA-256(access token)): the proof's `ath` (RFC 9449 4.2).
pub fn ath(access_token: &Secret) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, access_token.expose().as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The `htu` of a URL: the HTTP target URI (RFC 9110 7.1) without query and fragment
/// (RFC 9449 4.2), and without userinfo, which a target URI never has (RFC 9110 4.2.4:
/// a sender must not generate it): `https://user:pw@api.example/x` is a request for
/// `https://api.example/x`, and a password has no place in a signed proof the API
/// sees and may log. Callers pass URLs that parse (checked in settings); anything else
/// only loses its query and fragment.
pub fn target_uri(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            // Only fails for URLs that cannot have userinfo (no host): nothing to drop.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or(url).to_string(),
    }
}

/// The origin a nonce belongs to (`https://host:port`): servers hand out nonces per
/// server, not per URL.
pub fn origin(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.origin().ascii_serialization())
}

/// What a token request needs to carry proofs: the key and the server's latest nonce.
/// Clones share the nonce, so the caller sees a nonce the sender learned.
#[derive(Debug, Clone)]
pub struct DpopSigner {
    pub key: Arc<DpopKey>,
    nonce: Arc<Mutex<Option<String>>>,
}

impl DpopSigner {
    pub fn new(key: DpopKey, nonce: Option<String>) -> DpopSigner {
        DpopSigner {
            key: Arc::new(key),
            nonce: Arc::new(Mutex::new(nonce)),
        }
    }

    pub fn nonce(&self) -> Option<String> {
        self.nonce.lock().map(|n| n.clone()).unwrap_or(None)
    }

    /// Remembers a nonce the server sent; true when it is a new one.
    pub fn learn_nonce(&self, nonce: &str) -> bool {
        let Ok(mut current) = self.nonce.lock() else {
            return false;
        };
        if current.as_deref() == Some(nonce) {
            return false;
        }
        *current = Some(nonce.to_string());
        true
    }

    /// A proof for a token-endpoint POST with the latest nonce.
    pub fn token_proof(&self, url: &str, now: u64) -> Secret {
        self.key
            .proof("POST", url, self.nonce().as_deref(), None, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    /// A fixed 2048-bit test key, made with
    /// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-2048.pem`.
    const RSA_PEM: &str = include_str!("testdata/rsa-2048.pem");

    /// A key of each algorithm: generated, or the test RSA key.
    fn key_of(alg: DpopAlg) -> (DpopKey, Secret) {
        DpopKey::generate(alg).unwrap_or_else(|| DpopKey::from_pem(RSA_PEM.as_bytes()).unwrap())
    }

    #[test]
    fn proofs_verify_with_the_embedded_key() {
        for alg in DpopAlg::ALL {
            let (key, stored) = key_of(alg);
            let again = DpopKey::from_stored(&stored).unwrap();
            assert_eq!(again.thumbprint(), key.thumbprint());
            assert_eq!(again.alg(), alg);
            let token = Secret::new("at");
            let proof = key.proof(
                "GET",
                "https://api.example/x?y=1#f",
                Some("n"),
                Some(&token),
                7,
            );
            let parts: Vec<&str> = proof.expose().split('.').collect();
            let header = decode(parts[0]);
            let claims = decode(parts[1]);
            assert_eq!(header["typ"], "dpop+jwt");
            assert_eq!(header["alg"], alg.as_str());
            assert_eq!(claims["htu"], "https://api.example/x");
            assert_eq!(claims["htm"], "GET");
            assert_eq!(claims["iat"], 7);
            assert_eq!(claims["nonce"], "n");
            assert_eq!(claims["ath"], ath(&token));
            let jwk = &header["jwk"];
            let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            let input = format!("{}.{}", parts[0], parts[1]);
            let public = match alg {
                DpopAlg::ES256 => {
                    let mut point = vec![4u8];
                    point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
                    point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
                    ring::signature::UnparsedPublicKey::new(
                        &ring::signature::ECDSA_P256_SHA256_FIXED,
                        point,
                    )
                    .verify(input.as_bytes(), &signature)
                }
                DpopAlg::EdDSA => ring::signature::UnparsedPublicKey::new(
                    &ring::signature::ED25519,
                    URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap(),
                )
                .verify(input.as_bytes(), &signature),
                DpopAlg::RS256 => RsaPublicKeyComponents {
                    n: URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap(),
                    e: URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap(),
                }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    input.as_bytes(),
                    &signature,
                ),
            };
            assert!(public.is_ok(), "{alg:?} proof verifies");
        }
    }

    #[test]
    fn thumbprints_are_sha256_base64url() {
        let (key, _) = key_of(DpopAlg::ES256);
        assert_eq!(key.thumbprint().len(), 43);
        // RFC 7638 3.1's example key and thumbprint.
        let rfc_7638 = serde_json::json!({
            "kty": "RSA",
            "e": "AQAB",
            "alg": "RS256",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        });
        assert_eq!(
            jwk_thumbprint(&rfc_7638),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        // RFC 9449's example P-256 key and its dpop_jkt (sections 4.1 and 10).
        let rfc_9449 = serde_json::json!({
            "kty": "EC",
            "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
            "crv": "P-256",
        });
        assert_eq!(
            jwk_thumbprint(&rfc_9449),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        // RFC 8037 A.3's Ed25519 key and thumbprint.
        let rfc_8037 = serde_json::json!({
            "crv": "Ed25519",
            "kty": "OKP",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        });
        assert_eq!(
            jwk_thumbprint(&rfc_8037),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn ath_is_rfc_9449s() {
        // RFC 9449 7.1's access token and the `ath` of its proof.
        let token = Secret::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
        assert_eq!(ath(&token), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    }

    #[test]
    fn algorithms_match_the_names_servers_list() {
        let listed = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            DpopAlg::ALL.map(DpopAlg::as_str),
            ["ES256", "EdDSA", "RS256"]
        );
        assert!(DpopAlg::ES256.supported_by(&listed(&["RS256", "ES256"])));
        assert!(!DpopAlg::ES256.supported_by(&listed(&["ES384", "PS256"])));
        // oidc-provider lists Ed25519 (RFC 9864) beside or instead of EdDSA.
        assert!(DpopAlg::EdDSA.supported_by(&listed(&["Ed25519"])));
        assert!(DpopAlg::EdDSA.supported_by(&listed(&["EdDSA"])));
        assert!(DpopAlg::RS256.supported_by(&listed(&["RS256"])));
        assert!(!DpopAlg::RS256.supported_by(&listed(&["PS256", "ES256", "EdDSA"])));
        assert!(!DpopAlg::RS256.supported_by(&[]));
    }

    #[test]
    fn rsa_keys_come_from_the_user_and_are_stored_like_generated_ones() {
        use crate::oauth::client_key::KeyError as Pem;
        assert!(
            DpopKey::generate(DpopAlg::RS256).is_none(),
            "ring makes no RSA keys"
        );
        let (key, stored) = DpopKey::from_pem(format!("junk\n{RSA_PEM}").as_bytes()).unwrap();
        assert_eq!(key.alg(), DpopAlg::RS256);
        let again = DpopKey::from_stored(&stored).unwrap();
        assert_eq!(again.thumbprint(), key.thumbprint());
        assert_eq!(again.public_jwk()["kty"], "RSA");
        assert_eq!(again.public_jwk()["e"], "AQAB");

        // A P-256 key of the user's signs ES256, stored as ring's own.
        let rng = SystemRandom::new();
        let p256 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let (key, stored) =
            DpopKey::from_pem(pem("PRIVATE KEY", p256.as_ref()).as_bytes()).unwrap();
        assert_eq!(key.alg(), DpopAlg::ES256);
        assert_eq!(stored.expose(), URL_SAFE_NO_PAD.encode(p256.as_ref()));

        let refuse = |text: &str| DpopKey::from_pem(text.as_bytes()).unwrap_err();
        let p384 =
            EcdsaKeyPair::generate_pkcs8(&ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
                .unwrap();
        assert_eq!(
            refuse(&pem("PRIVATE KEY", p384.as_ref())),
            PemError::Unsupported
        );
        assert_eq!(
            refuse(&pem("PRIVATE KEY", b"not a key")),
            PemError::Unsupported
        );
        assert_eq!(refuse(&pem("RSA PRIVATE KEY", b"x")), PemError::Pkcs1);
        assert_eq!(refuse(&pem("EC PRIVATE KEY", b"x")), Pem::Sec1.into());
        assert_eq!(
            refuse(&pem("ENCRYPTED PRIVATE KEY", b"x")),
            Pem::Encrypted.into()
        );
        assert_eq!(
            refuse(&pem("OPENSSH PRIVATE KEY", b"x")),
            Pem::NotPem.into()
        );
        assert_eq!(refuse("no pem"), Pem::NotPem.into());
        assert_eq!(
            DpopKey::from_pem(&[0xff, 0xfe]).unwrap_err(),
            Pem::NotPem.into(),
            "not UTF-8"
        );
    }

    fn pem(label: &str, der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    }

    #[test]
    fn htu_is_the_target_uri_without_userinfo_query_and_fragment() {
        // RFC 9449 4.2 (no query, no fragment) and RFC 9110 4.2.4 (no userinfo).
        for (url, htu) in [
            ("https://api.example/x?y=1#f", "https://api.example/x"),
            ("https://user:pw@api.example/x", "https://api.example/x"),
            (
                "https://user@api.example:8443/x?q",
                "https://api.example:8443/x",
            ),
            ("https://:pw@api.example/", "https://api.example/"),
            ("http://api.example", "http://api.example/"),
            // Never reached (settings parse the URL first): cut at ? and #.
            ("not a url?q#f", "not a url"),
        ] {
            assert_eq!(target_uri(url), htu, "{url}");
        }
        let (key, _) = key_of(DpopAlg::ES256);
        let proof = key.proof("GET", "https://user:pw@api.example/x", None, None, 1);
        let claims = decode(proof.expose().split('.').nth(1).unwrap());
        assert_eq!(claims["htu"], "https://api.example/x");
        assert!(claims.get("nonce").is_none() && claims.get("ath").is_none());
    }

    #[test]
    fn token_proofs_post_to_the_url_with_the_latest_nonce_and_debug_shows_no_secret() {
        let (key, stored) = key_of(DpopAlg::ES256);
        let jkt = key.thumbprint();
        let signer = DpopSigner::new(key, Some("n1".into()));
        let claims = |proof: Secret| decode(proof.expose().split('.').nth(1).unwrap());
        let first = claims(signer.token_proof("https://id.example/token?x#y", 9));
        assert_eq!(first["htm"], "POST");
        assert_eq!(first["htu"], "https://id.example/token");
        assert_eq!(first["nonce"], "n1");
        assert_eq!(first["iat"], 9);
        assert!(
            first.get("ath").is_none(),
            "no access token at the token endpoint"
        );
        signer.learn_nonce("n2");
        assert_eq!(
            claims(signer.token_proof("https://id.example/token", 9))["nonce"],
            "n2"
        );
        // Debug names the algorithm and the public thumbprint, never the private key.
        let shown = format!("{signer:?}");
        assert!(
            shown.contains(&format!("DpopKey(ES256, jkt {jkt})")),
            "{shown}"
        );
        assert!(!shown.contains(stored.expose()), "{shown}");
    }

    #[test]
    fn garbage_keys_are_errors() {
        assert!(DpopKey::from_stored(&Secret::new("!!")).is_err());
        assert!(DpopKey::from_stored(&Secret::new("AAAA")).is_err());
    }

    #[test]
    fn nonces_are_shared_between_clones() {
        let (key, _) = key_of(DpopAlg::ES256);
        let signer = DpopSigner::new(key, None);
        let copy = signer.clone();
        assert!(copy.learn_nonce("abc"));
        assert!(!signer.learn_nonce("abc"));
        assert_eq!(signer.nonce().as_deref(), Some("abc"));
        assert_eq!(
            origin("https://a.example:8443/x/y?q"),
            "https://a.example:8443"
        );
    }
}
