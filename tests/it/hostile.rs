//! Hostile or broken token endpoints (a scripted fake: no real server misbehaves on
//! demand) and hostile local state. Each case: the exit code, one error line, and the
//! stored refresh token unchanged.

use crate::support::TestEnv;
use crate::support::fake::{FakeServer, Reply};
use crate::support::profile::{write_profile, write_secret_file};
use crate::support::tinyproxy::Tinyproxy;

const REFRESH_TOKEN: &str = "stored-refresh-token-0123456789";

/// A file-store profile whose token endpoint is `url`, with no cached token, so that
/// `token` must refresh.
fn profile(url: &str, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    write_profile(&env, url, "file", extra);
    write_secret_file(&env, REFRESH_TOKEN, 0o600);
    env
}

fn secrets(env: &TestEnv) -> Vec<u8> {
    std::fs::read(env.secret_file()).unwrap()
}

/// Runs `token` against one scripted reply; checks code, message and the store.
fn hostile(reply: Reply, code: i32, message: &str) -> TestEnv {
    let server = FakeServer::start(vec![reply]);
    let env = profile(&server.url, "request_timeout = 2\n");
    let before = secrets(&env);
    let run = env.run(&["token"]).expect(code);
    let line = run.error_line();
    assert!(line.contains(message), "want {message:?} in {line}");
    assert!(!line.contains(REFRESH_TOKEN));
    assert_eq!(run.stdout, "");
    assert_eq!(secrets(&env), before, "the stored token is unchanged");
    env
}

#[test]
fn an_html_error_page_is_temporary() {
    let page = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
    hostile(
        Reply::http("502 Bad Gateway", &[("Content-Type", "text/html")], page),
        5,
        "HTTP 502",
    );
}

#[test]
fn an_html_page_with_200_is_an_error() {
    let page = b"<!doctype html><title>Log in</title><form></form>";
    hostile(
        Reply::http("200 OK", &[("Content-Type", "text/html")], page),
        1,
        "expected JSON, got text/html",
    );
}

#[test]
fn invalid_json() {
    hostile(
        Reply::json("200 OK", "{\"access_token\": \"abc\", "),
        1,
        "expected JSON",
    );
}

#[test]
fn success_without_an_access_token() {
    hostile(
        Reply::json("200 OK", "{\"token_type\":\"Bearer\"}"),
        1,
        "no access_token",
    );
}

