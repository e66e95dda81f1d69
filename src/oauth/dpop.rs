//! DPoP (RFC 9449): a per-profile key pair and the proofs signed with it. Pure: key
//! generation, the public JWK and its thumbprint (RFC 7638), and proof JWTs; nothing
//! here reads files or sends requests. The sender (`http.rs`) signs a fresh proof for
//! each attempt and follows a server's `use_dpop_nonce` once.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// The DPoP signing algorithms octoken can create keys for. ring (already in the tree
/// through rustls) signs RS256 but cannot generate RSA keys, so RS256 is not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DpopAlg {
    ES256,
    EdDSA,
}

impl DpopAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            DpopAlg::ES256 => "ES256",
            DpopAlg::EdDSA => "EdDSA",
        }
    }

    /// The names a server may list in `dpop_signing_alg_values_supported` for this one.
    fn server_names(self) -> &'static [&'static str] {
        match self {
            DpopAlg::ES256 => &["ES256"],
            DpopAlg::EdDSA => &["EdDSA", "Ed25519"],
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
    #[error("the stored DPoP key is not a P-256 or Ed25519 PKCS#8 key")]
    Unknown,
}

enum Pair {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A DPoP key pair: the private half stays in the profile's secret store as PKCS#8.
pub struct DpopKey {
    pair: Pair,
    rng: SystemRandom,
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
    /// A new key pair and its PKCS#8 encoding (base64url), to store.
    pub fn generate(alg: DpopAlg) -> (DpopKey, Secret) {
        let rng = SystemRandom::new();
        let pkcs8 = match alg {
            DpopAlg::ES256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng),
            DpopAlg::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .expect("the OS random source is available");
        let stored = Secret::new(URL_SAFE_NO_PAD.encode(pkcs8.as_ref()));
        let key = DpopKey::from_stored(&stored).expect("a key ring just generated parses");
        (key, stored)
    }

    /// The key from its stored form (base64url PKCS#8 of a P-256 or Ed25519 key).
    pub fn from_stored(stored: &Secret) -> Result<DpopKey, KeyError> {
        let der = URL_SAFE_NO_PAD
            .decode(stored.expose().trim())
            .map_err(|_| KeyError::Encoding)?;
        let rng = SystemRandom::new();
        let pair = match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng) {
            Ok(pair) => Pair::Ec(pair),
            Err(_) => Pair::Ed(Ed25519KeyPair::from_pkcs8(&der).map_err(|_| KeyError::Unknown)?),
        };
        Ok(DpopKey { pair, rng })
    }

    pub fn alg(&self) -> DpopAlg {
        match self.pair {
            Pair::Ec(_) => DpopAlg::ES256,
            Pair::Ed(_) => DpopAlg::EdDSA,
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
        }
    }

    /// The JWK SHA-256 thumbprint (RFC 7638), base64url: `dpop_jkt` and `cnf.jkt`.
    pub fn thumbprint(&self) -> String {
        // The required members in lexicographic order, no whitespace (RFC 7638 3.3);
        // written out rather than trusting a JSON map's order.
        let jwk = self.public_jwk();
        let member = |name: &str| jwk[name].as_str().unwrap_or_default().to_string();
        let canonical = match self.pair {
            Pair::Ec(_) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                member("x"),
                member("y")
            ),
            Pair::Ed(_) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, member("x")),
        };
        let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
        URL_SAFE_NO_PAD.encode(digest.as_ref())
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
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": self.alg().as_str(),
            "jwk": self.public_jwk(),
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
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match &self.pair {
            Pair::Ec(pair) => pair
                .sign(&self.rng, input.as_bytes())
                .expect("P-256 signing does not fail")
                .as_ref()
                .to_vec(),
            Pair::Ed(pair) => pair.sign(input.as_bytes()).as_ref().to_vec(),
        };
        Secret::new(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// base64url(SHA-256(access token)): the proof's `ath` (RFC 9449 4.2).
pub fn ath(access_token: &Secret) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, access_token.expose().as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The `htu` of a URL: without query and fragment (RFC 9449 4.2).
pub fn target_uri(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
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

    #[test]
    fn proofs_verify_with_the_embedded_key() {
        for alg in [DpopAlg::ES256, DpopAlg::EdDSA] {
            let (key, stored) = DpopKey::generate(alg);
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
            };
            assert!(public.is_ok(), "{alg:?} proof verifies");
        }
    }

    #[test]
    fn thumbprints_are_sha256_base64url() {
        let (key, _) = DpopKey::generate(DpopAlg::ES256);
        assert_eq!(key.thumbprint().len(), 43);
    }

    #[test]
    fn garbage_keys_are_errors() {
        assert!(DpopKey::from_stored(&Secret::new("!!")).is_err());
        assert!(DpopKey::from_stored(&Secret::new("AAAA")).is_err());
    }

    #[test]
    fn nonces_are_shared_between_clones() {
        let (key, _) = DpopKey::generate(DpopAlg::ES256);
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
