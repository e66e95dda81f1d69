//! `octoken status`: what a profile is and how its tokens stand. Never a secret.

use crate::config::Grant;
use crate::error::{Error, Result, exit};
use crate::jwt;
use crate::output;
use crate::session::Session;
use crate::settings::StatusSettings;
use serde_json::{Value, json};

/// Prints the status; the exit code says whether the profile can get tokens: 0 yes, 4 a
/// login is needed (no refresh token, or the server rejected it), 6 the store could not
/// be read.
pub fn run(settings: &StatusSettings) -> Result<u8> {
    let p = &settings.profile;
    let now = settings.global.now;
    let session = Session::open(p, now);
    let cached = session.cached(None);
    let state = session.state();
    let claims = cached
        .as_ref()
        .and_then(|t| jwt::claims(t.access_token.expose()));
    let grant_secret = match p.grant {
        Grant::RefreshToken => "refresh token",
        Grant::ClientCredentials => "client secret",
        Grant::JwtBearer | Grant::TokenExchange => "login",
    };
    let stored = session.store().load();
    let mtls = mtls_report(p, claims.as_ref());
    let dpop = dpop_report(
        p,
        stored.as_ref().ok().and_then(Option::as_ref),
        cached.as_ref(),
        claims.as_ref(),
    );
    let (refresh_token, mut code) = match stored {
        Ok(Some(s)) if s.refresh_token.is_some() => ("stored".to_string(), exit::OK),
        Ok(Some(s))
            if p.grant == Grant::ClientCredentials
                && (s.client_secret.is_some()
                    || p.client_key.is_some()
                    || p.assertion.client_assertion.is_some()) =>
        {
            ("none (client credentials)".to_string(), exit::OK)
        }
        Ok(Some(_)) if p.grant.reads_assertions() => {
            ("none (assertion grant)".to_string(), exit::OK)
        }
        Ok(_) => ("none".to_string(), exit::LOGIN_REQUIRED),
        Err(e) => (format!("unavailable ({e})"), exit::STORAGE),
    };
    if state.rejected_refresh_token.is_some() {
        code = exit::LOGIN_REQUIRED;
    }
    let rejected = state
        .rejected_refresh_token
        .is_some()
        .then(|| state.rejected_at.map(output::rfc3339));
    let idle_limit_days = p.idle_limit_days;
    let idle_warning = state
        .last_refresh_at
        .and_then(|last| idle_warning(now.saturating_sub(last), idle_limit_days));
    let fleet = session.fleet().map(|fleet| match fleet.status() {
        Ok(f) => json!({
            "store": fleet.options().url,
            "namespace": fleet.options().namespace,
            "entry": if f.exists { "present" } else { "missing" },
            "version": f.version,
            "sealed_with_key": f.sealed_with,
            "last_refresh_at": f.refreshed_at.map(output::rfc3339),
            "last_refresh_by": f.refreshed_by,
            "lease_holder": f.lease.as_ref().map(|(h, _)| h.clone()),
            "lease_ms_left": f.lease.as_ref().map(|(_, ms)| *ms),
        }),
        Err(e) => json!({
            "store": fleet.options().url,
            "namespace": fleet.options().namespace,
            "error": e.to_string(),
        }),
    });
    let sign_in = sign_in_report(&session);
    let report = json!({
        "profile": p.name,
        "issuer": p.issuer,
        "client_id": p.client_id,
        "auth_method": p.auth_method.as_str(),
        "client_key_file": p.client_key.as_ref().map(|k| k.path.display().to_string()),
        "client_key_alg": p.client_key.as_ref().and_then(|k| k.alg).map(|a| a.as_str()),
        "client_key_aud": p.client_key.as_ref().and_then(|k| k.aud).map(|a| a.as_str()),
        "resource": p.resources,
        "audience": p.audience,
        "grant": grant_name(p.grant),
        // Where assertions come from, never one (docs/ci.md).
        "assertion_source": p.assertion.assertion.as_ref().map(crate::assertion::describe),
        "subject_token_type": p.assertion.exchange.as_ref().map(|e| e.subject_token_type.clone()),
        "actor_token_source": p.assertion.exchange.as_ref().and_then(|e| e.actor.as_ref()).map(crate::assertion::describe),
        "client_assertion_source": p.assertion.client_assertion.as_ref().map(crate::assertion::describe),
        "store": p.store.kind.as_str(),
        "token_url": p.endpoints.token,
        // Without a JWKS, nothing in an ID token is proof of anything: say so.
        "id_token_signatures": match &p.endpoints.jwks {
            Some(url) => format!("verified at login with the JWKS at {url}"),
            None => "not verified (no JWKS known: log in with --jwks-url URL)".to_string(),
        },
        "scope_requested": p.scope,
        "refresh_token": refresh_token,
        "refresh_token_rejected_at": rejected.flatten(),
        "last_refresh_at": state.last_refresh_at.map(output::rfc3339),
        "last_refresh_ago_secs": state.last_refresh_at.map(|t| now.saturating_sub(t)),
        "idle_limit_days": idle_limit_days,
        "idle_warning": idle_warning,
        "dpop": dpop,
        "mtls": mtls,
        "backoff": state.backoff.as_ref().filter(|b| b.until > now).map(|b| json!({
            "until": output::rfc3339(b.until),
            "seconds_left": b.until - now,
        })),
        "last_failure": state.backoff.as_ref().map(|b| json!({
            "at": output::rfc3339(b.failed_at),
            "reason": b.reason,
            "consecutive": b.failures,
        })),
        "fleet": fleet,
        "sign_in": sign_in,
        "sign_in_request": (!p.sign_in.is_empty()).then_some(&p.sign_in),
        "access_token": cached.as_ref().map(|t| json!({
            "expires_at": t.expires_at.map(output::rfc3339),
            "expires_in": t.remaining(now),
            // RFC 6749 5.1: no `scope` in the answer means the requested one.
            "scope": t.scope.clone().unwrap_or_else(|| p.scope.clone()),
            "scope_as_requested": t.scope_as_requested || t.scope.is_none(),
            "expired": t.remaining(now) == 0,
            "subject": claims.as_ref().and_then(|c| jwt::display_claim(c, "sub", 200)),
            "token_type": t.token_type,
        })),
    });
    let text = if settings.json {
        crate::sanitize::json_inert(format!("{report:#}\n"))
    } else {
        human(&report, now)
    };
    output::stdout(&text).map_err(|e| Error::other(format!("cannot write the status: {e}")))?;
    if code == exit::LOGIN_REQUIRED {
        output::notice(format!(
            "octoken: profile '{}' has no usable {grant_secret}; run `{}`",
            p.name,
            crate::profile_name::login_command(&p.name)
        ));
    }
    Ok(code)
}

