//! `octoken git-credential` with the real git against a real smart-HTTP server (`git
//! http-backend` behind tests/idp/resource.mjs) that accepts the provider's access
//! tokens: Debian's git 2.39 sends them as a password (Basic), git 2.46+ announces the
//! `authtype` capability and gets a Bearer credential. The helper answers only for the
//! hosts it is bound to, over https or plain http to a loopback host (the test server).

use crate::support::resource::Resource;
use crate::support::signin::{import, import_token};
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// git 2.47 (authtype) and Debian's 2.39 (password only).
const NEW_GIT: &str = "/usr/local/bin/git";
const OLD_GIT: &str = "/usr/bin/git";

/// A smart-HTTP server with one repository, team/repo.git, holding one commit.
struct GitServer {
    server: Resource,
    _root: tempfile::TempDir,
}

impl GitServer {
    fn start(idp: &Idp) -> GitServer {
        let root = tempfile::tempdir().unwrap();
        let bare = root.path().join("team/repo.git");
        plain_git(&["init", "-q", "--bare", "-b", "main"], &bare);
        let seed = root.path().join("seed");
        plain_git(&["init", "-q", "-b", "main"], &seed);
        std::fs::write(seed.join("README"), "hello\n").unwrap();
        plain_git(&["add", "README"], &seed);
        plain_git(&["commit", "-q", "-m", "first"], &seed);
        plain_git(&["push", "-q", bare.to_str().unwrap(), "main"], &seed);
        let server = Resource::start(idp, &["--git-root", root.path().to_str().unwrap()]);
        GitServer {
            server,
            _root: root,
        }
    }

    fn url(&self) -> String {
        format!("{}/team/repo.git", self.server.base)
    }

    /// `127.0.0.1:PORT`, as git sends it in `host=`.
    fn host(&self) -> &str {
        self.server.base.strip_prefix("http://").unwrap()
    }

    /// The helper line bound to this server.
    fn helper(&self) -> String {
        format!("!octoken git-credential --host {}", self.host())
    }

    fn accepted(&self, scheme: &str) -> u64 {
        self.server.stats()[scheme].as_u64().unwrap()
    }
}

