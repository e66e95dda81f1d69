//! Envelope encryption of what octoken writes to a shared store (`--store-key-file`):
//! AES-256-GCM from ring, a fresh random nonce per value, and the key's name, the
//! format version and the value's place (Redis key and field) as associated data, so a
//! sealed value neither opens under another key nor moves to another field or entry.
//!
//! A value that changes with the entry's fencing number (the shared secrets) is sealed
//! with that number in its associated data too (format v2): an older sealed value put
//! back opens only with the older number beside it, which each host refuses once it has
//! seen a newer one (store/redis/codec.rs). Values without a version (format v1) only stay
//! in their place.
//!
//! A sealed value reads `octoken-sealed:v1:<key id>:<base64(nonce || ciphertext)>` (or
//! `v2`); the key id is the first 8 bytes of the key's SHA-256, in hex (it names the
//! key without revealing it).

use crate::error::{Error, Result};
use crate::fsutil;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;

const PREFIX: &str = "octoken-sealed:";
/// A value bound to its place.
const PLACED: &str = "v1";
/// A value bound to its place and to the entry's version.
const VERSIONED: &str = "v2";
/// The hex digits of a key id.
const ID_LEN: usize = 16;
pub const KEY_LEN: usize = 32;

pub struct SealKey {
    key: LessSafeKey,
    id: String,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKey").field("id", &self.id).finish()
    }
}

impl SealKey {
    /// The key in `path`: exactly 32 bytes, in a private (0600) file (`read_private`
    /// refuses any other).
    pub fn load(path: &Path) -> Result<SealKey> {
        let fix = format!(
            "create it with `head -c 32 /dev/urandom > {0} && chmod 600 {0}`",
            path.display()
        );
        let bytes = fsutil::read_private(path)?.ok_or_else(|| {
            Error::config(
                format!("the store key file {} does not exist", path.display()),
                Some(fix.clone()),
            )
        })?;
        Self::from_bytes(&bytes).ok_or_else(|| {
            Error::config(
                format!(
                    "the store key file {} must hold exactly {KEY_LEN} bytes (it holds {})",
                    path.display(),
                    bytes.len()
                ),
                Some(fix),
            )
        })
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<SealKey> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
        let id = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).ok()?);
        Some(SealKey { key, id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `plain` for `place` (the Redis key and field it is written to).
    pub fn seal(&self, place: &str, plain: &[u8]) -> String {
        self.seal_as(PLACED, place, plain)
    }

    /// Seals `plain` for `place` at entry version `version`.
    pub fn seal_at(&self, place: &str, version: u64, plain: &[u8]) -> String {
        self.seal_as(VERSIONED, &format!("{place}#{version}"), plain)
    }

    /// Opens a value `seal` wrote for `place`; None when it is not one, or was sealed
    /// under another key or for another place, or was altered.
    pub fn open(&self, place: &str, sealed: &str) -> Option<Vec<u8>> {
        self.open_as(PLACED, place, sealed)
    }

    /// Opens a value `seal_at` wrote for `place` at `version`; None as `open`, and when
    /// it was sealed at another version.
    pub fn open_at(&self, place: &str, version: u64, sealed: &str) -> Option<Vec<u8>> {
        self.open_as(VERSIONED, &format!("{place}#{version}"), sealed)
    }

    fn aad(&self, format: &str, place: &str) -> String {
        format!("octoken:{format}:{}:{place}", self.id)
    }

    fn seal_as(&self, format: &str, place: &str, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system CSPRNG works");
        let mut data = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad(format, place).as_bytes()),
                &mut data,
            )
            .expect("AES-GCM seals any length octoken writes");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        format!(
            "{PREFIX}{format}:{}:{}",
            self.id,
            STANDARD_NO_PAD.encode(out)
        )
    }

    fn open_as(&self, format: &str, place: &str, sealed: &str) -> Option<Vec<u8>> {
        let rest = sealed.strip_prefix(PREFIX)?.strip_prefix(format)?;
        let rest = rest.strip_prefix(':')?.strip_prefix(self.id.as_str())?;
        let bytes = STANDARD_NO_PAD.decode(rest.strip_prefix(':')?).ok()?;
        // Shorter than a nonce: not a value `seal` wrote (and `split_at` would panic).
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(
                nonce,
                Aad::from(self.aad(format, place).as_bytes()),
                &mut data,
            )
            .ok()?;
        Some(plain.to_vec())
    }
}

/// How a stored value is sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed<'a> {
    /// Bound to its place only (format v1; an entry's secrets before versions were
    /// bound).
    Placed { key_id: &'a str },
    /// Bound to its place and the entry's version (format v2).
    Versioned { key_id: &'a str },
}

impl<'a> Sealed<'a> {
    pub fn key_id(self) -> &'a str {
        match self {
            Sealed::Placed { key_id } | Sealed::Versioned { key_id } => key_id,
        }
    }
}