fn grant_name(grant: Grant) -> &'static str {
    match grant {
        Grant::RefreshToken => "refresh_token",
        Grant::ClientCredentials => "client_credentials",
        Grant::JwtBearer => "jwt_bearer",
        Grant::TokenExchange => "token_exchange",
    }
}

/// A DPoP profile's binding: the key's algorithm and thumbprint, and whether the cached
/// token is bound to it (a server that ignored the proofs issued a Bearer token).
/// A tls_client_auth profile: its certificate, and whether the cached access token is
/// bound to it (RFC 8705 3: `cnf.x5t#S256`, the certificate's SHA-256 thumbprint).
fn mtls_report(
    p: &crate::settings::ProfileSettings,
    claims: Option<&serde_json::Map<String, Value>>,
) -> Value {
    let Some(identity) = &p.http.client_identity else {
        return Value::Null;
    };
    let thumbprint = crate::fsutil::read_user_file(&identity.cert)
        .ok()
        .and_then(|(pem, _)| crate::oauth::client_key::certificate_thumbprint(&pem));
    let bound_to = claims
        .and_then(|c| c.get("cnf"))
        .and_then(|cnf| cnf.get("x5t#S256"))
        .and_then(Value::as_str);
    json!({
        "client_cert": identity.cert.display().to_string(),
        // RFC 8705 5: the requests go to the provider's mTLS aliases (`token_url` is one).
        "endpoint_aliases": p.endpoints.mtls_aliases,
        "x5t#S256": thumbprint,
        "token_x5t#S256": bound_to,
        "token_bound_to_cert": claims.map(|_| bound_to.is_some() && bound_to == thumbprint.as_deref()),
    })
}

