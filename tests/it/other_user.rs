//! A login against another local user (issue 20): a browser's argv and environment are
//! public (`/proc/PID/cmdline`), and every user can connect to the loopback listener.
//! So the browser is handed only the listener's local URL, which the listener serves to
//! this user alone, and an attacker of another uid (65534, through `setpriv`, when the
//! tests run as root) can neither follow it nor deliver a callback, even knowing the
//! whole authorization URL. Where the system cannot tell users apart, no browser is
//! started: the URL is printed and the redirect can be pasted back. On WSL nothing a
//! server chose reaches `cmd.exe`. And when no browser can start at all, octoken says
//! which flags work without one (issue 21).

use crate::support::signin::public_login;
use crate::support::{Idp, IdpOptions, TestEnv, repo_root, run_driver};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A browser command that records its argv and environment, waits for `go` when given,
/// then signs in as `user` through the sign-in driver at the address it was handed:
/// what a person's browser does, with a record of what every local user could see.
struct RecordingBrowser {
    script: PathBuf,
    argv: PathBuf,
    environ: PathBuf,
    go: PathBuf,
}

impl RecordingBrowser {
    fn new(env: &TestEnv, name: &str, wait_for_go: bool) -> RecordingBrowser {
        let dir = env.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        let browser = RecordingBrowser {
            script: dir.join("browser.sh"),
            argv: dir.join("argv"),
            environ: dir.join("environ"),
            go: dir.join("go"),
        };
        let wait = if wait_for_go {
            format!(
                "while [ ! -e {} ]; do sleep 0.1; done\n",
                browser.go.display()
            )
        } else {
            String::new()
        };
        let script = format!(
            "#!/bin/sh\n\
             env > {environ}.tmp && mv {environ}.tmp {environ}\n\
             printf '%s\\n' \"$@\" > {argv}.tmp && mv {argv}.tmp {argv}\n\
             {wait}\
             exec node {driver} browse \"$1\" >/dev/null 2>&1\n",
            environ = browser.environ.display(),
            argv = browser.argv.display(),
            driver = repo_root().join("tests/idp/signin.mjs").display(),
        );
        std::fs::write(&browser.script, script).unwrap();
        std::fs::set_permissions(
            &browser.script,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        browser
    }

    fn command(&self) -> String {
        self.script.display().to_string()
    }

    fn argv(&self) -> Vec<String> {
        wait_until("the browser to start", || self.argv.exists());
        let text = std::fs::read_to_string(&self.argv).unwrap();
        text.lines().map(str::to_string).collect()
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The authorization URL and the local URL, as printed on stderr.
fn printed_urls(stderr: &str) -> (String, String) {
    let url_in = |needle: &str| {
        let line = stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{stderr}"));
        let start = line.find("http").unwrap();
        line[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches(')')
            .to_string()
    };
    (
        url_in("/protocol/openid-connect/auth?"),
        url_in("on this machine"),
    )
}

/// A query parameter's raw value.
fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .to_string()
}

/// What the browser was given and saw: no part of the authorization request.
fn assert_nothing_to_follow(browser: &RecordingBrowser, auth_url: &str, local_url: &str) {
    let argv = browser.argv();
    assert_eq!(argv, [local_url], "the browser gets the local URL only");
    let environ = std::fs::read_to_string(&browser.environ).unwrap();
    let endpoint = auth_url.split_once('?').unwrap().0;
    for (what, value) in [
        ("state", param(auth_url, "state")),
        ("code_challenge", param(auth_url, "code_challenge")),
        ("nonce", param(auth_url, "nonce")),
        ("the authorization endpoint", endpoint.to_string()),
    ] {
        for seen in argv.iter().chain([&environ]) {
            assert!(!seen.contains(&value), "{what} reached the browser: {seen}");
        }
    }
    for name in ["state=", "code_challenge", "nonce"] {
        assert!(!argv.concat().contains(name), "{argv:?}");
    }
}

/// Each way a browser is started (`--browser CMD`, `$BROWSER`, the platform opener,
/// here `xdg-open` found on PATH) hands it the same value: the local URL, which only
/// this user can follow. The sign-in completes through it.
#[test]
fn the_browser_is_handed_nothing_another_user_could_follow() {
    let idp = Idp::start(IdpOptions::default());
    for how in ["--browser", "BROWSER", "xdg-open"] {
        let mut env = TestEnv::new();
        let browser = RecordingBrowser::new(&env, "browser", false);
        let mut args = public_login(&idp, "30");
        let command = browser.command();
        match how {
            "--browser" => args.extend_from_slice(&["--browser", &command]),
            "BROWSER" => {
                env.set("BROWSER", command.clone());
            }
            _ => {
                let bin = env.path("bin");
                std::fs::create_dir_all(&bin).unwrap();
                std::os::unix::fs::symlink(&browser.script, bin.join("xdg-open")).unwrap();
                let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
                env.set("PATH", path);
                // The platform's opener is tried only where there is a display.
                env.set("DISPLAY", ":0");
            }
        }
        let run = env.run(&args).expect(0);
        let (auth_url, local_url) = printed_urls(&run.stderr);
        assert_nothing_to_follow(&browser, &auth_url, &local_url);
        assert!(
            !run.stderr.contains("could not open a browser"),
            "{how}: {}",
            run.stderr
        );
        env.run(&["token"]).expect(0);
    }
}

/// `curl -i URL` as uid 65534: what another local user gets back.
fn curl_as_nobody(url: &str) -> Output {
    Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .args(["curl", "-sS", "-i", "--max-time", "10", url])
        .output()
        .expect("setpriv and curl")
}

/// The demonstrated attack, as another uid, with more than argv would give it: follow
/// the local URL; sign in as mallory with the victim's whole authorization URL (so it
/// knows `state`) and deliver that callback first. The listener answers neither, and
/// the victim's own sign-in then completes as alice.
#[test]
fn another_user_can_neither_follow_the_local_url_nor_deliver_a_callback() {
    if !is_root() {
        eprintln!("skipped: not root, cannot act as another user");
        return;
    }
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let browser = RecordingBrowser::new(&env, "browser", true);
    let command = browser.command();
    let mut args = vec!["-v"];
    args.extend(public_login(&idp, "60"));
    args.extend(["--browser", &command]);
    let mut login = env.spawn(&args, &[]);
    let auth_url = login.wait_for_url("/protocol/openid-connect/auth?");
    let local_url = login
        .wait_for_url("on this machine")
        .trim_end_matches(')')
        .to_string();
    // The local URL (printed on the victim's terminal; the strongest attacker has it).
    let fetched = curl_as_nobody(&local_url);
    let answer = String::from_utf8_lossy(&fetched.stdout);
    assert!(
        !answer.contains("HTTP/") && !answer.contains("state="),
        "another user got an answer at the local URL: {answer}"
    );
    assert!(
        !fetched.status.success(),
        "the connection was closed unanswered"
    );

    // Mallory signs in with the victim's request and delivers her code first.
    let forged = run_driver(&["redirect-url", &auth_url, "--user", "mallory"]);
    let forged = forged.trim();
    assert!(forged.contains("code="), "{forged}");
    let delivered = curl_as_nobody(forged);
    let answer = String::from_utf8_lossy(&delivered.stdout);
    assert!(
        !answer.contains("HTTP/"),
        "another user's callback was answered: {answer}"
    );

    // The victim's browser, given only the local URL, goes on and finishes the login
    // as the victim.
    assert_eq!(browser.argv(), [local_url.as_str()]);
    std::fs::write(&browser.go, "").unwrap();
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("belongs to uid 65534"),
        "the refusals are logged with -v: {stderr}"
    );
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["access_token"]["subject"], "alice", "{status}");
}

/// Where `/proc/net` cannot be read (hidden here by a tmpfs in a private mount
/// namespace), the listener cannot tell users apart: no browser is started (its argv
/// would lead anyone to the sign-in), the warning says why and names the ways that
/// work, and the redirect pasted back completes the login.
#[test]
fn without_a_socket_table_no_browser_starts_and_the_redirect_can_be_pasted() {
    if !is_root() {
        eprintln!("skipped: not root, cannot hide /proc/net in a mount namespace");
        return;
    }
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let browser = RecordingBrowser::new(&env, "browser", false);
    let command = browser.command();
    let mut child = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs none /proc/$$/net && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_octoken"),
        ])
        .args(public_login(&idp, "60"))
        .args(["--browser", &command])
        .env_clear()
        .envs(&env.vars)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("paste the address") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "octoken ended early:\n{seen}"
        );
        seen.push_str(&line);
    }
    assert!(
        seen.contains("could not open a browser") && seen.contains("/proc/net/tcp"),
        "{seen}"
    );
    assert!(
        seen.contains("--no-browser") && seen.contains("--device"),
        "{seen}"
    );
    let (auth_url, _) = printed_urls(&seen);
    let back = run_driver(&["redirect-url", &auth_url]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(back.as_bytes()).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}{rest}");
    assert!(!browser.argv.exists(), "no browser was started");
    env.run(&["token"]).expect(0);
}

