//! CI and workload identity (docs/ci.md): the JWT bearer grant, token exchange and
//! federated client assertions against the bundled provider, which trusts a stand-in CI
//! issuer (tests/idp/grants.mjs: its own key, a JWKS served over HTTP, a GitHub-style
//! ID-token endpoint). The docs' recipes run as written, with a local stand-in for each
//! CI: a GitHub-like endpoint, a GitLab-like variable, a kubelet-like rotated file.

use crate::support::idp::{http_get, http_post};
use crate::support::{Idp, IdpOptions, TestEnv, doc_sh_block};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const STALE: (&str, &str) = ("OCTOKEN_TEST_CLOCK_OFFSET", "400");
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const GITHUB_REQUEST_TOKEN: &str = "gh-request-token-0123456789";

/// An ID token of the stand-in CI (`{aud, sub?, exp_in?, forged?, iss?}`).
fn mint(idp: &Idp, ask: Value) -> String {
    let answer: Value = serde_json::from_str(&http_post(
        &format!("{}/__ci/mint", idp.base),
        &ask.to_string(),
    ))
    .unwrap();
    answer["value"].as_str().unwrap().to_string()
}

fn for_provider(idp: &Idp) -> String {
    mint(idp, json!({ "aud": idp.issuer }))
}

fn grants(idp: &Idp, grant: &str) -> u64 {
    idp.counters().get(grant).copied().unwrap_or(0)
}

fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.trim().split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn login_jwt_bearer(env: &TestEnv, idp: &Idp, source: &[&str]) -> crate::support::env::Run {
    login_grant(env, idp, "jwt-bearer", source)
}

/// A token-exchange login of the public client whose subject token is the job's ID
/// token in CI_ID_TOKEN, with `extra` flags.
fn login_exchange(env: &TestEnv, idp: &Idp, extra: &[&str]) -> crate::support::env::Run {
    let mut args = vec!["--subject-token-env", "CI_ID_TOKEN"];
    args.extend_from_slice(extra);
    login_grant(env, idp, "token-exchange", &args)
}

/// `login --grant GRANT` of the public client, file store, with `extra` flags.
fn login_grant(env: &TestEnv, idp: &Idp, grant: &str, extra: &[&str]) -> crate::support::env::Run {
    let mut args = login_args(idp, grant);
    args.extend_from_slice(extra);
    env.run(&args)
}

/// `login --grant GRANT` of the public client, file store.
fn login_args<'a>(idp: &'a Idp, grant: &'a str) -> Vec<&'a str> {
    vec![
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        "octoken-public",
        "--store",
        "file",
        "--grant",
        grant,
    ]
}

/// `token --audience https://api.example` twice in `env`: a token for that audience,
/// the second from the cache, one exchange for both. The token.
#[track_caller]
fn exchanged_once(env: &TestEnv, idp: &Idp) -> String {
    let before = grants(idp, TOKEN_EXCHANGE);
    let ask = ["token", "--audience", "https://api.example"];
    let api = env.run(&ask).expect(0).stdout;
    assert_eq!(claims(&api)["aud"], "https://api.example");
    assert_eq!(env.run(&ask).expect(0).stdout, api, "from its cache");
    assert_eq!(grants(idp, TOKEN_EXCHANGE), before + 1, "one exchange");
    api
}

/// No file octoken wrote holds the value (the source is saved, never what it yields).
#[track_caller]
fn nowhere_on_disk(env: &TestEnv, secret: &str) {
    let octoken_dirs = ["config", "data", "cache"].map(|d| env.path(d));
    for (path, bytes) in env.all_files() {
        if !octoken_dirs.iter().any(|d| path.starts_with(d)) {
            continue; // the source itself
        }
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{} holds the assertion",
            path.display()
        );
    }
}

