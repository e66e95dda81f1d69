//! Bad input and failing servers: one error line, a hint, the documented exit code.

use crate::support::signin::{import, import_token};
use crate::support::{Client, Idp, IdpOptions, TestEnv};

#[test]
fn token_without_login_is_exit_4() {
    let env = TestEnv::new();
    let run = env.run(&["token"]).expect(4);
    assert!(run.error_line().contains("not logged in"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: run `octoken login"));
    assert_eq!(run.stdout, "");
}

#[test]
fn unknown_profile_is_exit_3() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let run = env.run(&["-p", "nope", "token"]).expect(3);
    assert!(run.error_line().contains("no profile named 'nope'"));
    assert!(run.stderr.contains("known profiles: default"));
}

#[test]
fn logged_out_profile_is_exit_4() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    // logout (revoking) keeps the profile's settings: token, status say login required.
    env.run(&["logout"]).expect(0);
    let run = env.run(&["token"]).expect(4);
    assert!(run.error_line().contains("no refresh token stored"));
    let status = env.run(&["status"]).expect(4);
    assert!(
        status.stdout.contains("refresh token:   none"),
        "{}",
        status.stdout
    );
    // Logging out again is already done: exit 0, and it says so.
    let again = env.run(&["logout"]).expect(0);
    assert!(
        again.stderr.contains("was not logged in"),
        "{}",
        again.stderr
    );
    // logout --local forgets the profile itself: then nothing is configured at all.
    env.run(&["logout", "--local"]).expect(0);
    assert!(
        env.run(&["status"])
            .expect(4)
            .error_line()
            .contains("not logged in")
    );
    assert!(
        !std::fs::read_to_string(env.path("config/config.toml"))
            .unwrap()
            .contains("[profiles.default]")
    );
}

#[test]
fn provider_down_with_stale_cache_is_exit_5_and_keeps_the_token() {
    let mut idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let secret_file = env.secret_file();
    let before = std::fs::read(&secret_file).unwrap();
    idp.stop();
    let run = env.run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")]);
    let run = run.expect(5);
    assert!(
        run.error_line()
            .contains("could not reach the token endpoint"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("try again later"));
    assert_eq!(run.stdout, "");
    assert_eq!(std::fs::read(&secret_file).unwrap(), before);
}

#[test]
fn malformed_config_names_file_and_line() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("config")).unwrap();
    std::fs::write(
        env.path("config/config.toml"),
        "[profiles.default]\nclient_id = \"x\"\nauth_method = \"magic\"\n",
    )
    .unwrap();
    let run = env.run(&["token"]).expect(3);
    let line = run.error_line();
    assert!(line.contains("config.toml, line 3"), "{line}");
}

#[test]
fn http_issuer_on_a_remote_host_is_refused() {
    let env = TestEnv::new();
    let run = env.run_stdin(
        &[
            "login",
            "--issuer",
            "http://id.example.com/realms/x",
            "--client-id",
            "c",
            "--auth-method",
            "none",
            "--refresh-token-stdin",
        ],
        "token",
    );
    let run = run.expect(2);
    assert!(
        run.error_line().contains("refusing plain http://"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--allow-insecure-http"));
}

#[test]
fn unreachable_server_at_login_is_a_configuration_error_naming_the_host() {
    let env = TestEnv::new();
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = env.run_stdin(
        &[
            "login",
            "--issuer",
            &format!("http://127.0.0.1:{port}"),
            "--client-id",
            "c",
            "--auth-method",
            "none",
            "--store",
            "file",
            "--refresh-token-stdin",
        ],
        "some-token",
    );
    // Nothing is stored yet: not "temporary", but the issuer to check.
    let run = run.expect(3);
    assert!(
        run.error_line().contains("cannot reach 127.0.0.1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: check the host in --issuer"));
    assert!(!run.stderr.contains("stored refresh token is unchanged"));
}

#[test]
fn a_confidential_client_without_a_secret_is_told_how_to_give_it() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let login = |extra: &[&str]| {
        let mut args = vec![
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "octoken-basic",
            "--store",
            "file",
            "--refresh-token-stdin",
        ];
        args.extend_from_slice(extra);
        env.run_stdin(&args, "token")
    };
    // No secret given: tried as a public client; the server's invalid_client is
    // explained (exit 3).
    let run = login(&[]).expect(3);
    assert!(
        run.error_line()
            .contains("treats client 'octoken-basic' as confidential")
    );
    assert!(
        run.stderr
            .contains("hint: give the client's secret: OCTOKEN_CLIENT_SECRET")
    );
    // Asked for basic explicitly, without a terminal: a usage error before any request.
    let run = login(&["--auth-method", "basic"]).expect(2);
    assert!(run.error_line().contains("needs a client secret"));
    assert!(run.stderr.contains("OCTOKEN_CLIENT_SECRET"));
    // An empty (blank) secret is refused.
    let run = env.run_with(
        &[
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "octoken-basic",
            "--store",
            "file",
            "--refresh-token-stdin",
        ],
        Some("token"),
        &[("OCTOKEN_CLIENT_SECRET", "   ")],
    );
    assert!(
        run.expect(2)
            .error_line()
            .contains("the client secret is empty")
    );
    assert!(!env.path("config/config.toml").exists());
}

#[test]
fn the_wrong_auth_method_is_refused_by_the_provider() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let refresh_token = idp.refresh_token(Client::Basic);
    // Registered for client_secret_basic; authenticating in the body is rejected.
    let run = import_token(
        &env,
        &idp,
        Client::Basic,
        &refresh_token,
        &["--auth-method", "post"],
    );
    let run = run.expect(3);
    assert!(
        run.error_line().contains("invalid_client"),
        "{}",
        run.stderr
    );
    assert!(
        !env.path("config/config.toml").exists(),
        "nothing saved on failure"
    );
}

#[test]
fn secret_file_with_loose_permissions_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let secret_file = env.secret_file();
    let mode = std::fs::metadata(&secret_file)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(secret_file.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = env.run(&["refresh"]).expect(6);
    assert!(run.error_line().contains("644"), "{}", run.stderr);
    assert!(run.stderr.contains("chmod 600"));
}

#[test]
fn verbose_output_never_shows_secrets() {
    let idp = Idp::start(IdpOptions::rotating());
    let env = TestEnv::new();
    let refresh_token = idp.refresh_token(Client::Basic);
    let login = import_token(&env, &idp, Client::Basic, &refresh_token, &["-vv"]);
    let login = login.expect(0);
    let refresh = env.run(&["-vv", "refresh"]).expect(0);
    let token = env.run(&["-vv", "token", "--min-ttl", "1000"]).expect(0);
    let current = env.stored_refresh_token();
    let current = current.as_str();
    let access = token.stdout.trim();
    let logout = env.run(&["-vv", "logout"]).expect(0);
    let all = [
        &login.stderr,
        &refresh.stderr,
        &token.stderr,
        &logout.stderr,
    ];
    assert!(
        login.stderr.contains("POST "),
        "-v shows exchanges: {}",
        login.stderr
    );
    assert!(
        login.stderr.contains("authorization: <redacted>"),
        "{}",
        login.stderr
    );
    for text in all {
        for secret in [
            refresh_token.as_str(),
            current,
            access,
            Client::Basic.secret(),
        ] {
            assert!(!text.contains(secret), "secret in verbose output:\n{text}");
        }
    }
}