/// git on local paths only, with an identity and no user config.
fn plain_git(args: &[&str], dir: &Path) -> Output {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new(NEW_GIT)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `git` (at `program`) as a user runs it: the env's HOME (with the helper configured
/// there), octoken on PATH, no prompts.
fn git(env: &TestEnv, program: &str, args: &[&str], dir: &Path) -> Output {
    git_env(env, program, dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
        .args(args)
        .output()
        .unwrap()
}

/// `program` in `dir` with the environment `git` runs in.
fn git_env(env: &TestEnv, program: &str, dir: &Path) -> Command {
    std::fs::create_dir_all(dir).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_octoken")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), env.vars["PATH"]);
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env_clear()
        .envs(&env.vars)
        .env("PATH", path)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    cmd
}

#[track_caller]
fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "git failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The helper, configured as docs/git-and-kubectl.md says, for the server's URL.
fn configure(env: &TestEnv, server: &GitServer, helper: &str) -> PathBuf {
    std::fs::create_dir_all(env.path("home")).unwrap();
    let key = format!("credential.{}.helper", server.server.base);
    ok(git(
        env,
        NEW_GIT,
        &["config", "--global", &key, helper],
        &env.path("home"),
    ));
    env.path("work")
}

fn clone_commit_push(env: &TestEnv, program: &str, server: &GitServer, name: &str) {
    let work = env.path("work");
    ok(git(
        env,
        program,
        &["clone", "-q", &server.url(), name],
        &work,
    ));
    let repo = work.join(name);
    std::fs::write(repo.join(name), "pushed\n").unwrap();
    ok(git(env, program, &["add", name], &repo));
    ok(git(env, program, &["commit", "-q", "-m", name], &repo));
    ok(git(env, program, &["push", "-q", "origin", "main"], &repo));
}

#[test]
fn clone_and_push_with_a_password_and_with_a_bearer_credential() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let server = GitServer::start(&idp);
    configure(&env, &server, &server.helper());

    clone_commit_push(&env, OLD_GIT, &server, "old");
    assert!(server.accepted("basic") >= 2, "{}", server.server.stats());
    assert_eq!(server.accepted("bearer"), 0);

    clone_commit_push(&env, NEW_GIT, &server, "new");
    assert!(server.accepted("bearer") >= 2, "{}", server.server.stats());
    // Both pushes arrived: a fresh clone has both files.
    ok(git(
        &env,
        NEW_GIT,
        &["clone", "-q", &server.url(), "check"],
        &env.path("work"),
    ));
    assert!(env.path("work/check/old").exists() && env.path("work/check/new").exists());
}

#[test]
fn the_helper_speaks_gits_protocol() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let request = "protocol=https\nhost=git.example.com\nusername=me\npassword=received-secret\n\n";
    let basic = env
        .run_stdin(
            &[
                "git-credential",
                "--host",
                "git.example.com",
                "--username",
                "x-token-auth",
                "get",
            ],
            request,
        )
        .expect(0);
    let lines: Vec<&str> = basic.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", basic.stdout);
    assert_eq!(lines[0], "username=x-token-auth");
    assert!(lines[1].starts_with("password=eyJ"), "{}", lines[1]);
    assert!(lines[2].starts_with("password_expiry_utc="), "{}", lines[2]);
    assert!(!basic.stdout.contains("received-secret"));

    let bearer = env
        .run_stdin(
            &["git-credential", "--host", "git.example.com", "get"],
            "capability[]=authtype\nprotocol=https\nhost=git.example.com\n",
        )
        .expect(0);
    let lines: Vec<&str> = bearer.stdout.lines().collect();
    assert_eq!(lines[..2], ["capability[]=authtype", "authtype=Bearer"]);
    assert!(lines[2].starts_with("credential=eyJ"));
    assert_eq!(lines[3], "ephemeral=true");

    // store: nothing to do; a later git's operation: ignored.
    for op in ["store", "frobnicate"] {
        let run = env.run_stdin(&["git-credential", op], request).expect(0);
        assert_eq!(run.stdout, "");
    }
    // erase drops the cached access token, never the refresh token.
    let refresh_token = env.stored_refresh_token();
    env.run_stdin(
        &["git-credential", "--host", "git.example.com", "erase"],
        request,
    )
    .expect(0);
    assert!(!env.path("cache/tokens/default.json").exists());
    assert_eq!(env.stored_refresh_token(), refresh_token);

    // An unknown profile: exit 3, one stderr line, nothing for git.
    let unknown = env
        .run_stdin(
            &[
                "-p",
                "nope",
                "git-credential",
                "--host",
                "git.example.com",
                "get",
            ],
            request,
        )
        .expect(3);
    assert_eq!(unknown.stdout, "");
    assert_eq!(unknown.stderr.lines().count(), 1, "{}", unknown.stderr);
}

#[test]
fn a_refused_token_is_erased_and_the_next_clone_refreshes() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let server = GitServer::start(&idp);
    let work = configure(&env, &server, &server.helper());
    // A cached token the server no longer accepts (revoked, or signed by a rotated key).
    let cache = env.path("cache/tokens/default.json");
    let mut cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    cached["token"]["access_token"] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.revoked".into();
    std::fs::write(&cache, serde_json::to_vec(&cached).unwrap()).unwrap();

    let refused = git(&env, NEW_GIT, &["clone", "-q", &server.url(), "a"], &work);
    assert!(!refused.status.success());
    assert!(server.server.stats()["refused"].as_u64().unwrap() >= 1);
    // git called `erase`: the refused token is gone, the refresh token is not.
    assert!(!cache.exists(), "the refused token was erased");
    let before = idp.refreshes();
    ok(git(
        &env,
        NEW_GIT,
        &["clone", "-q", &server.url(), "b"],
        &work,
    ));
    assert_eq!(idp.refreshes() - before, 1);
}

