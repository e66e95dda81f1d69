//! Browser login through the loopback listener, device flow and client credentials,
//! against the real provider. The "browser" is tests/idp/signin.mjs, which signs in
//! through the provider's real pages and follows the redirect to octoken's listener.

use crate::support::signin::{browser_login, login_args};
use crate::support::{Client, Idp, IdpOptions, TestEnv, driver, free_port, run_driver};

/// A browser login through the sign-in driver to a fixed `--redirect-uri`.
fn fixed_redirect_login(
    env: &TestEnv,
    idp: &Idp,
    client: Client,
    redirect_uri: &str,
) -> crate::support::env::Run {
    browser_login(
        env,
        idp,
        client,
        &["--redirect-uri", redirect_uri],
        &driver(""),
    )
}

fn each_client(keycloak: bool) {
    let idp = Idp::start(IdpOptions {
        keycloak,
        ..IdpOptions::default()
    });
    for client in [Client::Basic, Client::Post, Client::Public] {
        let env = TestEnv::new();
        let run = browser_login(&env, &idp, client, &[], &driver("")).expect(0);
        assert!(
            run.stderr.contains("logged in: profile 'default'"),
            "{}",
            run.stderr
        );
        let token = env.run(&["token"]).expect(0).stdout;
        assert!(token.starts_with("eyJ"), "{client:?}: {token}");
        let stored = std::fs::read_to_string(env.secret_file()).unwrap();
        assert!(
            stored.contains("refresh_token"),
            "an offline token was stored"
        );
        // Each login exchanged one code and made no refresh; the token came from it.
    }
    assert_eq!(idp.counters().get("authorization_code"), Some(&3));
    assert_eq!(idp.refreshes(), 0);
}

#[test]
fn browser_login_keycloak_layout_each_client() {
    each_client(true);
}

#[test]
fn browser_login_plain_layout_each_client() {
    each_client(false);
}

#[test]
fn fixed_redirect_uri_of_the_organicity_portal() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    fixed_redirect_login(
        &env,
        &idp,
        Client::Basic,
        "http://localhost:3000/auth/oauth2/callback",
    )
    .expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("redirect_uri = \"http://localhost:3000/auth/oauth2/callback\""));
    env.run(&["token"]).expect(0);
}

#[test]
fn offline_access_needs_prompt_consent_at_this_provider() {
    let idp = Idp::start(IdpOptions::default());
    // octoken sends prompt=consent with offline_access, so the provider issues it...
    let env = TestEnv::new();
    browser_login(&env, &idp, Client::Basic, &[], &driver("")).expect(0);
    // ...and without it the provider drops offline access, which login reports.
    let env = TestEnv::new();
    let run = browser_login(
        &env,
        &idp,
        Client::Basic,
        &["--prompt-consent", "false"],
        &driver(""),
    );
    let run = run.expect(1);
    assert!(
        run.error_line().contains("issued no refresh token"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "));
    assert!(!env.path("config/config.toml").exists(), "nothing saved");
}

#[test]
fn a_forged_callback_with_the_wrong_state_is_ignored() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let run = browser_login(
        &env,
        &idp,
        Client::Basic,
        &[],
        &driver("--forge-state-first"),
    )
    .expect(0);
    assert!(run.stderr.contains("logged in"), "{}", run.stderr);
    env.run(&["token"]).expect(0);
}

#[test]
fn a_denied_login_is_exit_4_with_the_providers_error() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let run = browser_login(&env, &idp, Client::Basic, &[], &driver("--deny")).expect(4);
    let line = run.error_line();
    assert!(line.contains("access_denied"), "{line}");
    assert!(line.contains("End-User aborted interaction"), "{line}");
    assert!(!env.path("config/config.toml").exists());
}

#[test]
fn an_iss_mismatch_stops_the_login() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let browser = driver("--iss https://evil.example");
    let mut args = login_args(&idp, Client::Basic);
    args.extend_from_slice(&["--timeout", "30", "--browser", &browser]);
    let run = env.run_with(
        &args,
        None,
        &[("OCTOKEN_CLIENT_SECRET", Client::Basic.secret())],
    );
    let run = run.expect(1);
    let line = run.error_line();
    assert!(
        line.contains("https://evil.example") && line.contains("RFC 9207"),
        "{line}"
    );
    assert!(!env.secret_file().exists(), "nothing saved");
}

