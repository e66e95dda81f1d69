//! A new user's first ten minutes: the README's Quick start as written, a public client
//! with no extra flags, storage checked before the browser, leaving always possible,
//! the profile list.

use crate::support::signin::import;
use crate::support::{Client, Idp, IdpOptions, KeyringSession, TestEnv, doc_sh_block, driver};

/// The Quick start block, run by `sh -e` as written: only the example issuer, client
/// and API are replaced by the bundled provider's (a public client), with a real
/// Secret Service for the default keyring store and the sign-in driver as the browser.
#[test]
fn the_quick_start_works_as_written_with_a_public_client() {
    let keyring = KeyringSession::start();
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    env.set("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.clone());
    env.set("BROWSER", driver(""));
    let quick_start = doc_sh_block("README.md", "Quick start (60 seconds)");
    assert!(
        quick_start.contains("--client-id my-cli\n"),
        "{quick_start}"
    );
    let script = quick_start
        .replace("https://id.example.com/realms/main", &idp.issuer)
        .replace("my-cli", Client::Public.id())
        .replace(
            "https://api.example.com/",
            &format!("{}/api/whoami", idp.base),
        )
        .replace("curl ", "curl -fsS ");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_octoken"))
        .parent()
        .unwrap();
    let out = std::process::Command::new("sh")
        .args(["-ec", &script])
        .env_clear()
        .envs(&env.vars)
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\"sub\":\"alice\""),
        "curl reached the API: {stdout}"
    );
    assert!(stdout.contains("store:           keyring"), "{stdout}");
    assert!(
        stderr.contains("octoken: logged in: profile 'default'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("logged out of profile 'default'"),
        "{stderr}"
    );
    assert!(!stderr.contains("Client secret"), "no prompt: {stderr}");
}

#[test]
fn a_public_client_needs_no_secret_and_no_auth_method_flag() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let login = env.run_with(
        &crate::support::signin::public_login(&idp, "30"),
        None,
        &[("BROWSER", driver("").as_str())],
    );
    login.expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("auth_method = \"none\""), "{config}");
    env.run(&["token"]).expect(0);
}

/// A `$BROWSER` that records that it ran.
fn recording_browser(env: &TestEnv) -> (String, std::path::PathBuf) {
    let marker = env.path("browser-was-called");
    (format!("touch {}", marker.display()), marker)
}

#[test]
fn an_unreachable_keyring_is_found_before_the_browser_opens() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let (browser, marker) = recording_browser(&env);
    let run = env.run_with(
        &[
            "-p",
            "work",
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            Client::Public.id(),
        ],
        None,
        &[("BROWSER", browser.as_str())],
    );
    let run = run.expect(6);
    let line = run.error_line();
    assert!(line.contains("keyring"), "{line}");
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("octoken login -p work --store file"),
        "{}",
        run.stderr
    );
    assert!(!marker.exists(), "the browser was not started");
    assert_eq!(idp.counters().values().sum::<u64>(), 0, "no token request");
    // Without any session bus, the hint says so and points at the file store.
    let run = env.run_with(
        &[
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            Client::Public.id(),
        ],
        None,
        &[
            ("BROWSER", browser.as_str()),
            ("DBUS_SESSION_BUS_ADDRESS", ""),
        ],
    );
    let run = run.expect(6);
    assert!(run.stderr.contains("no session bus here"), "{}", run.stderr);
    assert!(!marker.exists());
}