#[test]
fn a_profile_needing_a_login_fails_git_with_one_line_and_no_prompt() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let server = GitServer::start(&idp);
    let work = configure(&env, &server, &server.helper());
    env.run(&["logout", "--local"]).expect(0);
    // logout removed the secrets; the profile stays configured.
    for program in [NEW_GIT, OLD_GIT] {
        let out = git(&env, program, &["clone", "-q", &server.url(), "a"], &work);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("octoken")).collect();
        assert_eq!(ours.len(), 1, "{stderr}");
        assert!(ours[0].contains("run `octoken login`"), "{stderr}");
        // With GIT_TERMINAL_PROMPT=0 git falls back to no prompt and fails at once.
        assert!(stderr.contains("terminal prompts disabled"), "{stderr}");
    }
    // A fresh login, and git works again.
    let token = idp.refresh_token(Client::Basic);
    import_token(&env, &idp, Client::Basic, &token, &[]).expect(0);
    ok(git(
        &env,
        NEW_GIT,
        &["clone", "-q", &server.url(), "b"],
        &work,
    ));
}

#[test]
fn the_documented_recipe_runs_as_written() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import_work(&env, &idp);
    let server = GitServer::start(&idp);
    let recipe = crate::support::doc_sh_block("docs/git-and-kubectl.md", "Use with git")
        .replace("https://git.example.com", &server.server.base);
    std::fs::create_dir_all(env.path("home")).unwrap();
    let mut sh = git_env(&env, "sh", &env.path("work"));
    ok(sh.args(["-ec", &recipe]).output().unwrap());
    assert!(env.path("work/repo/README").exists());
}

#[test]
fn with_login_the_helper_signs_in_through_the_profiles_own_login() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Public, "file");
    // Revoked and forgotten locally, but the profile's settings stay (logout, not --local).
    env.run(&["logout"]).expect(0);
    let request = "protocol=https\nhost=git.example.com\n\n";
    // Without --login: octoken's one line and exit code, no sign-in.
    let without = env
        .run_stdin(
            &["git-credential", "--host", "git.example.com", "get"],
            request,
        )
        .expect(4);
    assert_eq!(without.stdout, "");
    assert_eq!(without.stderr.lines().count(), 1, "{}", without.stderr);
    assert!(
        without.stderr.contains("octoken login"),
        "{}",
        without.stderr
    );
    let browser = crate::support::driver("");
    let run = env
        .run_with(
            &[
                "git-credential",
                "--host",
                "git.example.com",
                "--login",
                "get",
            ],
            Some(request),
            &[("BROWSER", browser.as_str())],
        )
        .expect(0);
    assert!(
        run.stdout.starts_with("username=oauth2\npassword=eyJ"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("signing in"), "{}", run.stderr);
}