fn dpop_report(
    p: &crate::settings::ProfileSettings,
    stored: Option<&crate::store::StoredSecrets>,
    cached: Option<&crate::access_token::AccessToken>,
    claims: Option<&serde_json::Map<String, Value>>,
) -> Value {
    let Some(alg) = p.dpop else {
        return Value::Null;
    };
    let jkt = stored
        .and_then(|s| s.dpop_key.as_ref())
        .and_then(|k| crate::oauth::dpop::DpopKey::from_stored(k).ok())
        .map(|k| k.thumbprint());
    let token_type = cached.map(|t| t.token_type.clone());
    let bound_to = claims
        .and_then(|c| c.get("cnf"))
        .and_then(|cnf| cnf.get("jkt"))
        .and_then(Value::as_str);
    let warning = match token_type.as_deref() {
        Some(t) if !t.eq_ignore_ascii_case("dpop") => Some(format!(
            "the server issued a {t} token: it is not bound to the key"
        )),
        _ if jkt.is_none() => Some("no DPoP key stored: log in again".to_string()),
        _ => None,
    };
    json!({
        "alg": alg.as_str(),
        "jkt": jkt,
        "token_type": token_type,
        "token_bound_to_key": bound_to.map(|b| Some(b) == jkt.as_deref()),
        "warning": warning,
    })
}

/// Servers drop refresh tokens unused for longer than their idle limit (Keycloak's
/// offline sessions: 30 days). Warn from three quarters of it on.
fn idle_warning(idle_secs: u64, limit_days: u64) -> Option<String> {
    let limit = limit_days.saturating_mul(86_400);
    if idle_secs >= limit {
        Some(format!(
            "no refresh for {}, past the {limit_days}-day idle limit: the server has probably dropped the refresh token; `octoken refresh` will tell",
            output::human_duration(idle_secs)
        ))
    } else if idle_secs.saturating_mul(4) >= limit.saturating_mul(3) {
        Some(format!(
            "no refresh for {}; the server drops refresh tokens unused for {limit_days} days: run `octoken refresh` (or schedule `octoken refresh --if-older-than 7d`)",
            output::human_duration(idle_secs)
        ))
    } else {
        None
    }
}

/// The access token's scope, saying where it came from when the server did not list
/// one: omitted means the requested scope (RFC 6749 5.1); an empty one, none for this
/// token (an OIDC server's API token need not carry `openid` or `offline_access`, which
/// the ID and refresh tokens stand for).
fn granted_scope(r: &Value, s: &dyn Fn(&Value) -> String) -> String {
    let at = &r["access_token"];
    let asked = s(&r["scope_requested"]);
    if at["scope_as_requested"] == true {
        format!(
            "{} (as requested; the server did not list it)",
            s(&at["scope"])
        )
    } else if at["scope"]
        .as_str()
        .is_some_and(|scope| scope.trim().is_empty())
    {
        format!("none listed by the server (asked for {asked})")
    } else {
        s(&at["scope"])
    }
}