#[test]
fn each_source_logs_in_and_renewal_reads_the_source_again() {
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    // A file, re-read at each renewal: a rotated file is picked up.
    let file = env.path("assertion.jwt");
    let first = for_provider(&idp);
    write_private(&file, &first);
    let login =
        login_jwt_bearer(&env, &idp, &["--assertion-file", file.to_str().unwrap()]).expect(0);
    assert!(
        login.stderr.contains("assertion read from the file"),
        "{}",
        login.stderr
    );
    let token = env.run(&["token"]).expect(0).stdout;
    assert_eq!(claims(&token)["aud"], "urn:octoken:api");
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["grant"], "jwt_bearer");
    assert_eq!(
        status["assertion_source"],
        format!("file {}", file.display())
    );
    nowhere_on_disk(&env, &first);
    // A forged assertion in its place: the renewal read it (and says where from).
    write_private(
        &file,
        &mint(&idp, json!({ "aud": idp.issuer, "forged": true })),
    );
    let refused = env.run_with(&["token"], None, &[STALE]).expect(4);
    assert!(
        refused
            .error_line()
            .contains(&format!("from the file {}", file.display())),
        "{}",
        refused.stderr
    );
    write_private(&file, &for_provider(&idp));
    let renewed = env.run_with(&["token"], None, &[STALE]).expect(0).stdout;
    assert_ne!(renewed, token);

    // A variable (GitLab's id_tokens), read again at each renewal; -vv never shows it.
    let value = for_provider(&idp);
    env.set("CI_ID_TOKEN", value.clone());
    login_jwt_bearer(&env, &idp, &["-p", "env", "--assertion-env", "CI_ID_TOKEN"]).expect(0);
    let verbose = env
        .run_with(&["-vv", "-p", "env", "token"], None, &[STALE])
        .expect(0);
    assert!(!verbose.stderr.contains(&value), "-vv shows the assertion");
    env.set("CI_ID_TOKEN", "");
    // Later still: the renewal above cached its token on the shifted clock.
    let later = ("OCTOKEN_TEST_CLOCK_OFFSET", "800");
    let unset = env
        .run_with(&["-p", "env", "token"], None, &[later])
        .expect(3);
    assert!(unset.error_line().contains("CI_ID_TOKEN is unset or empty"));

    // A command, run again at each renewal.
    let cmd = format!("cat {}", file.display());
    login_jwt_bearer(&env, &idp, &["-p", "cmd", "--assertion-cmd", &cmd]).expect(0);
    let before = grants(&idp, JWT_BEARER);
    env.run_with(&["-p", "cmd", "token"], None, &[STALE])
        .expect(0);
    assert_eq!(grants(&idp, JWT_BEARER), before + 1);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("cmd = \"cat "), "{config}");
    // Logged out, the profile needs a login again (its source stays in config.toml).
    let out = env.run(&["-p", "cmd", "logout"]).expect(0);
    assert!(
        out.stderr.contains("logged out of profile 'cmd'"),
        "{}",
        out.stderr
    );
    env.run(&["-p", "cmd", "token"]).expect(4);
}

#[test]
fn refused_assertions_exit_4_naming_their_source_and_never_quoting_them() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let file = env.path("assertion.jwt");
    write_private(&file, &for_provider(&idp));
    login_jwt_bearer(&env, &idp, &["--assertion-file", file.to_str().unwrap()]).expect(0);
    for (why, ask) in [
        ("expired", json!({ "aud": idp.issuer, "exp_in": -120 })),
        (
            "for another audience",
            json!({ "aud": "https://other.example" }),
        ),
        ("badly signed", json!({ "aud": idp.issuer, "forged": true })),
    ] {
        let assertion = mint(&idp, ask);
        write_private(&file, &assertion);
        let run = env.run(&["refresh"]).expect(4);
        let line = run.error_line();
        assert!(
            line.contains("the provider refused the assertion from the file"),
            "{why}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("`aud`"),
            "{why}: the hint says what to check"
        );
        assert!(!run.stderr.contains(&assertion), "{why}: quoted");
    }
    // Nothing was lost: a good assertion works again at once.
    write_private(&file, &for_provider(&idp));
    env.run(&["refresh"]).expect(0);
}

#[test]
fn failing_silent_and_hanging_commands_exit_3_3_and_5() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let failing = login_jwt_bearer(
        &env,
        &idp,
        &[
            "--assertion-cmd",
            "sh -c 'printf \"no job token\\033[31m here\" >&2; exit 7'",
        ],
    )
    .expect(3);
    let line = failing.error_line();
    assert!(line.contains("failed (status 7): no job token"), "{line}");
    assert!(
        !failing.stderr.contains('\u{1b}'),
        "sanitized: {:?}",
        failing.stderr
    );
    let silent = login_jwt_bearer(&env, &idp, &["--assertion-cmd", "true"]).expect(3);
    assert!(silent.error_line().contains("yielded no assertion"));
    // The command and what it started are stopped: no pipe is left holding octoken.
    let mut args = login_args(&idp, "jwt-bearer");
    args.extend(["--assertion-cmd", "sh -c 'sleep 60 & sleep 60'"]);
    let mut cmd = env.command(&args);
    let started = std::time::Instant::now();
    let out = cmd
        .env("OCTOKEN_ASSERTION_TIMEOUT", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not finish within 1 s"));
    assert!(!env.path("config/config.toml").exists(), "nothing saved");
}

