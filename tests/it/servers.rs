//! Working with the servers people have: a compatibility matrix against the real
//! provider, HTTPS with a private CA, a real forwarding proxy, Curity-style scope
//! narrowing, Keycloak offline tokens, introspection and inspection.

use crate::support::idp::http_get;
use crate::support::signin::browser_login;
use crate::support::signin::{import, import_token};
use crate::support::tinyproxy::Tinyproxy;
use crate::support::{Client, Idp, IdpOptions, TestEnv, driver};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Rotation {
    On,
    Off,
    Omitted,
}

/// One cell: browser login, a token, three refreshes, logout, and the revoked refresh
/// token refused by the provider.
fn cell(idp: &Idp, client: Client, discovery: bool, rotation: Rotation) {
    let label = format!(
        "{client:?}, discovery {discovery}, rotation {rotation:?}, {}",
        idp.issuer
    );
    let env = TestEnv::new();
    let mut explicit: Vec<String> = Vec::new();
    if !discovery {
        // The endpoints a user copies from the server's documentation.
        let doc: serde_json::Value = serde_json::from_str(&http_get(&format!(
            "{}/.well-known/openid-configuration",
            idp.issuer
        )))
        .unwrap();
        for (flag, field) in [
            ("--token-url", "token_endpoint"),
            ("--auth-url", "authorization_endpoint"),
            ("--revocation-url", "revocation_endpoint"),
        ] {
            explicit.push(flag.into());
            explicit.push(doc[field].as_str().unwrap().into());
        }
    }
    let explicit: Vec<&str> = explicit.iter().map(String::as_str).collect();
    let login = browser_login(&env, idp, client, &explicit, &driver(""));
    assert_eq!(login.code, 0, "{label}: {}", login.stderr);
    let stored = || env.stored_refresh_token();
    let first = stored();
    assert!(env.run(&["token"]).stdout.starts_with("eyJ"), "{label}");
    for _ in 0..3 {
        let run = env.run(&["refresh"]);
        assert_eq!(run.code, 0, "{label}: {}", run.stderr);
    }
    let last = stored();
    match rotation {
        Rotation::On => assert_ne!(first, last, "{label}: rotated tokens stored"),
        Rotation::Off | Rotation::Omitted => assert_eq!(first, last, "{label}"),
    }
    let logout = env.run(&["logout"]);
    assert_eq!(logout.code, 0, "{label}: {}", logout.stderr);
    assert!(
        logout.stderr.contains("revoked"),
        "{label}: {}",
        logout.stderr
    );
    // The revoked token is refused by the provider.
    let again = TestEnv::new();
    let run = import_token(&again, idp, client, &last, &[]);
    assert_eq!(
        run.code, 4,
        "{label}: revoked token accepted? {}",
        run.stderr
    );
}

fn matrix_row(keycloak: bool, rotation: Rotation) {
    let idp = Idp::start(IdpOptions {
        keycloak,
        rotation: rotation == Rotation::On,
        omit_refresh: rotation == Rotation::Omitted,
        ..IdpOptions::default()
    });
    for client in [Client::Basic, Client::Post, Client::Public] {
        for discovery in [true, false] {
            cell(&idp, client, discovery, rotation);
        }
    }
}

#[test]
fn matrix_keycloak_rotation_on() {
    matrix_row(true, Rotation::On);
}
#[test]
fn matrix_keycloak_rotation_off() {
    matrix_row(true, Rotation::Off);
}
#[test]
fn matrix_keycloak_refresh_token_omitted() {
    matrix_row(true, Rotation::Omitted);
}
#[test]
fn matrix_plain_rotation_on() {
    matrix_row(false, Rotation::On);
}
#[test]
fn matrix_plain_rotation_off() {
    matrix_row(false, Rotation::Off);
}
#[test]
fn matrix_plain_refresh_token_omitted() {
    matrix_row(false, Rotation::Omitted);
}

/// A CA and a certificate for 127.0.0.1 signed by it, made with openssl.
pub fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=octoken test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