/// Issue 21: a browser that cannot start leaves the person at a terminal, maybe over
/// SSH. The warning names `--no-browser` and `--device`, and the paste prompt is
/// offered right there instead of a spinner that waits out the timeout.
#[test]
fn a_browser_that_cannot_start_names_the_ways_without_one_and_takes_a_paste() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let missing = env.path("no-such-browser");
    let missing = missing.display().to_string();
    let mut args = public_login(&idp, "60");
    args.extend(["--browser", &missing]);
    let mut login = env.spawn(&args, &[]);
    let auth_url = login.wait_for_url("/protocol/openid-connect/auth?");
    let warning = login.wait_for_line("could not open a browser");
    assert!(
        warning.contains("--no-browser") && warning.contains("--device"),
        "{warning}"
    );
    login.wait_for_line("paste the address");
    let back = run_driver(&["redirect-url", &auth_url]);
    login.write_stdin(&back);
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    env.run(&["token"]).expect(0);
}

/// WSL (issue 20): the platform opener passes its argument through `cmd.exe /c start`,
/// whose parser runs `|calc.exe|` in an address. A server-chosen authorization
/// endpoint with that in its path once went there whole. Now only the local URL does.
/// WSL is faked in a private mount namespace (`/proc/sys/kernel/osrelease` says
/// Microsoft) with a `cmd.exe` on PATH that records its argv, and no `wslview`.
#[test]
fn on_wsl_cmd_exe_gets_only_the_local_url_never_the_servers_text() {
    if !is_root() {
        eprintln!("skipped: not root, cannot fake WSL in a mount namespace");
        return;
    }
    let mut env = TestEnv::new();
    let osrelease = env.path("osrelease");
    std::fs::write(&osrelease, "5.15.167.4-microsoft-standard-WSL2\n").unwrap();
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let argv = env.path("cmd-argv");
    let cmd = bin.join("cmd.exe");
    std::fs::write(
        &cmd,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {0}.tmp && mv {0}.tmp {0}\n",
            argv.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cmd, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Only our bin and the system's (for sh and mv): no wslview, no xdg-open fallback.
    env.set("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    let hostile = "http://127.0.0.1:9/a|calc.exe|^";
    let out = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount --bind \"$1\" /proc/sys/kernel/osrelease && shift && exec \"$@\"",
            "sh",
            &osrelease.display().to_string(),
            env!("CARGO_BIN_EXE_octoken"),
            "login",
            "--client-id",
            "cli",
            "--auth-method",
            "none",
            "--store",
            "file",
            "--token-url",
            "http://127.0.0.1:9/t",
            "--auth-url",
            hostile,
            "--timeout",
            "2",
        ])
        .env_clear()
        .envs(&env.vars)
        .stdin(Stdio::null())
        .output()
        .expect("unshare");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("|calc.exe|"),
        "the URL is printed: {stderr}"
    );
    wait_until("cmd.exe to run", || argv.exists());
    let args = std::fs::read_to_string(&argv).unwrap();
    let local_url = printed_local_url(&stderr);
    assert_eq!(args, format!("/c\nstart\n\n{local_url}\n"), "{stderr}");
    assert!(!args.contains("calc.exe"), "{args}");
}