#[test]
fn a_hundred_concurrent_tokens_at_expiry_make_one_grant_and_read_the_source_once() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let file = env.path("assertion.jwt");
    write_private(&file, &for_provider(&idp));
    let reads = env.path("reads");
    let cmd = format!(
        "sh -c 'echo read >> {}; cat {}'",
        reads.display(),
        file.display()
    );
    login_jwt_bearer(&env, &idp, &["--assertion-cmd", &cmd]).expect(0);
    let before = grants(&idp, JWT_BEARER);
    crate::support::stampede::stampede(&[&env], 100, &[STALE]);
    assert_eq!(grants(&idp, JWT_BEARER) - before, 1, "one grant");
    let read = std::fs::read_to_string(&reads).unwrap();
    assert_eq!(read.lines().count(), 2, "the login's read and one more");
}

#[test]
fn token_exchange_logs_in_and_token_audience_is_cached_per_audience() {
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    env.set("CI_ID_TOKEN", for_provider(&idp));
    login_exchange(&env, &idp, &["--audience", "urn:octoken:files"]).expect(0);
    let token = env.run(&["token"]).expect(0).stdout;
    assert_eq!(claims(&token)["aud"], "urn:octoken:files");
    let status = env.run(&["status"]).expect(0).stdout;
    assert!(
        status.contains("environment variable CI_ID_TOKEN"),
        "{status}"
    );
    assert!(
        status.contains("urn:ietf:params:oauth:token-type:jwt"),
        "{status}"
    );

    // `token --audience`: the profile's own token exchanged, cached per audience.
    let before = grants(&idp, TOKEN_EXCHANGE);
    let api = exchanged_once(&env, &idp);
    let other = env
        .run(&[
            "token",
            "--audience",
            "https://other.example",
            "--format",
            "json",
        ])
        .expect(0)
        .stdout;
    let other: Value = serde_json::from_str(&other).unwrap();
    assert_eq!(
        claims(other["access_token"].as_str().unwrap())["aud"],
        "https://other.example"
    );
    assert_eq!(grants(&idp, TOKEN_EXCHANGE), before + 2);
    // exec takes it too, and a stale one is exchanged anew.
    let exec = env
        .run_with(
            &[
                "exec",
                "--audience",
                "https://api.example",
                "--",
                "sh",
                "-c",
                "printf %s \"$OCTOKEN_ACCESS_TOKEN\"",
            ],
            None,
            &[STALE],
        )
        .expect(0)
        .stdout;
    assert_eq!(claims(&exec)["aud"], "https://api.example");
    assert_ne!(exec, api);
    // The login's own token is never replaced by an audience's.
    let own = env.run_with(&["token"], None, &[STALE]).expect(0).stdout;
    assert_eq!(claims(&own)["aud"], "urn:octoken:files");
}

/// A token for an audience degrades as the login's own does: when a new exchange fails
/// for a temporary reason, the cached one is served with a warning while it has not
/// expired, unless `--strict`; an expired one never is.
#[test]
fn a_failed_exchange_serves_the_cached_audience_token_while_it_works_unless_strict() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let file = env.path("assertion.jwt");
    write_private(&file, &for_provider(&idp));
    login_jwt_bearer(&env, &idp, &["--assertion-file", file.to_str().unwrap()]).expect(0);
    let api = exchanged_once(&env, &idp);
    idp.fault_grant(TOKEN_EXCHANGE, 503, None);
    // Stale for a --min-ttl longer than the token's life, but not expired.
    let ask = [
        "token",
        "--audience",
        "https://api.example",
        "--min-ttl",
        "100000",
    ];
    let served = env.run(&ask).expect(0);
    assert_eq!(served.stdout, api);
    assert!(
        served.stderr.contains("serving the cached token"),
        "{}",
        served.stderr
    );
    let strict = [&ask[..], &["--strict"]].concat();
    let failed = env.run(&strict).expect(5);
    assert!(
        failed.error_line().contains("temporarily_unavailable"),
        "{}",
        failed.stderr
    );
    // Expired: never served.
    let expired = [("OCTOKEN_TEST_CLOCK_OFFSET", "100000")];
    let failed = env.run_with(&ask[..3], None, &expired).expect(5);
    assert!(
        failed.error_line().contains("temporarily_unavailable"),
        "{}",
        failed.stderr
    );
    idp.clear_fault();
    let renewed = env.run(&ask).expect(0);
    assert!(renewed.stderr.is_empty(), "{}", renewed.stderr);
    assert_eq!(claims(&renewed.stdout)["aud"], "https://api.example");
}

