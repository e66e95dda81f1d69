//! DPoP (RFC 9449) against the bundled provider and its DPoP-protected API
//! (tests/idp/server.mjs `/api/dpop/...`): bound tokens from every grant, proofs that
//! curl sends as they are, and the ones the API must refuse.

use crate::support::signin::{browser_login, import_token};
use crate::support::{Client, Idp, IdpOptions, TestEnv, driver};
use std::process::{Command, Stdio};

fn part(jwt: &str, index: usize) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.trim().split('.').nth(index).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// `curl` with the header lines in `headers` (as `-H @file`); (status, body, headers).
fn curl(env: &TestEnv, method: &str, url: &str, headers: &str) -> (u16, String, String) {
    let file = env.path("headers.txt");
    std::fs::write(&file, headers).unwrap();
    let dump = env.path("response-headers.txt");
    let out = Command::new("curl")
        .args(["-s", "-X", method, "-o", "-", "-w", "\n%{http_code}"])
        .arg("-D")
        .arg(&dump)
        .arg("-H")
        .arg(format!("@{}", file.display()))
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("curl");
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    let response_headers = std::fs::read_to_string(&dump).unwrap_or_default();
    (
        code.trim().parse().unwrap(),
        body.to_string(),
        response_headers,
    )
}

fn proof_headers(env: &TestEnv, method: &str, url: &str) -> String {
    env.run(&["token", "--dpop-proof", method, url, "--format", "header"])
        .expect(0)
        .stdout
}

/// A DPoP profile made by importing a refresh token (the verifying refresh is DPoP).
fn dpop_import(env: &TestEnv, idp: &Idp, client: Client, extra: &[&str]) {
    let refresh_token = idp.refresh_token(client);
    let mut args = vec!["--dpop"];
    args.extend_from_slice(extra);
    import_token(env, idp, client, &refresh_token, &args).expect(0);
}

#[test]
fn dpop_browser_login_binds_every_token_and_curl_uses_the_proofs() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let run = browser_login(&env, &idp, Client::Public, &["--dpop"], &driver("")).expect(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    // The key is in the secret store, nowhere else.
    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.secret_file()).unwrap()).unwrap();
    let key = secrets["dpop_key"].as_str().expect("a stored DPoP key");
    for (path, bytes) in env.all_files() {
        if path != env.secret_file() {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(key), "{} holds the key", path.display());
        }
    }
    let json = env.run(&["token", "--format", "json"]).expect(0).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["token_type"], "DPoP");
    let access = json["access_token"].as_str().unwrap();
    let jkt = part(access, 1)["cnf"]["jkt"].as_str().unwrap().to_string();

    let url = format!("{}/api/dpop/things?page=2", idp.base);
    let headers = proof_headers(&env, "GET", &url);
    let mut lines = headers.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("Authorization: DPoP {access}")
    );
    let proof = lines.next().unwrap().strip_prefix("DPoP: ").unwrap();
    let claims = part(proof, 1);
    assert_eq!(claims["htu"], format!("{}/api/dpop/things", idp.base));
    assert_eq!(claims["htm"], "GET");
    assert_eq!(part(proof, 0)["typ"], "dpop+jwt");
    let (status, body, _) = curl(&env, "GET", &url, &headers);
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["bound"], true);
    assert_eq!(body["jkt"], jkt.as_str());

    // The same proof again: a replay.
    let (status, body, _) = curl(&env, "GET", &url, &headers);
    assert_eq!(status, 401);
    assert!(body.contains("replayed"), "{body}");
    // A proof for another URL, and for another method.
    let other = proof_headers(&env, "GET", &format!("{}/api/dpop/other", idp.base));
    let (status, body, _) = curl(&env, "GET", &url, &other);
    assert_eq!(status, 401);
    assert!(body.contains("htu"), "{body}");
    let post = proof_headers(&env, "POST", &url);
    let (status, body, _) = curl(&env, "GET", &url, &post);
    assert_eq!(status, 401);
    assert!(body.contains("htm"), "{body}");
    // The bound token as a bearer token.
    let bearer = env.run(&["token", "--format", "header"]).expect(0).stdout;
    let (status, body, _) = curl(&env, "GET", &url, &bearer);
    assert_eq!(status, 401);
    assert!(body.contains("DPoP-bound"), "{body}");

    // A refresh (the public client's refresh token is bound to the key) stays bound.
    env.run(&["refresh"]).expect(0);
    let headers = proof_headers(&env, "DELETE", &url);
    assert!(
        !headers.contains(access),
        "a new access token after the refresh"
    );
    let (status, body, _) = curl(&env, "DELETE", &url, &headers);
    assert_eq!(status, 200, "{body}");

    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["dpop"]["alg"], "ES256", "{status}");
    assert_eq!(status["dpop"]["token_type"], "DPoP", "{status}");
}

