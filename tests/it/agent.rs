//! `octoken agent` (issue 25): one signed-in session serving local scripts and, through
//! a socket forwarded by a real `sshd`, a remote shell with no octoken config at all.
//! Tokens and DPoP proofs come back; refresh tokens and keys never leave. Another uid is
//! refused by the peer check, a killed or dead agent is a clear error and never a hang,
//! a live socket is refused and a stale one replaced, a keyring DPoP key is read once,
//! and 100 concurrent clients cause one refresh.

use crate::support::signin::import_token;
use crate::support::sshd::Sshd;
use crate::support::{Client, Idp, IdpOptions, KeyringSession, TestEnv};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `octoken agent --foreground` in `env`, serving once its shell lines are printed.
pub(crate) struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    pub(crate) fn start(env: &TestEnv, extra: &[&str]) -> Agent {
        Self::start_on(env, &env.path("run/agent.sock"), extra, &[])
    }

    pub(crate) fn start_on(
        env: &TestEnv,
        socket: &Path,
        extra: &[&str],
        vars: &[(&str, &str)],
    ) -> Agent {
        let socket_text = socket.display().to_string();
        let mut args = vec!["agent", "--foreground", "--socket", &socket_text];
        args.extend_from_slice(extra);
        let mut command = env.command(&args);
        command.envs(vars.iter().copied()).stdin(Stdio::null());
        let mut child = command.spawn().expect("octoken agent");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line,
            format!("OCTOKEN_AGENT_SOCK={socket_text}; export OCTOKEN_AGENT_SOCK;\n"),
            "the agent did not start: {}",
            stderr_of(&mut child)
        );
        Agent {
            child,
            socket: socket.to_path_buf(),
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr_of(child: &mut Child) -> String {
    let _ = child.kill();
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client's environment: nothing of octoken's but the agent's socket.
/// A socket in `env`'s run directory where a scripted "agent" reads one request and
/// sends `answer` (a frame of another version, or an older agent's refusal): what no
/// agent of this version sends. Its path.
pub(crate) fn scripted_agent(env: &TestEnv, answer: &'static [u8]) -> PathBuf {
    let dir = env.path("run");
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("agent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut header = [0u8; 4];
            let _ = stream.read_exact(&mut header);
            let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
            let _ = stream.read_exact(&mut body);
            let _ = stream.write_all(&(answer.len() as u32).to_be_bytes());
            let _ = stream.write_all(answer);
        }
    });
    socket
}

/// A profile imported in a new env, its agent, and a client env that has only the
/// agent's socket.
pub(crate) fn served(idp: &Idp) -> (TestEnv, Agent, TestEnv) {
    let env = TestEnv::new();
    crate::support::signin::import(&env, idp, Client::Basic, "file");
    let agent = Agent::start(&env, &[]);
    let remote = client(&agent);
    (env, agent, remote)
}

pub(crate) fn client(agent: &Agent) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("OCTOKEN_AGENT_SOCK", agent.socket.display().to_string());
    env
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `curl` with header lines (as `-H @file`): (status, body).
fn curl(dir: &Path, url: &str, headers: &str) -> (u16, String) {
    let file = dir.join("curl-headers.txt");
    std::fs::write(&file, headers).unwrap();
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("@{}", file.display()))
        .arg(url)
        .output()
        .expect("curl");
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_string())
}

/// Two profiles in `env`: `plain` (Bearer) and `bound` (DPoP), both file store.
fn two_profiles(env: &TestEnv, idp: &Idp) {
    for (name, extra) in [("plain", &[][..]), ("bound", &["--dpop"][..])] {
        let refresh_token = idp.refresh_token(Client::Basic);
        let mut args = vec!["-p", name];
        args.extend_from_slice(extra);
        import_token(env, idp, Client::Basic, &refresh_token, &args).expect(0);
    }
}