#[test]
fn token_type_id_audience_exchanges_for_an_id_token_cached_and_renewed() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let file = env.path("assertion.jwt");
    write_private(&file, &for_provider(&idp));
    login_jwt_bearer(&env, &idp, &["--assertion-file", file.to_str().unwrap()]).expect(0);
    // Discovered at login: the JWKS each exchanged ID token's signature is checked with.
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("jwks_url = "), "{config}");
    let ask = ["token", "--type", "id", "--audience", "https://api.example"];
    let before = grants(&idp, TOKEN_EXCHANGE);
    let id = env.run(&ask).expect(0).stdout;
    let got = claims(&id);
    assert_eq!(got["aud"], "https://api.example");
    assert_eq!(got["iss"], idp.issuer.as_str());
    assert_eq!(got["azp"], "octoken-public");
    assert_eq!(env.run(&ask).expect(0).stdout, id, "from its cache");
    let exec = [
        "exec",
        "--type",
        "id",
        "--audience",
        "https://api.example",
        "--env",
        "ID_TOKEN",
        "--",
        "sh",
        "-c",
        "printf '%s\n' \"$ID_TOKEN\"",
    ];
    assert_eq!(env.run(&exec).expect(0).stdout, id, "exec: from the cache");
    assert_eq!(grants(&idp, TOKEN_EXCHANGE), before + 1, "one exchange");
    // Each audience its own; the access token for the same audience is another cache.
    let json = env
        .run(&[
            "token",
            "--type",
            "id",
            "--audience",
            "https://b.example",
            "--format",
            "json",
        ])
        .expect(0)
        .stdout;
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        claims(json["id_token"].as_str().unwrap())["aud"],
        "https://b.example"
    );
    let access = env
        .run(&["token", "--audience", "https://api.example"])
        .expect(0)
        .stdout;
    assert_eq!(claims(&access)["aud"], "https://api.example");
    assert_ne!(access, id);
    assert_eq!(grants(&idp, TOKEN_EXCHANGE), before + 3);
    // Expired: a new exchange (of a renewed own token).
    let renewed = env.run_with(&ask, None, &[STALE]).expect(0).stdout;
    // (RS256 signatures are deterministic: within the same second it may be the same
    // token; the provider's count shows the exchange.)
    assert_eq!(claims(&renewed)["aud"], "https://api.example");
    assert_eq!(grants(&idp, TOKEN_EXCHANGE), before + 4);
    // -vv shows the exchange, never the ID token it brought.
    let verbose = env
        .run(&[
            "-vv",
            "token",
            "--type",
            "id",
            "--audience",
            "https://c.example",
        ])
        .expect(0);
    assert!(
        !verbose.stderr.contains(verbose.stdout.trim()),
        "-vv shows the ID token"
    );
    assert!(
        verbose.stderr.contains("requested_token_type"),
        "{}",
        verbose.stderr
    );
    // A server that answers with an access token instead: exit 3, saying so.
    let refused = env
        .run(&[
            "token",
            "--type",
            "id",
            "--audience",
            "urn:octoken:access-only",
        ])
        .expect(3);
    assert!(
        refused
            .error_line()
            .contains("issued a token of type urn:ietf:params:oauth:token-type:access_token"),
        "{}",
        refused.stderr
    );
    // logout forgets the exchanged ID tokens too.
    env.run(&["logout"]).expect(0);
    let left: Vec<_> = env
        .all_files()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().contains(".audience-"))
        .collect();
    assert!(
        left.is_empty(),
        "{:?}",
        left.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
}

