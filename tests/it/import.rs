//! Importing a refresh token and turning it into access tokens, in both layouts and with
//! each client authentication method.

use crate::support::signin::{import, import_token};
use crate::support::{Client, Idp, IdpOptions, TestEnv};

fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn token_cycle(keycloak: bool, client: Client) {
    let idp = Idp::start(IdpOptions {
        keycloak,
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    import(&env, &idp, client, "file");
    // The import is verified by exactly one refresh.
    assert_eq!(idp.refreshes(), 1);

    let first = env.run(&["token"]).expect(0);
    let token = first.stdout.strip_suffix('\n').expect("token and newline");
    assert!(!token.contains('\n'));
    assert_eq!(jwt_claims(token)["iss"], idp.issuer.as_str());
    assert_eq!(first.stderr, "", "token prints nothing on stderr");

    // Within the TTL: served from the cache, no token request.
    let second = env.run(&["token"]).expect(0);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(idp.refreshes(), 1);

    // After expiry (clock moved past the 300 s TTL): exactly one refresh.
    let later = env
        .run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")])
        .expect(0);
    assert_ne!(later.stdout, first.stdout);
    assert_eq!(idp.refreshes(), 2);

    // `refresh` always makes exactly one request and prints nothing on stdout.
    let refresh = env.run(&["refresh"]).expect(0);
    assert_eq!(refresh.stdout, "");
    assert!(
        refresh.stderr.contains("refreshed profile 'default'"),
        "{}",
        refresh.stderr
    );
    assert_eq!(idp.refreshes(), 3);
    assert_eq!(env.run(&["refresh", "-q"]).expect(0).stderr, "");
    assert_eq!(idp.refreshes(), 4);
}

#[test]
fn keycloak_layout_basic_client() {
    token_cycle(true, Client::Basic);
}

#[test]
fn keycloak_layout_post_client() {
    token_cycle(true, Client::Post);
}

#[test]
fn keycloak_layout_public_client() {
    token_cycle(true, Client::Public);
}

#[test]
fn plain_layout_basic_client() {
    token_cycle(false, Client::Basic);
}

#[test]
fn token_formats() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let raw = env.run(&["token"]).expect(0).stdout;
    let raw = raw.trim_end();

    let header = env.run(&["token", "--format", "header"]).expect(0).stdout;
    assert_eq!(header, format!("Authorization: Bearer {raw}\n"));

    let json = env.run(&["token", "--format", "json"]).expect(0).stdout;
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["access_token"], raw);
    assert_eq!(value["token_type"], "Bearer");
    let expires_in = value["expires_in"].as_u64().unwrap();
    assert!((200..=300).contains(&expires_in), "{expires_in}");
    assert!(value["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(value.get("scope").is_some());
}

#[test]
fn min_ttl_decides_when_to_refresh() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    env.run(&["token", "--min-ttl", "200"]).expect(0);
    assert_eq!(idp.refreshes(), 1);
    // 300 s TTL, fewer than 400 s left: refresh.
    env.run(&["token", "--min-ttl", "400"]).expect(0);
    assert_eq!(idp.refreshes(), 2);
}

#[test]
fn a_corrupt_cache_is_ignored_and_rewritten() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let cache = env.path("cache/tokens/default.json");
    for garbage in ["", "{\"key\":", "\u{0}\u{ff}binary", "[1,2,3]"] {
        std::fs::write(&cache, garbage).unwrap();
        let run = env.run(&["token"]).expect(0);
        assert!(run.stdout.starts_with("eyJ"), "{garbage:?}: {}", run.stdout);
        let rewritten = std::fs::read_to_string(&cache).unwrap();
        assert!(rewritten.contains("access_token"), "cache was rewritten");
    }
}

#[test]
fn explicit_endpoints_replace_discovery() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let refresh_token = idp.refresh_token(Client::Post);
    let token_url = format!("{}/protocol/openid-connect/token", idp.issuer);
    let revoke_url = format!("{}/protocol/openid-connect/revoke", idp.issuer);
    env.run_with(
        &[
            "login",
            "--client-id",
            "octoken-post",
            "--auth-method",
            "post",
            "--store",
            "file",
            "--token-url",
            &token_url,
            "--revocation-url",
            &revoke_url,
            "--refresh-token-stdin",
        ],
        Some(&refresh_token),
        &[("OCTOKEN_CLIENT_SECRET", Client::Post.secret())],
    )
    .expect(0);
    assert!(idp.counters().get("refresh_token") == Some(&1));
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(!config.contains("issuer"), "{config}");
    env.run(&["token"]).expect(0);
    env.run(&["logout"]).expect(0);
}

#[test]
fn status_shows_state_but_never_secrets() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let refresh_token = import(&env, &idp, Client::Basic, "file");
    let access = env.run(&["token"]).expect(0).stdout;
    let status = env.run(&["status"]).expect(0);
    for needle in [
        "profile:         default",
        "octoken-basic",
        "basic",
        "file",
        "subject:         alice",
        "last refresh:",
    ] {
        assert!(
            status.stdout.contains(needle),
            "{needle} in {}",
            status.stdout
        );
    }
    let json = env.run(&["status", "--json"]).expect(0).stdout;
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["issuer"], idp.issuer.as_str());
    assert_eq!(value["refresh_token"], "stored");
    assert_eq!(value["access_token"]["subject"], "alice");
    assert!(value["last_refresh_at"].is_string());
    for out in [&status.stdout, &json] {
        assert!(!out.contains(&refresh_token));
        assert!(!out.contains(access.trim()));
        assert!(!out.contains(Client::Basic.secret()));
    }
}

#[test]
fn global_flags_go_before_or_after_the_subcommand() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let refresh_token = idp.refresh_token(Client::Public);
    import_token(&env, &idp, Client::Public, &refresh_token, &["-p", "work"]).expect(0);
    env.run(&["token", "-p", "work", "-q"]).expect(0);
    env.run(&["-p", "work", "token"]).expect(0);
    env.run_with(&["token"], None, &[("OCTOKEN_PROFILE", "work")])
        .expect(0);
    // The default profile was never created: an unknown profile, not a missing login.
    env.run(&["token"]).expect(3);
}

#[test]
fn the_client_secret_comes_from_a_file_and_a_readable_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let secret_file = env.path("client-secret");
    std::fs::write(&secret_file, format!("{}\n", Client::Post.secret())).unwrap();
    let secret_arg = secret_file.display().to_string();
    let login = |file: &str| {
        let token = idp.refresh_token(Client::Post);
        env.run_stdin(
            &[
                "login",
                "--issuer",
                &idp.issuer,
                "--client-id",
                Client::Post.id(),
                "--auth-method",
                "post",
                "--store",
                "file",
                "--client-secret-file",
                file,
                "--refresh-token-stdin",
            ],
            &token,
        )
    };
    // 0600: read (trailing newline trimmed) and used, nothing to warn about.
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let quiet = login(&secret_arg).expect(0);
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
    env.run(&["refresh"]).expect(0);
    // 0644 (a mounted secret, say): still works, with a warning naming the file.
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warned = login(&secret_arg).expect(0);
    assert!(
        warned.stderr.contains("warning:") && warned.stderr.contains("644"),
        "{}",
        warned.stderr
    );
    assert!(!warned.stderr.contains(Client::Post.secret()));
    // Not a file: a usage error with a hint, and the stored login is untouched.
    let dir = env.path("config").display().to_string();
    let refused = login(&dir).expect(2);
    assert!(refused.error_line().contains("client secret file"));
    assert!(refused.stderr.contains("hint:"), "{}", refused.stderr);
    env.run(&["refresh"]).expect(0);
}