#[test]
fn a_remote_shell_without_config_gets_tokens_and_proofs_through_ssh_forwarding() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    two_profiles(&env, &idp);
    let agent = Agent::start(&env, &[]);
    let sshd = Sshd::start();
    let home = sshd.path("remote-home");
    std::fs::create_dir_all(&home).unwrap();
    let forwarded = sshd.path("forwarded.sock");
    let dpop_url = format!("{}/api/dpop/things", idp.base);
    let octoken = env!("CARGO_BIN_EXE_octoken");
    // The remote shell: an empty HOME, no XDG or OCTOKEN_* settings but the socket.
    let script = format!(
        "env -i HOME={home} PATH=/usr/bin:/bin OCTOKEN_AGENT_SOCK={sock} sh -c '\
         i=0; while [ ! -S \"$OCTOKEN_AGENT_SOCK\" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
         {octoken} -p plain token && {octoken} -p bound token --dpop-proof GET {dpop_url} \
         --format header && ls -A \"$HOME\"'",
        home = home.display(),
        sock = forwarded.display(),
    );
    let out = sshd.ssh(Some((&forwarded, &agent.socket)), &script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ssh failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a token, two header lines, an empty HOME: {stdout}"
    );
    // The provider's API takes the plain token...
    let (status, body) = curl(
        &sshd.path(""),
        &format!("{}/api/whoami", idp.base),
        &format!("Authorization: Bearer {}\n", lines[0]),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"client_id\":\"octoken-basic\""), "{body}");
    // ...and the DPoP API the bound token with the proof signed on the agent's machine.
    assert!(lines[1].starts_with("Authorization: DPoP "), "{stdout}");
    assert!(lines[2].starts_with("DPoP: "), "{stdout}");
    let (status, body) = curl(
        &sshd.path(""),
        &dpop_url,
        &format!("{}\n{}\n", lines[1], lines[2]),
    );
    assert_eq!(status, 200, "{body}");
    // Nothing secret crossed: the stored refresh tokens and key appear in no output.
    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("data/secrets/bound.json")).unwrap())
            .unwrap();
    for field in ["refresh_token", "dpop_key"] {
        let value = secrets[field].as_str().unwrap();
        assert!(!stdout.contains(value), "{field} crossed the socket");
    }
}

#[test]
fn another_uid_is_refused_by_the_peer_check() {
    if !is_root() {
        eprintln!("skipped: not root, cannot act as another user");
        return;
    }
    let env = TestEnv::new();
    let agent = Agent::start(&env, &[]);
    // The socket's 0700 directory keeps other users out; a socket reachable by them
    // anyway (a hard link in a world-writable place, mode 0666) still serves only us.
    let open_dir = tempfile::Builder::new()
        .prefix("octoken-open-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(
        open_dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let link = open_dir.path().join("agent.sock");
    std::fs::hard_link(&agent.socket, &link).unwrap();
    std::fs::set_permissions(&link, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let as_nobody = |socket: &Path| {
        Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .args(["env", "-i", "HOME=/nonexistent", "PATH=/usr/bin:/bin"])
            .arg(format!("OCTOKEN_AGENT_SOCK={}", socket.display()))
            .args([env!("CARGO_BIN_EXE_octoken"), "token"])
            .output()
            .expect("setpriv")
    };
    let out = as_nobody(&link);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("the agent serves uid 0 only; this connection is from uid 65534"),
        "{stderr}"
    );
    let out = as_nobody(&agent.socket);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
}

#[test]
fn an_agent_killed_mid_request_is_a_clear_error_not_a_hang() {
    // A token endpoint that takes the request and never answers.
    let endpoint = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = endpoint.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in endpoint.incoming().flatten() {
            held.push(stream);
            let _ = tx.send(());
        }
    });
    let env = TestEnv::new();
    crate::support::profile::write_profile(
        &env,
        &format!("http://127.0.0.1:{port}/token"),
        "file",
        "",
    );
    crate::support::profile::write_secret_file(&env, "rt-1", 0o600);
    let mut agent = Agent::start(&env, &[]);
    let mut asking = client(&agent).command(&["token"]);
    let asking = asking.stdin(Stdio::null()).spawn().unwrap();
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the agent's refresh reached the endpoint");
    let start = Instant::now();
    agent.kill();
    let out = asking.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(start.elapsed() < Duration::from_secs(5), "{stderr}");
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("closed the connection before answering"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: try again"), "{stderr}");
}