#[test]
fn logout_local_removes_a_profile_whose_keyring_is_gone() {
    let keyring = KeyringSession::start();
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    env.set("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.clone());
    import(&env, &idp, Client::Basic, "keyring");
    env.run(&["token"]).expect(0);
    // The keyring goes away (the desktop session ended, an SSH login).
    drop(keyring);
    env.set(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", env.path("gone").display()),
    );
    env.set("OCTOKEN_KEYRING_TIMEOUT", "2");
    env.run(&["logout"]).expect(6);
    let run = env.run(&["logout", "--local"]).expect(0);
    assert!(
        run.stderr
            .contains("secret-tool clear service octoken username default"),
        "{}",
        run.stderr
    );
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(!config.contains("[profiles.default]"), "{config}");
    assert!(!env.path("cache/tokens/default.json").exists());
    assert!(!env.path("data/state/default.json").exists());
    env.run(&["status"]).expect(4);
}

#[test]
fn profiles_lists_each_profile_without_touching_the_store() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    assert_eq!(
        env.run(&["profiles", "--json"]).expect(0).stdout.trim(),
        "[]"
    );
    import(&env, &idp, Client::Basic, "file");
    let token = idp.refresh_token(Client::Post);
    crate::support::signin::import_token(&env, &idp, Client::Post, &token, &["-p", "lab"])
        .expect(0);
    env.run(&["-p", "lab", "logout"]).expect(0);

    let text = env.run(&["profiles"]).expect(0).stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("PROFILE"), "{text}");
    assert!(
        lines[1].starts_with("default") && lines[1].contains(" yes "),
        "{text}"
    );
    assert!(
        lines[2].starts_with("lab") && lines[2].contains(" no "),
        "{text}"
    );
    assert!(
        text.contains(&idp.issuer) && text.contains("octoken-basic"),
        "{text}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["profiles", "--json", "--check"]).expect(0).stdout)
            .unwrap();
    assert_eq!(json[0]["profile"], "default");
    assert_eq!(json[0]["logged_in"], "yes");
    assert_eq!(json[0]["store"], "file");
    assert_eq!(json[1]["profile"], "lab");
    assert_eq!(json[1]["logged_in"], "no");
    assert_eq!(
        env.run(&["profiles", "--names"]).expect(0).stdout,
        "default\nlab\n"
    );
}

#[test]
fn the_authorization_request_is_checked_before_anyone_waits_for_it() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let (browser, marker) = recording_browser(&env);
    let run = env.run_with(
        &[
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "no-such-client",
            "--auth-method",
            "none",
            "--store",
            "file",
            "--timeout",
            "30",
        ],
        None,
        &[("BROWSER", browser.as_str())],
    );
    let run = run.expect(3);
    let line = run.error_line();
    assert!(
        line.contains("refused the sign-in request (HTTP 400"),
        "{line}"
    );
    assert!(run.stderr.contains("check --client-id"), "{}", run.stderr);
    assert!(
        run.elapsed < std::time::Duration::from_secs(10),
        "{:?}",
        run.elapsed
    );
    assert!(!marker.exists());
    // Without --auth-method, the token endpoint's refusal of an unknown client comes
    // first (it cannot tell a typo from a confidential client): also before the browser.
    let run = env.run_with(
        &[
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "no-such-client",
            "--store",
            "file",
        ],
        None,
        &[("BROWSER", browser.as_str())],
    );
    let run = run.expect(2);
    assert!(
        run.error_line().contains("'no-such-client'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("or check --client-id"),
        "{}",
        run.stderr
    );
    assert!(!marker.exists());
}

/// The command between the backticks of a hint's "run `...` again".
fn command_in_hint(stderr: &str) -> String {
    let hint = stderr
        .lines()
        .find(|l| l.starts_with("hint: "))
        .unwrap_or_else(|| panic!("a hint: {stderr}"));
    let start = hint.rfind("run `").expect("a command to run") + "run `".len();
    let end = start + hint[start..].find('`').expect("a closing backtick");
    hint[start..end].to_string()
}