/// How a stored value is sealed, and under which key id; None when it is not a sealed
/// value (its key id is always 16 hex digits, so what is shown of it is inert).
pub fn sealed(value: &str) -> Option<Sealed<'_>> {
    let rest = value.strip_prefix(PREFIX)?;
    let (format, rest) = rest.split_once(':')?;
    let (key_id, _) = rest.split_once(':')?;
    if key_id.len() != ID_LEN || !key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match format {
        PLACED => Some(Sealed::Placed { key_id }),
        VERSIONED => Some(Sealed::Versioned { key_id }),
        _ => None,
    }
}

/// Whether a stored value is sealed, and if so under which key id.
pub fn sealed_key_id(value: &str) -> Option<&str> {
    sealed(value).map(Sealed::key_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_in_place_and_under_its_key() {
        let key = SealKey::from_bytes(&[7u8; 32]).unwrap();
        let sealed = key.seal("octoken:ns:entry/secrets", b"refresh-token-value");
        assert!(!sealed.contains("refresh-token-value"));
        assert_eq!(sealed_key_id(&sealed), Some(key.id()));
        assert_eq!(
            key.open("octoken:ns:entry/secrets", &sealed).unwrap(),
            b"refresh-token-value"
        );
        assert!(key.open("octoken:ns:entry/access", &sealed).is_none());
        let other = SealKey::from_bytes(&[8u8; 32]).unwrap();
        assert!(other.open("octoken:ns:entry/secrets", &sealed).is_none());
        // One character of the sealed text changed (to one it is not: replacing the last
        // character with 'A' was a no-op one time in 64, a flaky test).
        for at in [sealed.len() / 2, sealed.len() - 2] {
            let mut tampered = sealed.clone().into_bytes();
            tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(tampered).unwrap();
            assert!(key.open("octoken:ns:entry/secrets", &tampered).is_none());
        }
        assert!(SealKey::from_bytes(&[0u8; 31]).is_none());
    }

    #[test]
    fn a_versioned_value_opens_only_at_its_version() {
        let key = SealKey::from_bytes(&[7u8; 32]).unwrap();
        let place = "octoken:ns:entry/secrets";
        let sealed = key.seal_at(place, 41, b"rt");
        assert!(sealed.starts_with("octoken-sealed:v2:"));
        assert_eq!(key.open_at(place, 41, &sealed).unwrap(), b"rt");
        assert!(key.open_at(place, 40, &sealed).is_none());
        assert!(key.open_at(place, 42, &sealed).is_none());
        assert!(
            key.open_at("octoken:ns:entry/access", 41, &sealed)
                .is_none()
        );
        // Neither format opens as the other.
        assert!(key.open(place, &sealed).is_none());
        assert!(key.open(&format!("{place}#41"), &sealed).is_none());
        let placed = key.seal(place, b"rt");
        assert!(key.open_at(place, 41, &placed).is_none());
        assert_eq!(
            sealed_kind(&sealed),
            Some(Sealed::Versioned { key_id: key.id() })
        );
        assert_eq!(
            sealed_kind(&placed),
            Some(Sealed::Placed { key_id: key.id() })
        );
        assert_eq!(Sealed::Versioned { key_id: "k" }.key_id(), "k");
    }

    fn sealed_kind(value: &str) -> Option<Sealed<'_>> {
        sealed(value)
    }

    #[test]
    fn a_value_shorter_than_a_nonce_or_a_tag_opens_as_nothing() {
        let key = SealKey::from_bytes(&[7u8; 32]).unwrap();
        let place = "octoken:ns:entry/secrets";
        for len in [0, 1, NONCE_LEN - 1, NONCE_LEN, NONCE_LEN + 3] {
            let forged = format!(
                "{PREFIX}{PLACED}:{}:{}",
                key.id(),
                STANDARD_NO_PAD.encode(vec![0u8; len])
            );
            assert!(key.open(place, &forged).is_none(), "{len}");
        }
    }

    #[test]
    fn only_octokens_own_sealed_form_is_taken_for_one() {
        let id = "0123456789abcdef";
        assert_eq!(sealed_key_id(&format!("{PREFIX}v1:{id}:AAAA")), Some(id));
        assert_eq!(sealed_key_id(&format!("{PREFIX}v2:{id}:AAAA")), Some(id));
        for not in [
            format!("{PREFIX}v3:{id}:AAAA"),
            format!("{PREFIX}v1:{id}"),
            format!("{PREFIX}v1:0123456789abcde:AAAA"),
            format!("{PREFIX}v1:0123456789abcdef0:AAAA"),
            format!("{PREFIX}v1:\u{1b}[2J456789abcdef:AAAA"),
            format!("{PREFIX}v1:0123456789abcdeg:AAAA"),
            format!("sealed:v1:{id}:AAAA"),
            r#"{"v":1}"#.to_string(),
        ] {
            assert_eq!(sealed_key_id(&not), None, "{not:?}");
        }
    }

    #[test]
    fn debug_names_the_key_by_its_id_only() {
        let key = SealKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(
            format!("{key:?}"),
            format!("SealKey {{ id: {:?} }}", key.id())
        );
        assert_eq!(key.id().len(), ID_LEN);
    }
}
