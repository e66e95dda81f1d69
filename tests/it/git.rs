//! `octoken git-credential` with the real git against a real smart-HTTP server (`git
//! http-backend` behind tests/idp/resource.mjs) that accepts the provider's access
//! tokens: Debian's git 2.39 sends them as a password (Basic), git 2.46+ announces the
//! `authtype` capability and gets a Bearer credential.

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
    configure(&env, &server, "!octoken git-credential");

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
            &["git-credential", "--username", "x-token-auth", "get"],
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
            &["git-credential", "get"],
            "capability[]=authtype\nprotocol=https\nhost=h\n",
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
    env.run_stdin(&["git-credential", "erase"], request)
        .expect(0);
    assert!(!env.path("cache/tokens/default.json").exists());
    assert_eq!(env.stored_refresh_token(), refresh_token);

    // An unknown profile: exit 3, one stderr line, nothing for git.
    let unknown = env
        .run_stdin(&["-p", "nope", "git-credential", "get"], request)
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
    let work = configure(&env, &server, "!octoken git-credential");
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
    let work = configure(&env, &server, "!octoken git-credential");
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
    let token = idp.refresh_token(Client::Basic);
    import_token(&env, &idp, Client::Basic, &token, &["-p", "work"]).expect(0);
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
    let browser = crate::support::driver("");
    let run = env
        .run_with(
            &["git-credential", "--login", "get"],
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
