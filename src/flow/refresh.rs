//! `octoken refresh`: the keepalive. Nothing on stdout; one line on stderr. The refresh
//! itself, and everything that keeps a token from being lost, is the session's.

use crate::error::Result;
use crate::output;
use crate::session::{Mode, Session};
use crate::settings::RefreshSettings;

pub fn run(settings: &RefreshSettings) -> Result<()> {
    let profile = &settings.profile;
    let now = settings.global.now;
    let session = Session::open(profile, now);
    if let Some(limit) = settings.if_older_than
        && let Some(last) = session.state().last_refresh_at
        && now.saturating_sub(last) < limit.as_secs()
    {
        output::notice(format!(
            "octoken: the last refresh of '{}' was {} ago; nothing to do",
            profile.name,
            output::human_duration(now.saturating_sub(last))
        ));
        return Ok(());
    }
    let token = session.refresh(Mode::Always, None)?;
    output::notice(format!(
        "octoken: refreshed profile '{}'; access token valid for {}",
        profile.name,
        output::human_duration(token.remaining(now))
    ));
    Ok(())
}
