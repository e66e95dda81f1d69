//! Trust no other local user: what another account can plant in or around octoken's
//! directories (FIFOs, links, foreign files, huge files, guessed temp names) never hangs
//! octoken, redirects a write, or gets printed as a token; and everything octoken creates
//! is 0700/0600 whatever the umask. The other account is uid 65534 (`setpriv`) when the
//! tests run as root; otherwise the parts that need it are skipped with a message.

use crate::support::TestEnv;
use crate::support::env::Run;
use crate::support::fake::{FakeServer, Reply};
use crate::support::profile::{write_profile, write_secret_file};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const REFRESH_TOKEN: &str = "stored-refresh-token-0123456789";
const FRESH: &str = r#"{"access_token":"at-fresh","expires_in":300}"#;
const PLANTED: &str = "planted-access-token";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `script` with `sh -c` as uid/gid 65534 (the attacker); false, with a message,
/// when the tests do not run as root and cannot switch users.
fn as_nobody(script: &str) -> bool {
    if !is_root() {
        eprintln!("skipped: not root, cannot act as another user ({script})");
        return false;
    }
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .args(["sh", "-c", script])
        .output()
        .expect("setpriv");
    assert!(
        out.status.success(),
        "as nobody: {script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// Plants something as the attacker when possible, else as ourselves (the file-type and
/// link defences do not depend on the owner).
fn plant(script: &str) {
    if !as_nobody(script) {
        let ok = Command::new("sh").args(["-c", script]).status().unwrap();
        assert!(ok.success(), "{script}");
    }
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o7777
}

/// A shared directory like /tmp (ours, sticky, world-writable) at `sub`, reachable by
/// the other user.
fn shared_dir(env: &TestEnv, sub: &str) -> std::path::PathBuf {
    chmod(env.dir.path(), 0o755);
    let dir = env.path(sub);
    std::fs::create_dir_all(&dir).unwrap();
    let mut up = dir.parent();
    while let Some(p) = up.filter(|p| p.starts_with(env.dir.path())) {
        chmod(p, 0o755);
        up = p.parent();
    }
    chmod(&dir, 0o1777);
    dir
}

/// A file-store profile against `server`, with no cache yet.
fn profile(server: &FakeServer) -> TestEnv {
    let mut env = TestEnv::new();
    write_profile(&env, &server.url, "file", "request_timeout = 2\n");
    write_secret_file(&env, REFRESH_TOKEN, 0o600);
    env.set("OCTOKEN_LOCK_TIMEOUT", "2");
    env
}

/// A cache entry for the default profile of `env` holding `token`, valid for an hour.
fn cache_json(server: &FakeServer, token: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!(
        r#"{{"key":{{"token_url":"{}","client_id":"cli"}},"token":{{"access_token":"{token}","token_type":"Bearer","expires_at":{},"scope":null,"obtained_at":{now}}}}}"#,
        server.url,
        now + 3600
    )
}

/// Runs octoken, killing it after `limit`: None when it had to be killed (a hang).
fn run_limited(env: &TestEnv, args: &[&str], limit: Duration) -> Option<Run> {
    let mut child = env.command(args).stdin(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    Some(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    })
}

#[track_caller]
fn no_hang(env: &TestEnv, args: &[&str]) -> Run {
    run_limited(env, args, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("octoken {args:?} hung (killed after 10s)"))
}

#[test]
fn a_fifo_at_the_lock_path_fails_fast_instead_of_hanging() {
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    let locks = shared_dir(&env, "cache/locks");
    plant(&format!("mkfifo {}/default.lock", locks.display()));
    let run = no_hang(&env, &["token"]).expect(6);
    assert!(
        run.error_line().contains("not a regular file"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_symlink_at_the_lock_path_creates_nothing_at_its_target() {
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    let locks = shared_dir(&env, "cache/locks");
    let target = env.path("data/secrets/planted-by-link");
    plant(&format!(
        "ln -s {} {}/default.lock",
        target.display(),
        locks.display()
    ));
    let run = no_hang(&env, &["token"]).expect(6);
    assert!(run.error_line().contains("symbolic link"), "{}", run.stderr);
    assert!(!target.exists(), "octoken created a file through the link");
}

#[test]
fn a_cache_directory_owned_by_another_user_is_refused() {
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    chmod(env.dir.path(), 0o755);
    let cache = env.path("cache");
    std::fs::create_dir(&cache).unwrap();
    let planted = cache_json(&server, PLANTED);
    if !is_root() {
        eprintln!("skipped: not root, cannot act as another user");
        return;
    }
    std::os::unix::fs::chown(&cache, Some(65534), Some(65534)).unwrap();
    as_nobody(&format!(
        "cd {} && mkdir -p tokens locks && mkfifo locks/default.lock && umask 077 && printf '%s' '{planted}' > tokens/default.json",
        cache.display()
    ));
    let run = no_hang(&env, &["token"]).expect(6);
    assert_eq!(run.stdout, "");
    let line = run.error_line();
    assert!(
        line.contains("the directory") && line.contains("uid 65534"),
        "{line}"
    );
    assert!(!run.stderr.contains(PLANTED));
}

#[test]
fn a_cache_planted_by_another_user_is_never_printed() {
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    let tokens = shared_dir(&env, "cache/tokens");
    let planted = cache_json(&server, PLANTED);
    if !as_nobody(&format!(
        "umask 077 && printf '%s' '{planted}' > {}/default.json",
        tokens.display()
    )) {
        return;
    }
    assert_eq!(
        std::fs::metadata(tokens.join("default.json"))
            .unwrap()
            .uid(),
        65534
    );
    let run = no_hang(&env, &["token", "-v"]).expect(0);
    assert_eq!(run.stdout, "at-fresh\n", "{}", run.stderr);
    assert!(run.stderr.contains("uid 65534"), "{}", run.stderr);
    assert_eq!(server.requests(), 1);
}

/// Swaps two directory entries in one step (renameat2 RENAME_EXCHANGE).
#[cfg(target_os = "linux")]
fn exchange(a: &std::ffi::CStr, b: &std::ffi::CStr) {
    // SAFETY: valid NUL-terminated paths; AT_FDCWD resolves them as given.
    unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_fifo_swapped_with_the_cache_file_never_hangs() {
    use std::os::unix::ffi::OsStrExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    // A valid cache of our own and a FIFO, exchanged as fast as the kernel goes, to hit
    // the moment between a check on the path and the open.
    let dir = env.path("cache/tokens");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o700);
    let cache = dir.join("default.json");
    let other = dir.join("swap");
    std::fs::write(&cache, cache_json(&server, "cached-token")).unwrap();
    chmod(&cache, 0o600);
    mkfifo(&other);
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, a, b) = (stop.clone(), c(&cache), c(&other));
        let (cache, other) = (cache.clone(), other.clone());
        std::thread::spawn(move || {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                exchange(&a, &b);
                n += 1;
                // octoken's own cache write may have replaced the FIFO: bring one back.
                if n.is_multiple_of(1024) && !is_fifo(&cache) && !is_fifo(&other) {
                    let _ = std::fs::remove_file(&other);
                    mkfifo(&other);
                }
            }
        })
    };
    let mut hung = 0;
    for _ in 0..100 {
        match run_limited(&env, &["token"], Duration::from_secs(5)) {
            None => hung += 1,
            Some(run) => {
                let run = run.expect(0);
                assert!(
                    run.stdout == "cached-token\n" || run.stdout == "at-fresh\n",
                    "{run:?}"
                );
            }
        }
        if hung > 0 {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert_eq!(hung, 0, "octoken hung on the swapped cache file");
}

#[test]
fn a_config_of_another_user_is_refused() {
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    let config = env.path("config/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::remove_file(&config).unwrap();
    let dir = shared_dir(&env, "config");
    if !as_nobody(&format!(
        "umask 022 && printf '%s' '{text}' > {}/config.toml",
        dir.display()
    )) {
        return;
    }
    let run = no_hang(&env, &["token"]).expect(3);
    assert!(run.error_line().contains("uid 65534"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_group_writable_config_is_refused() {
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    chmod(&env.path("config/config.toml"), 0o664);
    let run = no_hang(&env, &["token"]).expect(3);
    assert!(
        run.error_line().contains("let other users write it"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: run `chmod 600"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests(), 0);
    // Readable by others is fine: the config holds no secrets.
    chmod(&env.path("config/config.toml"), 0o644);
    assert_eq!(no_hang(&env, &["token"]).expect(0).stdout, "at-fresh\n");
}

#[test]
fn under_umask_000_everything_is_created_0700_and_0600() {
    let server = FakeServer::start(vec![Reply::json(
        "200 OK",
        r#"{"access_token":"at-fresh","expires_in":300,"refresh_token":"rotated-token-2"}"#,
    )]);
    let env = TestEnv::new();
    let umask_run = |args: &[&str], stdin: &str| {
        let mut child = Command::new("sh")
            .args(["-c", "umask 000 && exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_octoken"))
            .args(args)
            .env_clear()
            .envs(&env.vars)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "octoken {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    umask_run(
        &[
            "login",
            "--refresh-token-stdin",
            "--token-url",
            &server.url,
            "--client-id",
            "cli",
            "--auth-method",
            "none",
            "--scope",
            "openid",
            "--store",
            "file",
        ],
        REFRESH_TOKEN,
    );
    umask_run(&["refresh"], "");
    for dir in [
        "config",
        "data",
        "data/secrets",
        "data/state",
        "cache",
        "cache/tokens",
        "cache/locks",
    ] {
        assert_eq!(mode(&env.path(dir)), 0o700, "{dir}");
    }
    for file in [
        "config/config.toml",
        "data/secrets/default.json",
        "data/state/default.json",
        "cache/tokens/default.json",
        "cache/locks/default.lock",
    ] {
        assert_eq!(mode(&env.path(file)), 0o600, "{file}");
    }
}

#[test]
fn a_huge_state_file_is_not_read() {
    let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
    let env = profile(&server);
    let dir = env.path("data/state");
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o700);
    let state = dir.join("default.json");
    let file = std::fs::File::create(&state).unwrap();
    file.set_len(3 << 30).unwrap();
    chmod(&state, 0o600);

    // Reaped below by wait4, which also reports its peak memory.
    #[allow(clippy::zombie_processes)]
    let mut child = env
        .command(&["token"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let elapsed = start.elapsed();
    let mut stdout = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    assert_eq!(stdout, "at-fresh\n");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    // ru_maxrss is in KiB on Linux and includes what the child inherited from this
    // test process before exec; reading the file whole would add 3 GiB.
    assert!(
        usage.ru_maxrss < 1024 * 1024,
        "max RSS {} KiB",
        usage.ru_maxrss
    );
    assert!(std::fs::metadata(&state).unwrap().len() < 4096, "rewritten");
}

#[test]
fn guessed_temp_names_do_not_make_a_rotated_token_write_fail() {
    let server = FakeServer::start(vec![Reply::json(
        "200 OK",
        r#"{"access_token":"at-fresh","expires_in":300,"refresh_token":"rotated-token-2"}"#,
    )]);
    let env = profile(&server);
    let secrets = env.path("data/secrets");
    let secrets = {
        let shared = shared_dir(&env, "data/secrets");
        assert_eq!(shared, secrets);
        shared
    };
    // The attacker takes the names the next few hundred process ids would use.
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(0);
    plant(&format!(
        "cd {} && i={} && while [ $i -le {} ]; do : > .default.json.$i.tmp; : > .default.recovery.json.$i.tmp; i=$((i+1)); done",
        secrets.display(),
        last + 1,
        last + 400
    ));
    let run = no_hang(&env, &["token"]).expect(0);
    assert_eq!(run.stdout, "at-fresh\n");
    let stored = std::fs::read_to_string(secrets.join("default.json")).unwrap();
    assert!(stored.contains("rotated-token-2"), "{stored}");
    assert_eq!(mode(&secrets.join("default.json")), 0o600);
}

/// `args` run with `dir` as the working directory, `stdin` piped in.
fn run_in(
    env: &TestEnv,
    dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
    vars: &[(&str, &str)],
) -> Run {
    use std::io::Write;
    let mut cmd = env.command(args);
    cmd.current_dir(dir)
        .envs(vars.iter().copied())
        .stdin(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let _ = pipe.write_all(stdin.unwrap_or("").as_bytes());
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

#[test]
fn paths_given_at_login_are_saved_absolute_and_work_from_another_directory() {
    use crate::support::{Client, Idp, IdpOptions};
    let env = TestEnv::new();
    let work = env.path("work");
    std::fs::create_dir_all(work.join("tls")).unwrap();
    let (ca, cert, key) = crate::servers::test_ca(&work.join("tls"));
    let mut idp = Idp::start(IdpOptions {
        tls: Some((cert, key)),
        ..IdpOptions::default()
    });
    idp.node_env
        .push(("NODE_EXTRA_CA_CERTS".into(), ca.display().to_string()));
    let refresh_token = idp.refresh_token(Client::Basic);
    std::fs::write(work.join("secret.txt"), Client::Basic.secret()).unwrap();
    chmod(&work.join("secret.txt"), 0o600);
    let login = [
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        Client::Basic.id(),
        "--store",
        "file",
        "--refresh-token-stdin",
        "--ca-file",
        "tls/ca.pem",
        "--client-secret-file",
        "./secret.txt",
    ];
    run_in(&env, &work, &login, Some(&refresh_token), &[]).expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(
        config.contains(&format!("ca_file = \"{}\"", ca.display())),
        "{config}"
    );
    // From another directory, one that has a tls/ca.pem of its own (the attacker's,
    // in a directory they control), the profile still uses the CA it was given.
    let elsewhere = env.path("elsewhere");
    std::fs::create_dir_all(elsewhere.join("tls")).unwrap();
    std::fs::write(elsewhere.join("tls/ca.pem"), "not the CA\n").unwrap();
    run_in(&env, &elsewhere, &["refresh"], None, &[]).expect(0);
}

/// A self-signed CA certificate (P-256: quick) at `path`, 0644.
fn ca_pem(path: &Path) {
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-keyout",
            "/dev/null",
            "-days",
            "2",
            "-subj",
            "/CN=octoken test CA",
            "-out",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    chmod(path, 0o644);
}

/// A P-256 private key (PKCS#8 PEM) at `dir/key.pem` and a certificate for it at
/// `dir/cert.pem`, both 0600.
fn client_key_and_cert(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    for args in [
        vec![
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "key.pem",
        ],
        vec![
            "req", "-x509", "-key", "key.pem", "-days", "2", "-subj", "/CN=cli", "-out", "cert.pem",
        ],
    ] {
        let out = Command::new("openssl")
            .args(&args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    chmod(&key, 0o600);
    chmod(&cert, 0o600);
    (key, cert)
}

/// How a file the profile names is spoiled before `token` runs.
enum Spoil {
    Nothing,
    Mode(u32),
    /// Given to uid 65534 (only when root).
    Owner,
    /// Given to uid 65534, and named through a link of ours.
    OwnerBehindLink,
}

/// Applies `spoil` to `file`; the path the profile should name. None: not possible here.
fn spoil(file: &Path, spoil: &Spoil) -> Option<std::path::PathBuf> {
    match spoil {
        Spoil::Nothing => {}
        Spoil::Mode(mode) => chmod(file, *mode),
        Spoil::Owner | Spoil::OwnerBehindLink => {
            if !is_root() {
                eprintln!("skipped: not root, cannot give a file to another user");
                return None;
            }
            std::os::unix::fs::chown(file, Some(65534), Some(65534)).unwrap();
        }
    }
    if let Spoil::OwnerBehindLink = spoil {
        let link = file.with_extension("link.pem");
        std::os::unix::fs::symlink(file, &link).unwrap();
        return Some(link);
    }
    Some(file.to_path_buf())
}

const SPOILED: [(Spoil, &str); 5] = [
    (
        Spoil::Mode(0o666),
        "permissions 666 let other users change it",
    ),
    (
        Spoil::Mode(0o620),
        "permissions 620 let other users change it",
    ),
    (
        Spoil::Mode(0o602),
        "permissions 602 let other users change it",
    ),
    (Spoil::Owner, "belongs to uid 65534"),
    (Spoil::OwnerBehindLink, "belongs to uid 65534"),
];

#[test]
fn a_ca_file_another_user_can_change_is_refused() {
    for (how, message) in [(Spoil::Nothing, "")].into_iter().chain(SPOILED) {
        let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
        let env = TestEnv::new();
        let ca = env.path("ca.pem");
        ca_pem(&ca);
        let Some(named) = spoil(&ca, &how) else {
            continue;
        };
        write_profile(
            &env,
            &server.url,
            "file",
            &format!("ca_file = \"{}\"\n", named.display()),
        );
        write_secret_file(&env, REFRESH_TOKEN, 0o600);
        if message.is_empty() {
            assert_eq!(env.run(&["token"]).expect(0).stdout, "at-fresh\n");
            continue;
        }
        let run = env.run(&["token"]).expect(3);
        let line = run.error_line();
        assert!(
            line.contains("CA file") && line.contains(message),
            "{}",
            run.stderr
        );
        assert_eq!(server.requests(), 0, "nothing was sent");
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn a_client_key_or_certificate_another_user_can_change_is_refused() {
    for method in ["private-key-jwt", "tls-client-auth"] {
        for target in ["key", "cert"] {
            if method == "private-key-jwt" && target == "cert" {
                continue;
            }
            for (how, message) in [(Spoil::Nothing, ""), (Spoil::Mode(0o644), "")]
                .into_iter()
                .chain(SPOILED)
            {
                let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
                let env = TestEnv::new();
                let dir = env.path("pki");
                std::fs::create_dir_all(&dir).unwrap();
                let (key, cert) = client_key_and_cert(&dir);
                let spoiled = if target == "key" { &key } else { &cert };
                let Some(named) = spoil(spoiled, &how) else {
                    continue;
                };
                let (key, cert) = if target == "key" {
                    (named, cert)
                } else {
                    (key, named)
                };
                let mut extra = format!("client_key_file = \"{}\"\n", key.display());
                if method == "tls-client-auth" {
                    extra += &format!("client_cert_file = \"{}\"\n", cert.display());
                }
                std::fs::create_dir_all(env.path("config")).unwrap();
                std::fs::write(
                    env.path("config/config.toml"),
                    format!(
                        "[profiles.default]\nclient_id = \"cli\"\nauth_method = \"{method}\"\n\
                         scope = \"openid\"\nstore = \"file\"\ntoken_url = \"{}\"\n{extra}",
                        server.url
                    ),
                )
                .unwrap();
                write_secret_file(&env, REFRESH_TOKEN, 0o600);
                let what = format!("{method} {target} {message:?}");
                if message.is_empty() {
                    let run = env.run(&["token"]).expect(0);
                    assert_eq!(run.stdout, "at-fresh\n", "{what}");
                    // Readable by others: still the warning, for a key only.
                    let warned = run.stderr.contains("other users can read");
                    assert_eq!(
                        warned,
                        matches!(how, Spoil::Mode(0o644)) && target == "key",
                        "{what}: {}",
                        run.stderr
                    );
                    continue;
                }
                let run = env.run(&["token"]).expect(3);
                assert!(run.error_line().contains(message), "{what}: {}", run.stderr);
                assert_eq!(server.requests(), 0, "{what}: nothing was sent");
            }
        }
    }
}

#[test]
fn a_relative_path_in_a_saved_profile_is_refused_naming_the_config_file() {
    for (key, flag) in [
        ("ca_file", "--ca-file"),
        ("client_key_file", "--client-key-file"),
    ] {
        let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
        let env = TestEnv::new();
        let extra = if key == "ca_file" {
            "auth_method = \"none\"\nca_file = \"tls/ca.pem\"\n".to_string()
        } else {
            "auth_method = \"private-key-jwt\"\nclient_key_file = \"keys/key.pem\"\n".to_string()
        };
        let config = format!(
            "[profiles.default]\nclient_id = \"cli\"\nscope = \"openid\"\nstore = \"file\"\n\
             token_url = \"{}\"\n{extra}",
            server.url
        );
        std::fs::create_dir_all(env.path("config")).unwrap();
        std::fs::write(env.path("config/config.toml"), config).unwrap();
        write_secret_file(&env, REFRESH_TOKEN, 0o600);
        for args in [&["token"][..], &["login", "--refresh-token-stdin"][..]] {
            let run = env.run_stdin(args, "rt-new\n").expect(3);
            let line = run.error_line();
            assert!(
                line.contains(&env.path("config/config.toml").display().to_string())
                    && line.contains(key)
                    && line.contains("relative path"),
                "{args:?}: {}",
                run.stderr
            );
            assert!(
                run.stderr.contains(&format!("login {flag} /absolute/path")),
                "{}",
                run.stderr
            );
            assert_eq!(server.requests(), 0);
        }
    }
}

#[test]
fn key_and_certificate_paths_given_at_login_are_saved_absolute() {
    // (Already so before the other paths were: this guards the one place that does it.)
    for method in ["private-key-jwt", "tls-client-auth"] {
        let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
        let env = TestEnv::new();
        let work = env.path("work");
        std::fs::create_dir_all(work.join("pki")).unwrap();
        let (key, cert) = client_key_and_cert(&work.join("pki"));
        let mut login = vec![
            "login",
            "--grant",
            "client-credentials",
            "--token-url",
            &server.url,
            "--client-id",
            "cli",
            "--auth-method",
            method,
            "--client-key-file",
            "pki/key.pem",
            "--store",
            "file",
        ];
        if method == "tls-client-auth" {
            login.extend_from_slice(&["--client-cert", "./pki/../pki/cert.pem"]);
        }
        run_in(&env, &work, &login, None, &[]).expect(0);
        let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
        assert!(
            config.contains(&format!("client_key_file = \"{}\"", key.display())),
            "{config}"
        );
        if method == "tls-client-auth" {
            // Lexically absolute: `..` kept as given, which names the same file.
            let named = work.join("pki/../pki/cert.pem");
            assert!(
                config.contains(&format!("client_cert_file = \"{}\"", named.display())),
                "{config}"
            );
            assert_eq!(named.canonicalize().unwrap(), cert.canonicalize().unwrap());
        }
        let elsewhere = env.path("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        run_in(&env, &elsewhere, &["refresh"], None, &[]).expect(0);
    }
}

/// A client secret file is read like the other files the user names: refused when
/// another user could change it (they would choose the secret octoken sends and stores),
/// used with a warning when others can only read it (mounted secrets often are 0644).
#[test]
fn a_client_secret_file_another_user_can_change_is_refused() {
    for (how, message) in [(Spoil::Nothing, ""), (Spoil::Mode(0o644), "")]
        .into_iter()
        .chain(SPOILED)
    {
        let server = FakeServer::start(vec![Reply::json("200 OK", FRESH)]);
        let env = TestEnv::new();
        let secret = env.path("client-secret");
        std::fs::write(&secret, "s3cret-value\n").unwrap();
        chmod(&secret, 0o600);
        let Some(named) = spoil(&secret, &how) else {
            continue;
        };
        let named = named.display().to_string();
        let token_url = format!("{}/token", server.url);
        let run = env.run(&[
            "login",
            "--grant",
            "client-credentials",
            "--token-url",
            &token_url,
            "--client-id",
            "cli",
            "--auth-method",
            "post",
            "--client-secret-file",
            &named,
            "--store",
            "file",
        ]);
        let what = format!("{message:?}");
        if message.is_empty() {
            assert_eq!(run.code, 0, "{what}: {}", run.stderr);
            assert_eq!(
                run.stderr.contains("other users can read"),
                matches!(how, Spoil::Mode(0o644)),
                "{what}: {}",
                run.stderr
            );
            continue;
        }
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert!(run.error_line().contains(message), "{what}: {}", run.stderr);
        assert_eq!(server.requests(), 0, "{what}: nothing was sent");
    }
}