/// The printed local URL, whatever the authorization URL looks like.
fn printed_local_url(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.contains("on this machine"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http")))
        .unwrap_or_else(|| panic!("no local URL in:\n{stderr}"))
        .to_string()
}

/// Issue 21, first contact: on Linux without a display (SSH, a server) the platform's
/// opener would start and fail quietly, leaving the person to wait out the timeout.
/// With neither DISPLAY nor WAYLAND_DISPLAY, no opener is started (an `xdg-open` on
/// PATH that records being called stays unused), the warning names the two ways that
/// work, and the redirect can be pasted back at once.
#[test]
fn without_a_display_no_opener_starts_and_the_redirect_can_be_pasted() {
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let called = env.path("xdg-open-called");
    let opener = bin.join("xdg-open");
    std::fs::write(&opener, format!("#!/bin/sh\ntouch {}\n", called.display())).unwrap();
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    env.set("PATH", path);
    let args = public_login(&idp, "60");
    let mut login = env.spawn(&args, &[]);
    let auth_url = login.wait_for_url("/protocol/openid-connect/auth?");
    let warning = login.wait_for_line("could not open a browser");
    assert!(
        warning.contains("no display")
            && warning.contains("--no-browser")
            && warning.contains("--device"),
        "{warning}"
    );
    login.wait_for_line("paste the address");
    let back = run_driver(&["redirect-url", &auth_url]);
    login.write_stdin(&back);
    let (code, stderr) = login.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!called.exists(), "xdg-open was started without a display");
    env.run(&["token"]).expect(0);
}