/// RFC 8252 7.3 allows [::1]. Where the machine has IPv6 loopback the login completes
/// through it; where it has none, octoken says it cannot listen there (exit 1) rather than
/// falling back to another address the provider would not redirect to.
#[test]
fn a_fixed_ipv6_loopback_redirect_uri() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let probe = std::net::TcpListener::bind("[::1]:0");
    let port = match &probe {
        Ok(listener) => listener.local_addr().unwrap().port(),
        Err(_) => crate::support::free_port(),
    };
    drop(probe);
    let uri = format!("http://[::1]:{port}/callback");
    let run = fixed_redirect_login(&env, &idp, Client::Public, &uri);
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let run = run.expect(0);
        assert!(
            run.stderr.contains(&format!("http://[::1]:{port}/")),
            "{}",
            run.stderr
        );
        assert!(env.run(&["token"]).expect(0).stdout.starts_with("eyJ"));
    } else {
        let run = run.expect(1);
        assert!(
            run.error_line().contains("cannot listen on [::1]"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn the_port_of_a_fixed_redirect_uri_already_in_use() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let uri = format!("http://127.0.0.1:{port}/callback");
    let run = fixed_redirect_login(&env, &idp, Client::Basic, &uri).expect(1);
    let line = run.error_line();
    assert!(
        line.contains(&format!("port {port}")) && line.contains("in use"),
        "{line}"
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
}

#[test]
fn no_sign_in_within_the_timeout_is_exit_4() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = login_args(&idp, Client::Public);
    args.extend_from_slice(&["--no-browser", "--timeout", "1"]);
    let run = env.run(&args).expect(4);
    assert!(
        run.stderr
            .contains("octoken: error: no sign-in arrived within 1s"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_browser_accepts_a_pasted_redirect_url() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = login_args(&idp, Client::Public);
    args.push("--no-browser");
    let mut login = env.spawn(&args, &[]);
    let auth_url = login.wait_for_url("/protocol/openid-connect/auth?");
    login.wait_for_line("paste the address");
    // The browser ran elsewhere: the user copies the address it ended on.
    let final_url = run_driver(&["redirect-url", &auth_url]);
    login.write_stdin("not a url\n");
    login.write_stdin(&final_url);
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("not this sign-in's redirect"), "{stderr}");
    env.run(&["token"]).expect(0);
}

#[test]
fn the_listener_redirects_its_printed_path_ignores_strays_and_ctrl_c_exits_130() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = login_args(&idp, Client::Public);
    args.push("--no-browser");
    let mut login = env.spawn(&args, &[]);
    let auth_url = login.wait_for_url("/protocol/openid-connect/auth?");
    // http://127.0.0.1:PORT/<random>: the printed path redirects; / does not.
    let local = login.wait_for_url("on this machine");
    let origin = &local[..local.rfind('/').unwrap() + 1];
    let entry = raw_get(&local);
    assert!(entry.starts_with("HTTP/1.1 302"), "{entry}");
    assert!(entry.contains(&format!("Location: {auth_url}")), "{entry}");
    assert!(raw_get(origin).starts_with("HTTP/1.1 404"));
    assert!(raw_get(&format!("{origin}favicon.ico")).starts_with("HTTP/1.1 404"));
    let stray = raw_get(&format!("{origin}callback?code=x&state=wrong"));
    assert!(stray.starts_with("HTTP/1.1 400"), "{stray}");
    assert!(!stray.contains("code=x"), "pages never echo the request");
    // Still waiting after all that: Ctrl-C ends it with 130 and writes nothing.
    let pid = login.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (code, _) = login.finish();
    assert_eq!(code, Some(130));
    assert!(!env.path("config/config.toml").exists());
    assert!(!env.path("data").exists());
}

fn raw_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn no_code_or_token_appears_in_any_output() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = vec!["-vv"];
    args.extend(login_args(&idp, Client::Basic));
    let run = env.run_with(
        &args,
        None,
        &[
            ("OCTOKEN_CLIENT_SECRET", Client::Basic.secret()),
            ("BROWSER", &driver("")),
        ],
    );
    let run = run.expect(0);
    let refresh_token = env.stored_refresh_token();
    let refresh_token = refresh_token.as_str();
    let access = env.run(&["token"]).expect(0).stdout;
    for secret in [refresh_token, access.trim(), Client::Basic.secret()] {
        assert!(
            !run.stderr.contains(secret),
            "secret in login output:\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("code="),
        "no authorization code in output"
    );
    assert!(!run.stderr.contains("code_verifier="), "{}", run.stderr);
    assert_eq!(run.stdout, "", "login prints nothing on stdout");
}

#[test]
fn device_flow_end_to_end() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = login_args(&idp, Client::Public);
    args.push("--device");
    let mut login = env.spawn(&args, &[]);
    let code_line = login.wait_for_line("enter the code");
    assert!(
        code_line.contains("/protocol/openid-connect/device"),
        "{code_line}"
    );
    let complete = login.wait_for_url("user_code=");
    run_driver(&["device", &complete]);
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("logged in"), "{stderr}");
    env.run(&["token"]).expect(0);
    env.run(&["refresh"]).expect(0);
}