#[test]
fn a_live_socket_is_refused_a_stale_one_replaced_a_dead_one_never_hangs() {
    let env = TestEnv::new();
    let mut first = Agent::start(&env, &["--profiles", "work", "--no-proofs"]);
    let socket = first.socket.display().to_string();
    let again = env
        .run(&["agent", "--foreground", "--socket", &socket])
        .expect(3);
    assert!(
        again
            .error_line()
            .contains("an agent is already running on"),
        "{}",
        again.stderr
    );
    // The agent answers (nobody is logged in on its machine) and keeps its limits.
    let remote = client(&first);
    let run = remote.run(&["-p", "work", "token"]).expect(4);
    assert_eq!(run.error_line(), "octoken: error: the agent: not logged in");
    assert!(
        run.stderr
            .contains("hint: on the agent's machine: run `octoken login -p work`")
    );
    let run = remote.run(&["-p", "other", "token"]).expect(3);
    assert!(
        run.error_line().contains("does not serve profile 'other'"),
        "{}",
        run.stderr
    );
    let run = remote
        .run(&[
            "-p",
            "work",
            "token",
            "--dpop-proof",
            "GET",
            "https://api.example.com/",
        ])
        .expect(3);
    assert!(
        run.error_line().contains("signs no DPoP proofs"),
        "{}",
        run.stderr
    );
    // Killed: the socket stays behind, and nobody listens on it.
    first.kill();
    assert!(first.socket.exists());
    let run = remote.run(&["-p", "work", "token"]).expect(3);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
    assert!(
        run.error_line().contains("no agent answers on"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Connection refused"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: start one"), "{}", run.stderr);
    // A new agent replaces the stale socket; `--stop` ends it and removes the socket.
    let second = Agent::start(&env, &[]);
    remote.run(&["-p", "work", "token"]).expect(4);
    env.run(&["agent", "--stop", "--socket", &socket]).expect(0);
    assert!(!second.socket.exists());
    // In the background, as `eval "$(octoken agent)"` starts it.
    let out = env.run(&["agent", "--socket", &socket, "--csh"]).expect(0);
    assert!(
        out.stdout.starts_with(&format!(
            "setenv OCTOKEN_AGENT_SOCK {socket};\necho octoken agent pid "
        )),
        "{}",
        out.stdout
    );
    remote.run(&["-p", "work", "token"]).expect(4);
    env.run_with(
        &["agent", "--stop"],
        None,
        &[("OCTOKEN_AGENT_SOCK", &socket)],
    )
    .expect(0);
    assert!(!Path::new(&socket).exists());
}

