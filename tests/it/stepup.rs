//! The whole authorization request against the bundled provider (tests/idp/stepup.mjs):
//! step-up (`--acr-values`, `--max-age`) and its checks, `token --min-acr`, login hints
//! and other parameters, pushed requests (PAR, RFC 9126) and signed request objects
//! (JAR, RFC 9101). The sign-in driver picks the level (`--acr`) the provider signs in
//! at, and records the address the browser was given (`--record`).

use crate::support::signin::{browser_login, public_login};
use crate::support::{Client, Idp, IdpOptions, TestEnv, driver};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The driver as the browser, signing in at `acr` (if any) and recording the URLs it
/// was given in `record`.
fn browser(acr: Option<&str>, record: &Path) -> String {
    let acr = acr.map_or(String::new(), |a| format!("--acr {a} --amr pwd,otp "));
    driver(&format!("{acr}--record {}", record.display()))
}

/// The query of the last authorization URL the driver was given.
fn last_query(record: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(record).unwrap();
    let url = url::Url::parse(text.lines().last().unwrap()).unwrap();
    url.query_pairs().into_owned().collect()
}

fn login(env: &TestEnv, args: &[&str], browser: &str) -> crate::support::env::Run {
    env.run_with(args, None, &[("BROWSER", browser)])
}

fn config(env: &TestEnv) -> String {
    std::fs::read_to_string(env.path("config/config.toml")).unwrap()
}

#[test]
fn step_up_is_asked_for_checked_saved_and_guarded_by_min_acr() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let record = env.path("urls.txt");
    let mut args = public_login(&idp, "30");
    args.extend([
        "--acr-values",
        "gold",
        "--max-age",
        "600",
        "--login-hint",
        "alice@example.test",
        "--ui-locales",
        "de en",
        "--auth-param",
        "kc_idp_hint=corp",
        "--claims",
        r#"{"id_token":{"amr":null}}"#,
    ]);

    // The provider signs in at silver: below what was asked, so nothing is saved.
    let run = login(&env, &args, &browser(Some("silver"), &record)).expect(4);
    let error = run.error_line();
    assert!(error.contains("level (acr) 'silver', not gold"), "{error}");
    assert!(!env.path("config/config.toml").exists());
    let sent = last_query(&record);
    assert_eq!(sent["acr_values"], "gold");
    assert_eq!(sent["max_age"], "600");
    assert_eq!(sent["login_hint"], "alice@example.test");
    assert_eq!(sent["ui_locales"], "de en");
    assert_eq!(sent["kc_idp_hint"], "corp");
    assert_eq!(sent["claims"], r#"{"id_token":{"amr":null}}"#);
    assert_eq!(sent["prompt"], "consent", "the consent default stays");

    // At gold it passes; the options are saved, and status tells how the person signed in.
    login(&env, &args, &browser(Some("gold"), &record)).expect(0);
    let saved = config(&env);
    assert!(saved.contains("acr_values = \"gold\""), "{saved}");
    assert!(saved.contains("kc_idp_hint=corp"), "{saved}");
    let status = env.run(&["status"]).expect(0).stdout;
    assert!(status.contains("(acr gold, amr pwd otp)"), "{status}");
    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["status", "--json"]).expect(0).stdout).unwrap();
    assert_eq!(json["sign_in"]["acr"], "gold");
    assert_eq!(json["sign_in"]["amr"], serde_json::json!(["pwd", "otp"]));
    assert!(json["sign_in"]["auth_time"].is_string());
    assert_eq!(json["sign_in_request"]["max_age"], 600);

    // --min-acr guards a sensitive call: gold passes, platinum is a login away.
    let token = env.run(&["token", "--min-acr", "gold"]).expect(0).stdout;
    assert!(token.starts_with("eyJ"), "{token}");
    let run = env.run(&["token", "--min-acr", "platinum"]).expect(4);
    assert!(run.error_line().contains("weaker than --min-acr platinum"));
    assert!(
        run.stderr
            .contains("hint: sign in more strongly: `octoken login --acr-values platinum`"),
        "{}",
        run.stderr
    );
    // Through an agent the guard holds the same, checked where the session is.
    let agent = crate::agent::Agent::start(&env, &[]);
    let remote = crate::agent::client(&agent);
    let token = remote.run(&["token", "--min-acr", "gold"]).expect(0).stdout;
    assert!(token.starts_with("eyJ"), "{token}");
    let run = remote.run(&["token", "--min-acr", "platinum"]).expect(4);
    assert!(
        run.error_line().contains("weaker than --min-acr platinum"),
        "{}",
        run.stderr
    );
    drop(agent);

    // A later login repeats the saved options: silver fails again, unless accepted.
    let again = ["login", "--timeout", "30"];
    login(&env, &again, &browser(Some("silver"), &record)).expect(4);
    assert_eq!(last_query(&record)["login_hint"], "alice@example.test");
    let run = login(
        &env,
        &["login", "--timeout", "30", "--acr-optional"],
        &browser(Some("silver"), &record),
    )
    .expect(0);
    assert!(
        run.stderr.contains("accepted (--acr-optional)"),
        "{}",
        run.stderr
    );
    let run = env.run(&["token", "--min-acr", "gold"]).expect(4);
    assert!(
        run.error_line().contains("level (acr) 'silver'"),
        "{}",
        run.stderr
    );

    // max_age: a sign-in older than asked for is refused (octoken's clock runs 15
    // minutes ahead of the provider's here, so the fresh sign-in looks 900 s old).
    let run = env
        .run_with(
            &[
                "login",
                "--timeout",
                "30",
                "--max-age",
                "60",
                "--acr-values",
                "",
                "--acr-optional",
                "false",
            ],
            None,
            &[
                ("BROWSER", &browser(Some("gold"), &record)),
                ("OCTOKEN_TEST_CLOCK_OFFSET", "900"),
            ],
        )
        .expect(4);
    assert!(
        run.error_line().contains("longer than --max-age 60"),
        "{}",
        run.stderr
    );
    assert!(
        !last_query(&record).contains_key("acr_values"),
        "--acr-values '' removed it"
    );
}