#[test]
fn dpop_with_client_credentials_and_eddsa_keys() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::machine_login(&env, &idp, Client::Basic, &["--dpop-alg", "EdDSA"])
        .expect(0);
    let url = format!("{}/api/dpop/m2m", idp.base);
    let headers = proof_headers(&env, "GET", &url);
    let proof = headers
        .lines()
        .nth(1)
        .unwrap()
        .strip_prefix("DPoP: ")
        .unwrap();
    assert_eq!(part(proof, 0)["alg"], "EdDSA");
    let (status, body, _) = curl(&env, "GET", &url, &headers);
    assert_eq!(status, 200, "{body}");
    // A stale cache: a new client-credentials token, bound to the same key.
    let run = env.run_with(
        &["token", "--format", "json"],
        None,
        &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")],
    );
    let json: serde_json::Value = serde_json::from_str(&run.expect(0).stdout).unwrap();
    assert_eq!(json["token_type"], "DPoP");
    assert_eq!(idp.counters()["client_credentials"], 2);
}

/// `openssl genpkey ARGS -out PATH`, 0600: a key the user brings to `--dpop-key-file`.
fn openssl_key(env: &TestEnv, name: &str, args: &[&str]) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = env.path(name);
    let out = Command::new("openssl")
        .arg("genpkey")
        .args(args)
        .arg("-out")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.to_str().unwrap().to_string()
}

const RSA_2048: &[&str] = &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];

#[test]
fn rs256_keys_bind_a_browser_login_and_sign_proofs_the_api_takes() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    // The README's recipe: the user's RSA key, made by openssl.
    let key_file = openssl_key(&env, "dpop.pem", RSA_2048);
    browser_login(
        &env,
        &idp,
        Client::Public,
        &["--dpop-alg", "RS256", "--dpop-key-file", &key_file],
        &driver(""),
    )
    .expect(0);
    // Copied into the profile's store: later runs need no file.
    std::fs::remove_file(&key_file).unwrap();
    let json = env.run(&["token", "--format", "json"]).expect(0).stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["token_type"], "DPoP");
    let access = json["access_token"].as_str().unwrap();
    let jkt = part(access, 1)["cnf"]["jkt"].as_str().unwrap().to_string();
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["dpop"]["alg"], "RS256", "{status}");
    assert_eq!(
        status["dpop"]["jkt"],
        jkt.as_str(),
        "octoken's RFC 7638 thumbprint"
    );

    let url = format!("{}/api/dpop/rsa", idp.base);
    let headers = proof_headers(&env, "PUT", &url);
    let proof = headers.lines().nth(1).unwrap();
    let header = part(proof.strip_prefix("DPoP: ").unwrap(), 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["jwk"]["kty"], "RSA");
    assert!(header["jwk"].get("d").is_none(), "no private member");
    let (status, body, _) = curl(&env, "PUT", &url, &headers);
    assert_eq!(status, 200, "{body}");
    // The refresh token of a public client is bound to the key too.
    env.run(&["refresh"]).expect(0);
    let (status, body, _) = curl(&env, "PUT", &url, &proof_headers(&env, "PUT", &url));
    assert_eq!(status, 200, "{body}");

    // A new login of the profile without the file keeps the key it has.
    browser_login(&env, &idp, Client::Public, &[], &driver("")).expect(0);
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["dpop"]["alg"], "RS256", "{status}");
    assert_eq!(status["dpop"]["jkt"], jkt.as_str(), "the same key");
}

