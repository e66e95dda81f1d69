//! Mutual TLS client authentication (RFC 8705) against the bundled provider over HTTPS:
//! it asks for a client certificate, trusts those its test CA signed, authenticates
//! client `octoken-mtls` by the certificate's subject and binds its access tokens to
//! the certificate (`cnf.x5t#S256`).

use crate::support::env::Run;
use crate::support::fake::{FakeServer, Reply};
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

/// `name.pem` and `name.key`: a self-signed certificate for subject CN=`cn`.
fn self_signed(dir: &Path, name: &str, cn: &str) -> (PathBuf, PathBuf) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    let subject = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &pem,
            "-days", "2", "-subj", &subject,
        ],
    );
    (dir.join(pem), dir.join(key))
}

/// `name.pem` and `name.key` for subject CN=`cn`, signed by ca.pem (with `ext`).
fn signed(dir: &Path, name: &str, cn: &str, ext: &str) -> (PathBuf, PathBuf) {
    let (key, csr, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    let subject = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj",
            &subject,
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
    let (ca, _) = self_signed(dir, "ca", "octoken test CA");
    let server = signed(dir, "server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\n");
    let client_ext = "extendedKeyUsage=clientAuth\n";
    let pki = Pki {
        ca,
        client: signed(dir, "client", "octoken-mtls", client_ext),
        stranger: signed(dir, "stranger", "someone-else", client_ext),
        unsigned: self_signed(dir, "unsigned", "octoken-mtls"),
    };
    (pki, server)
}

fn text(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

/// The test PKI and the provider over HTTPS, trusting the test CA's client certificates.
struct Fixture {
    dir: tempfile::TempDir,
    pki: Pki,
    idp: Idp,
}

impl Fixture {
    /// `mtls_aliases`: only the provider's alias listener asks for certificates.
    fn start(mtls_aliases: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let (pki, server) = pki(dir.path());
        let idp = Idp::start(IdpOptions {
            tls: Some(server),
            client_ca: Some(pki.ca.clone()),
            mtls_aliases,
            ..IdpOptions::default()
        });
        assert!(idp.issuer.starts_with("https://"));
        Fixture { dir, pki, idp }
    }

    /// `login` of client `octoken-mtls` with certificate `who` (file store, the test CA),
    /// then `extra`.
    fn login_args(&self, (cert, key): &(PathBuf, PathBuf), extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "login",
            "--issuer",
            &self.idp.issuer,
            "--client-id",
            "octoken-mtls",
            "--store",
            "file",
            "--ca-file",
            &text(&self.pki.ca),
            "--client-cert",
            &text(cert),
            "--client-key-file",
            &text(key),
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    }

    /// A client-credentials login of client `octoken-mtls` with certificate `who`.
    fn login(&self, env: &TestEnv, who: &(PathBuf, PathBuf), extra: &[&str]) -> Run {
        let mut with_grant = vec!["--grant", "client-credentials"];
        with_grant.extend_from_slice(extra);
        let args = self.login_args(who, &with_grant);
        env.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// A person's login through the browser with the client's certificate.
    fn browser_login(&self, env: &TestEnv) -> Run {
        self.browser_login_with(env, &[])
    }

    /// The same, with `extra` flags.
    fn browser_login_with(&self, env: &TestEnv, extra: &[&str]) -> Run {
        let ca = text(&self.pki.ca);
        let driver = crate::support::driver("");
        let mut extra = extra.to_vec();
        extra.extend(["--timeout", "30"]);
        let args = self.login_args(&self.pki.client, &extra);
        env.run_with(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            None,
            &[
                ("BROWSER", driver.as_str()),
                ("NODE_EXTRA_CA_CERTS", ca.as_str()),
            ],
        )
    }

    /// The provider's log of token-endpoint requests: `(grant, listener port)`.
    fn token_requests(&self) -> Vec<(String, u64)> {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--cacert"])
            .arg(&self.pki.ca)
            .arg(format!("{}/__octoken/requests", self.idp.base))
            .output()
            .expect("curl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        log.iter()
            .map(|r| {
                (
                    r["grant"].as_str().unwrap().to_string(),
                    r["port"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

fn port_of(base: &str) -> u64 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

fn json(run: Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn mtls_client_auth_gets_certificate_bound_tokens() {
    let f = Fixture::start(false);
    let pki = &f.pki;

    let env = TestEnv::new();
    f.login(&env, &pki.client, &[]).expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(
        config.contains("auth_method = \"tls-client-auth\""),
        "{config}"
    );
    // No aliases in this provider's document: the plain endpoints.
    assert!(!config.contains("mtls_endpoint_aliases"), "{config}");
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
    let status = json(env.run(&["status", "--json"]).expect(0));
    let mtls = &status["mtls"];
    assert_eq!(mtls["token_bound_to_cert"], true, "{status}");
    assert_eq!(mtls["endpoint_aliases"], false, "{status}");
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
    let text_status = env.run(&["status"]).expect(0).stdout;
    assert!(
        text_status.contains("the cached token is bound to it"),
        "{text_status}"
    );
    assert!(
        text_status.contains(&format!("token endpoint:  {}/", f.idp.issuer)),
        "{text_status}"
    );

    // A person's login through the browser, then a refresh, introspection and the
    // revocation at logout: each request presents the certificate.
    let env = TestEnv::new();
    f.browser_login(&env).expect(0);
    env.run(&["refresh"]).expect(0);
    let status = json(env.run(&["status", "--json"]).expect(0));
    assert_eq!(status["mtls"]["token_bound_to_cert"], true, "{status}");
    let answer = env.run(&["introspect", "--refresh-token"]).expect(0).stdout;
    assert!(answer.contains("\"active\": true"), "{answer}");
    let run = env.run(&["logout"]).expect(0);
    assert!(run.stderr.contains("revoked"), "{}", run.stderr);
    // A pushed request (RFC 9126) authenticates the client with the certificate too.
    let env = TestEnv::new();
    f.browser_login_with(&env, &["--par"]).expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("par = true"), "{config}");

    // Another subject, and a certificate no trusted CA signed: invalid_client.
    for who in [&pki.stranger, &pki.unsigned] {
        let env = TestEnv::new();
        let run = f.login(&env, who, &[]).expect(3);
        assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    }
    // A directory for a certificate: refused before any connection.
    let env = TestEnv::new();
    let not_a_file = (f.dir.path().to_path_buf(), pki.client.1.clone());
    let run = f.login(&env, &not_a_file, &[]).expect(3);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    // No certificate, or a certificate without its key.
    let env = TestEnv::new();
    let without = |flags: &[&str]| {
        let mut args = vec![
            "login",
            "--grant",
            "client-credentials",
            "--issuer",
            &f.idp.issuer,
            "--client-id",
            "octoken-mtls",
        ];
        args.extend_from_slice(flags);
        env.run(&args).expect(2)
    };
    let key = text(&pki.client.1);
    let run = without(&[
        "--auth-method",
        "tls-client-auth",
        "--client-key-file",
        &key,
    ]);
    assert!(run.stderr.contains("--client-cert PEM"), "{}", run.stderr);
    let cert = text(&pki.client.0);
    let run = without(&["--client-cert", &cert]);
    assert!(
        run.stderr.contains("needs the client's private key"),
        "{}",
        run.stderr
    );
}

/// RFC 8705 5: the provider asks for certificates only on its alias listener, so every
/// request that authenticates the client must go there. Its main listener would answer
/// such a request with invalid_client (checked last), so success is the proof.
#[test]
fn a_certificate_profile_sends_its_requests_to_the_mtls_endpoint_aliases() {
    let f = Fixture::start(true);
    let alias = f.idp.mtls_base.clone().expect("the alias listener");
    let (main_port, alias_port) = (port_of(&f.idp.base), port_of(&alias));
    assert_ne!(main_port, alias_port);

    // The browser signs in at the main listener (the authorization endpoint is never
    // aliased); the code exchange, the refresh, introspection and the revocation at
    // logout authenticate the client at the aliases.
    let env = TestEnv::new();
    f.browser_login(&env).expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("mtls_endpoint_aliases = true"), "{config}");
    assert!(
        config.contains(&format!("authorization_url = \"{}/", f.idp.issuer)),
        "{config}"
    );
    for key in [
        "token_url",
        "revocation_url",
        "device_url",
        "introspection_url",
    ] {
        assert!(
            config.contains(&format!("{key} = \"{alias}/")),
            "{key}: {config}"
        );
    }
    env.run(&["refresh"]).expect(0);
    let status = json(env.run(&["status", "--json"]).expect(0));
    let token_url = status["token_url"].as_str().unwrap();
    assert!(token_url.starts_with(&format!("{alias}/")), "{status}");
    assert_eq!(status["mtls"]["endpoint_aliases"], true, "{status}");
    assert_eq!(status["mtls"]["token_bound_to_cert"], true, "{status}");
    let text_status = env.run(&["status"]).expect(0).stdout;
    assert!(
        text_status.contains(&format!(
            "token endpoint:  {token_url} (the provider's mTLS alias, RFC 8705)"
        )),
        "{text_status}"
    );
    let answer = env.run(&["introspect", "--refresh-token"]).expect(0).stdout;
    assert!(answer.contains("\"active\": true"), "{answer}");
    let run = env.run(&["logout"]).expect(0);
    assert!(run.stderr.contains("revoked"), "{}", run.stderr);

    // A machine client too; a flag still wins over the alias of its endpoint.
    let env = TestEnv::new();
    let plain_revocation = format!("{}/protocol/openid-connect/revoke", f.idp.issuer);
    f.login(
        &env,
        &f.pki.client,
        &["--revocation-url", &plain_revocation],
    )
    .expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(
        config.contains(&format!("revocation_url = \"{plain_revocation}\"")),
        "{config}"
    );
    assert!(
        config.contains(&format!("token_url = \"{alias}/")),
        "{config}"
    );

    // Every token request arrived at the alias listener.
    let grants: Vec<String> = f.token_requests().iter().map(|(g, _)| g.clone()).collect();
    assert_eq!(
        grants,
        ["authorization_code", "refresh_token", "client_credentials"],
        "{:?}",
        f.token_requests()
    );
    assert!(
        f.token_requests()
            .iter()
            .all(|(_, port)| *port == alias_port),
        "{:?}",
        f.token_requests()
    );

    // A pushed request (RFC 9126) goes to the PAR endpoint's alias: at the main listener
    // the client would not be authenticated.
    let env = TestEnv::new();
    f.browser_login_with(&env, &["--par"]).expect(0);

    // The control: the same client at the main listener's token endpoint (a flag wins
    // over discovery, aliases included) is refused, as a build that ignored the aliases
    // would be.
    let env = TestEnv::new();
    let plain_token = format!("{}/protocol/openid-connect/token", f.idp.issuer);
    let run = f
        .login(&env, &f.pki.client, &["--token-url", &plain_token])
        .expect(3);
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    assert_eq!(f.token_requests().last().unwrap().1, main_port);
}

/// An alias must pass the checks every endpoint passes, before anything is sent to it.
#[test]
fn a_plain_http_or_malformed_mtls_alias_is_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "client", "octoken-mtls");
    for (alias, code, expected) in [
        (
            "http://mtls.example.com/token",
            2,
            "the provider's mtls_endpoint_aliases.token_endpoint: refusing plain http:// for http://mtls.example.com/token",
        ),
        (
            "mtls.example.com/token",
            1,
            "its mtls_endpoint_aliases.token_endpoint is not a URL",
        ),
    ] {
        let server = FakeServer::start_with(|base| {
            let doc = serde_json::json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/auth"),
                "token_endpoint": format!("{base}/token"),
                "mtls_endpoint_aliases": {"token_endpoint": alias},
            });
            vec![Reply::json("200 OK", &doc.to_string())]
        });
        let issuer = server.url.trim_end_matches("/token");
        let env = TestEnv::new();
        let run = env
            .run(&[
                "login",
                "--grant",
                "client-credentials",
                "--issuer",
                issuer,
                "--client-id",
                "octoken-mtls",
                "--store",
                "file",
                "--client-cert",
                &text(&cert),
                "--client-key-file",
                &text(&key),
            ])
            .expect(code);
        let line = run.error_line();
        assert!(line.contains(expected), "{}", run.stderr);
        if code == 2 {
            assert!(
                run.stderr.contains("--allow-insecure-http"),
                "{}",
                run.stderr
            );
        }
        // The discovery document only; nothing saved.
        assert_eq!(server.requests(), 1, "{alias}");
        assert!(!env.path("config/config.toml").exists());
    }
}

#[test]
fn a_fleet_host_attaches_with_its_own_certificate_and_uses_the_aliases() {
    let fixture = Fixture::start(true);
    let redis = crate::support::redis::Redis::start();
    let url = redis.url();
    let seal = crate::support::redis::seal_key(fixture.dir.path());
    let (ca, cert, key) = (
        text(&fixture.pki.ca),
        text(&fixture.pki.client.0),
        text(&fixture.pki.client.1),
    );
    let shared = [
        "--issuer",
        fixture.idp.issuer.as_str(),
        "--client-id",
        "octoken-mtls",
        "--store",
        "redis",
        "--redis-url",
        url.as_str(),
        "--ca-file",
        ca.as_str(),
        "--store-key-file",
        seal.as_str(),
    ];
    let certificate = ["--client-cert", cert.as_str(), "--client-key", key.as_str()];
    let first = TestEnv::new();
    let mut args = vec!["login", "--grant", "client-credentials"];
    args.extend_from_slice(&shared);
    args.extend_from_slice(&certificate);
    first.run(&args).expect(0);

    let second = TestEnv::new();
    let mut args = vec!["login", "--attach"];
    args.extend_from_slice(&shared);
    let refused = second.run(&args).expect(2);
    assert!(
        refused
            .stderr
            .contains("needs its own copy of the client key"),
        "{}",
        refused.stderr
    );
    args.extend_from_slice(&certificate);
    second.run(&args).expect(0);
    let status = json(second.run(&["status", "--json"]));
    assert_eq!(status["mtls"]["endpoint_aliases"], true, "{status}");
    // A stale copy on the attached host: a new grant through the alias, bound to the
    // certificate the host presented.
    let token = second
        .run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")])
        .expect(0)
        .stdout;
    assert!(token.starts_with("eyJ"));
    let alias_port = port_of(fixture.idp.mtls_base.as_deref().unwrap());
    let grants: Vec<_> = fixture.token_requests();
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert!(
        grants.iter().all(|(_, port)| *port == alias_port),
        "{grants:?}"
    );
}