#[test]
fn a_token_exchange_login_asks_for_several_audiences() {
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    env.set("CI_ID_TOKEN", for_provider(&idp));
    let login = |extra: &[&str]| {
        login_exchange(&env, &idp, extra).expect(0);
    };
    login(&[
        "--audience",
        "urn:octoken:files",
        "--audience",
        "https://api.example",
    ]);
    let both = json!(["urn:octoken:files", "https://api.example"]);
    assert_eq!(claims(&env.run(&["token"]).expect(0).stdout)["aud"], both);
    let status = env.run(&["status"]).expect(0).stdout;
    assert!(
        status.contains("audience:        urn:octoken:files https://api.example"),
        "{status}"
    );
    let status: Value =
        serde_json::from_str(&env.run(&["status", "--json"]).expect(0).stdout).unwrap();
    assert_eq!(status["audience"], both);
    // Saved: a renewal asks for both again, and so does a login that names none.
    login(&[]);
    let renewed = env.run_with(&["token"], None, &[STALE]).expect(0).stdout;
    assert_eq!(claims(&renewed)["aud"], both);
    // One audience is written as a string, as older versions wrote and read it.
    login(&["--audience", "urn:octoken:files"]);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(
        config.contains("audience = \"urn:octoken:files\""),
        "{config}"
    );
    assert_eq!(
        claims(&env.run(&["token"]).expect(0).stdout)["aud"],
        "urn:octoken:files"
    );
}

#[test]
fn a_federated_client_assertion_authenticates_client_credentials() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let token_url = format!("{}/protocol/openid-connect/token", idp.issuer);
    let client_assertion = |env: &TestEnv| {
        // As Entra ID's federated credentials: the platform signs it for the client.
        let value = mint(
            &idp,
            json!({ "aud": token_url, "iss": "octoken-federated", "sub": "octoken-federated" }),
        );
        write_private(&env.path("azure-identity-token"), &value);
        value
    };
    let first = client_assertion(&env);
    let file = env.path("azure-identity-token");
    let login = env
        .run(&[
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "octoken-federated",
            "--store",
            "file",
            "--grant",
            "client-credentials",
            "--scope",
            "read",
            "--client-assertion-file",
            file.to_str().unwrap(),
        ])
        .expect(0);
    assert!(login.stderr.contains("client assertion read from the file"));
    nowhere_on_disk(&env, &first);
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["auth_method"], "client-assertion");
    // The provider takes each assertion once (replay detection): a renewal that did
    // not read the rotated file again would be refused, naming the source.
    let refused = env.run_with(&["token"], None, &[STALE]).expect(4);
    assert!(
        refused
            .error_line()
            .contains("refused the client assertion from the file")
    );
    client_assertion(&env);
    let token = env.run_with(&["token"], None, &[STALE]).expect(0).stdout;
    assert_eq!(claims(&token)["client_id"], "octoken-federated");
}

// The recipes of docs/ci.md, as written, with the provider's issuer for the example's.

/// A kubelet-style projected token directory: `token -> ..data/token`, `..data -> ..N`.
fn project(dir: &Path, n: u32, token: &str) {
    let version = dir.join(format!("..{n}"));
    std::fs::create_dir_all(&version).unwrap();
    write_private(&version.join("token"), token);
    let next = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&next);
    std::os::unix::fs::symlink(format!("..{n}"), &next).unwrap();
    std::fs::rename(&next, dir.join("..data")).unwrap();
    if !dir.join("token").exists() {
        std::os::unix::fs::symlink("..data/token", dir.join("token")).unwrap();
    }
}

fn run_recipe(
    idp: &Idp,
    env: &TestEnv,
    heading: &str,
    replace: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> String {
    let mut recipe = doc_sh_block("docs/ci.md", heading)
        .replace("https://id.example.com/realms/main", &idp.issuer)
        .replace("ci-deploy", "octoken-public");
    for (from, to) in replace {
        recipe = recipe.replace(from, to);
    }
    // The job's own step: shows that it got a token.
    let deploy = env.path("deploy.sh");
    std::fs::write(
        &deploy,
        "#!/bin/sh\nprintf 'deployed with %.3s\\n' \"$OCTOKEN_ACCESS_TOKEN\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&deploy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_octoken")).parent().unwrap();
    let out = Command::new("sh")
        .args(["-ec", &recipe])
        .current_dir(env.dir.path())
        .env_clear()
        .envs(&env.vars)
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), env.vars["PATH"]),
        )
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{heading}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("deployed with eyJ"), "{heading}: {stdout}");
    stdout
}