#[test]
fn device_flow_denied_is_exit_4() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = login_args(&idp, Client::Post);
    args.push("--device");
    let mut login = env.spawn(&args, &[("OCTOKEN_CLIENT_SECRET", Client::Post.secret())]);
    let complete = login.wait_for_url("user_code=");
    let _ = std::process::Command::new("node")
        .arg(crate::support::repo_root().join("tests/idp/signin.mjs"))
        .args(["device", &complete, "--deny"])
        .output()
        .unwrap();
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains("denied"), "{stderr}");
}

#[test]
fn client_credentials_end_to_end() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::machine_login(&env, &idp, Client::Post, &["--auth-method", "post"])
        .expect(0);
    let token = env.run(&["token"]).expect(0).stdout;
    assert!(token.starts_with("eyJ"));
    env.run(&["token"]).expect(0);
    assert_eq!(
        idp.counters().get("client_credentials"),
        Some(&1),
        "cached like any token"
    );
    env.run(&["refresh"]).expect(0);
    assert_eq!(idp.counters().get("client_credentials"), Some(&2));
    assert_eq!(idp.refreshes(), 0);
    let stored = std::fs::read_to_string(env.secret_file()).unwrap();
    assert!(stored.contains("client_secret") && !stored.contains("refresh_token"));
}

#[test]
fn a_public_client_cannot_use_client_credentials() {
    let env = TestEnv::new();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let run = env.run(&[
        "login",
        "--grant",
        "client-credentials",
        "--issuer",
        &issuer,
        "--client-id",
        "x",
        "--auth-method",
        "none",
    ]);
    assert!(run.expect(2).error_line().contains("confidential client"));
}

#[test]
fn hostile_requests_at_the_listener_do_not_stop_the_real_callback() {
    use std::io::Write;
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = login_args(&idp, Client::Public);
    args.extend_from_slice(&["--no-browser", "--timeout", "60"]);
    let mut login = env.spawn(&args, &[]);
    let auth_url = login.wait_for_url("/protocol/openid-connect/auth?");
    let local = login.wait_for_url("on this machine");
    let host = local
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let send = |bytes: &[u8]| {
        let mut s = std::net::TcpStream::connect(&host).unwrap();
        let _ = s.write_all(bytes);
        s
    };
    // Many idle connections, held open for the rest of the test.
    let idle: Vec<_> = (0..64).map(|_| send(b"")).collect();
    // An oversized request line and oversized headers.
    let mut long_line = b"GET /callback?".to_vec();
    long_line.extend(std::iter::repeat_n(b'a', 256 * 1024));
    long_line.extend(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    drop(send(&long_line));
    let mut long_header = b"GET /callback?state=x HTTP/1.1\r\nX-Big: ".to_vec();
    long_header.extend(std::iter::repeat_n(b'b', 256 * 1024));
    long_header.extend(b"\r\n\r\n");
    drop(send(&long_header));
    // Bytes that are not HTTP at all.
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    drop(send(&noise));
    drop(send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"));
    // The real sign-in still completes.
    let final_url = run_driver(&["redirect-url", &auth_url]);
    let answer = raw_get(final_url.trim());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    drop(idle);
    env.run(&["token"]).expect(0);
}

/// A new login replaces the whole session, caches included: after Alice's session, a
/// client-credentials login on the same profile (whose answer carries no ID token) must
/// not go on handing out her ID token, her narrowed tokens or her sign-in level.
#[test]
fn a_new_login_leaves_nothing_of_the_previous_sessions_caches() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import(&env, &idp, Client::Basic, "file");
    let id_token = env.run(&["token", "--type", "id"]).expect(0).stdout;
    let narrowed = env.run(&["token", "--scope", "openid"]).expect(0).stdout;
    assert!(id_token.starts_with("eyJ") && narrowed.starts_with("eyJ"));
    crate::support::signin::machine_login(
        &env,
        &idp,
        Client::Basic,
        &["--auth-method", "basic", "--scope", ""],
    )
    .expect(0);
    let id = env.run(&["token", "--type", "id"]);
    assert_ne!(id.code, 0, "{}", id.stdout);
    assert!(
        !id.stdout.contains(id_token.trim()),
        "the old ID token was served"
    );
    let acr = env.run(&["token", "--min-acr", "0"]);
    assert_eq!(acr.code, 4, "{}", acr.stderr);
    let scoped = env.run(&["token", "--scope", "openid"]);
    assert!(
        !scoped.stdout.contains(narrowed.trim()),
        "the old narrowed token was served"
    );
}
