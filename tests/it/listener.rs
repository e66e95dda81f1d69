//! The loopback listener under attack from another local user (or, through DNS
//! rebinding, a web page): floods of idle connections, endless request lines, stray
//! `Host`s and guessing at the convenience URL. Each test ends with the real sign-in
//! completing through the same listener.
//!
//! The attacking connections come from the test process itself, under the test's own
//! uid: on Linux the listener serves only its own user's connections (another uid is
//! refused before its request is read: tests/it/other_user.rs), so these floods are
//! what is left to an attacker the listener does serve, and what any user can do where
//! the listener cannot tell users apart (macOS, Windows).

use crate::support::env::Waiting;
use crate::support::{Client, Idp, IdpOptions, TestEnv, run_driver};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The listener's deadline for a request head (src/loopback/server.rs), with a margin
/// for a loaded machine.
const IDLE_CLOSED_WITHIN: Duration = Duration::from_secs(5 + 15);

struct Login {
    waiting: Waiting,
    auth_url: String,
    /// The printed `http://127.0.0.1:PORT/<random>`.
    local_url: String,
    /// `127.0.0.1:PORT`.
    authority: String,
}

/// `octoken login --no-browser` waiting at its listener, as a user who opens the
/// printed URL in a browser on this machine would find it.
fn start_login(env: &TestEnv, idp: &Idp) -> Login {
    let client = Client::Public;
    let args = [
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        client.id(),
        "--auth-method",
        client.auth_method(),
        "--store",
        "file",
        "--no-browser",
        "--timeout",
        "120",
    ];
    let mut waiting = env.spawn(&args, &[]);
    let auth_url = waiting.wait_for_url("/protocol/openid-connect/auth?");
    let local_url = waiting.wait_for_url("on this machine");
    let local_url = local_url.trim_end_matches(')').to_string();
    let authority = local_url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string();
    Login {
        waiting,
        auth_url,
        local_url,
        authority,
    }
}

impl Login {
    /// The browser opens the printed URL, signs in and follows the redirect back.
    fn complete_in_browser(self, env: &TestEnv) {
        run_driver(&["browse", &self.local_url]);
        let (code, stderr) = self.waiting.finish();
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stderr.contains("logged in"), "{stderr}");
        assert!(env.run(&["token"]).expect(0).stdout.starts_with("eyJ"));
    }

    fn pid(&self) -> u32 {
        self.waiting.child.id()
    }
}

/// One request with the given `Host` (none when `None`); the whole answer, or what came
/// before the listener closed or 10 s passed.
fn request(authority: &str, target: &str, host: Option<&str>) -> String {
    let mut stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\n{host}User-Agent: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Whether the listener still holds this connection: a read neither ends the stream
/// nor fails with a reset, it times out.
fn is_open(mut stream: &TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    stream.read(&mut [0u8; 1]).is_err_and(|e| {
        matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )
    })
}

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The original failure: with `ulimit -n 1024`, 1100 held-open connections stopped the
/// listener's accept loop for good, and the real callback was refused even after the
/// attacker left. The limit is set on the running login (after its own raise) with
/// prlimit, soft and hard, so the connection cap is what holds.
#[test]
fn eleven_hundred_idle_connections_at_ulimit_1024_do_not_stop_the_login() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let login = start_login(&env, &idp);
    let limited = std::process::Command::new("prlimit")
        .args(["--pid", &login.pid().to_string(), "--nofile=1024:1024"])
        .status()
        .unwrap();
    assert!(limited.success(), "prlimit (util-linux) is needed");
    let addr = login.authority.parse().unwrap();
    let started = Instant::now();
    let idle: Vec<TcpStream> = (0..1100)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok())
        .collect();
    assert!(idle.len() > 1000, "only {} connected", idle.len());
    // The attacker keeps them open; the listener closes them once their head is late.
    let mut still_open = idle.len();
    while still_open > 0 && started.elapsed() < IDLE_CLOSED_WITHIN {
        std::thread::sleep(Duration::from_millis(500));
        still_open = idle.iter().filter(|s| is_open(s)).count();
    }
    assert_eq!(
        still_open,
        0,
        "idle connections still open after {:?}",
        started.elapsed()
    );
    login.complete_in_browser(&env);
    drop(idle);
}

