//! Hostile or broken token endpoints (a scripted fake: no real server misbehaves on
//! demand) and hostile local state. Each case: the exit code, one error line, and the
//! stored refresh token unchanged.

use crate::support::TestEnv;
use crate::support::fake::{FakeServer, Reply};
use crate::support::profile::{write_profile, write_secret_file};

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