#[test]
fn https_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_ca(dir.path());
    let mut idp = Idp::start(IdpOptions {
        tls: Some((cert, key)),
        ..IdpOptions::default()
    });
    idp.node_env
        .push(("NODE_EXTRA_CA_CERTS".into(), ca.display().to_string()));
    assert!(idp.issuer.starts_with("https://"));
    let refresh_token = idp.refresh_token(Client::Basic);
    let login = |env: &TestEnv, extra: &[&str], vars: &[(&str, &str)]| {
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
        let mut all = vec![("OCTOKEN_CLIENT_SECRET", Client::Basic.secret())];
        all.extend_from_slice(vars);
        env.run_with(&args, Some(&refresh_token), &all)
    };
    // Unknown CA: a clear certificate error, not "try again later".
    let env = TestEnv::new();
    let run = login(&env, &[], &[]).expect(1);
    let line = run.error_line();
    assert!(line.to_lowercase().contains("certificate"), "{line}");
    assert!(run.stderr.contains("--ca-file"), "{}", run.stderr);
    // A CA file without a certificate in it is refused at once, not trusted as nothing.
    let empty = env.path("not-a-ca.pem");
    std::fs::write(&empty, "just some text\n").unwrap();
    let run = login(&env, &["--ca-file", &empty.display().to_string()], &[]).expect(3);
    assert!(
        run.error_line().contains("holds no PEM certificate"),
        "{}",
        run.stderr
    );
    // With --ca-file it works, and the profile keeps the CA for later refreshes.
    let ca_arg = ca.display().to_string();
    login(&env, &["--ca-file", &ca_arg], &[]).expect(0);
    env.run(&["refresh"]).expect(0);
    // SSL_CERT_FILE adds roots too.
    let other = TestEnv::new();
    let token = idp.refresh_token(Client::Basic);
    other
        .run_with(
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
            Some(&token),
            &[
                ("OCTOKEN_CLIENT_SECRET", Client::Basic.secret()),
                ("SSL_CERT_FILE", &ca_arg),
            ],
        )
        .expect(0);
}

#[test]
fn requests_go_through_a_forwarding_proxy() {
    // Loopback literals are never proxied (hostile.rs checks that); the provider is
    // reached here by this machine's own name, which Debian's /etc/hosts maps to
    // loopback, as a remote provider's name would be.
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim().to_string();
    let loopback_name = !name.is_empty()
        && std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), 80))
            .is_ok_and(|mut a| a.all(|a| a.ip().is_loopback()));
    if !loopback_name {
        eprintln!("skipped: this machine's name ({name:?}) does not resolve to loopback");
        return;
    }
    let proxy = Tinyproxy::start();
    let idp = Idp::start(IdpOptions::default());
    let by_name = |env: &TestEnv| {
        let path = env.path("config/config.toml");
        let config = std::fs::read_to_string(&path).unwrap();
        let config = config.replace("127.0.0.1", &name).replace(
            "[profiles.default]\n",
            "[profiles.default]\nallow_insecure_http = true\n",
        );
        std::fs::write(&path, config).unwrap();
    };
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    by_name(&env);
    assert!(
        !proxy.log().contains("/protocol/openid-connect/token"),
        "not yet proxied"
    );
    // HTTP_PROXY from the environment.
    env.run_with(&["refresh"], None, &[("HTTP_PROXY", &proxy.url())])
        .expect(0);
    let log = proxy.log();
    assert!(
        log.contains("POST") && log.contains("/protocol/openid-connect/token"),
        "{log}"
    );
    // NO_PROXY exempts the host again.
    let lines = proxy.log().lines().count();
    env.run_with(
        &["refresh"],
        None,
        &[("HTTP_PROXY", &proxy.url()), ("NO_PROXY", &name)],
    )
    .expect(0);
    assert_eq!(proxy.log().lines().count(), lines, "NO_PROXY honoured");
    // A per-profile proxy, saved at login.
    let other = TestEnv::new();
    let token = idp.refresh_token(Client::Post);
    let proxy_url = proxy.url();
    import_token(&other, &idp, Client::Post, &token, &["--proxy", &proxy_url]).expect(0);
    let config = std::fs::read_to_string(other.path("config/config.toml")).unwrap();
    assert!(
        config.contains(&format!("proxy = \"{}\"", proxy.url())),
        "{config}"
    );
    by_name(&other);
    let before = proxy.log().lines().count();
    other.run(&["refresh"]).expect(0);
    assert!(
        proxy.log().lines().count() > before,
        "the profile's proxy carried the refresh"
    );
    // A proxy URL with credentials is never saved in config.toml.
    let third = TestEnv::new();
    let token = idp.refresh_token(Client::Post);
    let with_password = proxy_url.replace("http://", "http://user:pass@");
    let run = import_token(
        &third,
        &idp,
        Client::Post,
        &token,
        &["--proxy", &with_password],
    );
    let run = run.expect(2);
    assert!(run.error_line().contains("credentials"), "{}", run.stderr);
    assert!(!run.stderr.contains("pass@"), "{}", run.stderr);
}