#[test]
fn parameters_octoken_owns_and_malformed_options_are_refused() {
    let env = TestEnv::new();
    let base = [
        "login",
        "--issuer",
        "https://id.example.com",
        "--client-id",
        "cli",
        "--store",
        "file",
    ];
    for (extra, want) in [
        (
            &["--auth-param", "state=x"][..],
            "--auth-param 'state' is set by octoken itself",
        ),
        (
            &["--auth-param", "redirect_uri=http://evil"][..],
            "'redirect_uri' is set by octoken",
        ),
        (
            &["--auth-param", "request_uri=urn:x"][..],
            "'request_uri' is set by octoken",
        ),
        (&["--auth-param", "novalue"][..], "is not NAME=VALUE"),
        (
            &["--prompt", "sometimes"][..],
            "--prompt 'sometimes' is not a prompt value",
        ),
        (&["--claims", "[1]"][..], "--claims is not a JSON object"),
        (
            &["--max-age", "soon"][..],
            "--max-age 'soon' is not a number of seconds",
        ),
        (
            &["--request-object"][..],
            "--request-object signs the request with the client's key",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let run = env.run(&args).expect(2);
        let error = run.error_line();
        assert!(error.contains(want), "{extra:?}: {error}");
    }
    assert!(!env.path("config/config.toml").exists());
}

#[test]
fn pushed_requests_when_required_asked_for_or_demanded() {
    // The provider takes pushed requests only, and says so in its metadata.
    let idp = Idp::start(IdpOptions {
        require_par: true,
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    let record = env.path("urls.txt");
    let mut args = public_login(&idp, "30");
    args.extend(["--login-hint", "alice"]);
    login(&env, &args, &browser(None, &record)).expect(0);
    let sent = last_query(&record);
    assert_eq!(
        sent.keys().collect::<Vec<_>>(),
        ["client_id", "request_uri"],
        "the browser carries only the client and the reference"
    );
    assert!(sent["request_uri"].starts_with("urn:ietf:params:oauth:request_uri:"));
    assert!(!config(&env).contains("par = true"), "required, not chosen");
    drop(idp);

    // A provider that takes both: --par with each client authentication, and DPoP.
    let idp = Idp::start(IdpOptions::default());
    for (client, extra) in [
        (Client::Basic, &["--par"][..]),
        (Client::Post, &["--par", "--dpop"][..]),
    ] {
        let env = TestEnv::new();
        let record = env.path("urls.txt");
        let run = browser_login(&env, &idp, client, extra, &browser(None, &record)).expect(0);
        let sent = last_query(&record);
        assert_eq!(sent.len(), 2, "{client:?}: {sent:?}");
        assert!(
            config(&env).contains("par = true"),
            "{client:?}: --par is saved"
        );
        if extra.contains(&"--dpop") {
            assert!(!run.stderr.contains("not DPoP-bound"), "{}", run.stderr);
            let status = env.run(&["status", "--json"]).expect(0).stdout;
            let json: serde_json::Value = serde_json::from_str(&status).unwrap();
            assert_eq!(json["access_token"]["token_type"], "DPoP", "{status}");
        }
    }

    // A client registered to require PAR, where the metadata does not say so: the plain
    // request is refused, octoken tries once more pushed, and keeps --par.
    let env = TestEnv::new();
    let record = env.path("urls.txt");
    let args = [
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        "octoken-par",
        "--store",
        "file",
        "--timeout",
        "30",
    ];
    let run = login(&env, &args, &browser(None, &record)).expect(0);
    let retried = "only pushed (PAR); signing in again";
    assert!(run.stderr.contains(retried), "{}", run.stderr);
    assert!(last_query(&record).contains_key("request_uri"));
    assert!(config(&env).contains("par = true"));
    env.run(&["token"]).expect(0);

    // One that answers with an error page instead: octoken's pre-flight reads it, and
    // the browser is sent once, pushed.
    let env = TestEnv::new();
    let record = env.path("urls.txt");
    let mut args = args.to_vec();
    args[4] = "octoken-par-page";
    let run = login(&env, &args, &browser(None, &record)).expect(0);
    let pushed = "only pushed (PAR); pushing it";
    assert!(run.stderr.contains(pushed), "{}", run.stderr);
    let urls = std::fs::read_to_string(&record).unwrap();
    assert_eq!(urls.lines().count(), 1, "{urls}");
    assert!(last_query(&record).contains_key("request_uri"));
    assert!(config(&env).contains("par = true"));
}

/// A new RSA key (PKCS#8, 0600) for the request-object client.
fn rsa_key(dir: &Path) -> PathBuf {
    let path = dir.join("jar-key.pem");
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&path)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

#[test]
fn signed_request_objects_by_value_and_pushed() {
    let keys = tempfile::tempdir().unwrap();
    let key = rsa_key(keys.path());
    let idp = Idp::start(IdpOptions {
        client_keys: vec![key.clone()],
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    let record = env.path("urls.txt");
    let key = key.display().to_string();
    let args = [
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        "octoken-key-jar",
        "--client-key-file",
        &key,
        "--store",
        "file",
        "--timeout",
        "30",
        "--request-object",
        "--acr-values",
        "gold",
    ];
    // By value: the parameters travel inside the signed object, not beside it.
    login(&env, &args, &browser(Some("gold"), &record)).expect(0);
    let sent = last_query(&record);
    assert!(sent["request"].split('.').count() == 3, "{sent:?}");
    for own in [
        "state",
        "nonce",
        "code_challenge",
        "redirect_uri",
        "acr_values",
    ] {
        assert!(
            !sent.contains_key(own),
            "{own} outside the request object: {sent:?}"
        );
    }
    let header: serde_json::Value =
        serde_json::from_slice(&base64_url(sent["request"].split('.').next().unwrap())).unwrap();
    assert_eq!(header["typ"], "oauth-authz-req+jwt");
    assert!(config(&env).contains("request_object = true"));

    // Pushed: the signed object goes to the PAR endpoint (with a client assertion), the
    // browser gets the reference only.
    let mut pushed = args.to_vec();
    pushed.push("--par");
    login(&env, &pushed, &browser(Some("gold"), &record)).expect(0);
    let sent = last_query(&record);
    assert_eq!(
        sent.keys().collect::<Vec<_>>(),
        ["client_id", "request_uri"]
    );
    env.run(&["token", "--min-acr", "gold"]).expect(0);
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[test]
fn the_device_flow_passes_what_applies_and_names_what_it_ignores() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let mut args = vec!["-vv"];
    args.extend(public_login(&idp, "30"));
    args.extend([
        "--device",
        "--acr-values",
        "gold",
        "--ui-locales",
        "de",
        "--login-hint",
        "alice",
        "--par",
    ]);
    // The provider signs in at silver: the ID token shows it, and the login fails.
    let mut login = env.spawn(&args, &[]);
    let complete = login.wait_for_url("user_code=");
    crate::support::run_driver(&["device", &complete, "--acr", "silver"]);
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains("level (acr) 'silver', not gold"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the device flow sends no --login-hint, --par"),
        "{stderr}"
    );
    assert!(
        stderr.contains("form fields: client_id,scope,acr_values,ui_locales (values redacted)"),
        "{stderr}"
    );
    assert!(
        !env.path("config/config.toml").exists(),
        "nothing was saved"
    );
}

/// A discovery document (a hostile or broken one: no real provider sends it) that names
/// a PAR endpoint on another server than its token endpoint would collect the client's
/// secret, or an assertion to replay at the real token endpoint. octoken refuses to
/// push there, before anything is sent to it.
#[test]
fn a_pushed_request_never_goes_to_another_server_than_the_token_endpoint() {
    use crate::support::fake::{FakeServer, Reply};
    let elsewhere = FakeServer::start(vec![Reply::json(
        "201 Created",
        r#"{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":60}"#,
    )]);
    let collector = elsewhere.url.trim_end_matches("/token").to_string();
    let server = FakeServer::start_with(|base| {
        let doc = serde_json::json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/auth"),
            "token_endpoint": format!("{base}/token"),
            "pushed_authorization_request_endpoint": format!("{collector}/par"),
            "require_pushed_authorization_requests": true,
        });
        vec![Reply::json("200 OK", &doc.to_string())]
    });
    let issuer = server.url.trim_end_matches("/token");
    let env = TestEnv::new();
    let record = env.path("urls.txt");
    let run = env
        .run_with(
            &[
                "login",
                "--issuer",
                issuer,
                "--client-id",
                "cli",
                "--auth-method",
                "basic",
                "--store",
                "file",
                "--timeout",
                "10",
            ],
            None,
            &[
                ("OCTOKEN_CLIENT_SECRET", "s3cret-0123456789"),
                ("BROWSER", &browser(None, &record)),
            ],
        )
        .expect(3);
    assert!(
        run.error_line()
            .contains("is on another server than its token endpoint"),
        "{}",
        run.stderr
    );
    assert_eq!(
        elsewhere.requests(),
        0,
        "nothing was pushed to the other server"
    );
    assert!(!record.exists(), "no browser was started");
}
