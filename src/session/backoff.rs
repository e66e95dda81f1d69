//! How long every process holds off after a refresh failed for a temporary reason: the
//! server's `Retry-After` where given (capped), else a backoff that doubles with
//! consecutive failures from 2 s to 60 s, stretched by up to a quarter at random so that
//! many hosts do not return in the same second.

/// The first backoff, doubled for each further consecutive failure.
const FIRST: u64 = 2;
/// The longest backoff octoken chooses itself.
const LONGEST: u64 = 60;
/// The longest `Retry-After` honoured; a server asking for a day gets this.
pub const LONGEST_RETRY_AFTER: u64 = 300;
/// The longest hold-off `hold_off` ever returns: a recorded backoff that runs longer
/// was not written by octoken and is ignored.
pub const LONGEST_HOLD: u64 = if LONGEST_RETRY_AFTER > LONGEST + LONGEST / 4 {
    LONGEST_RETRY_AFTER
} else {
    LONGEST + LONGEST / 4
};

/// Seconds to hold off after the `failures`-th consecutive failure (1 for the first).
/// `random` is any u64 (from the CSPRNG; tests pass fixed ones).
pub fn hold_off(failures: u32, retry_after: Option<u64>, random: u64) -> u64 {
    let doubled = FIRST.saturating_mul(1u64 << failures.saturating_sub(1).min(16));
    let own = doubled.min(LONGEST);
    let jitter = (random % 1000).saturating_mul(own) / 4000;
    let own = own.saturating_add(jitter);
    match retry_after {
        // The server knows best when it will be back; hold off at least a second.
        Some(asked) => asked.clamp(1, LONGEST_RETRY_AFTER),
        None => own,
    }
}

/// A random u64 for the jitter; 0 if the OS has no randomness to give (no jitter then).
pub fn random() -> u64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    match ring::rand::SystemRandom::new().fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_two_seconds_up_to_a_minute() {
        let steps: Vec<u64> = (1..=8).map(|n| hold_off(n, None, 0)).collect();
        assert_eq!(steps, [2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(hold_off(u32::MAX, None, 0), 60);
    }

    #[test]
    fn jitter_stretches_by_at_most_a_quarter() {
        assert_eq!(hold_off(6, None, 999), 60 + 14);
        assert_eq!(hold_off(3, None, 500), 8 + 1);
        for r in [0, 1, 250, 999, u64::MAX] {
            let s = hold_off(5, None, r);
            assert!((32..=40).contains(&s), "{s}");
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        assert_eq!(hold_off(1, Some(3), 0), 3);
        assert_eq!(hold_off(1, Some(3), 999), 3);
        assert_eq!(hold_off(1, Some(86_400), 0), LONGEST_RETRY_AFTER);
        // Retry-After: 0 still holds off for a second, never for nothing.
        assert_eq!(hold_off(1, Some(0), 0), 1);
        // The server's word beats a long streak's own backoff.
        assert_eq!(hold_off(6, Some(10), 0), 10);
    }

    #[test]
    fn no_hold_off_is_longer_than_the_longest() {
        for failures in [1, 6, 30, u32::MAX] {
            for random in [0, 999, u64::MAX] {
                for asked in [None, Some(0), Some(86_400), Some(u64::MAX)] {
                    assert!(hold_off(failures, asked, random) <= LONGEST_HOLD);
                }
            }
        }
        assert_eq!(LONGEST_HOLD, 300);
    }
}