/// The original failure: a request line without a newline grew the process by all it
/// was sent (1 GiB in 6 s) and the login aborted. Now the listener reads 8 KiB of it,
/// answers 414 and closes; the same for endless headers.
#[test]
fn an_endless_request_line_or_header_costs_no_memory() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let login = start_login(&env, &idp);
    let pid = login.pid();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut most = rss_kib(pid);
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                most = most.max(rss_kib(pid));
                std::thread::sleep(Duration::from_millis(10));
            }
            most.max(rss_kib(pid))
        })
    };
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent_each = Vec::new();
    for start in [&b"GET /callback?"[..], b"GET / HTTP/1.1\r\nX-Flood: "] {
        let mut stream = TcpStream::connect(&login.authority).unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(start).unwrap();
        let mut sent: u64 = 0;
        // 200 MiB at most; the listener should close long before.
        while sent < 200 << 20 {
            match stream.write(&chunk) {
                Ok(n) => sent += n as u64,
                Err(_) => break,
            }
        }
        sent_each.push(sent);
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let most = sampler.join().unwrap();
    assert!(most > 0, "no /proc/{pid}/status");
    assert!(most < 64 * 1024, "octoken grew to {most} KiB resident");
    for sent in sent_each {
        assert!(sent < 200 << 20, "the listener read all {sent} bytes");
    }
    login.complete_in_browser(&env);
}

/// `GET /` used to redirect to the whole authorization URL, `state` included, so
/// another local user could finish the login with their own code. Only the printed,
/// unguessable path redirects now.
#[test]
fn the_root_reveals_no_state_and_only_the_printed_path_redirects() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let login = start_login(&env, &idp);
    let host = Some(login.authority.as_str());
    let state = login
        .auth_url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_string();
    let entry = login.local_url.rsplit('/').next().unwrap().to_string();
    assert!(
        entry.len() == 32 && entry.bytes().all(|b| b.is_ascii_hexdigit()),
        "128 random bits: {}",
        login.local_url
    );
    for guess in [
        "/",
        "/index.html",
        "/callback",
        "/0",
        &format!("/{}", &entry[..31]),
    ] {
        let answer = request(&login.authority, guess, host);
        assert!(!answer.starts_with("HTTP/1.1 302"), "{guess}: {answer}");
        assert!(!answer.contains(&state), "{guess} reveals the state");
        assert!(!answer.contains("openid-connect/auth"), "{guess}: {answer}");
    }
    let root = request(&login.authority, "/", host);
    assert!(root.starts_with("HTTP/1.1 404"), "{root}");
    let redirect = request(&login.authority, &format!("/{entry}"), host);
    assert!(redirect.starts_with("HTTP/1.1 302"), "{redirect}");
    assert!(
        redirect.contains(&format!("\r\nLocation: {}\r\n", login.auth_url)),
        "{redirect}"
    );
    login.complete_in_browser(&env);
}

/// DNS rebinding: a page at evil.example whose name now resolves to 127.0.0.1 sends
/// `Host: evil.example:PORT`. Neither the redirect nor the callback answer it, and such
/// a request is no failure of the login.
#[test]
fn a_wrong_host_header_is_refused_and_ignored() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let login = start_login(&env, &idp);
    let port = login.authority.rsplit(':').next().unwrap().to_string();
    let entry = format!("/{}", login.local_url.rsplit('/').next().unwrap());
    let evil = format!("evil.example:{port}");
    let redirect = request(&login.authority, &entry, Some(&evil));
    assert!(redirect.starts_with("HTTP/1.1 421"), "{redirect}");
    assert!(!redirect.contains("Location:"), "{redirect}");
    // The real callback, sent with a wrong, a missing, then the right Host.
    let callback = run_driver(&["redirect-url", &login.auth_url]);
    let target = callback
        .trim()
        .strip_prefix(&format!("http://{}", login.authority))
        .unwrap()
        .to_string();
    for (host, status) in [
        (Some(evil.as_str()), "421"),
        (Some("localhost:1"), "421"),
        (Some(&format!("127.0.0.1:{port}.evil.example")), "421"),
        (None, "400"),
    ] {
        let answer = request(&login.authority, &target, host);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{host:?}: {answer}"
        );
    }
    let answer = request(&login.authority, &target, Some(&login.authority));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (code, stderr) = login.waiting.finish();
    assert_eq!(code, Some(0), "{stderr}");
    env.run(&["token"]).expect(0);
}