/// Runs a command line as pasted into a shell, with the test's environment.
fn run_pasted(env: &TestEnv, line: &str) -> std::process::Output {
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_octoken"))
        .parent()
        .unwrap();
    std::process::Command::new("sh")
        .args(["-c", line])
        .env_clear()
        .envs(&env.vars)
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Nothing is saved until a login succeeds: the hint after a timeout must repeat what a
/// new profile needs, or pasting it fails with "--client-id is required".
#[test]
fn a_new_profiles_timeout_hint_is_a_command_that_works_when_pasted() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let run = env
        .run(&[
            "-p",
            "t3",
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            Client::Public.id(),
            "--store",
            "file",
            "--scope",
            "openid offline_access read",
            "--browser",
            "true",
            "--timeout",
            "1",
        ])
        .expect(4);
    assert!(run.error_line().contains("no sign-in arrived within 1s"));
    let again = command_in_hint(&run.stderr);
    assert!(
        again.starts_with("octoken login -p t3 --issuer "),
        "{again}"
    );
    assert!(!again.contains("--timeout"), "{again}");
    assert!(!env.path("config/config.toml").exists(), "nothing saved");

    // Pasted, with the --timeout the hint offers: the same wait, not a usage error.
    let out = run_pasted(&env, &format!("{again} --timeout 1"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{again}\n{stderr}");
    assert!(stderr.contains("no sign-in arrived within 1s"), "{stderr}");
    assert!(
        stderr.contains("scope=openid+offline_access+read"),
        "{stderr}"
    );
    assert_eq!(command_in_hint(&stderr), again, "the same command again");
}

/// A public client's browser login into a new file-store profile.
fn browser_login(env: &TestEnv, idp: &Idp) {
    env.run_with(
        &crate::support::signin::public_login(idp, "30"),
        None,
        &[("BROWSER", driver("").as_str())],
    )
    .expect(0);
}

fn granted_scope_line(env: &TestEnv) -> String {
    let status = env.run(&["status"]).expect(0).stdout;
    status
        .lines()
        .find(|l| l.starts_with("granted scope:"))
        .unwrap_or_else(|| panic!("{status}"))
        .to_string()
}

/// RFC 6749 5.1: a token response without `scope` granted the requested one. `status`
/// shows it, says so, and still does after a refresh.
#[test]
fn status_shows_the_requested_scope_when_the_server_omits_it_and_says_so() {
    let idp = Idp::start(IdpOptions {
        omit_scope: true,
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    browser_login(&env, &idp);
    let want = "granted scope:   openid offline_access (as requested; the server did not list it)";
    assert_eq!(granted_scope_line(&env), want);
    env.run(&["refresh"]).expect(0);
    assert_eq!(granted_scope_line(&env), want);
    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["status", "--json"]).expect(0).stdout).unwrap();
    assert_eq!(json["access_token"]["scope"], "openid offline_access");
    assert_eq!(json["access_token"]["scope_as_requested"], true);
}

/// The bundled provider (oidc-provider) lists an empty scope for its API tokens: the
/// requested `openid offline_access` stand for the ID and refresh tokens, not the API.
#[test]
fn status_says_when_the_server_listed_no_scope_and_what_was_asked_for() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    browser_login(&env, &idp);
    assert_eq!(
        granted_scope_line(&env),
        "granted scope:   none listed by the server (asked for openid offline_access)"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["status", "--json"]).expect(0).stdout).unwrap();
    assert_eq!(json["access_token"]["scope"], "");
    assert_eq!(json["access_token"]["scope_as_requested"], false);
}

/// No Secret Service answers: one line in words and a hint; the platform's own message
/// (zbus, a socket path) only at -v.
#[test]
fn an_unreachable_keyring_is_one_plain_line_and_its_cause_shows_at_v() {
    let env = TestEnv::new();
    let args = [
        "login",
        "--issuer",
        "https://id.example.com/realms/main",
        "--client-id",
        "cli",
    ];
    let run = env.run(&args).expect(6);
    assert_eq!(
        run.error_line(),
        "octoken: error: cannot reach the keyring (checked before the sign-in)"
    );
    assert!(!run.stderr.contains("zbus"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "hint: is a Secret Service such as gnome-keyring running on the session bus unix:path="
        ),
        "{}",
        run.stderr
    );
    let verbose = env.run(&[&["-v"][..], &args].concat()).expect(6);
    verbose.error_line();
    assert!(
        verbose.stderr.lines().any(|l| l
            .starts_with("octoken: the keyring's error (checked before the sign-in): ")
            && l.contains("zbus")),
        "{}",
        verbose.stderr
    );
}

