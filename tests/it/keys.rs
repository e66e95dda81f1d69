//! Client authentication with keys against the bundled provider: private_key_jwt
//! (RFC 7523) with RSA and EC keys made by `openssl genpkey` for each test, at the
//! token, revocation and introspection endpoints; and the keys the provider refuses.

use crate::support::signin::browser_login;
use crate::support::{Client, Idp, IdpOptions, TestEnv, driver};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A new private key in `dir/<name>.pem` (PKCS#8, 0600); `spec` is genpkey's algorithm
/// and its options.
fn genpkey(dir: &Path, name: &str, spec: &[&str]) -> PathBuf {
    let path = dir.join(format!("{name}.pem"));
    let out = Command::new("openssl")
        .arg("genpkey")
        .args(spec)
        .arg("-out")
        .arg(&path)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    chmod(&path, 0o600);
    path
}

fn rsa(dir: &Path, name: &str) -> PathBuf {
    genpkey(
        dir,
        name,
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    )
}

fn ec(dir: &Path, name: &str) -> PathBuf {
    genpkey(
        dir,
        name,
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    )
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn text(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

/// `login --grant client-credentials` of the key client with `key` (no browser).
fn machine_login(env: &TestEnv, idp: &Idp, key: &Path, extra: &[&str]) -> crate::support::env::Run {
    machine_login_as(env, idp, Client::Key.id(), key, extra)
}

fn claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.trim().split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// An RSA and a P-256 key (in the returned TestEnv's directory) and the provider with
/// `options`, registering client `octoken-key` with both.
fn rsa_and_ec_client(options: IdpOptions) -> (TestEnv, PathBuf, PathBuf, Idp) {
    let keys = TestEnv::new();
    let rsa_key = rsa(&keys.path(""), "rsa");
    let ec_key = ec(&keys.path(""), "ec");
    let idp = Idp::start(IdpOptions {
        client_keys: vec![rsa_key.clone(), ec_key.clone()],
        ..options
    });
    (keys, rsa_key, ec_key, idp)
}

#[test]
fn keys_sign_in_refresh_introspect_and_revoke_with_rsa_and_ec() {
    let (_keys, rsa_key, ec_key, idp) = rsa_and_ec_client(IdpOptions::default());
    for (key, kid) in [(&rsa_key, "rsa"), (&ec_key, "ec")] {
        let env = TestEnv::new();
        let key_arg = text(key);
        let run = browser_login(
            &env,
            &idp,
            Client::Key,
            &["--client-key-file", &key_arg, "--client-key-id", kid],
            &driver(""),
        )
        .expect(0);
        assert!(!run.stderr.contains("warning"), "{}", run.stderr);
        // The profile names the file; no store or cache holds the key.
        let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
        assert!(
            config.contains("auth_method = \"private-key-jwt\""),
            "{config}"
        );
        assert!(
            config.contains(&format!("client_key_file = \"{key_arg}\"")),
            "{config}"
        );
        let pem = std::fs::read_to_string(key).unwrap();
        let body = pem.lines().nth(1).unwrap();
        for (path, bytes) in env.all_files() {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(body),
                "{} holds the key",
                path.display()
            );
        }
        let before = idp.refreshes();
        env.run(&["refresh"]).expect(0);
        assert_eq!(idp.refreshes(), before + 1, "{kid}: one refresh");
        let token = env.run(&["token"]).expect(0).stdout;
        assert_eq!(claims(&token)["client_id"], Client::Key.id());

        let answer = env.run(&["introspect", "--refresh-token"]).expect(0).stdout;
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["active"], true, "{kid}: {answer}");
        let run = env.run(&["logout"]).expect(0);
        assert!(run.stderr.contains("revoked"), "{kid}: {}", run.stderr);
    }
}

#[test]
fn client_credentials_with_a_pkcs1_rsa_key_and_no_kid() {
    let keys = TestEnv::new();
    let rsa_key = rsa(&keys.path(""), "rsa");
    let pkcs1 = keys.path("rsa-pkcs1.pem");
    let out = Command::new("openssl")
        .args(["rsa", "-traditional", "-in"])
        .arg(&rsa_key)
        .arg("-out")
        .arg(&pkcs1)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&pkcs1)
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    chmod(&pkcs1, 0o600);
    let idp = Idp::start(IdpOptions {
        client_keys: vec![rsa_key],
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    let run = machine_login(&env, &idp, &pkcs1, &[]).expect(0);
    assert!(
        run.stderr.contains("client key read from"),
        "{}",
        run.stderr
    );
    // Each token is a new client-credentials grant, each with a new assertion.
    let token = env.run(&["token", "--min-ttl", "100000"]).expect(0).stdout;
    assert_eq!(claims(&token)["client_id"], Client::Key.id());
    assert_eq!(idp.counters().get("client_credentials"), Some(&2));
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["auth_method"], "private-key-jwt", "{status}");
    assert_eq!(status["client_key_file"], text(&pkcs1), "{status}");
}

/// `login --grant client-credentials` of another client with `key` (`--client-key`,
/// the short spelling of `--client-key-file`).
fn machine_login_as(
    env: &TestEnv,
    idp: &Idp,
    client_id: &str,
    key: &Path,
    extra: &[&str],
) -> crate::support::env::Run {
    let key = text(key);
    let mut args = vec![
        "login",
        "--grant",
        "client-credentials",
        "--issuer",
        &idp.issuer,
        "--client-id",
        client_id,
        "--client-key",
        &key,
        "--store",
        "file",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn ps256_assertions_for_a_client_registered_for_them() {
    let (_keys, rsa_key, ec_key, idp) = rsa_and_ec_client(IdpOptions::default());
    let ps256_client = "octoken-key-ps256";

    // The RSA key's usual RS256 at a client registered for PS256: refused by the server.
    let env = TestEnv::new();
    let run = machine_login_as(&env, &idp, ps256_client, &rsa_key, &[]).expect(3);
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    assert!(!env.path("config/config.toml").exists(), "nothing saved");

    // --client-key-alg PS256: accepted, saved, and used for the next grant too.
    let run = machine_login_as(
        &env,
        &idp,
        ps256_client,
        &rsa_key,
        &["--client-key-alg", "PS256"],
    );
    run.expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("client_key_alg = \"PS256\""), "{config}");
    let grants = idp.counters()["client_credentials"];
    let token = env.run(&["token", "--min-ttl", "100000"]).expect(0).stdout;
    assert_eq!(claims(&token)["client_id"], ps256_client);
    assert_eq!(idp.counters()["client_credentials"], grants + 1);
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["client_key_alg"], "PS256", "{status}");
    let status = env.run(&["status"]).expect(0).stdout;
    assert!(status.contains("(PS256 assertions)"), "{status}");

    // An EC key cannot sign PS256: octoken says so before any request.
    let env = TestEnv::new();
    let grants = idp.counters()["client_credentials"];
    let run = machine_login_as(
        &env,
        &idp,
        Client::Key.id(),
        &ec_key,
        &["--client-key-alg", "PS256"],
    )
    .expect(3);
    assert!(
        run.stderr
            .contains("is a P-256 key, which cannot sign PS256 assertions"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "hint: pass the key the client is registered with, or --client-key-alg ES256"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(idp.counters()["client_credentials"], grants);
}

#[test]
fn a_provider_that_takes_only_ps256_gets_ps256_without_a_flag() {
    let keys = TestEnv::new();
    let rsa_key = rsa(&keys.path(""), "rsa");
    let idp = Idp::start(IdpOptions {
        client_keys: vec![rsa_key.clone()],
        client_auth_algs: Some("PS256,ES256"),
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    // This provider does refuse RS256 assertions, so what follows depends on the pick.
    let run = machine_login_as(
        &env,
        &idp,
        Client::Key.id(),
        &rsa_key,
        &["--client-key-alg", "RS256"],
    )
    .expect(3);
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    let run = env.run(&[
        "-v",
        "login",
        "--grant",
        "client-credentials",
        "--issuer",
        &idp.issuer,
        "--client-id",
        Client::Key.id(),
        "--client-key-file",
        &text(&rsa_key),
        "--store",
        "file",
    ]);
    let run = run.expect(0);
    assert!(
        run.stderr
            .contains("the provider takes no RS256 client assertions; signing them PS256"),
        "{}",
        run.stderr
    );
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("client_key_alg = \"PS256\""), "{config}");
    // A later grant needs no discovery to sign PS256 again.
    let token = env.run(&["token", "--min-ttl", "100000"]).expect(0).stdout;
    assert_eq!(claims(&token)["client_id"], Client::Key.id());
}

#[test]
fn a_provider_that_wants_the_issuer_as_audience_gets_it_with_client_key_aud() {
    let keys = TestEnv::new();
    let ec_key = ec(&keys.path(""), "ec");
    let idp = Idp::start(IdpOptions {
        client_keys: vec![ec_key.clone()],
        assertion_aud_issuer: true,
        ..IdpOptions::default()
    });
    // The token endpoint as audience (the default) is what this provider refuses.
    let env = TestEnv::new();
    let run = browser_login(
        &env,
        &idp,
        Client::Key,
        &["--client-key", &text(&ec_key)],
        &driver(""),
    );
    assert!(run.expect(3).stderr.contains("invalid_client"));
    let run = browser_login(
        &env,
        &idp,
        Client::Key,
        &["--client-key", &text(&ec_key), "--client-key-aud", "issuer"],
        &driver(""),
    );
    run.expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("client_key_aud = \"issuer\""), "{config}");
    // Every endpoint that authenticates the client gets the same assertion audience.
    let before = idp.refreshes();
    env.run(&["refresh"]).expect(0);
    assert_eq!(idp.refreshes(), before + 1);
    let answer = env.run(&["introspect", "--refresh-token"]).expect(0).stdout;
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["active"], true, "{answer}");
    let status = env.run(&["status"]).expect(0).stdout;
    assert!(status.contains("(assertions for the issuer)"), "{status}");
    let run = env.run(&["logout"]).expect(0);
    assert!(run.stderr.contains("revoked"), "{}", run.stderr);
}

#[test]
fn keys_the_provider_or_octoken_refuse() {
    let keys = TestEnv::new();
    let dir = keys.path("");
    let good = ec(&dir, "good");
    let wrong = ec(&dir, "wrong");
    let idp = Idp::start(IdpOptions {
        client_keys: vec![good.clone()],
        ..IdpOptions::default()
    });

    // A key the provider does not know: invalid_client, a configuration error.
    let env = TestEnv::new();
    let run = machine_login(&env, &idp, &wrong, &[]).expect(3);
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    assert!(run.stderr.contains("--client-key-file"), "{}", run.stderr);
    assert!(!env.path("config/config.toml").exists(), "nothing saved");

    // The right key, then the file replaced by another key: refreshing says so.
    machine_login(&env, &idp, &good, &[]).expect(0);
    let saved = std::fs::read(&good).unwrap();
    std::fs::copy(&wrong, &good).unwrap();
    let run = env.run(&["token", "--min-ttl", "100000"]).expect(3);
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    assert!(run.stderr.contains("--client-key-file"), "{}", run.stderr);
    std::fs::write(&good, &saved).unwrap();

    // Readable by others: used, with a warning.
    chmod(&good, 0o644);
    let run = env.run(&["token", "--min-ttl", "100000"]).expect(0);
    assert!(
        run.stderr.contains("other users can read"),
        "{}",
        run.stderr
    );
    chmod(&good, 0o600);

    // Not a key, not a file, an encrypted key, no key file at all.
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "hello\n").unwrap();
    let run = machine_login(&env, &idp, &junk, &[]).expect(3);
    assert!(run.stderr.contains("no PEM private key"), "{}", run.stderr);
    let run = machine_login(&env, &idp, &dir, &[]).expect(3);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    let encrypted = dir.join("encrypted.pem");
    let out = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-passout", "pass:x", "-in"])
        .arg(&good)
        .arg("-out")
        .arg(&encrypted)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = machine_login(&env, &idp, &encrypted, &[]).expect(3);
    assert!(run.stderr.contains("encrypted"), "{}", run.stderr);
    assert!(run.stderr.contains("openssl pkcs8"), "{}", run.stderr);
    // A second profile of the key client, with only the flags given.
    let other_login = |extra: &[&str]| {
        let mut args = vec![
            "login",
            "-p",
            "other",
            "--issuer",
            &idp.issuer,
            "--client-id",
            Client::Key.id(),
        ];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let run = other_login(&["--auth-method", "private-key-jwt"]).expect(2);
    assert!(
        run.stderr.contains("--client-key-file PEM"),
        "{}",
        run.stderr
    );
    let good_text = text(&good);
    let run = other_login(&["--auth-method", "none", "--client-key-file", &good_text]).expect(2);
    assert!(
        run.stderr.contains("go with --auth-method private-key-jwt"),
        "{}",
        run.stderr
    );
}

#[test]
fn device_flow_with_a_key_and_a_resource() {
    let keys = TestEnv::new();
    let key = ec(&keys.path(""), "ec");
    let idp = Idp::start(IdpOptions {
        client_keys: vec![key.clone()],
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    let key = text(&key);
    let mut args = crate::support::signin::login_args(&idp, Client::Key);
    args.extend_from_slice(&[
        "--client-key-file",
        &key,
        "--device",
        "--resource",
        "urn:octoken:files",
    ]);
    let mut login = env.spawn(&args, &[]);
    let complete = login.wait_for_url("user_code=");
    let out = Command::new("node")
        .arg(crate::support::repo_root().join("tests/idp/signin.mjs"))
        .args(["device", &complete])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    // The device authorization, the polls and the refresh all authenticated with the
    // key; the one resource is named at the token endpoint.
    let token = env.run(&["token"]).expect(0).stdout;
    assert_eq!(claims(&token)["aud"], "urn:octoken:files");
    env.run(&["refresh"]).expect(0);
    let token = env.run(&["token"]).expect(0).stdout;
    assert_eq!(claims(&token)["aud"], "urn:octoken:files");
}

#[test]
fn a_revocation_endpoint_on_another_server_gets_no_assertion() {
    let keys = TestEnv::new();
    let key = ec(&keys.path(""), "ec");
    // A discovery document whose revocation endpoint sits on another server than the
    // token endpoint (a hostile provider collecting assertions to replay elsewhere).
    let elsewhere = crate::support::fake::FakeServer::start(vec![]);
    let server = crate::support::fake::FakeServer::start_with(|base| {
        let doc = serde_json::json!({
            "issuer": base,
            "token_endpoint": format!("{base}/token"),
            "revocation_endpoint": elsewhere.url.replace("/token", "/revoke"),
            "introspection_endpoint": format!("{base}/introspect"),
        });
        let token = r#"{"access_token":"at-0123456789","token_type":"Bearer","expires_in":300}"#;
        vec![
            crate::support::fake::Reply::json("200 OK", &doc.to_string()),
            crate::support::fake::Reply::json("200 OK", token),
        ]
    });
    let issuer = server.url.trim_end_matches("/token").to_string();
    let env = TestEnv::new();
    let run = env
        .run(&[
            "login",
            "--grant",
            "client-credentials",
            "--issuer",
            &issuer,
            "--client-id",
            "svc",
            "--client-key",
            &text(&key),
            "--store",
            "file",
        ])
        .expect(0);
    assert!(
        run.stderr.contains("revocation endpoint")
            && run
                .stderr
                .contains("is on another server than its token endpoint"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("introspection endpoint"),
        "same server: kept"
    );
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(!config.contains("revocation_url"), "{config}");
    assert!(config.contains("introspection_url"), "{config}");
    env.run(&["logout"]).expect(0);
    assert_eq!(
        elsewhere.requests(),
        0,
        "no assertion went to the other server"
    );
}