fn ci_counter(idp: &Idp, name: &str) -> u64 {
    let counters: Value =
        serde_json::from_str(&http_get(&format!("{}/__ci/counters", idp.base))).unwrap();
    counters[name].as_u64().unwrap()
}

#[test]
fn the_github_actions_recipe_asks_the_runner_for_an_id_token_at_each_renewal() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let url = format!("{}/__ci/github/token?api-version=2.0", idp.base);
    let runner = [
        ("ACTIONS_ID_TOKEN_REQUEST_URL", url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", GITHUB_REQUEST_TOKEN),
    ];
    run_recipe(&idp, &env, "GitHub Actions", &[], &runner);
    assert_eq!(ci_counter(&idp, "github"), 1, "one ID token for the login");
    let mut renew = runner.to_vec();
    renew.push(STALE);
    env.run_with(&["-p", "ci", "token"], None, &renew).expect(0);
    assert_eq!(ci_counter(&idp, "github"), 2, "a new one for the renewal");
    // A runner that refuses the request token: the pipe "succeeds" with nothing on
    // stdout, and curl's complaint is shown, exit 3.
    let refused = env
        .run_with(
            &["-p", "ci", "token"],
            None,
            // Later still: the renewal above cached its token on the shifted clock.
            &[
                runner[0],
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong"),
                ("OCTOKEN_TEST_CLOCK_OFFSET", "800"),
            ],
        )
        .expect(3);
    assert!(refused.error_line().contains("401"), "{}", refused.stderr);
    assert!(!refused.stderr.contains(GITHUB_REQUEST_TOKEN));
}

#[test]
fn the_gitlab_recipe_reads_the_id_token_variable() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let token = for_provider(&idp);
    run_recipe(&idp, &env, "GitLab CI", &[], &[("CI_ID_TOKEN", &token)]);
    nowhere_on_disk(&env, &token);
}

#[test]
fn the_kubernetes_recipe_follows_the_rotated_projected_token() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let dir: PathBuf = env.path("secrets/octoken");
    project(&dir, 1, &for_provider(&idp));
    let file = dir.join("token");
    run_recipe(
        &idp,
        &env,
        "Kubernetes",
        &[("/var/run/secrets/octoken/token", file.to_str().unwrap())],
        &[],
    );
    // The kubelet swaps `..data` to a new version: the next renewal reads that one.
    project(
        &dir,
        2,
        &mint(&idp, json!({ "aud": idp.issuer, "forged": true })),
    );
    env.run_with(&["-p", "ci", "token"], None, &[STALE])
        .expect(4);
    project(&dir, 3, &for_provider(&idp));
    env.run_with(&["-p", "ci", "token"], None, &[STALE])
        .expect(0);
}

#[test]
fn misplaced_or_missing_sources_are_usage_errors_before_any_request() {
    // Nothing listens here: each refusal comes before discovery.
    let env = TestEnv::new();
    let login = |extra: &[&str]| {
        let mut args = vec![
            "login",
            "--issuer",
            "https://id.example.invalid",
            "--client-id",
            "ci",
        ];
        args.extend_from_slice(extra);
        env.run(&args).expect(2).error_line()
    };
    let cases: &[(&[&str], &str)] = &[
        (&["--grant", "jwt-bearer"], "needs --assertion-file"),
        (&["--grant", "token-exchange"], "needs --subject-token-file"),
        (
            &["--assertion-env", "CI_ID_TOKEN"],
            "--assertion-* go with --grant jwt-bearer",
        ),
        (
            &[
                "--grant",
                "jwt-bearer",
                "--assertion-cmd",
                "sh -c 'unclosed",
            ],
            "unclosed quote",
        ),
        (
            &["--grant", "jwt-bearer", "--assertion-env", "1ST"],
            "takes a variable name",
        ),
        (
            &[
                "--grant",
                "token-exchange",
                "--subject-token-env",
                "T",
                "--subject-token-type",
                "saml",
            ],
            "neither a token type name nor a URI",
        ),
        (
            &[
                "--grant",
                "jwt-bearer",
                "--assertion-env",
                "T",
                "--store",
                "redis",
            ],
            "cannot use --store redis",
        ),
        (
            &[
                "--auth-method",
                "client-assertion",
                "--grant",
                "client-credentials",
            ],
            "needs --client-assertion-file",
        ),
    ];
    for (extra, says) in cases {
        let line = login(extra);
        assert!(line.contains(says), "{extra:?}: {line}");
    }
    // A token pasted where its variable's name belongs is not echoed.
    let pasted = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl";
    let line = login(&["--grant", "jwt-bearer", "--assertion-env", pasted]);
    assert!(
        line.contains("is not one") && !line.contains("eyJ"),
        "{line}"
    );
}