#[test]
fn dpop_key_files_octoken_cannot_use_are_refused_before_any_request() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let login = |extra: &[&str]| {
        let mut args = vec![
            "login",
            "--issuer",
            "https://id.example.invalid",
            "--client-id",
            "cli",
            "--grant",
            "client-credentials",
            "--auth-method",
            "post",
        ];
        args.extend_from_slice(extra);
        env.run_with(&args, None, &[("OCTOKEN_CLIENT_SECRET", "s")])
    };
    let refused = |extra: &[&str], why: &str, hint: &str| {
        let run = login(&[&["--store", "file"], extra].concat()).expect(2);
        let line = run.error_line();
        assert!(
            line.contains("cannot use the DPoP key file") || line.contains("RS256"),
            "{}",
            run.stderr
        );
        assert!(line.contains(why), "{why}: {}", run.stderr);
        assert!(run.stderr.contains(hint), "{hint}: {}", run.stderr);
        assert!(
            !run.stderr.contains("cannot reach"),
            "nothing sent: {}",
            run.stderr
        );
    };
    let openssl = "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out dpop.pem";

    // RS256 without a key: one line, and the way to make one.
    refused(
        &["--dpop-alg", "RS256"],
        "octoken generates no RSA keys",
        openssl,
    );
    assert!(
        login(&["--store", "file", "--dpop-alg", "RS256"])
            .stderr
            .contains("--dpop-key-file dpop.pem")
    );

    let missing = env.path("missing.pem");
    refused(
        &["--dpop-key-file", missing.to_str().unwrap()],
        "No such file",
        openssl,
    );
    let dir = env.path("a-directory");
    std::fs::create_dir(&dir).unwrap();
    refused(
        &["--dpop-key-file", dir.to_str().unwrap()],
        "not a regular file",
        openssl,
    );

    let key = openssl_key(&env, "dpop.pem", RSA_2048);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused(
        &["--dpop-key-file", &key],
        "permissions 644 let other users read the private key",
        &format!("chmod 600 {key}"),
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    refused(
        &["--dpop-key-file", &key, "--dpop-alg", "ES256"],
        "it is a key for RS256, not ES256",
        "drop --dpop-alg",
    );

    // Keys of other kinds and forms.
    let p384 = openssl_key(
        &env,
        "p384.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    refused(
        &["--dpop-key-file", &p384],
        "not an RSA (2048 to 4096 bits) or P-256 private key",
        openssl,
    );
    let small = openssl_key(
        &env,
        "rsa1024.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    refused(
        &["--dpop-key-file", &small],
        "not an RSA (2048 to 4096 bits)",
        openssl,
    );
    let pkcs1 = env.path("pkcs1.pem");
    let out = Command::new("openssl")
        .args(["pkey", "-traditional", "-in", &key, "-out"])
        .arg(&pkcs1)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::set_permissions(&pkcs1, std::fs::Permissions::from_mode(0o600)).unwrap();
    refused(
        &["--dpop-key-file", pkcs1.to_str().unwrap()],
        "PKCS#1",
        "openssl pkcs8 -topk8 -nocrypt -in",
    );
    let cert = env.path("cert.pem");
    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::set_permissions(&cert, std::fs::Permissions::from_mode(0o600)).unwrap();
    refused(
        &["--dpop-key-file", cert.to_str().unwrap()],
        "holds no PEM private key",
        openssl,
    );

    // An attaching host signs with the fleet's key.
    let run = login(&[
        "--store",
        "redis",
        "--redis-url",
        "redis://127.0.0.1:1/0",
        "--attach",
        "--dpop-key-file",
        &key,
    ])
    .expect(2);
    assert!(
        run.error_line()
            .contains("--dpop-key-file does not go with --attach"),
        "{}",
        run.stderr
    );
    assert!(!env.path("config/config.toml").exists(), "nothing saved");
}

