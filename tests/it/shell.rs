//! Fitting the shell: generated files in sync, bash completion in a real bash, exec,
//! env and header formats, the cron keepalive, colour rules.

use crate::support::signin::{import, import_token};
use crate::support::{Client, Idp, IdpOptions, TestEnv, repo_root};

/// Generated files must match what the binary prints; UPDATE_GENERATED=1 rewrites them.
fn ensure_file_contents(path: &std::path::Path, expected: &str) {
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(path, expected).unwrap();
        return;
    }
    panic!(
        "{} is out of date with the clap definition; run `UPDATE_GENERATED=1 cargo test --test it generated` and commit",
        path.display()
    );
}

#[test]
fn generated_completions_and_man_pages_are_in_sync() {
    let env = TestEnv::new();
    let root = repo_root();
    for (shell, file) in [
        ("bash", "octoken.bash"),
        ("zsh", "_octoken"),
        ("fish", "octoken.fish"),
        ("powershell", "_octoken.ps1"),
        ("elvish", "octoken.elv"),
    ] {
        let printed = env.run(&["completions", shell]).expect(0).stdout;
        ensure_file_contents(&root.join("completions").join(file), &printed);
    }
    let mut pages = vec!["octoken.1".to_string()];
    ensure_file_contents(
        &root.join("man/octoken.1"),
        &env.run(&["man"]).expect(0).stdout,
    );
    let help = env.run(&["--help"]).expect(0).stdout;
    // The grouped command list sits between the first group heading and "Options:".
    let listing = help
        .split_once("Log in and out:")
        .and_then(|(_, rest)| rest.split_once("Options:"))
        .map(|(list, _)| list)
        .expect("grouped help");
    let commands: Vec<&str> = listing
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        commands.contains(&"login") && commands.contains(&"exec"),
        "{help}"
    );
    for command in commands {
        let page = env.run(&["man", command]).expect(0).stdout;
        let name = format!("octoken-{command}.1");
        ensure_file_contents(&root.join("man").join(&name), &page);
        pages.push(name);
    }
    let mut present: Vec<String> = std::fs::read_dir(root.join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    pages.sort();
    assert_eq!(present, pages, "man/ holds exactly the generated pages");
}

/// Runs `keys` in an interactive bash inside tmux; returns the screen once it shows `expect`.
fn bash_screen(env: &TestEnv, setup: &str, keys: &[&str], expect: &str) -> String {
    shell_screen(env, "bash --norc --noprofile", setup, keys, expect)
}

/// Runs `keys` in an interactive `shell` inside tmux and returns the screen as soon as it
/// shows `expect` (or after 15 s, so the caller's assertion reports what was there).
/// Polling rather than fixed sleeps keeps this steady on a loaded CI machine.
fn shell_screen(env: &TestEnv, shell: &str, setup: &str, keys: &[&str], expect: &str) -> String {
    use std::time::{Duration, Instant};
    static SESSIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SESSIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let session = format!("octoken-{}-{n}", std::process::id());
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_octoken"))
        .parent()
        .unwrap();
    let tmux = |args: &[&str]| {
        let out = std::process::Command::new("tmux")
            .args(["-L", &session])
            .args(args)
            .output()
            .expect("tmux (apt: tmux)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let wait_for = |wanted: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", &session]);
            if wanted(&screen) || Instant::now() > deadline {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let mut vars = String::new();
    for (k, v) in &env.vars {
        if k != "PATH" {
            vars.push_str(&format!("{k}='{v}' "));
        }
    }
    let shell = format!(
        "env -i {vars} PATH='{}:{}' TERM=xterm {shell}",
        bin_dir.display(),
        std::env::var("PATH").unwrap()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "50",
        &shell,
    ]);
    // The shell is ready once it has drawn its first prompt.
    wait_for(&|screen| !screen.trim().is_empty());
    tmux(&["send-keys", "-t", &session, setup, "Enter"]);
    // Typed keys are only read after the setup line has run, but a second Tab must not
    // arrive while the first completion is still being computed.
    for key in keys {
        tmux(&["send-keys", "-t", &session, key]);
        std::thread::sleep(Duration::from_millis(200));
    }
    let screen = wait_for(&|screen| screen.contains(expect));
    tmux(&["kill-server"]);
    screen
}

