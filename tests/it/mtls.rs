//! Mutual TLS client authentication (RFC 8705) against the bundled provider over HTTPS:
//! it asks for a client certificate, trusts those its test CA signed, authenticates
//! client `octoken-mtls` by the certificate's subject and binds its access tokens to
//! the certificate (`cnf.x5t#S256`).

use crate::support::{Idp, IdpOptions, TestEnv};
use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
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
}

/// `name.pem` and `name.key` for subject CN=`cn`, signed by ca.pem (with `ext`).
fn signed(dir: &Path, name: &str, cn: &str, ext: &str) -> (PathBuf, PathBuf) {
    let (key, csr, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={cn}"),
        ],
    );
    let ext_file = format!("{name}.ext");
    std::fs::write(dir.join(&ext_file), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            &ext_file,
        ],
    );
    (dir.join(pem), dir.join(key))
}

struct Pki {
    ca: PathBuf,
    client: (PathBuf, PathBuf),
    stranger: (PathBuf, PathBuf),
    unsigned: (PathBuf, PathBuf),
}

fn pki(dir: &Path) -> (Pki, (PathBuf, PathBuf)) {
    openssl(
        dir,
        &[
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
        ],
    );
    let server = signed(dir, "server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\n");
    let client_ext = "extendedKeyUsage=clientAuth\n";
    let client = signed(dir, "client", "octoken-mtls", client_ext);
    let stranger = signed(dir, "stranger", "someone-else", client_ext);
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "unsigned.key",
            "-out",
            "unsigned.pem",
            "-days",
            "2",
            "-subj",
            "/CN=octoken-mtls",
        ],
    );
    let pki = Pki {
        ca: dir.join("ca.pem"),
        client,
        stranger,
        unsigned: (dir.join("unsigned.pem"), dir.join("unsigned.key")),
    };
    (pki, server)
}

fn text(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

fn login(
    env: &TestEnv,
    idp: &Idp,
    pki: &Pki,
    (cert, key): &(PathBuf, PathBuf),
) -> crate::support::env::Run {
    env.run(&[
        "login",
        "--grant",
        "client-credentials",
        "--issuer",
        &idp.issuer,
        "--client-id",
        "octoken-mtls",
        "--store",
        "file",
        "--ca-file",
        &text(&pki.ca),
        "--client-cert",
        &text(cert),
        "--client-key-file",
        &text(key),
    ])
}

#[test]
fn mtls_client_auth_gets_certificate_bound_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (pki, server) = pki(dir.path());
    let idp = Idp::start(IdpOptions {
        tls: Some(server),
        client_ca: Some(pki.ca.clone()),
        ..IdpOptions::default()
    });
    assert!(idp.issuer.starts_with("https://"));

    let env = TestEnv::new();
    login(&env, &idp, &pki, &pki.client).expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(
        config.contains("auth_method = \"tls-client-auth\""),
        "{config}"
    );
    // A new client-credentials grant over the same certificate; a key others can read
    // is used, with a warning.
    let mode = |m: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pki.client.1, std::fs::Permissions::from_mode(m)).unwrap();
    };
    mode(0o644);
    let run = env.run(&["token", "--min-ttl", "100000"]).expect(0);
    assert!(
        run.stderr.contains("other users can read"),
        "{}",
        run.stderr
    );
    mode(0o600);
    let run = env.run(&["token", "--min-ttl", "100000"]).expect(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let mtls = &status["mtls"];
    assert_eq!(mtls["token_bound_to_cert"], true, "{status}");
    // The thumbprint is the certificate's, as openssl computes it.
    let out = Command::new("openssl")
        .args(["x509", "-outform", "der", "-in"])
        .arg(&pki.client.0)
        .output()
        .unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, &out.stdout);
    use base64::Engine;
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    assert_eq!(mtls["x5t#S256"], expected.as_str(), "{status}");
    assert!(
        env.run(&["status"])
            .expect(0)
            .stdout
            .contains("the cached token is bound to it")
    );

    // A person's login through the browser, then a refresh, introspection and the
    // revocation at logout: each request presents the certificate.
    let env = TestEnv::new();
    let (cert, key) = (text(&pki.client.0), text(&pki.client.1));
    let driver = crate::support::driver("");
    env.run_with(
        &[
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "octoken-mtls",
            "--store",
            "file",
            "--ca-file",
            &text(&pki.ca),
            "--client-cert",
            &cert,
            "--client-key-file",
            &key,
            "--timeout",
            "30",
        ],
        None,
        &[
            ("BROWSER", driver.as_str()),
            ("NODE_EXTRA_CA_CERTS", text(&pki.ca).as_str()),
        ],
    )
    .expect(0);
    env.run(&["refresh"]).expect(0);
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["mtls"]["token_bound_to_cert"], true, "{status}");
    let answer = env.run(&["introspect", "--refresh-token"]).expect(0).stdout;
    assert!(answer.contains("\"active\": true"), "{answer}");
    let run = env.run(&["logout"]).expect(0);
    assert!(run.stderr.contains("revoked"), "{}", run.stderr);

    // Another subject, and a certificate no trusted CA signed: invalid_client.
    for who in [&pki.stranger, &pki.unsigned] {
        let env = TestEnv::new();
        let run = login(&env, &idp, &pki, who).expect(3);
        assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    }
    // A directory for a certificate: refused before any connection.
    let env = TestEnv::new();
    let not_a_file = (dir.path().to_path_buf(), pki.client.1.clone());
    let run = login(&env, &idp, &pki, &not_a_file).expect(3);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    // No certificate, or a certificate without its key.
    let env = TestEnv::new();
    let run = env
        .run(&[
            "login",
            "--grant",
            "client-credentials",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "octoken-mtls",
            "--auth-method",
            "tls-client-auth",
            "--client-key-file",
            &text(&pki.client.1),
        ])
        .expect(2);
    assert!(run.stderr.contains("--client-cert PEM"), "{}", run.stderr);
    let run = env
        .run(&[
            "login",
            "--grant",
            "client-credentials",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "octoken-mtls",
            "--client-cert",
            &text(&pki.client.0),
        ])
        .expect(2);
    assert!(
        run.stderr.contains("needs the client's private key"),
        "{}",
        run.stderr
    );
}