#[test]
fn token_audience_goes_through_the_agent_and_is_cached_there() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let file = env.path("assertion.jwt");
    write_private(&file, &for_provider(&idp));
    login_jwt_bearer(&env, &idp, &["--assertion-file", file.to_str().unwrap()]).expect(0);
    let agent = crate::agent::Agent::start(&env, &[]);
    // A shell with no octoken config of its own, only the agent's socket.
    let remote = crate::agent::client(&agent);
    let before = grants(&idp, TOKEN_EXCHANGE);
    exchanged_once(&remote, &idp);
    assert_eq!(
        grants(&idp, TOKEN_EXCHANGE),
        before + 1,
        "cached by the agent"
    );
    let own = remote.run(&["token"]).expect(0).stdout;
    assert_eq!(claims(&own)["aud"], "urn:octoken:api");
    // An ID token for the audience, by exchange, cached by the agent too.
    let ask = ["token", "--type", "id", "--audience", "https://api.example"];
    let id = remote.run(&ask).expect(0).stdout;
    assert_eq!(claims(&id)["aud"], "https://api.example");
    assert_eq!(claims(&id)["iss"], idp.issuer.as_str());
    assert_eq!(remote.run(&ask).expect(0).stdout, id);
    let exec = [
        "exec",
        "--type",
        "id",
        "--audience",
        "https://api.example",
        "--",
        "sh",
        "-c",
        "printf '%s\n' \"$OCTOKEN_ACCESS_TOKEN\"",
    ];
    assert_eq!(
        remote.run(&exec).expect(0).stdout,
        id,
        "exec through the agent"
    );
    assert_eq!(grants(&idp, TOKEN_EXCHANGE), before + 2);
}

#[test]
fn an_exchanged_id_token_whose_signature_fails_the_jwks_is_refused() {
    // A hostile answer no real provider gives: a well-formed ID token for the audience,
    // with a signature its JWKS's key does not make.
    use crate::support::fake::{FakeServer, Reply};
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({ "sub": "x", "aud": "https://api.example", "exp": now + 300 });
    let forged = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"ES256","kid":"ci-1"}"#),
        b64(claims.to_string().as_bytes()),
        b64(&[7u8; 64])
    );
    // The stand-in CI's public key (tests/idp/grants.mjs), as the provider's JWKS.
    let jwks = json!({ "keys": [{
        "kty": "EC", "crv": "P-256", "kid": "ci-1", "alg": "ES256", "use": "sig",
        "x": "p5ALShjVAlhhrQBYonUIAAgaqhBsVdhgRsX_Hq8tLIM",
        "y": "MMtAlTJT_vxdh_gH-wd3hBpvo04XkXmJ2uxNnhI2Brk",
    }]});
    let server = FakeServer::start(vec![
        Reply::json(
            "200 OK",
            r#"{"access_token":"own-at-1","token_type":"Bearer","expires_in":3600}"#,
        ),
        Reply::json(
            "200 OK",
            &json!({
                "access_token": forged,
                "issued_token_type": "urn:ietf:params:oauth:token-type:id_token",
                "token_type": "N_A",
                "expires_in": 300,
            })
            .to_string(),
        ),
        Reply::json("200 OK", &jwks.to_string()),
    ]);
    let env = TestEnv::new();
    crate::support::profile::write_profile(
        &env,
        &server.url,
        "file",
        &format!("jwks_url = \"{}\"\n", server.url),
    );
    crate::support::profile::write_secret_file(&env, "rt-0123456789", 0o600);
    let refused = env
        .run(&["token", "--type", "id", "--audience", "https://api.example"])
        .expect(3);
    let line = refused.error_line();
    assert!(line.contains("signature does not verify"), "{line}");
    assert!(!line.contains(&forged) && refused.stdout.is_empty());
    assert_eq!(server.requests(), 3, "refresh, exchange, JWKS");
    let cached = env
        .all_files()
        .into_iter()
        .any(|(path, _)| path.to_string_lossy().contains("id/default.audience-"));
    assert!(!cached, "a refused ID token is not cached");
}
