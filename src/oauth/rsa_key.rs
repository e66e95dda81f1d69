//! RSA key generation for RS256 DPoP keys. ring signs with RSA keys but cannot make
//! them, so the `rsa` crate (RustCrypto, 0.10: constant-time arithmetic through
//! crypto-bigint) generates the key once, at login; ring does all signing afterwards.
//! Its randomness comes from ring's `SystemRandom`, the source every other key and
//! nonce in octoken comes from.

use ring::rand::{SecureRandom, SystemRandom};
use rsa::pkcs8::EncodePrivateKey;
use rsa::rand_core::{TryCryptoRng, TryRng};

/// The modulus size: what RFC 7518 3.3 asks as a minimum and what every server takes;
/// larger keys make every proof slower and the stored key longer (a keyring entry on
/// Windows holds 2560 bytes).
pub const BITS: usize = 2048;

/// A new RSA private key as PKCS#8 DER.
pub fn generate_pkcs8(random: &SystemRandom) -> Result<Vec<u8>, ring::error::Unspecified> {
    let mut rng = RingRandom(random);
    let key = rsa::PrivateKey::new(&mut rng, BITS).map_err(|_| ring::error::Unspecified)?;
    // `to_pkcs8_der` keeps the secret in a zeroizing document; the copy returned is
    // what the caller stores.
    let der = key.to_pkcs8_der().map_err(|_| ring::error::Unspecified)?;
    Ok(der.as_bytes().to_vec())
}

/// ring's error type is no `std::error::Error` without its `std` feature.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomUnavailable;

/// ring's `SystemRandom` as the RNG `rsa` wants.
struct RingRandom<'a>(&'a SystemRandom);

impl TryRng for RingRandom<'_> {
    type Error = RandomUnavailable;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.0.fill(&mut bytes).map_err(|_| RandomUnavailable)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.0.fill(&mut bytes).map_err(|_| RandomUnavailable)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst).map_err(|_| RandomUnavailable)
    }
}

impl TryCryptoRng for RingRandom<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_rsa_may_ask_for_randomness_gives_new_bits() {
        // Key generation uses fill_bytes today; the other two must not be constants
        // should a later rsa release use them (a 2^-64 / 2^-32 chance of a false alarm).
        let random = SystemRandom::new();
        let mut rng = RingRandom(&random);
        let u64s = [rng.try_next_u64().unwrap(), rng.try_next_u64().unwrap()];
        assert_ne!(u64s[0], u64s[1]);
        let u32s: Vec<u32> = (0..3).map(|_| rng.try_next_u32().unwrap()).collect();
        assert!(u32s[0] != u32s[1] || u32s[1] != u32s[2]);
        let mut bytes = [0u8; 32];
        rng.try_fill_bytes(&mut bytes).unwrap();
        assert_ne!(bytes, [0u8; 32]);
    }

    #[test]
    fn generated_keys_are_2048_bit_keys_ring_can_sign_with() {
        let der = generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
        assert_eq!(pair.public().modulus_len() * 8, BITS);
        let other = generate_pkcs8(&SystemRandom::new()).unwrap();
        assert_ne!(der, other, "each key is new");
    }
}