#[test]
fn bash_completes_commands_and_profile_names() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Public, "file");
    let token = idp.refresh_token(Client::Public);
    import_token(&env, &idp, Client::Public, &token, &["-p", "sensor-node-7"]).expect(0);
    let script = repo_root().join("completions/octoken.bash");
    let setup = format!("source {}; complete -p octoken", script.display());
    let screen = bash_screen(&env, &setup, &["octoken lo", "Tab", "Tab", "Tab"], "logout");
    assert!(
        screen.contains("-F _octoken_with_profiles octoken"),
        "{screen}"
    );
    // `lo` is shared by login and logout: TAB completes the common part, TAB TAB lists both.
    assert!(screen.contains("octoken log"), "{screen}");
    assert!(
        screen.contains("login") && screen.contains("logout"),
        "{screen}"
    );
    let screen = bash_screen(
        &env,
        &format!("source {}", script.display()),
        &["octoken logi", "Tab"],
        "octoken login",
    );
    assert!(
        screen.contains("octoken login"),
        "<TAB> completed to login:\n{screen}"
    );

    let screen = bash_screen(
        &env,
        &format!("source {}", script.display()),
        &["octoken token -p sens", "Tab"],
        "sensor-node-7",
    );
    assert!(
        screen.contains("octoken token -p sensor-node-7"),
        "profile completed:\n{screen}"
    );
}

#[test]
fn zsh_completes_commands_and_profile_names() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("config")).unwrap();
    std::fs::write(
        env.path("config/config.toml"),
        "[profiles.sensor-node-7]\nclient_id = \"c\"\nauth_method = \"none\"\nscope = \"openid\"\n\
         store = \"file\"\ntoken_url = \"https://id.example.com/token\"\n",
    )
    .unwrap();
    let setup = format!(
        "fpath=({} $fpath); autoload -U compinit; compinit -u",
        repo_root().join("completions").display()
    );
    let screen = shell_screen(
        &env,
        "zsh -f",
        &setup,
        &["octoken token -p sens", "Tab"],
        "sensor-node-7",
    );
    assert!(
        screen.contains("octoken token -p sensor-node-7"),
        "{screen}"
    );
    let screen = shell_screen(
        &env,
        "zsh -f",
        &setup,
        &["octoken logi", "Tab"],
        "octoken login",
    );
    assert!(screen.contains("octoken login"), "{screen}");
}

#[test]
fn exec_runs_a_command_with_the_token_in_its_environment() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let token = env.run(&["token"]).expect(0).stdout;
    let run = env
        .run(&[
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"$OCTOKEN_ACCESS_TOKEN\"",
        ])
        .expect(0);
    assert_eq!(run.stdout, token.trim_end());
    let run = env
        .run(&[
            "exec",
            "--env",
            "API_TOKEN",
            "--",
            "sh",
            "-c",
            "printf %s \"$API_TOKEN\"",
        ])
        .expect(0);
    assert_eq!(run.stdout, token.trim_end());
    // The command's exit status is octoken's.
    env.run(&["exec", "--", "sh", "-c", "exit 7"]).expect(7);
    let missing = env
        .run(&["exec", "--", "no-such-command-octoken"])
        .expect(127);
    assert!(
        missing
            .error_line()
            .contains("cannot run no-such-command-octoken")
    );
    // Not logged in: octoken's own exit code, and the command never runs.
    let other = TestEnv::new();
    other.run(&["exec", "--", "sh", "-c", "echo ran"]).expect(4);
}

#[test]
fn format_env_evals_and_format_header_feeds_curl() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let token = env.run(&["token"]).expect(0).stdout;
    let exe = env!("CARGO_BIN_EXE_octoken");
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("eval \"$({exe} token --format env)\" && printf %s \"$OCTOKEN_ACCESS_TOKEN\""),
        ])
        .env_clear()
        .envs(&env.vars)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), token.trim_end());
    // docs/scripts.md recipe: octoken token --format header | curl -H @- URL
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "{exe} token --format header | curl -fsS -H @- {}/api/whoami",
                idp.base
            ),
        ])
        .env_clear()
        .envs(&env.vars)
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(
        body.contains("\"sub\":\"alice\""),
        "{body} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn refresh_if_older_than_only_refreshes_when_due() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let before = idp.refreshes();
    let run = env.run(&["refresh", "--if-older-than", "12h"]).expect(0);
    assert!(run.stderr.contains("nothing to do"), "{}", run.stderr);
    assert_eq!(
        env.run(&["refresh", "--if-older-than", "12h", "-q"])
            .expect(0)
            .stderr,
        ""
    );
    assert_eq!(idp.refreshes(), before);
    let later = [("OCTOKEN_TEST_CLOCK_OFFSET", "46800")]; // 13 hours on
    env.run_with(&["refresh", "--if-older-than", "12h"], None, &later)
        .expect(0);
    assert_eq!(idp.refreshes(), before + 1);
    let bad = env.run(&["refresh", "--if-older-than", "soon"]).expect(2);
    assert!(bad.stderr.contains("12h"), "{}", bad.stderr);
}