#[test]
fn narrowed_scopes_are_cached_apart_and_never_replace_the_full_token() {
    let idp = Idp::start(IdpOptions::rotating());
    let env = TestEnv::new();
    let scope = ["--scope", "openid offline_access read write"];
    browser_login(&env, &idp, Client::Basic, &scope, &driver("")).expect(0);
    let full = env.run(&["token", "--format", "json"]).expect(0).stdout;
    let full: serde_json::Value = serde_json::from_str(&full).unwrap();
    assert_eq!(full["scope"], "read write");
    let narrow = env
        .run(&["token", "--scope", "read", "--format", "json"])
        .expect(0)
        .stdout;
    let narrow: serde_json::Value = serde_json::from_str(&narrow).unwrap();
    assert_eq!(narrow["scope"], "read");
    // Cached apart: both served again without a request; the full one unchanged.
    let refreshes = idp.refreshes();
    let again = env.run(&["token", "--format", "json"]).expect(0).stdout;
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["access_token"], full["access_token"]);
    env.run(&["token", "--scope", "read"]).expect(0);
    assert_eq!(idp.refreshes(), refreshes);
    // The narrowing refresh rotated the token, and the rotated one was stored.
    env.run(&["refresh"]).expect(0);
    // More than was granted: the server's error, clearly.
    let run = env.run(&["token", "--scope", "read admin"]).expect(1);
    let line = run.error_line();
    assert!(line.contains("invalid_scope"), "{line}");
}

#[test]
fn keycloak_offline_tokens_with_no_absolute_expiry() {
    let idp = Idp::start(IdpOptions {
        keycloak_offline: true,
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    let imported = import(&env, &idp, Client::Basic, "file");
    let run = env.run(&["-v", "refresh"]).expect(0);
    assert!(
        run.stderr.contains("no absolute expiry (an offline token)"),
        "{}",
        run.stderr
    );
    let stored = std::fs::read_to_string(env.secret_file()).unwrap();
    assert!(stored.contains(&imported), "the same offline token, reused");
    // Logout revokes the refresh token; the JWT access token cannot be revoked there
    // (unsupported_token_type), which is tolerated and said.
    let logout = env.run(&["-v", "logout"]).expect(0);
    assert!(
        logout.stderr.contains("the refresh token was revoked"),
        "{}",
        logout.stderr
    );
    assert!(
        logout
            .stderr
            .contains("cannot revoke the access token (a JWT)"),
        "{}",
        logout.stderr
    );
}

#[test]
fn introspection_and_local_inspection() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    // oidc-provider will not introspect its JWT access tokens (Keycloak will): the
    // server's refusal comes through as one clear line.
    let run = env.run(&["introspect"]).expect(1);
    assert!(
        run.error_line().contains("unsupported_token_type"),
        "{}",
        run.stderr
    );
    let answer = env.run(&["introspect", "--refresh-token"]).expect(0).stdout;
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["client_id"], "octoken-basic", "{answer}");

    let inspect = env.run(&["inspect"]).expect(0);
    assert!(
        inspect.stderr.contains("signature was NOT verified"),
        "{}",
        inspect.stderr
    );
    let decoded: serde_json::Value = serde_json::from_str(&inspect.stdout).unwrap();
    assert_eq!(decoded["claims"]["iss"], idp.issuer.as_str());
    assert_eq!(decoded["header"]["typ"], "at+jwt");
    // A JWT on stdin; never one on the command line.
    let token = env.run(&["token"]).expect(0).stdout;
    env.run_stdin(&["inspect", "-"], &token).expect(0);
    env.run(&["inspect", token.trim()]).expect(2);
    env.run_stdin(&["inspect", "-"], "opaque-token").expect(1);

    // A public client cannot introspect.
    let public = TestEnv::new();
    import(&public, &idp, Client::Public, "file");
    let run = public.run(&["introspect"]).expect(3);
    assert!(run.error_line().contains("confidential client"));
}
