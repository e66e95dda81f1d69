//! `octoken refresh`: the keepalive. Nothing on stdout; one line on stderr. The refresh
//! itself, and everything that keeps a token from being lost, is the session's.

use crate::error::Result;
use crate::output;
use crate::session::{Mode, Session};
use crate::settings::RefreshSettings;
use std::time::Duration;

pub fn run(settings: &RefreshSettings) -> Result<()> {
    let profile = &settings.profile;
    let mut now = settings.global.now;
    if let Some(jitter) = settings.jitter {
        let pause = spread(jitter, crate::session::random());
        output::debug(
            1,
            format!("waiting {} ms first (--jitter)", pause.as_millis()),
        );
        std::thread::sleep(pause);
        // The decision and the records use the clock after the pause.
        now = now.saturating_add(pause.as_secs());
    }
    let session = Session::open(profile, now);
    let mode = match settings.if_older_than {
        // The cron form honours a recorded backoff; a person asking does not.
        Some(limit) => {
            if let Some(last) = session.state().last_refresh_at
                && now.saturating_sub(last) < limit.as_secs()
            {
                output::notice(format!(
                    "octoken: the last refresh of '{}' was {} ago; nothing to do",
                    profile.name,
                    output::human_duration(now.saturating_sub(last))
                ));
                return Ok(());
            }
            Mode::Keepalive
        }
        None => Mode::Always,
    };
    let token = session.refresh(mode, None)?;
    output::notice(format!(
        "octoken: refreshed profile '{}'; access token valid for {}",
        profile.name,
        output::human_duration(token.remaining(now))
    ));
    Ok(())
}

/// A pause of up to `jitter`, uniformly spread (millisecond steps).
fn spread(jitter: Duration, random: u64) -> Duration {
    let window = u64::try_from(jitter.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(random % window.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_stays_inside_the_window() {
        let window = Duration::from_secs(2);
        assert_eq!(spread(window, 0), Duration::ZERO);
        assert_eq!(spread(window, 2000), window);
        assert_eq!(spread(window, 2001), Duration::ZERO);
        assert_eq!(spread(window, 1234), Duration::from_millis(1234));
        assert!(spread(window, u64::MAX) <= window);
        assert_eq!(spread(Duration::ZERO, 77), Duration::ZERO);
    }
}