fn human(r: &Value, _now: u64) -> String {
    // Every value is foreign text to a terminal: the config file is the user's to edit,
    // an attached host's settings came from Redis, claims and reasons from the server.
    let s = |v: &Value| match v {
        Value::Null => "-".to_string(),
        Value::String(s) if s.is_empty() => "-".to_string(),
        Value::String(s) => crate::sanitize::foreign(s, 2048),
        other => crate::sanitize::foreign(&other.to_string(), 2048),
    };
    let mut lines = vec![
        format!("profile:         {}", s(&r["profile"])),
        format!("issuer:          {}", s(&r["issuer"])),
        format!("client id:       {}", s(&r["client_id"])),
        format!("auth method:     {}", s(&r["auth_method"])),
        format!("store:           {}", s(&r["store"])),
        format!(
            "token endpoint:  {}{}",
            s(&r["token_url"]),
            if r["mtls"]["endpoint_aliases"] == true {
                " (the provider's mTLS alias, RFC 8705)"
            } else {
                ""
            }
        ),
        format!("refresh token:   {}", s(&r["refresh_token"])),
    ];
    if !r["client_key_file"].is_null() {
        let alg = match (r["client_key_alg"].as_str(), r["client_key_aud"].as_str()) {
            (Some(alg), Some(aud)) => format!(" ({alg} assertions for the {aud})"),
            (Some(alg), None) => format!(" ({alg} assertions)"),
            (None, Some(aud)) => format!(" (assertions for the {aud})"),
            (None, None) => String::new(),
        };
        lines.insert(
            4,
            format!("client key file: {}{alg}", s(&r["client_key_file"])),
        );
    }
    for (key, label) in [
        ("assertion_source", "assertion from: "),
        ("subject_token_type", "subject type:   "),
        ("actor_token_source", "actor token:    "),
        ("client_assertion_source", "client assert.: "),
    ] {
        if !r[key].is_null() {
            if key == "assertion_source" {
                lines.push(format!("grant:           {}", s(&r["grant"])));
            }
            lines.push(format!("{label} {}", s(&r[key])));
        }
    }
    if let Some(resources) = r["resource"].as_array().filter(|a| !a.is_empty()) {
        let list: Vec<String> = resources.iter().map(s).collect();
        lines.push(format!("resources:       {}", list.join(" ")));
    }
    if let Some(audiences) = r["audience"].as_array().filter(|a| !a.is_empty()) {
        let list: Vec<String> = audiences.iter().map(s).collect();
        lines.push(format!("audience:        {}", list.join(" ")));
    }
    if let Some(mtls) = r["mtls"].as_object() {
        let bound = match mtls.get("token_bound_to_cert").and_then(Value::as_bool) {
            Some(true) => "the cached token is bound to it",
            Some(false) => "the cached token is NOT bound to it",
            None => "no token cached",
        };
        lines.push(format!(
            "client cert:     {} ({bound})",
            s(&mtls["client_cert"])
        ));
    }
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
    lines.push(format!("ID tokens:       {}", s(&r["id_token_signatures"])));
    if let Some(sign_in) = r["sign_in"].as_object() {
        let amr = sign_in
            .get("amr")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(s).collect::<Vec<_>>().join(" "));
        lines.push(format!(
            "signed in:       {} (acr {}, amr {})",
            s(&r["sign_in"]["auth_time"]),
            s(&r["sign_in"]["acr"]),
            amr.unwrap_or_else(|| "-".into())
        ));
    }
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
    if let Some(fleet) = r["fleet"].as_object() {
        lines.push(format!(
            "shared store:    {} namespace {}",
            s(&fleet["store"]),
            s(&fleet["namespace"])
        ));
        if let Some(err) = fleet.get("error") {
            lines.push(format!("                 unavailable ({})", s(err)));
        } else {
            lines.push(format!(
                "shared entry:    {}, version {}{}",
                s(&fleet["entry"]),
                s(&fleet["version"]),
                match fleet["sealed_with_key"].as_str() {
                    Some(id) => format!(", sealed with key {id}"),
                    None => ", not encrypted".into(),
                }
            ));
            lines.push(format!(
                "fleet refresh:   {} by {}",
                s(&fleet["last_refresh_at"]),
                s(&fleet["last_refresh_by"])
            ));
            lines.push(match fleet["lease_holder"].as_str() {
                Some(h) => format!(
                    "lease:           held by {h} ({} ms left)",
                    s(&fleet["lease_ms_left"])
                ),
                None => "lease:           free".into(),
            });
        }
    }
    if let Some(warning) = r["idle_warning"].as_str() {
        lines.push(format!("warning:         {warning}"));
    }
    if let Some(dpop) = r["dpop"].as_object() {
        lines.push(format!(
            "dpop:            {} key, thumbprint {}",
            s(&dpop["alg"]),
            s(&dpop["jkt"])
        ));
        if let Some(warning) = dpop["warning"].as_str() {
            lines.push(format!("warning:         {warning}"));
        }
    }
    match &r["access_token"] {
        Value::Null => lines.push("access token:    none cached".into()),
        at => {
            let left = at["expires_in"].as_u64().unwrap_or(0);
            lines.push(if left == 0 {
                format!("access token:    expired at {}", s(&at["expires_at"]))
            } else {
                format!(
                    "access token:    valid for {}, until {}",
                    output::human_duration(left),
                    s(&at["expires_at"])
                )
            });
            lines.push(format!("granted scope:   {}", granted_scope(r, &s)));
            lines.push(format!("subject:         {}", s(&at["subject"])));
        }
    }
    lines.join("\n") + "\n"
}

/// How the person signed in, as the cached ID token says (OIDC Core 2): `acr`, `amr`
/// and `auth_time`. None without an ID token that names any of them.
fn sign_in_report(session: &Session<'_>) -> Option<Value> {
    let token = session.cached_id_token()?;
    let claims = jwt::claims(token.id_token.expose())?;
    let acr = claims.get("acr").and_then(Value::as_str);
    let amr = claims.get("amr").and_then(Value::as_array).map(|list| {
        list.iter()
            .filter_map(Value::as_str)
            .take(20)
            .collect::<Vec<_>>()
    });
    let auth_time = claims.get("auth_time").and_then(Value::as_u64);
    if acr.is_none() && amr.is_none() && auth_time.is_none() {
        return None;
    }
    Some(json!({
        "acr": acr,
        "amr": amr,
        "auth_time": auth_time.map(output::rfc3339),
    }))
}
