//! Process hygiene: termination signals wait while a rotated token is in flight, no core
//! dumps, secrets kept out of the programs octoken starts, variable names checked.

use crate::support::fake::{FakeServer, Reply};
use crate::support::profile::{write_profile, write_secret_file};
use crate::support::signin::import;
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waited for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_while_a_rotated_token_is_in_flight_waits_until_it_is_stored() {
    // A slow, rotating server: the answer comes 4 s after the request, so that the
    // signal (sent straight from this process, not through a `kill` child that a loaded
    // machine may start late) lands while the answer is awaited.
    let body = br#"{"access_token":"at-rotated","token_type":"Bearer","expires_in":300,"refresh_token":"rt-rotated"}"#;
    let mut reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    reply.extend_from_slice(body);
    let server = FakeServer::start(vec![Reply::Delayed(Duration::from_millis(4000), reply)]);
    for signal in ["TERM", "INT", "HUP"] {
        let env = TestEnv::new();
        write_profile(&env, &server.url, "file", "");
        write_secret_file(&env, "rt-stored", 0o600);
        let before = server.requests();
        let mut command = env.command(&["refresh"]);
        // As from a terminal: a test run started in the background (`cmd &` in a
        // script) would hand its ignored SIGINT down, and octoken keeps what it inherits.
        // SAFETY: signal(2) with SIG_DFL in the child before exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                for signal in [libc::SIGINT, libc::SIGHUP, libc::SIGTERM] {
                    libc::signal(signal, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let mut child = command.spawn().unwrap();
        wait_until("the request", || server.requests() > before);
        let number = match signal {
            "TERM" => libc::SIGTERM,
            "INT" => libc::SIGINT,
            _ => libc::SIGHUP,
        };
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: kill(2) with the pid of our own child, which has not been waited for.
        assert_eq!(unsafe { libc::kill(pid, number) }, 0, "kill -{signal}");
        let status = child.wait().unwrap();
        // The signal still ends it, after the answer is stored.
        assert!(status.signal().is_some(), "SIG{signal}: {status:?}");
        assert_eq!(
            env.stored_refresh_token(),
            "rt-rotated",
            "SIG{signal} lost the rotated token"
        );
    }
}

#[test]
fn no_core_dumps_while_a_login_waits() {
    let env = TestEnv::new();
    let exe = env!("CARGO_BIN_EXE_octoken");
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "ulimit -c unlimited; exec {exe} login --client-id cli --auth-method none \
                 --store file --token-url http://127.0.0.1:9/t --auth-url http://127.0.0.1:9/a \
                 --browser true --timeout 20"
            ),
        ])
        .env_clear()
        .envs(&env.vars)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the shell has exec'd octoken and octoken has started its login (the
    // shell's own limits, before `ulimit`, are the environment's).
    let pid = child.id();
    wait_until("octoken to run", || {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "octoken")
    });
    std::thread::sleep(Duration::from_millis(500));
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap()
        .to_string();
    // The shell set both unlimited; octoken set both to 0 at start.
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!((fields[4], fields[5]), ("0", "0"), "{core}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_client_secret_never_reaches_execs_command_or_the_browser() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let secret = [("OCTOKEN_CLIENT_SECRET", "do-not-pass-me-on")];
    let run = env
        .run_with(&["exec", "--", "env"], None, &secret)
        .expect(0);
    assert!(
        run.stdout.contains("OCTOKEN_ACCESS_TOKEN=eyJ"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("do-not-pass-me-on"), "{}", run.stdout);
    // The browser launcher: a script that records its environment.
    let record = env.path("browser-env");
    let script = env.path("browser.sh");
    std::fs::write(&script, format!("#!/bin/sh\nenv > {}\n", record.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let other = TestEnv::new();
    let login = other.spawn(
        &[
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            Client::Basic.id(),
            "--store",
            "file",
            "--timeout",
            "5",
            "--browser",
            &script.display().to_string(),
        ],
        &secret,
    );
    wait_until("the browser", || {
        std::fs::read_to_string(&record).is_ok_and(|t| t.contains("PATH="))
    });
    let seen = std::fs::read_to_string(&record).unwrap();
    assert!(!seen.contains("do-not-pass-me-on"), "{seen}");
    drop(login);
}

#[test]
fn variable_names_must_be_shell_identifiers() {
    let env = TestEnv::new();
    for args in [
        &["exec", "--env", "A;touch x", "--", "true"][..],
        &["token", "--format", "env", "--env", "1X"][..],
        &["exec", "--env", "A B", "--", "true"][..],
    ] {
        let run = env.run(args).expect(2);
        assert!(
            run.error_line().contains("is not a variable name"),
            "{}",
            run.stderr
        );
    }
}

/// Started with descriptors 0-2 closed (`octoken token <&- >&- 2>&-` from a careless
/// service manager), octoken must not let a file it opens take their place: the token
/// meant for stdout would be written into that file. It runs as usual, and the files
/// it keeps are intact afterwards.
#[test]
fn closed_standard_descriptors_never_receive_a_file() {
    use std::os::unix::process::CommandExt;
    let idp = Idp::start(IdpOptions::rotating());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let mut command = env.command(&["token", "--min-ttl", "100000"]);
    // SAFETY: close(2) on plain descriptors, in the child before exec.
    unsafe {
        command.pre_exec(|| {
            for fd in 0..3 {
                libc::close(fd);
            }
            Ok(())
        });
    }
    let status = command.status().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(idp.refreshes(), 2, "import, then the token's refresh");
    let cached = env.run(&["token"]).expect(0).stdout;
    for (path, bytes) in env.all_files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&format!("{}\n", cached.trim())),
            "the token was written into {}",
            path.display()
        );
    }
    env.run(&["refresh"]).expect(0);
}

/// build.rs links GCC's unwinder from libgcc_eh.a instead of loading libgcc_s.so.1 at
/// every start (unless told not to, or the toolchain has no libgcc_eh.a) (whose constructor costs a cached `token` about a tenth on a virtual
/// machine: BENCHMARKS.md). The binary must not ask for the library, and the
/// unwinder linked in its place must still unwind: this test binary (panic = unwind)
/// is linked the same way.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_unwinder_is_linked_in_not_loaded() {
    // glibc's loader lists what a program needs and exits, as `ldd` does.
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_octoken"))
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("libc.so"), "{listed}");
    // build.rs says which way it linked (OCTOKEN_DYNAMIC_UNWINDER, a toolchain without
    // libgcc_eh.a: Rust's default); either way the binary must be what it says.
    assert_eq!(
        listed.contains("libgcc_s"),
        !cfg!(octoken_static_unwinder),
        "{listed}"
    );

    let caught = std::panic::catch_unwind(|| {
        let inner = std::panic::catch_unwind(|| panic!("first"));
        assert!(inner.is_err());
        panic!("second")
    });
    let message = caught.unwrap_err();
    assert_eq!(message.downcast_ref::<&str>(), Some(&"second"));
}