/// Runs octoken on a terminal (util-linux `script` gives it a pty), types `typed` once
/// `Client secret:` shows, and returns the exit code and everything the terminal showed.
fn on_a_terminal(env: &TestEnv, args: &[&str], typed: &str) -> (i32, String) {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let bin = env!("CARGO_BIN_EXE_octoken");
    let line = std::iter::once(bin)
        .chain(args.iter().copied())
        .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .envs(&env.vars)
        .env("SHELL", "/bin/sh")
        .env("TERM", "dumb")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    let screen = Arc::new(Mutex::new(Vec::new()));
    let mut out = child.stdout.take().unwrap();
    let reader = {
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let shown = || String::from_utf8_lossy(&screen.lock().unwrap()).into_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut stdin = child.stdin.take().unwrap();
    let mut typed_once = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if !typed_once && shown().contains("Client secret:") {
            stdin.write_all(format!("{typed}\n").as_bytes()).unwrap();
            typed_once = true;
        }
        assert!(std::time::Instant::now() < deadline, "{}", shown());
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(stdin);
    reader.join().unwrap();
    (status.code().unwrap_or(-1), shown())
}

fn new_profile_login<'a>(idp: &'a Idp, client: Client, browser: &'a str) -> Vec<&'a str> {
    vec![
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        client.id(),
        "--store",
        "file",
        "--browser",
        browser,
        "--timeout",
        "30",
    ]
}

/// A confidential client given without its secret went ahead as a public one and failed
/// only after the whole browser sign-in. The token endpoint is asked first: without a
/// terminal to ask on, the login stops before any browser opens.
#[test]
fn a_confidential_client_without_a_secret_stops_before_the_browser_without_a_terminal() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let (browser, marker) = recording_browser(&env);
    let run = env
        .run(&new_profile_login(&idp, Client::Basic, &browser))
        .expect(2);
    let line = run.error_line();
    assert!(
        line.contains("does not take client 'octoken-basic' as a public client")
            && line.contains("invalid_client")
            && line.contains("no client secret was given"),
        "{line}"
    );
    assert!(
        run.stderr.contains(
            "hint: give the client's secret: OCTOKEN_CLIENT_SECRET=... or --client-secret-file PATH"
        ),
        "{}",
        run.stderr
    );
    assert!(!marker.exists(), "the browser was not started");
    assert!(!env.path("config/config.toml").exists(), "nothing saved");
    // A public client is not asked anything.
    let (code, shown) = on_a_terminal(
        &env,
        &new_profile_login(&idp, Client::Public, &driver("")),
        "unused",
    );
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("Client secret"), "{shown}");
}

/// On a terminal, the same login asks for the secret (no echo) before the browser
/// opens, finds which secret method the client uses, and saves it.
#[test]
fn a_confidential_client_without_a_secret_is_asked_for_it_on_a_terminal() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let (code, shown) = on_a_terminal(
        &env,
        &new_profile_login(&idp, Client::Post, &driver("")),
        Client::Post.secret(),
    );
    assert_eq!(code, 0, "{shown}");
    let asked = shown.find("Client secret:").expect("the prompt");
    let browser = shown
        .find("Sign in with your browser")
        .expect("the sign-in");
    assert!(asked < browser, "asked before the browser: {shown}");
    assert!(
        shown.contains("does not take client 'octoken-post' as a public client"),
        "{shown}"
    );
    assert!(!shown.contains(Client::Post.secret()), "no echo: {shown}");
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains("auth_method = \"post\""), "{config}");
    env.run(&["refresh"]).expect(0);

    // A profile that saved the client as confidential and lost its secret (logged
    // out) asks again, instead of refusing without a prompt.
    env.run(&["logout"]).expect(0);
    let (code, shown) = on_a_terminal(
        &env,
        &["login", "--browser", &driver(""), "--timeout", "30"],
        Client::Post.secret(),
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("Client secret:"), "{shown}");
}

/// README's "Try it against the bundled provider", run by bash as written (bash, since a
/// non-interactive dash has no `%1`), in the repository: only the port is a free one,
/// the sign-in driver is the browser, the script waits for the provider to listen (as
/// a person waits for its line), and `npm ci` is left out (the harness installed the
/// packages; running it here would replace them under the other tests).
#[test]
fn the_bundled_provider_by_hand_works_as_written() {
    let mut env = TestEnv::new();
    env.set("BROWSER", driver(""));
    let block = doc_sh_block("README.md", "Try it against the bundled provider");
    assert!(block.contains("/api/whoami"), "{block}");
    let port = crate::support::free_port().to_string();
    // A failed step must not leave the provider running.
    let cleanup = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT".to_string();
    let script: String = std::iter::once(cleanup)
        .chain(block.lines().map(str::to_string))
        .filter(|l| !l.starts_with("npm ci "))
        .map(|l| {
            let line = l.replace("8080", &port) + "\n";
            // A person waits for the line the provider prints before typing on.
            if !line.contains("server.mjs") {
                return line;
            }
            format!(
                "{line}for _ in $(seq 300); do curl -s -o /dev/null http://127.0.0.1:{port}/ && break; sleep 0.1; done\n"
            )
        })
        .collect();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_octoken"))
        .parent()
        .unwrap();
    let out = std::process::Command::new("bash")
        .args(["-ec", &script])
        .current_dir(crate::support::repo_root())
        .env_clear()
        .envs(&env.vars)
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\"client_id\":\"octoken-basic\""),
        "curl reached /api/whoami: {stdout}\n{stderr}"
    );
    // `kill %1` ended the provider: the port is free again.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(std::net::TcpListener::bind(format!("127.0.0.1:{port}")).is_ok());
}