#[test]
fn proofs_name_the_target_uri_without_userinfo() {
    // `user:pw@` is no part of the request's target URI (RFC 9110 4.2.4), and a
    // password has no place in a signed proof the API may log.
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    dpop_import(&env, &idp, Client::Basic, &[]);
    let run = env
        .run(&[
            "token",
            "--dpop-proof",
            "GET",
            "https://user:pw@api.example/x?q=1#f",
            "--format",
            "json",
        ])
        .expect(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let proof = json["dpop_proof"].as_str().unwrap();
    assert_eq!(part(proof, 1)["htu"], "https://api.example/x");
    for index in [0, 1] {
        let text = part(proof, index).to_string();
        assert!(!text.contains("pw@"), "{text}");
    }
}

#[test]
fn an_algorithm_the_provider_does_not_take_is_refused_before_the_browser_opens() {
    let idp = Idp::start(IdpOptions {
        dpop_algs: Some("ES256"),
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    let browser = env.path("browser-was-opened");
    let run = browser_login(
        &env,
        &idp,
        Client::Public,
        &["--dpop-alg", "EdDSA"],
        &format!("touch {}", browser.display()),
    )
    .expect(3);
    assert!(
        run.stderr
            .contains("does not accept EdDSA DPoP proofs (it lists ES256)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: use one it takes: --dpop-alg ES256"),
        "{}",
        run.stderr
    );
    assert!(!browser.exists(), "no browser for a login that cannot work");
}

#[test]
fn dpop_nonces_of_the_token_endpoint_and_of_the_api() {
    let idp = Idp::start(IdpOptions {
        dpop_nonce: true,
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    dpop_import(&env, &idp, Client::Basic, &["-v"]);
    // The first request learned the token endpoint's nonce; it is kept in the cache.
    let nonces = std::fs::read_to_string(env.path("cache/dpop/default.json")).unwrap();
    assert!(nonces.contains(&idp.base), "{nonces}");
    let run = env.run(&["-v", "refresh"]).expect(0);
    assert!(run.stderr.contains("refreshed"), "{}", run.stderr);

    // The API wants its own nonce: the first call says which, the next one carries it.
    let url = format!("{}/api/dpop/nonce/x", idp.base);
    let (status, _, response_headers) = curl(&env, "GET", &url, &proof_headers(&env, "GET", &url));
    assert_eq!(status, 401);
    assert!(
        response_headers.contains("use_dpop_nonce"),
        "{response_headers}"
    );
    let nonce = response_headers
        .lines()
        .find_map(|l| l.strip_prefix("dpop-nonce: "))
        .expect("a DPoP-Nonce header")
        .trim()
        .to_string();
    let headers = env
        .run(&[
            "token",
            "--dpop-proof",
            "GET",
            &url,
            "--dpop-nonce",
            &nonce,
            "--format",
            "header",
        ])
        .expect(0)
        .stdout;
    let (status, body, _) = curl(&env, "GET", &url, &headers);
    assert_eq!(status, 200, "{body}");
    // Remembered for that server.
    let (status, body, _) = curl(&env, "GET", &url, &proof_headers(&env, "GET", &url));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn dpop_proofs_need_a_dpop_profile() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let refresh_token = idp.refresh_token(Client::Basic);
    import_token(&env, &idp, Client::Basic, &refresh_token, &[]).expect(0);
    let run = env
        .run(&["token", "--dpop-proof", "GET", "https://api.example.com/x"])
        .expect(3);
    assert!(
        run.error_line().contains("does not use DPoP"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--dpop"), "{}", run.stderr);
    let run = env
        .run(&["token", "--dpop-proof", "GET", "not a url"])
        .expect(2);
    assert!(
        run.error_line().contains("not an http(s) URL"),
        "{}",
        run.stderr
    );
}

/// The stampede test of concurrency.rs for a DPoP profile: one refresh, and every
/// process prints the same token and a proof by the same key.
#[test]
fn a_hundred_concurrent_dpop_proofs_with_a_stale_cache_make_one_refresh() {
    let idp = Idp::start(IdpOptions::rotating());
    let env = TestEnv::new();
    dpop_import(&env, &idp, Client::Basic, &[]);
    let before = idp.refreshes();
    let url = format!("{}/api/dpop/stampede", idp.base);
    let children: Vec<_> = (0..100)
        .map(|_| {
            let mut cmd = env.command(&["token", "--dpop-proof", "GET", &url, "--format", "json"]);
            cmd.env("OCTOKEN_TEST_CLOCK_OFFSET", "400")
                .stdin(Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    let outputs: Vec<serde_json::Value> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        })
        .collect();
    assert_eq!(idp.refreshes() - before, 1, "exactly one refresh");
    let token = outputs[0]["access_token"].as_str().unwrap();
    let jkt = part(token, 1)["cnf"]["jkt"].clone();
    let mut jtis = std::collections::BTreeSet::new();
    for out in &outputs {
        assert_eq!(out["access_token"], token);
        let proof = out["dpop_proof"].as_str().unwrap();
        assert_eq!(
            part(proof, 0)["jwk"],
            part(outputs[0]["dpop_proof"].as_str().unwrap(), 0)["jwk"]
        );
        jtis.insert(part(proof, 1)["jti"].as_str().unwrap().to_string());
    }
    assert_eq!(jtis.len(), 100, "every proof has its own jti");
    // And the API accepts one of them: the key is the one the token is bound to.
    let headers = format!(
        "Authorization: DPoP {token}\nDPoP: {}\n",
        outputs[7]["dpop_proof"].as_str().unwrap()
    );
    let (status, body, _) = curl(&env, "GET", &url, &headers);
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["jkt"], jkt);
}