#[test]
fn a_body_over_one_mebibyte_is_cut_off() {
    let huge = format!("{{\"access_token\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
    hostile(Reply::json("200 OK", &huge), 1, "larger than 1024 KiB");
}

#[test]
fn a_redirect_is_not_followed() {
    let reply = Reply::http(
        "302 Found",
        &[("Location", "http://127.0.0.1:1/elsewhere")],
        b"",
    );
    hostile(reply, 1, "does not follow");
}

#[test]
fn non_utf8_bytes() {
    hostile(
        Reply::http(
            "200 OK",
            &[("Content-Type", "application/json")],
            b"\xff\xfe\x00{\x80",
        ),
        1,
        "expected JSON",
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    hostile(Reply::Hang, 5, "timed out");
}

#[test]
fn invalid_grant_is_login_required_and_the_token_is_kept() {
    let env = hostile(
        Reply::json(
            "400 Bad Request",
            r#"{"error":"invalid_grant","error_description":"Token is not active"}"#,
        ),
        4,
        "Token is not active",
    );
    // status: the token is kept and marked, and the exit code says a login is needed.
    let status = env.run(&["status", "--json"]).expect(4).stdout;
    assert!(status.contains("\"refresh_token\": \"stored\""), "{status}");
    assert!(
        status.contains("refresh_token_rejected_at\": \"20"),
        "{status}"
    );
}

#[test]
fn a_wrong_content_type_on_valid_json_is_accepted() {
    // Lenient on purpose: servers mislabel JSON; the body decides.
    let server = FakeServer::start(vec![Reply::http(
        "200 OK",
        &[("Content-Type", "text/plain")],
        br#"{"access_token":"at-1","expires_in":300}"#,
    )]);
    let env = profile(&server.url, "");
    let before = secrets(&env);
    assert_eq!(env.run(&["token"]).expect(0).stdout, "at-1\n");
    assert_eq!(
        secrets(&env),
        before,
        "no refresh_token in the answer: the stored one stays"
    );
}

#[test]
fn retry_after_on_429_is_honoured_once() {
    let server = FakeServer::start(vec![
        Reply::http("429 Too Many Requests", &[("Retry-After", "1")], b""),
        Reply::json("200 OK", r#"{"access_token":"at-2","expires_in":300}"#),
    ]);
    let env = profile(&server.url, "");
    assert_eq!(env.run(&["token"]).expect(0).stdout, "at-2\n");
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_503_without_retry_after_is_not_retried() {
    let server = FakeServer::start(vec![Reply::json(
        "503 Service Unavailable",
        r#"{"error":"temporarily_unavailable"}"#,
    )]);
    let env = profile(&server.url, "");
    env.run(&["token"]).expect(5);
    assert_eq!(
        server.requests(),
        1,
        "a sent request is not repeated blindly"
    );
}

#[test]
fn a_rotated_token_that_cannot_be_stored_goes_to_a_recovery_file() {
    let server = FakeServer::start(vec![
        Reply::json(
            "200 OK",
            r#"{"access_token":"at-3","expires_in":300,"refresh_token":"rotated-token-2"}"#,
        ),
        Reply::json("200 OK", r#"{"access_token":"at-4","expires_in":300}"#),
    ]);
    let env = profile(&server.url, "");
    let before = secrets(&env);
    // The server rotates, then saving fails: nothing printed, the new token kept aside.
    let run = env.run_with(
        &["token"],
        None,
        &[("OCTOKEN_TEST_FAIL_SECRET_WRITES", "1")],
    );
    let run = run.expect(6);
    assert_eq!(run.stdout, "", "no access token printed");
    let line = run.error_line();
    assert!(
        line.contains("saved to") && line.contains("recovery"),
        "{line}"
    );
    assert!(!line.contains("rotated-token-2"));
    assert_eq!(secrets(&env), before);
    let recovery = env.path("data/secrets/default.recovery.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&recovery).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The next run picks the rotated token up, stores it and uses it.
    let next = env.run(&["token"]).expect(0);
    assert_eq!(next.stdout, "at-4\n");
    assert!(
        next.stderr.contains("recovered the refresh token"),
        "{}",
        next.stderr
    );
    assert!(
        server.bodies()[1].contains("refresh_token=rotated-token-2"),
        "{:?}",
        server.bodies()
    );
    assert!(String::from_utf8_lossy(&secrets(&env)).contains("rotated-token-2"));
    assert!(!recovery.exists());
}

#[test]
fn a_symlinked_secret_file_is_refused() {
    let server = FakeServer::start(vec![Reply::json(
        "200 OK",
        r#"{"access_token":"x","expires_in":300}"#,
    )]);
    let env = profile(&server.url, "");
    let real = env.path("elsewhere.json");
    std::fs::rename(env.secret_file(), &real).unwrap();
    std::os::unix::fs::symlink(&real, env.secret_file()).unwrap();
    let run = env.run(&["token"]).expect(6);
    assert!(run.error_line().contains("symbolic link"), "{}", run.stderr);
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_truncated_secret_file_is_an_error_not_a_lost_login() {
    let server = FakeServer::start(vec![Reply::json(
        "200 OK",
        r#"{"access_token":"x","expires_in":300}"#,
    )]);
    let env = profile(&server.url, "");
    std::fs::write(env.secret_file(), "{\"v\":1,\"refresh_tok").unwrap();
    let run = env.run(&["token"]).expect(6);
    assert!(
        run.error_line().contains("unknown format"),
        "{}",
        run.stderr
    );
}

// ---- A hostile token server and a hostile terminal ----

/// Access tokens that would become something else in a header, a shell or a terminal.
const HOSTILE_ACCESS_TOKENS: [&str; 4] = [
    "at-1\\r\\nX-Injected: evil",
    "'$(touch pwned)'",
    "\\u001b[2J\\u001b[Hlogged in as root",
    "at 1",
];

/// Nothing a terminal would act on: no ESC, no C1 control, no CR, no bidi override.
#[track_caller]
fn assert_inert(text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect();
    assert!(bad.is_empty(), "controls {bad:?} in {text:?}");
}

#[test]
fn hostile_access_tokens_are_refused_in_every_format() {
    for token in HOSTILE_ACCESS_TOKENS {
        let body = format!(
            r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":300,"refresh_token":"rotated-by-a-hostile-server"}}"#
        );
        for format in ["raw", "header", "env", "json"] {
            let server = FakeServer::start(vec![Reply::json("200 OK", &body)]);
            let env = profile(&server.url, "");
            let before = secrets(&env);
            let run = env.run(&["token", "--format", format]).expect(1);
            assert_eq!(run.stdout, "", "{token} {format}");
            let line = run.error_line();
            assert!(line.contains("not a valid bearer token"), "{line}");
            assert!(
                !run.stderr.contains("Injected") && !run.stderr.contains("pwned"),
                "{}",
                run.stderr
            );
            assert_inert(&run.stderr);
            assert_eq!(secrets(&env), before, "the stored token is unchanged");
            assert!(!env.path("cache/tokens/default.json").exists());
        }
    }
}

#[test]
fn hostile_refresh_and_id_tokens_are_refused_before_anything_is_stored() {
    for extra in [
        r#""refresh_token":"rt\r\nX-Injected: evil""#,
        r#""refresh_token":"rt \u001b[2J""#,
        r#""id_token":"a.b.c'$(touch pwned)'""#,
        r#""token_type":"Bearer\r\nX-Injected: evil""#,
    ] {
        let body = format!(r#"{{"access_token":"good-at","expires_in":300,{extra}}}"#);
        let server = FakeServer::start(vec![Reply::json("200 OK", &body)]);
        let env = profile(&server.url, "");
        let before = secrets(&env);
        let run = env.run(&["token"]).expect(1);
        assert_eq!(run.stdout, "", "{extra}");
        assert!(
            run.error_line().contains("unusable response"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("Injected") && !run.stderr.contains("pwned"));
        assert_inert(&run.stderr);
        assert_eq!(secrets(&env), before, "{extra}");
        assert!(!env.path("cache/tokens/default.json").exists());
    }
}

#[test]
fn a_far_future_expiry_is_clamped_and_everything_still_works() {
    let server = FakeServer::start(vec![Reply::json(
        "200 OK",
        r#"{"access_token":"at-far","expires_in":253402300799}"#,
    )]);
    let env = profile(&server.url, "");
    let json = env.run(&["token", "--format", "json"]).expect(0).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["access_token"], "at-far");
    let expires_in = json["expires_in"].as_u64().unwrap();
    assert!(
        (365 * 86_400 - 60..=365 * 86_400).contains(&expires_in),
        "clamped to a year: {expires_in}"
    );
    // The cache written is usable: no second request, no crash anywhere.
    assert_eq!(env.run(&["token"]).expect(0).stdout, "at-far\n");
    env.run(&["token", "--format", "json"]).expect(0);
    assert!(env.run(&["status"]).expect(0).stdout.contains("valid for"));
    env.run(&["status", "--json"]).expect(0);
    assert_eq!(server.requests(), 1);
}

/// The default profile's access-token cache, written as octoken would (0600 in 0700).
fn write_cache(env: &TestEnv, token_url: &str, token: serde_json::Value) {
    use std::os::unix::fs::PermissionsExt;
    let dir = env.path("cache/tokens");
    std::fs::create_dir_all(&dir).unwrap();
    for d in [env.path("cache"), dir.clone()] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let file = dir.join("default.json");
    let body = serde_json::json!({
        "key": {"token_url": token_url, "client_id": "cli"},
        "token": token,
    });
    std::fs::write(&file, body.to_string()).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_poisoned_cache_is_not_trusted_and_crashes_nothing() {
    let in_five_years = now() + 5 * 365 * 86_400;
    for (what, token) in [
        (
            "beyond the year 9999",
            serde_json::json!({"access_token": "cached-at", "token_type": "Bearer",
                "expires_at": 300_000_000_000u64, "scope": null, "obtained_at": 0}),
        ),
        (
            "further out than any server gives",
            serde_json::json!({"access_token": "cached-at", "token_type": "Bearer",
                "expires_at": in_five_years, "scope": null, "obtained_at": 0}),
        ),
        (
            "a token that is not one",
            serde_json::json!({"access_token": "cached\r\nX-Injected: evil", "token_type": "Bearer",
                "expires_at": now() + 3600, "scope": null, "obtained_at": 0}),
        ),
        (
            "a scope with escapes",
            serde_json::json!({"access_token": "cached-at", "token_type": "Bearer",
                "expires_at": now() + 3600, "scope": "\u{1b}[2Jroot", "obtained_at": 0}),
        ),
    ] {
        let server = FakeServer::start(vec![Reply::json(
            "200 OK",
            r#"{"access_token":"fresh-at","expires_in":300}"#,
        )]);
        let env = profile(&server.url, "");
        write_cache(&env, &server.url, token.clone());
        // status first: it reads the cache without refreshing.
        let status = env.run(&["status"]);
        assert_ne!(status.code, 134, "{what}: {}", status.stderr);
        status.expect(0);
        assert_inert(&env.run(&["status"]).stdout);
        env.run(&["status", "--json"]).expect(0);
        let run = env.run(&["token", "--format", "json"]).expect(0);
        assert!(run.stdout.contains("fresh-at"), "{what}: {}", run.stdout);
        assert_eq!(server.requests(), 1, "{what}: refreshed instead");
        env.run(&["status"]).expect(0);
    }
}

#[test]
fn a_successful_body_that_is_not_json_is_never_quoted() {
    let form = b"access_token=secret-at-123&refresh_token=secret-rt-456&token_type=bearer";
    let reply = Reply::http(
        "200 OK",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form,
    );
    let env = hostile(reply, 1, "expected JSON");
    let _ = env;
    let server = FakeServer::start(vec![Reply::http("200 OK", &[], form)]);
    let env = profile(&server.url, "");
    let run = env.run(&["-vv", "token"]).expect(1);
    assert!(!run.stderr.contains("secret-"), "{}", run.stderr);
}

#[test]
fn escape_sequences_in_server_errors_are_stripped() {
    let description = r#"\u001b[H\u001b[2J\u001b]0;pwned\u0007Logged in as root\r\n\u202e\u001b]8;;https://evil.example/\u001b\\https://id.example.com/\u001b]8;;\u001b\\"#;
    let env = hostile(
        Reply::json(
            "400 Bad Request",
            &format!(
                r#"{{"error":"invalid_grant\u001b[31m","error_description":"{description}"}}"#
            ),
        ),
        4,
        "invalid_grant: Logged in as root https://id.example.com/",
    );
    let _ = env;
    // Not an RFC 6749 error: the excerpt of the body is inert too.
    let page = b"<h1>\x1b[2J\x1b]8;;https://evil.example/\x07down\x1b]8;;\x07</h1>\r\n";
    let server = FakeServer::start(vec![Reply::http("502 Bad Gateway", &[], page)]);
    let env = profile(&server.url, "");
    let run = env.run(&["token"]).expect(5);
    let line = run.error_line();
    assert!(line.contains("HTTP 502: <h1>down</h1>"), "{line:?}");
    assert_inert(&run.stderr);
    assert!(!run.stderr.contains("evil"));
}

#[test]
fn a_hostile_device_authorization_is_refused_before_it_is_shown() {
    for (field, value) in [
        ("user_code", r#""\u001b[2J\u001b[HLogged in""#),
        ("user_code", r#""WDJB\r\nMJHT""#),
        ("verification_uri", r#""http://evil.example/device""#),
        (
            "verification_uri",
            r#""https://id.example.com/\u001b]8;;https://evil.example/\u0007""#,
        ),
        ("verification_uri_complete", r#""javascript:alert(1)""#),
    ] {
        let body = format!(
            r#"{{"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://id.example.com/device","interval":253402300799,"expires_in":253402300799,"{field}":{value}}}"#
        );
        let server = FakeServer::start(vec![Reply::json("200 OK", &body)]);
        let env = TestEnv::new();
        let run = device_login(&env, &server.url, &[]).expect(1);
        let line = run.error_line();
        assert!(line.contains(field), "{field}: {line}");
        assert!(!run.stderr.contains("enter the code"), "{}", run.stderr);
        assert!(!run.stderr.contains("Logged") && !run.stderr.contains("evil"));
        assert_inert(&run.stderr);
    }
}

#[test]
fn a_huge_device_interval_is_clamped_not_an_overflow() {
    // The interval is clamped to a minute and the code's lifetime to an hour, so the
    // first poll would come after a minute; a 2-second login timeout ends it cleanly.
    let body = r#"{"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://id.example.com/device","interval":18446744073709551615,"expires_in":253402300799}"#;
    let server = FakeServer::start(vec![Reply::json("200 OK", body)]);
    let env = TestEnv::new();
    let run = device_login(&env, &server.url, &["--timeout", "2"]);
    assert_ne!(run.code, 101, "no panic: {}", run.stderr);
    let run = run.expect(4);
    assert!(
        run.error_line().contains("not approved in time"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("enter the code WDJB-MJHT"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_loopback_token_endpoint_is_never_proxied() {
    let proxy = Tinyproxy::start();
    let ok = Reply::json("200 OK", r#"{"access_token":"at-direct","expires_in":300}"#);
    for (host, extra, vars) in [
        (
            "127.0.0.1",
            "",
            vec!["HTTP_PROXY", "http_proxy", "ALL_PROXY"],
        ),
        ("localhost", "", vec!["HTTP_PROXY", "ALL_PROXY"]),
        ("127.0.0.1", "profile", vec![]),
    ] {
        let server = FakeServer::start(vec![ok.clone()]);
        let url = server.url.replace("127.0.0.1", host);
        let extra = if extra == "profile" {
            format!("proxy = \"{}\"\n", proxy.url())
        } else {
            String::new()
        };
        let env = profile(&url, &extra);
        let proxy_url = proxy.url();
        let vars: Vec<(&str, &str)> = vars.iter().map(|v| (*v, proxy_url.as_str())).collect();
        let run = env.run_with(&["refresh"], None, &vars).expect(0);
        let _ = run;
        assert_eq!(server.requests(), 1, "{host}: the server saw the request");
        assert!(
            !proxy.log().contains("/token"),
            "{host} {extra}: the proxy saw the request:\n{}",
            proxy.log()
        );
    }
    // The proxy does work, for a name that is not `localhost` (when this machine's own
    // name resolves to loopback, as Debian's /etc/hosts makes it).
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim();
    let resolves_here = std::net::ToSocketAddrs::to_socket_addrs(&(name, 80))
        .is_ok_and(|mut a| a.all(|a| a.ip().is_loopback()));
    if !name.is_empty() && resolves_here {
        let server = FakeServer::start(vec![ok.clone()]);
        let env = profile(
            &server.url.replace("127.0.0.1", name),
            "allow_insecure_http = true\n",
        );
        env.run_with(&["refresh"], None, &[("HTTP_PROXY", &proxy.url())])
            .expect(0);
        assert!(proxy.log().contains("/token"), "{}", proxy.log());
    }
}

#[test]
fn jwks_seeds_never_panic() {
    let dir = crate::support::repo_root().join("fuzz/seeds/jwks");
    for entry in std::fs::read_dir(&dir).unwrap() {
        octoken::fuzzing::jwks(&std::fs::read(entry.unwrap().path()).unwrap());
    }
    for edge in [
        &b""[..],
        b"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"\"}]}",
        b"{\"keys\":[{\"kty\":\"EC\",\"x\":\"\",\"y\":\"\"}]}",
        b"{\"keys\":[{\"kty\":\"OKP\",\"x\":\"\"}]}",
        b"{\"keys\":[{}, [], 1, null, \"k\"]}",
    ] {
        octoken::fuzzing::jwks(edge);
    }
}

#[test]
fn status_says_plainly_whether_id_tokens_are_verified() {
    // A profile from explicit endpoints, no JWKS: nothing in an ID token is proof.
    let env = TestEnv::new();
    write_profile(&env, "http://127.0.0.1:9/token", "file", "");
    write_secret_file(&env, REFRESH_TOKEN, 0o600);
    let status = env.run(&["status"]).expect(0).stdout;
    assert!(
        status
            .contains("ID tokens:       not verified (no JWKS known: log in with --jwks-url URL)"),
        "{status}"
    );
    // Discovery (or --jwks-url) names one: login verified the signature against it.
    let idp = crate::support::Idp::start(crate::support::IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import(&env, &idp, crate::support::Client::Basic, "file");
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    assert!(
        status.contains("verified at login with the JWKS at http://127.0.0.1:"),
        "{status}"
    );
    // A plain-http JWKS on another host is refused like any endpoint.
    let run = env.run_stdin(
        &[
            "login",
            "-p",
            "x",
            "--token-url",
            "http://127.0.0.1:9/t",
            "--client-id",
            "c",
            "--store",
            "file",
            "--jwks-url",
            "http://id.example.com/jwks",
            "--refresh-token-stdin",
        ],
        "rt",
    );
    let run = run.expect(2);
    assert!(
        run.error_line().contains("refusing plain http://"),
        "{}",
        run.stderr
    );
}

/// A claim or introspection field with terminal controls that JSON leaves raw: the 8-bit
/// CSI (U+009B, "clear screen" here), a right-to-left override and DEL.
const TERMINAL_TRAP: &str = "evil\u{9b}2J\u{202e}gnp.exe\u{7f}";

#[test]
fn json_output_of_server_text_carries_no_terminal_controls() {
    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    // A JWT access token whose claims hold the trap (inspect decodes it).
    let jwt = format!(
        "{}.{}.c2ln",
        b64(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        b64(serde_json::json!({"sub": TERMINAL_TRAP, "exp": 4_000_000_000u64}))
    );
    let token = format!(r#"{{"access_token":"{jwt}","token_type":"Bearer","expires_in":300}}"#);
    let introspection = serde_json::json!({"active": true, "username": TERMINAL_TRAP});
    let server = FakeServer::start(vec![
        Reply::json("200 OK", &token),
        Reply::json("200 OK", &introspection.to_string()),
    ]);
    let env = profile(
        &server.url,
        &format!("introspection_url = \"{}\"\n", server.url),
    );
    // Introspection is for confidential clients: this one sends its secret in the form.
    let config = env.path("config/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("\"none\"", "\"post\"")).unwrap();
    let secret = [("OCTOKEN_CLIENT_SECRET", "s3cret-0123456789")];
    env.run_with(&["token"], None, &secret).expect(0);
    let inspect = env.run(&["inspect"]).expect(0).stdout;
    let introspect = env
        .run_with(&["introspect"], None, &secret)
        .expect(0)
        .stdout;
    for (what, out) in [("inspect", &inspect), ("introspect", &introspect)] {
        assert!(
            !out.contains(['\u{9b}', '\u{202e}', '\u{7f}']),
            "{what} printed a raw control: {out:?}"
        );
        // The same value, escaped: nothing is hidden from the reader either.
        let value: serde_json::Value = serde_json::from_str(out).unwrap();
        let field = if what == "inspect" {
            &value["claims"]["sub"]
        } else {
            &value["username"]
        };
        assert_eq!(field, TERMINAL_TRAP, "{what}: {out}");
        assert!(
            out.contains("\\u009b2J\\u202egnp.exe\\u007f"),
            "{what}: {out}"
        );
    }
}

#[test]
fn status_and_profiles_print_no_control_from_the_config_file() {
    // Text in config.toml (or an attached host's, from Redis) is foreign to a terminal.
    let env = profile(
        "http://127.0.0.1:9/token",
        "issuer = \"https://id.example/\\u001b]0;PWNED\\u0007\"\n\
         resource = [\"https://api.example/\\u001b]52;c;ZXZpbA==\\u0007\"]\n\
         audience = \"\\u001b[31mred\\u009b2J\"\n",
    );
    for args in [&["status"][..], &["profiles"][..]] {
        let out = env.run(args).stdout;
        assert!(
            !out.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "{args:?}: {out:?}"
        );
    }
    let status = env.run(&["status"]).stdout;
    assert!(
        status.contains("resources:       https://api.example/"),
        "{status}"
    );
    assert!(status.contains("audience:        red"), "{status}");
}

/// A device-flow login of a public client whose token and device endpoints are `url`.
fn device_login(env: &TestEnv, url: &str, extra: &[&str]) -> crate::support::env::Run {
    let mut args = vec![
        "login",
        "--device",
        "--token-url",
        url,
        "--device-url",
        url,
        "--client-id",
        "cli",
        "--auth-method",
        "none",
        "--store",
        "file",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// Secrets whose every encoding differs (`/`, `"`, `+`, a space, `&`, `=`, `~`, a
/// non-ASCII letter), each around a core of letters that no encoding touches: a core
/// seen anywhere means the secret leaked, in whatever form.
const ECHO_CLIENT_SECRET: &str = "cs/\"ä+ Kq7clientcore&x=y~";
const ECHO_REFRESH_TOKEN: &str = "rt/\"+Kq7refreshcore&x=y~";
const ECHO_CODE: &str = "co/+Kq7codecore&x=y~";
const ECHO_DEVICE_CODE: &str = "dc/\"+Kq7devicecore&x=y~";
const ECHO_CORES: &[&str] = &[
    "Kq7clientcore",
    "Kq7refreshcore",
    "Kq7codecore",
    "Kq7devicecore",
];

/// A framework's error page: the Authorization header, its credentials decoded, the
/// form as sent and as decoded, in HTML; and the form again in a response header (shown
/// at -vv).
fn echo_html(request: &crate::support::fake::Request) -> Reply {
    use base64::Engine;
    let authorization = request.header("authorization").unwrap_or("none");
    let decoded = authorization
        .strip_prefix("Basic ")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let fields: Vec<String> = request
        .form()
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let page = format!(
        "<p>{authorization}</p><p>{decoded}</p><pre>{}</pre><pre>{}</pre>",
        request.body,
        fields.join("<br>")
    );
    Reply::http(
        "500 Internal Server Error",
        &[
            ("Content-Type", "text/html"),
            ("X-Echo", &request.body),
            ("X-Echo-Authorization", authorization),
        ],
        page.as_bytes(),
    )
}

/// An RFC 6749 error whose description quotes the decoded form (JSON-escaped).
fn echo_json(request: &crate::support::fake::Request) -> Reply {
    let fields: Vec<String> = request
        .form()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let body = serde_json::json!({
        "error": "invalid_request",
        "error_description": format!("cannot use {}", fields.join(" ")),
    });
    Reply::json("400 Bad Request", &body.to_string())
}

/// Nothing of `secrets` (their cores, in any form) in `run`'s stderr or in any file of
/// `env` but the store that holds them; the excerpt was shown, redacted.
fn assert_echo_redacted(env: &TestEnv, stderr: &str, extra: &[&str]) {
    for core in ECHO_CORES.iter().chain(extra) {
        assert!(!stderr.contains(core), "{core} in stderr:\n{stderr}");
        for (path, bytes) in env.all_files() {
            if path == env.secret_file() {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(core),
                "{core} in {}:\n{text}",
                path.display()
            );
        }
    }
    assert!(stderr.contains("<redacted>"), "{stderr}");
}

/// A confidential client's refresh profile (`auth_method`) against `server`, with the
/// refresh token and the client secret in the file store.
fn confidential_profile(server: &FakeServer, auth_method: &str) -> TestEnv {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("config")).unwrap();
    std::fs::write(
        env.path("config/config.toml"),
        format!(
            "[profiles.default]\nclient_id = \"cli\"\nauth_method = \"{auth_method}\"\nscope = \"openid\"\n\
             store = \"file\"\ntoken_url = \"{}\"\nrequest_timeout = 5\n",
            server.url
        ),
    )
    .unwrap();
    write_secret_file(&env, "placeholder", 0o600);
    let secrets = serde_json::json!({
        "v": 1,
        "refresh_token": ECHO_REFRESH_TOKEN,
        "client_secret": ECHO_CLIENT_SECRET,
    });
    std::fs::write(env.secret_file(), secrets.to_string()).unwrap();
    env
}

#[test]
fn a_refresh_answer_that_echoes_the_request_shows_and_stores_no_secret() {
    for auth_method in ["post", "basic"] {
        for (echo, code) in [(echo_html as fn(&_) -> _, 5), (echo_json, 1)] {
            let server = FakeServer::start(vec![Reply::Echo(echo)]);
            let env = confidential_profile(&server, auth_method);
            let run = env.run(&["-vv", "token"]);
            assert_echo_redacted(&env, &run.stderr, &[]);
            let run = run.expect(code);
            // The echo reached octoken: the request held both secrets.
            let sent = server.bodies().join("\n");
            assert!(sent.contains("Kq7refreshcore"), "{auth_method}: {sent}");
            assert_eq!(sent.contains("Kq7clientcore"), auth_method == "post");
            assert!(!run.error_line().is_empty());
        }
    }
}

#[test]
fn a_client_credentials_answer_that_echoes_the_request_shows_no_secret() {
    for (auth_method, echo) in [("basic", echo_html as fn(&_) -> _), ("post", echo_json)] {
        let server = FakeServer::start(vec![Reply::Echo(echo)]);
        let env = TestEnv::new();
        let run = env.run_with(
            &[
                "-vv",
                "login",
                "--grant",
                "client-credentials",
                "--token-url",
                &server.url,
                "--client-id",
                "cli",
                "--auth-method",
                auth_method,
                "--store",
                "file",
            ],
            None,
            &[("OCTOKEN_CLIENT_SECRET", ECHO_CLIENT_SECRET)],
        );
        assert_ne!(run.code, 0, "{}", run.stderr);
        assert_echo_redacted(&env, &run.stderr, &[]);
        assert_eq!(server.requests(), 1, "{}", run.stderr);
    }
}

#[test]
fn a_code_exchange_answer_that_echoes_the_request_shows_no_secret() {
    let server = FakeServer::start(vec![Reply::Echo(echo_html)]);
    let env = TestEnv::new();
    let auth_url = format!("{}/auth", server.url.trim_end_matches("/token"));
    let mut login = env.spawn(
        &[
            "-vv",
            "login",
            "--token-url",
            &server.url,
            "--auth-url",
            &auth_url,
            "--client-id",
            "cli",
            "--auth-method",
            "post",
            "--store",
            "file",
            "--no-browser",
            "--timeout",
            "30",
        ],
        &[("OCTOKEN_CLIENT_SECRET", ECHO_CLIENT_SECRET)],
    );
    let url = url::Url::parse(&login.wait_for_url("/auth?")).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {url}"))
    };
    // The browser comes back with a code, as the provider would send it.
    let mut callback = url::Url::parse(&param("redirect_uri")).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("code", ECHO_CODE)
        .append_pair("state", &param("state"));
    let authority = format!(
        "{}:{}",
        callback.host_str().unwrap(),
        callback.port().unwrap()
    );
    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "GET {}?{} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n",
        callback.path(),
        callback.query().unwrap(),
    )
    .unwrap();
    let _ = stream.read_to_end(&mut Vec::new());
    let (code, stderr) = login.finish();
    assert_ne!(code, Some(0), "{stderr}");
    let sent = server.bodies().join("\n");
    assert!(sent.contains("Kq7codecore"), "{sent}\n{stderr}");
    // The PKCE verifier is a secret of the exchange too.
    let verifier = url::form_urlencoded::parse(sent.as_bytes())
        .find(|(k, _)| k == "code_verifier")
        .map(|(_, v)| v.into_owned())
        .expect("a code_verifier was sent");
    assert_echo_redacted(&env, &stderr, &[&verifier]);
}

#[test]
fn a_device_poll_answer_that_echoes_the_request_shows_no_secret() {
    for echo in [echo_html as fn(&_) -> _, echo_json] {
        let authorization = serde_json::json!({
            "device_code": ECHO_DEVICE_CODE,
            "user_code": "WDJB-MJHT",
            "verification_uri": "https://id.example.com/device",
            "interval": 1,
            "expires_in": 60,
        });
        let server = FakeServer::start(vec![
            Reply::json("200 OK", &authorization.to_string()),
            Reply::Echo(echo),
        ]);
        let env = TestEnv::new();
        let run = device_login(&env, &server.url, &["-vv", "--timeout", "20"]);
        assert_ne!(run.code, 0, "{}", run.stderr);
        assert!(
            server.bodies().join("\n").contains("Kq7devicecore"),
            "{}",
            run.stderr
        );
        assert_echo_redacted(&env, &run.stderr, &[]);
    }
}

#[test]
fn a_sealed_fleets_backoff_reason_holds_no_echoed_secret() {
    use crate::support::redis::{Redis, seal_key};
    let redis = Redis::start();
    // The first refresh (the login's) succeeds; every later one is echoed back.
    let server = FakeServer::start(vec![
        Reply::json(
            "200 OK",
            r#"{"access_token":"at-1","expires_in":300,"refresh_token":"rt/Kq7refreshcore+2"}"#,
        ),
        Reply::Echo(echo_html),
    ]);
    let env = TestEnv::new();
    let key = seal_key(&env.path(""));
    let url = redis.url();
    let secret = [("OCTOKEN_CLIENT_SECRET", ECHO_CLIENT_SECRET)];
    env.run_with(
        &[
            "login",
            "--token-url",
            &server.url,
            "--client-id",
            "cli",
            "--auth-method",
            "post",
            "--refresh-token-stdin",
            "--store",
            "redis",
            "--redis-url",
            &url,
            "--store-key-file",
            &key,
        ],
        Some(ECHO_REFRESH_TOKEN),
        &secret,
    )
    .expect(0);
    let run = env.run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")]);
    let stored: String = redis
        .dump()
        .into_iter()
        .map(|(k, v)| format!("{k} {v}\n"))
        .collect();
    assert!(stored.contains("backoff"), "{stored}");
    for core in ECHO_CORES {
        assert!(!stored.contains(core), "{core} in Redis:\n{stored}");
    }
    let run = run.expect(5);
    assert!(run.error_line().contains("<redacted>"), "{}", run.stderr);
}

#[test]
fn a_token_of_a_type_octoken_does_not_understand_is_refused() {
    // RFC 6749 7.1: a `mac` token must not be presented as `Authorization: Bearer`.
    for token_type in ["mac", "MAC", "N_A"] {
        let body = format!(
            r#"{{"access_token":"at-of-another-type","token_type":"{token_type}","expires_in":300}}"#
        );
        let env = hostile(Reply::json("200 OK", &body), 1, "neither Bearer nor DPoP");
        // Nothing was cached that a later run could print.
        let run = env.run(&["token", "--format", "header"]);
        assert!(!run.stdout.contains("at-of-another-type"), "{}", run.stdout);
    }
}

/// Characters a terminal acts on or that reorder what it shows: ESC, the 8-bit CSI,
/// BEL, CR, the right-to-left override.
fn has_terminal_controls(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}')
}

#[test]
fn profile_names_and_refused_arguments_reach_stderr_inert() {
    let trap = "w\u{1b}]0;PWNED\u{7}\u{9b}2J\r\u{202e}ork";
    // An invalid -p value, and a refused value of another flag.
    let env = TestEnv::new();
    for args in [
        &["-p", trap, "token"][..],
        &["token", "--min-ttl", trap],
        &["login", "--auth-method", trap],
    ] {
        let run = env.run(args).expect(2);
        assert!(
            !has_terminal_controls(&run.stderr),
            "{args:?}: {:?}",
            run.stderr
        );
        assert!(run.error_line().contains('w'), "{}", run.stderr);
    }
    // Keys of config.toml: `profiles --names` (what shell completion reads), and the
    // hint of a profile that does not exist.
    let env = profile(
        "http://127.0.0.1:9/token",
        "[profiles.\"w\\u001b]0;PWNED\\u0007\\u009b2J\\r\\u202eork\"]\n\
         client_id = \"cli\"\nauth_method = \"none\"\nscope = \"openid\"\nstore = \"file\"\n\
         token_url = \"http://127.0.0.1:9/token\"\n",
    );
    let names = env.run(&["profiles", "--names"]).expect(0).stdout;
    assert!(!has_terminal_controls(&names), "{names:?}");
    assert_eq!(names.lines().count(), 2, "one line per profile: {names:?}");
    let run = env.run(&["-p", "nosuch", "token"]).expect(3);
    assert!(!has_terminal_controls(&run.stderr), "{:?}", run.stderr);
    assert!(run.stderr.contains("known profiles"), "{}", run.stderr);
}
