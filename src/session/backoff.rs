//! How long every process holds off after a refresh failed for a temporary reason: the
//! server's `Retry-After` where given (capped), else a backoff that doubles with
//! consecutive failures from 2 s to 60 s, stretched by up to a quarter at random so that
//! many hosts do not return in the same second.

use crate::error::{Error, Result};
use crate::output;
use crate::store::state::Backoff;

use super::Session;

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

impl Session<'_> {
    /// Refuses to ask the server while a recorded backoff runs.
    pub(super) fn check_backoff(&self) -> Result<()> {
        // A fleet shares one backoff in Redis: one host's failure answers every host. A
        // Redis that cannot be read is the temporary failure to report (exit 5).
        let shared = match &self.fleet {
            Some(fleet) => fleet.backoff()?,
            None => None,
        };
        let local = self.state().backoff;
        let Some(backoff) = [local, shared]
            .into_iter()
            .flatten()
            .max_by_key(|b| b.until)
        else {
            return Ok(());
        };
        let now = self.clock();
        if now >= backoff.until {
            return Ok(());
        }
        let wait = backoff.until - now;
        if wait > LONGEST_HOLD {
            // Longer than octoken ever holds off: not a backoff any host recorded.
            output::warn(format!(
                "ignoring a recorded backoff of {}: octoken never holds off that long",
                output::human_duration(wait)
            ));
            return Ok(());
        }
        Err(Error::Temporary {
            message: format!(
                "the last refresh failed {} ago ({}); octoken holds off asking the server for {} more",
                output::human_duration(now.saturating_sub(backoff.failed_at)),
                crate::sanitize::foreign(&backoff.reason, 200),
                output::human_duration(wait)
            ),
            hint: format!(
                "this is temporary: the stored refresh token is unchanged; try again after {} (`{}` asks now)",
                output::rfc3339(backoff.until),
                crate::profile_name::command(&self.settings.name, "refresh")
            ),
        })
    }

    /// Records a temporary failure so that every process holds off for a while.
    pub(super) fn record_failure(&self, err: &Error) {
        let mut state = self.state();
        let failures = state
            .backoff
            .as_ref()
            .map_or(0, |b| b.failures)
            .saturating_add(1);
        let hold = hold_off(failures, self.retry_after.get(), random());
        let mut reason = err.to_string();
        if reason.chars().count() > 200 {
            reason = reason.chars().take(200).collect::<String>() + "...";
        }
        output::debug(1, format!("holding off refreshes for {hold}s: {reason}"));
        let now = self.clock();
        state.backoff = Some(Backoff {
            failed_at: now,
            until: now.saturating_add(hold),
            reason,
            failures,
        });
        if let Err(e) = state.save(&self.settings.state_file()) {
            output::warn(format!("could not record the failure: {e}"));
        }
        if let (Some(fleet), Some(backoff)) = (&self.fleet, &state.backoff)
            && let Err(e) = fleet.set_backoff(backoff, std::time::Duration::from_secs(hold))
        {
            output::debug(
                1,
                format!("could not share the backoff with the fleet: {e}"),
            );
        }
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
