//! `octoken status`: what a profile is and how its tokens stand. Never a secret.

use crate::error::{Error, Result};
use crate::jwt;
use crate::output;
use crate::session::Session;
use crate::settings::StatusSettings;
use serde_json::{Value, json};

pub fn run(settings: &StatusSettings) -> Result<()> {
    let p = &settings.profile;
    let now = settings.global.now;
    let session = Session::open(p, now);
    let cached = session.cached(None);
    let state = session.state();
    let claims = cached
        .as_ref()
        .and_then(|t| jwt::claims(t.access_token.expose()));
    let refresh_token = match session.store().load() {
        Ok(Some(s)) if s.refresh_token.is_some() => "stored".to_string(),
        Ok(_) => "none".to_string(),
        Err(e) => format!("unavailable ({e})"),
    };
    let rejected = state
        .rejected_refresh_token
        .is_some()
        .then(|| state.rejected_at.map(output::rfc3339));
    let idle_limit_days = p.idle_limit_days;
    let idle_warning = state
        .last_refresh_at
        .and_then(|last| idle_warning(now.saturating_sub(last), idle_limit_days));
    let report = json!({
        "profile": p.name,
        "issuer": p.issuer,
        "client_id": p.client_id,
        "auth_method": p.auth_method.as_str(),
        "store": p.store.kind.as_str(),
        "token_url": p.endpoints.token,
        "scope_requested": p.scope,
        "refresh_token": refresh_token,
        "refresh_token_rejected_at": rejected.flatten(),
        "last_refresh_at": state.last_refresh_at.map(output::rfc3339),
        "last_refresh_ago_secs": state.last_refresh_at.map(|t| now.saturating_sub(t)),
        "idle_limit_days": idle_limit_days,
        "idle_warning": idle_warning,
        "backoff": state.backoff.as_ref().filter(|b| b.until > now).map(|b| json!({
            "until": output::rfc3339(b.until),
            "seconds_left": b.until - now,
        })),
        "last_failure": state.backoff.as_ref().map(|b| json!({
            "at": output::rfc3339(b.failed_at),
            "reason": b.reason,
            "consecutive": b.failures,
        })),
        "access_token": cached.as_ref().map(|t| json!({
            "expires_at": t.expires_at.map(output::rfc3339),
            "expires_in": t.remaining(now),
            "scope": t.scope,
            "subject": claims.as_ref().and_then(|c| c.get("sub")).cloned(),
        })),
    });
    if settings.json {
        return output::stdout(&format!("{report:#}\n"))
            .map_err(|e| Error::other(format!("cannot write the status: {e}")));
    }
    output::stdout(&human(&report, now)).map_err(|e| Error::other(format!("cannot write: {e}")))
}

/// Servers drop refresh tokens unused for longer than their idle limit (Keycloak's
/// offline sessions: 30 days). Warn from three quarters of it on.
fn idle_warning(idle_secs: u64, limit_days: u64) -> Option<String> {
    let limit = limit_days * 86_400;
    if idle_secs >= limit {
        Some(format!(
            "no refresh for {}, past the {limit_days}-day idle limit: the server has probably dropped the refresh token; `octoken refresh` will tell",
            output::human_duration(idle_secs)
        ))
    } else if idle_secs * 4 >= limit * 3 {
        Some(format!(
            "no refresh for {}; the server drops refresh tokens unused for {limit_days} days: run `octoken refresh` (or schedule `octoken refresh --if-older-than 7d`)",
            output::human_duration(idle_secs)
        ))
    } else {
        None
    }
}

fn human(r: &Value, _now: u64) -> String {
    let s = |v: &Value| match v {
        Value::Null => "-".to_string(),
        Value::String(s) if s.is_empty() => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut lines = vec![
        format!("profile:         {}", s(&r["profile"])),
        format!("issuer:          {}", s(&r["issuer"])),
        format!("client id:       {}", s(&r["client_id"])),
        format!("auth method:     {}", s(&r["auth_method"])),
        format!("store:           {}", s(&r["store"])),
        format!("refresh token:   {}", s(&r["refresh_token"])),
    ];
    if !r["refresh_token_rejected_at"].is_null() {
        lines.push(format!(
            "                 rejected by the server at {}",
            s(&r["refresh_token_rejected_at"])
        ));
    }
    let last = match r["last_refresh_ago_secs"].as_u64() {
        Some(ago) => format!(
            "{} ({} ago)",
            s(&r["last_refresh_at"]),
            output::human_duration(ago)
        ),
        None => "never".into(),
    };
    lines.push(format!("last refresh:    {last}"));
    if let Some(failure) = r["last_failure"].as_object() {
        lines.push(format!(
            "last failure:    {} ({})",
            s(&failure["at"]),
            s(&failure["reason"])
        ));
    }
    if let Some(left) = r["backoff"]["seconds_left"].as_u64() {
        lines.push(format!(
            "backoff:         no refresh before {} ({} from now; `octoken refresh` asks anyway)",
            s(&r["backoff"]["until"]),
            output::human_duration(left)
        ));
    }
    if let Some(warning) = r["idle_warning"].as_str() {
        lines.push(format!("warning:         {warning}"));
    }
    match &r["access_token"] {
        Value::Null => lines.push("access token:    none cached".into()),
        at => {
            let left = at["expires_in"].as_u64().unwrap_or(0);
            let state = if left == 0 {
                "expired".to_string()
            } else {
                format!("valid for {}", output::human_duration(left))
            };
            lines.push(format!(
                "access token:    {state}, expires {}",
                s(&at["expires_at"])
            ));
            lines.push(format!("granted scope:   {}", s(&at["scope"])));
            lines.push(format!("subject:         {}", s(&at["subject"])));
        }
    }
    lines.join("\n") + "\n"
}