#[test]
fn an_agent_of_another_protocol_version_is_named() {
    let env = TestEnv::new();
    let socket = scripted_agent(&env, br#"{"v":2,"hello":{"features":[]}}"#);
    let run = env
        .run_with(
            &["token"],
            None,
            &[("OCTOKEN_AGENT_SOCK", &socket.display().to_string())],
        )
        .expect(3);
    assert!(
        run.error_line()
            .contains("speaks agent protocol version 2; this octoken speaks version 1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: run the same octoken version on both ends")
    );
}

#[test]
fn a_hundred_clients_of_one_agent_with_no_fresh_token_cause_one_refresh() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import(&env, &idp, Client::Basic, "file");
    let agent = Agent::start(&env, &[]);
    std::fs::remove_dir_all(env.path("cache/tokens")).unwrap();
    let before = idp.refreshes();
    let remote = client(&agent);
    let children: Vec<Child> = (0..100)
        .map(|_| {
            remote
                .command(&["token"])
                .stdin(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut tokens = std::collections::BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tokens.insert(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(idp.refreshes() - before, 1, "one refresh for all");
    assert_eq!(tokens.len(), 1, "every client got the one token");
}

/// `dbus-monitor` on the keyring's bus, counting the Secret Service's secret reads.
struct SecretReads {
    child: Child,
    log: PathBuf,
}

impl SecretReads {
    fn watch(keyring: &KeyringSession, log: PathBuf) -> SecretReads {
        let child = Command::new("dbus-monitor")
            .arg("--address")
            .arg(&keyring.bus_address)
            .arg("type='method_call',member='GetSecret'")
            .arg("type='method_call',member='GetSecrets'")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor (apt: dbus)");
        let reads = SecretReads { child, log };
        // dbus-monitor says it is there with a NameAcquired signal.
        let start = Instant::now();
        while !std::fs::read_to_string(&reads.log)
            .unwrap_or_default()
            .contains("NameAcquired")
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "dbus-monitor did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        reads
    }

    /// Reads seen so far (after a moment for the monitor to write them).
    fn count(&self) -> usize {
        std::thread::sleep(Duration::from_millis(300));
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("method call") && l.contains("member=GetSecret"))
            .count()
    }
}

impl Drop for SecretReads {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_keyring_dpop_key_is_read_once_by_the_agent() {
    let idp = Idp::start(IdpOptions::default());
    let keyring = KeyringSession::start();
    let mut env = TestEnv::new();
    env.set("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.clone());
    let refresh_token = idp.refresh_token(Client::Basic);
    import_token(
        &env,
        &idp,
        Client::Basic,
        &refresh_token,
        &["--dpop", "--store", "keyring"],
    )
    .expect(0);
    let reads = SecretReads::watch(&keyring, env.path("dbus.log"));
    let url = format!("{}/api/dpop/things", idp.base);
    let proof = [
        "token",
        "--dpop-proof",
        "GET",
        url.as_str(),
        "--format",
        "header",
    ];
    // Without the agent, every proof reads the key from the Secret Service.
    env.run(&proof).expect(0);
    let direct = reads.count();
    assert!(direct >= 1, "the monitor sees keyring reads");
    let agent = Agent::start(&env, &[]);
    let remote = client(&agent);
    let first = remote.run(&proof).expect(0);
    let after_first = reads.count();
    assert!(after_first > direct, "the agent read the key once");
    for _ in 0..5 {
        let run = remote.run(&proof).expect(0);
        let (status, body) = curl(&env.path(""), &url, &run.stdout);
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        reads.count(),
        after_first,
        "no keyring read after the first proof"
    );
    assert!(first.stdout.starts_with("Authorization: DPoP "));
}

#[test]
fn exec_git_kubectl_and_id_tokens_go_through_the_agent() {
    let idp = Idp::start(IdpOptions::default());
    let (env, _agent, remote) = served(&idp);
    let token = remote.run(&["token"]).expect(0).stdout;
    assert_eq!(
        token,
        env.run(&["token"]).expect(0).stdout,
        "the agent's cached token"
    );
    let token = token.trim_end();
    let run = remote
        .run(&[
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"$OCTOKEN_ACCESS_TOKEN\"",
        ])
        .expect(0);
    assert_eq!(run.stdout, token);
    let id_token = remote.run(&["token", "--type", "id"]).expect(0).stdout;
    let id_token = id_token.trim_end();
    assert_eq!(id_token.split('.').count(), 3, "{id_token}");
    assert_ne!(id_token, token);
    for (args, want) in [
        (&["kube-credential"][..], id_token),
        (&["kube-credential", "--type", "access"][..], token),
    ] {
        let run = remote.run(args).expect(0);
        let credential: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(credential["status"]["token"], want, "{args:?}");
    }
    // git itself, with the helper as `git-credential setup` writes it.
    let helper = format!(
        "!{} git-credential --host git.example.com",
        env!("CARGO_BIN_EXE_octoken")
    );
    let mut git = Command::new("/usr/bin/git");
    git.env_clear()
        .envs(&remote.vars)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            &format!("credential.helper={helper}"),
            "credential",
            "fill",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = git.spawn().expect("git");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"protocol=https\nhost=git.example.com\n\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("password={token}\n")), "{stdout}");
}

#[test]
fn an_agent_stops_when_idle_or_terminated_and_removes_its_socket() {
    let env = TestEnv::new();
    let mut idle = Agent::start(&env, &["--idle-timeout", "1s"]);
    let start = Instant::now();
    let status = idle.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert!(!idle.socket.exists());
    let mut agent = Agent::start(&env, &[]);
    // SAFETY: kill with a child's pid and a signal number.
    unsafe { libc::kill(agent.child.id() as i32, libc::SIGTERM) };
    let status = agent.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!agent.socket.exists());
}

#[test]
fn a_hostile_client_gets_refusals_and_the_agent_keeps_serving() {
    use std::os::unix::net::UnixStream;
    let env = TestEnv::new();
    let agent = Agent::start(&env, &[]);
    let exchange = |bytes: &[u8]| -> String {
        let mut stream = UnixStream::connect(&agent.socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(bytes);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(answer.get(4..).unwrap_or_default()).into_owned()
    };
    let frame = |body: &str| [&(body.len() as u32).to_be_bytes()[..], body.as_bytes()].concat();
    // A length over the cap is refused before anything is read or allocated.
    let answer = exchange(&u32::MAX.to_be_bytes());
    assert!(answer.contains("over the limit of 16384"), "{answer}");
    for (body, expect) in [
        ("[1,2]", "not a JSON object"),
        (r#"{"v":2,"op":"token"}"#, "protocol version 2"),
        (
            r#"{"v":1,"op":"token","profile":"../x","token":{"min_ttl":1}}"#,
            "invalid profile name",
        ),
        (
            r#"{"v":1,"op":"token","profile":"x","token":{"min_ttl":1,"dpop_proof":{"method":"GET","url":"file:///etc/passwd"}}}"#,
            "an http(s) URL",
        ),
        (
            r#"{"v":1,"op":"token","profile":"x","token":{"min_ttl":1,"refresh_token":"?"}}"#,
            "unknown field",
        ),
    ] {
        let answer = exchange(&frame(body));
        assert!(answer.contains("\"error\""), "{body}: {answer}");
        assert!(answer.contains(expect), "{body}: {answer}");
    }
    // A client that connects and says nothing is dropped after its deadline; others
    // are served meanwhile.
    let _silent = UnixStream::connect(&agent.socket).unwrap();
    client(&agent).run(&["token"]).expect(4);
}