#[test]
fn status_warns_as_the_idle_limit_nears() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let fresh = env.run(&["status"]).expect(0).stdout;
    assert!(!fresh.contains("warning:"), "{fresh}");
    let days = |d: u64| (d * 86_400).to_string();
    let d25 = days(25);
    let late = env
        .run_with(
            &["status"],
            None,
            &[("OCTOKEN_TEST_CLOCK_OFFSET", d25.as_str())],
        )
        .expect(0);
    assert!(
        late.stdout
            .contains("warning:         no refresh for 25days"),
        "{}",
        late.stdout
    );
    let d31 = days(31);
    let json = env
        .run_with(
            &["status", "--json"],
            None,
            &[("OCTOKEN_TEST_CLOCK_OFFSET", d31.as_str())],
        )
        .expect(0)
        .stdout;
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        value["idle_warning"]
            .as_str()
            .unwrap()
            .contains("past the 30-day idle limit")
    );
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let env = TestEnv::new();
    // Through a pipe (every other test): plain text.
    assert!(!env.run(&["token"]).stderr.contains('\x1b'));
    // On a terminal (util-linux `script` gives one): coloured, unless NO_COLOR.
    let exe = env!("CARGO_BIN_EXE_octoken");
    let on_tty_run = |command: &str, extra: &[(&str, &str)]| {
        let out = std::process::Command::new("script")
            .args(["-qec", &format!("{exe} {command}"), "/dev/null"])
            .env_clear()
            .envs(&env.vars)
            .env("TERM", "xterm")
            .envs(extra.iter().copied())
            .output()
            .expect("script (util-linux)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let on_tty = |extra: &[(&str, &str)]| on_tty_run("token", extra);
    assert!(
        on_tty(&[]).contains("\x1b[1;31merror:"),
        "{:?}",
        on_tty(&[])
    );
    assert!(!on_tty(&[("NO_COLOR", "1")]).contains('\x1b'));

    // The spinner: on a terminal only, with the elapsed time.
    let wait = "login --client-id cli --auth-method none --store file \
                --token-url http://127.0.0.1:9/t --auth-url http://127.0.0.1:9/a \
                --browser true --timeout 1";
    let screen = on_tty_run(wait, &[]);
    assert!(
        screen.contains("waiting for the sign-in at http://127.0.0.1:"),
        "{screen:?}"
    );
    assert!(screen.contains("(0s)"), "{screen:?}");
    // While the person may be pasting a redirect URL (--no-browser), no spinner redraws
    // the line they type on.
    let pasting = on_tty_run(&wait.replace("--browser true", "--no-browser"), &[]);
    assert!(pasting.contains("paste the address"), "{pasting:?}");
    assert!(
        !pasting.contains("(0s)") && !pasting.contains("waiting for"),
        "{pasting:?}"
    );
    let args: Vec<&str> = wait.split_whitespace().collect();
    let piped = env.run(&args).expect(4);
    assert!(!piped.stderr.contains("waiting for") && !piped.stderr.contains('\r'));
}

/// The recipes of docs/scripts.md, run as written (with this build's octoken first on PATH).
#[test]
fn script_recipes_run_as_written() {
    let recipes = crate::support::doc("docs/scripts.md");
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_octoken"))
        .parent()
        .unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let api = "https://api.example.com/";
    let sh = |recipe: &str| {
        assert!(
            recipes.contains(recipe),
            "docs/scripts.md no longer has: {recipe}"
        );
        // The one change: a 10-minute --jitter would be waited out for real.
        let command = recipe
            .replace(api, &format!("{}/api/whoami", idp.base))
            .replace("--jitter 10m", "--jitter 1s");
        let out = Command::new("sh")
            .args(["-c", &command])
            .env_clear()
            .envs(&env.vars)
            .env("PATH", &path)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    for recipe in [
        r#"curl -H "Authorization: Bearer $(octoken token)" https://api.example.com/"#,
        "octoken token --format header | curl -H @- https://api.example.com/",
        r#"http https://api.example.com/ "Authorization:Bearer $(octoken token)""#,
    ] {
        let (code, body) = sh(recipe);
        assert_eq!(code, Some(0), "{recipe}");
        assert!(body.contains("\"sub\":\"alice\""), "{recipe}: {body}");
    }
    let (code, out) =
        sh(r#"eval "$(octoken token --format env)"     # exports OCTOKEN_ACCESS_TOKEN"#);
    assert_eq!((code, out), (Some(0), String::new()));
    // Cron and systemd: the keepalive, silent when there is nothing to do.
    let cron = r#"octoken refresh --if-older-than 12h --jitter 10m -q || logger -t octoken "octoken refresh failed with exit $?""#;
    assert_eq!(sh(cron), (Some(0), String::new()));
    assert!(
        recipes.contains(
            "ExecStart=%h/.cargo/bin/octoken refresh --if-older-than 12h --jitter 10m -q"
        )
    );
    assert!(recipes.contains("RandomizedDelaySec=10m"));
}

use std::process::Command;