/// `git credential fill` for `url` with `helper` as the only helper: real git's view of
/// what the helper answers, with no server. git 2.46+ announces authtype.
fn fill(env: &TestEnv, program: &str, helper: &str, url: &str) -> Output {
    use std::io::Write;
    let mut input = format!("url={url}\n\n");
    if program == NEW_GIT {
        input.insert_str(0, "capability[]=authtype\n");
    }
    let mut child = git_env(env, program, &env.path("work"))
        .args(["-c", &format!("credential.helper={helper}")])
        .args(["credential", "fill"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// octoken's lines in what git printed on stderr.
fn ours(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("octoken"))
        .map(String::from)
        .collect()
}

/// A helper after octoken's that records each time git asks it, and answers nothing.
fn recorder(env: &TestEnv) -> (String, PathBuf) {
    let asked = env.path("asked");
    let helper = format!("!f() {{ cat >> '{}'; }}; f", asked.display());
    (helper, asked)
}

#[test]
fn a_helper_bound_to_no_host_answers_nothing_and_says_how_to_bind() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let server = GitServer::start(&idp);
    // The helper for every host, as the README once said it, then another helper.
    std::fs::create_dir_all(env.path("home")).unwrap();
    let (next, asked) = recorder(&env);
    for helper in ["!octoken git-credential", next.as_str()] {
        ok(git(
            &env,
            NEW_GIT,
            &["config", "--global", "--add", "credential.helper", helper],
            &env.path("home"),
        ));
    }
    let mut bind = String::new();
    for program in [NEW_GIT, OLD_GIT] {
        let _ = std::fs::remove_file(&asked);
        let out = git(
            &env,
            program,
            &["clone", "-q", &server.url(), "a"],
            &env.path("work"),
        );
        assert!(!out.status.success(), "git got a token");
        assert_eq!(server.accepted("basic") + server.accepted("bearer"), 0);
        // git went on to the next helper with the same request.
        let request = std::fs::read_to_string(&asked).expect("the next helper was asked");
        assert!(
            request.contains(&format!("host={}", server.host())),
            "{request}"
        );
        let ours = ours(&out);
        assert_eq!(ours.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
        let (_, command) = ours[0]
            .split_once("bind it to the remote: ")
            .unwrap_or_else(|| panic!("{}", ours[0]));
        bind = command.to_string();
    }
    assert_eq!(
        bind,
        format!(
            "octoken git-credential setup --global {}",
            server.server.base
        )
    );
    // The command works as printed, ahead of the helpers set for every host.
    ok(git_env(&env, "sh", &env.path("home"))
        .args(["-ec", &bind])
        .output()
        .unwrap());
    for (program, name) in [(NEW_GIT, "new"), (OLD_GIT, "old")] {
        ok(git(
            &env,
            program,
            &["clone", "-q", &server.url(), name],
            &env.path("work"),
        ));
    }
    assert!(server.accepted("basic") >= 1 && server.accepted("bearer") >= 1);

    // The request of the issue: plain http to another host, no binding.
    let run = env
        .run_stdin(
            &["git-credential", "get"],
            "protocol=http\nhost=evil.example\n\n",
        )
        .expect(0);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "bind it to the remote: octoken git-credential setup --global https://git.example.com"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn only_a_bound_host_over_https_or_loopback_http_gets_the_token() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let helper = "!octoken git-credential --host Git.Example.com --host localhost:8080";
    for program in [NEW_GIT, OLD_GIT] {
        // Real git: the names compare case-insensitively, the port exactly.
        for url in [
            "https://git.example.com/team/r.git",
            "http://LOCALHOST:8080/r",
        ] {
            let out = fill(&env, program, helper, url);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{program} {url}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("eyJ"), "{program} {url}: {stdout}");
            assert!(ours(&out).is_empty(), "{out:?}");
        }
        // Other hosts, ports and plain http to a bound host that is not this machine:
        // nothing, and git fails without a prompt.
        for (url, note) in [
            ("https://evil.example/x", None),
            ("https://git.example.com:443/x", None),
            ("https://git.example.com.evil.example/x", None),
            ("http://localhost/x", None),
            ("http://git.example.com/x", Some("over https only")),
        ] {
            let out = fill(&env, program, helper, url);
            assert!(!out.status.success(), "{program} {url}");
            assert!(!String::from_utf8_lossy(&out.stdout).contains("eyJ"));
            let ours = ours(&out);
            match note {
                None => assert!(ours.is_empty(), "{program} {url}: {ours:?}"),
                Some(note) => {
                    assert_eq!(ours.len(), 1, "{program} {url}: {ours:?}");
                    assert!(ours[0].contains(note), "{}", ours[0]);
                }
            }
        }
    }
    // What git never sends but a crafted request might: a host with control
    // characters, no host, no protocol. Nothing, and -v's note is inert.
    for request in [
        "protocol=https\nhost=git.example.com\x1b]8;;x\x07\n\n",
        "protocol=https\n\n",
        "host=git.example.com\n\n",
        "protocol=ftp\nhost=git.example.com\n\n",
    ] {
        let run = env
            .run_stdin(
                &["-v", "git-credential", "--host", "git.example.com", "get"],
                request,
            )
            .expect(0);
        assert_eq!(run.stdout, "", "{request:?}");
        assert!(!run.stderr.contains('\x1b'), "{}", run.stderr);
    }
    // erase for another host leaves the cached token alone.
    let cache = env.path("cache/tokens/default.json");
    assert!(cache.exists());
    env.run_stdin(
        &["git-credential", "--host", "git.example.com", "erase"],
        "protocol=https\nhost=evil.example\n\n",
    )
    .expect(0);
    assert!(cache.exists(), "another host's refusal erased our token");
    // A --host that is no host: a usage error on one line.
    for bad in [
        "git.example.com\n",
        "https://git.example.com",
        "a b",
        "",
        "h:x",
    ] {
        let run = env.run_stdin(&["git-credential", "--host", bad, "get"], "");
        let run = run.expect(2);
        assert_eq!(run.stderr.lines().count(), 1, "{bad:?}: {}", run.stderr);
    }
}

/// `octoken ARGS` in `dir` with `path_first` (a directory) ahead on PATH.
fn octoken_in(env: &TestEnv, dir: &Path, args: &[&str], path_first: Option<&Path>) -> Output {
    let mut cmd = env.command(args);
    if let Some(first) = path_first {
        cmd.env("PATH", format!("{}:{}", first.display(), env.vars["PATH"]));
    }
    std::fs::create_dir_all(dir).unwrap();
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

#[test]
fn setup_writes_the_config_that_git_then_uses() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import_work(&env, &idp);
    let server = GitServer::start(&idp);
    let home = env.path("home");
    // A helper for every host that keeps what it is given, as many users have.
    std::fs::create_dir_all(&home).unwrap();
    ok(git(
        &env,
        NEW_GIT,
        &["config", "--global", "credential.helper", "store"],
        &home,
    ));
    // Written by Debian's git 2.39 here, by git 2.47 below.
    let old_git = env.path("old-git");
    std::fs::create_dir_all(&old_git).unwrap();
    std::os::unix::fs::symlink(OLD_GIT, old_git.join("git")).unwrap();
    let setup = [
        "-p",
        "work",
        "git-credential",
        "setup",
        "--global",
        &server.url(),
    ];
    let out = octoken_in(&env, &home, &setup, Some(&old_git));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = format!("credential.{}.helper", server.server.base);
    let line = format!("!octoken -p work git-credential --host {}", server.host());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "octoken: ran git config --global --replace-all {key} ''\n\
             octoken: ran git config --global --add {key} '{line}'\n"
        )
    );
    assert_eq!(out.stdout, b"");
    let helpers = || {
        let out = ok(git(
            &env,
            NEW_GIT,
            &["config", "--global", "--get-all", &key],
            &home,
        ));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(helpers(), format!("\n{line}\n"));
    // Again: the same two lines, not four.
    let out = octoken_in(&env, &home, &setup, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(helpers(), format!("\n{line}\n"));

    clone_commit_push(&env, OLD_GIT, &server, "old");
    clone_commit_push(&env, NEW_GIT, &server, "new");
    assert!(server.accepted("basic") >= 2 && server.accepted("bearer") >= 2);
    // The empty helper kept `store` out: it was never handed the token.
    assert!(!home.join(".git-credentials").exists());

    // Without --global: the repository's own config, as `git config` does.
    let repo = env.path("work/new");
    let local = [
        "-p",
        "work",
        "git-credential",
        "setup",
        "--username",
        "x-token-auth",
        &server.url(),
    ];
    let out = octoken_in(&env, &repo, &local, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ok(git(
        &env,
        NEW_GIT,
        &["config", "--local", "--get-all", &key],
        &repo,
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("\n{line} --username x-token-auth\n")
    );
    ok(git(&env, OLD_GIT, &["fetch", "-q"], &repo));
    // Outside a repository git refuses, and octoken says so on one line and a hint.
    let out = octoken_in(&env, &env.path("elsewhere"), &local, None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("git config failed") && stderr.contains("--global"),
        "{stderr}"
    );

    // What setup refuses: a remote octoken would not answer for, an unknown profile.
    for (args, code) in [
        (
            &[
                "-p",
                "work",
                "git-credential",
                "setup",
                "--global",
                "http://git.example.com",
            ][..],
            2,
        ),
        (
            &["-p", "work", "git-credential", "setup", "--global"][..],
            2,
        ),
        (
            &[
                "-p",
                "work",
                "git-credential",
                "setup",
                "--global",
                "--host",
                "h",
                "https://h",
            ][..],
            2,
        ),
        (&["-p", "work", "git-credential", "--global", "get"][..], 2),
        (
            &[
                "-p",
                "nope",
                "git-credential",
                "setup",
                "--global",
                "https://h",
            ][..],
            3,
        ),
    ] {
        let out = octoken_in(&env, &home, args, None);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
    }
    assert_eq!(helpers(), format!("\n{line}\n"));
}
