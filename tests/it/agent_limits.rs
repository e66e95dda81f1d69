//! What the agent refuses or bounds for a client it does not fully trust (a forwarded
//! socket reaches it from another machine): no DPoP proof for the provider's token
//! endpoint, no client nonce kept in the agent machine's nonce file, no refresh on every
//! request by a huge `--min-ttl`; its kept copy of a cached token gives way to a local
//! refresh; and without `$XDG_RUNTIME_DIR` its socket directory is a fresh random one
//! (a fixed name in /tmp is one another user can take first). The frame deadline and
//! the cap per peer are unit tests of `src/agent/server.rs` (they need short deadlines).

use crate::agent::{Agent, client};
use crate::support::signin::import_token;
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

#[test]
fn no_proof_for_the_token_endpoint_and_no_client_nonce_kept() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let refresh_token = idp.refresh_token(Client::Basic);
    import_token(
        &env,
        &idp,
        Client::Basic,
        &refresh_token,
        &["-p", "bound", "--dpop"],
    )
    .expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    let token_url = config
        .lines()
        .find_map(|l| l.strip_prefix("token_url = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let (origin, path) = token_url.split_at(token_url.find("/realms").unwrap());
    let agent = Agent::start(&env, &[]);
    let remote = client(&agent);
    for url in [
        token_url.clone(),
        format!(
            "{}/{}/?x=1",
            origin.replace("http://", "HTTP://"),
            path.replace('/', "//")
        ),
        format!("{origin}{}", path.replace("token", "%74oken")),
    ] {
        let run = remote
            .run(&["-p", "bound", "token", "--dpop-proof", "POST", &url])
            .expect(3);
        assert!(
            run.stderr.contains("provider's own endpoints"),
            "{url}: {}",
            run.stderr
        );
    }
    // An API on the provider's host is served; the client's nonce goes into that one
    // proof and nowhere else on the agent's machine.
    let api = format!("{}/api/dpop/things", idp.base);
    let run = remote
        .run(&[
            "-p",
            "bound",
            "token",
            "--dpop-proof",
            "GET",
            &api,
            "--dpop-nonce",
            "planted-nonce",
        ])
        .expect(0);
    assert_eq!(
        run.stdout.trim().split('.').count(),
        3,
        "a proof: {}",
        run.stdout
    );
    for (path, bytes) in env.all_files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("planted-nonce"),
            "{} keeps the client's nonce",
            path.display()
        );
    }
    // The next refresh on the agent's machine still works (no planted nonce in its way).
    env.run(&["-p", "bound", "refresh"]).expect(0);
}

#[test]
fn a_huge_min_ttl_does_not_make_every_request_a_refresh_and_a_local_refresh_is_seen() {
    let idp = Idp::start(IdpOptions::default());
    let (env, _agent, remote) = crate::agent::served(&idp);
    let first = remote.run(&["token"]).expect(0).stdout;
    let before = idp.refreshes();
    for _ in 0..3 {
        let again = remote
            .run(&["token", "--min-ttl", "99999999"])
            .expect(0)
            .stdout;
        assert_eq!(
            again, first,
            "the agent refreshed for a --min-ttl no token meets"
        );
    }
    assert_eq!(idp.refreshes(), before);
    // A refresh on the agent's machine replaces the cache file: the agent's kept copy
    // gives way to it.
    env.run(&["refresh"]).expect(0);
    let local = env.run(&["token"]).expect(0).stdout;
    assert_ne!(local, first);
    assert_eq!(remote.run(&["token"]).expect(0).stdout, local);
}

#[test]
fn without_a_runtime_dir_the_socket_directory_is_fresh_and_private() {
    let env = TestEnv::new();
    let tmp = env.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // What another user could make first under the old fixed name.
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let taken = tmp.join(format!("octoken-agent-{uid}"));
    std::fs::create_dir(&taken).unwrap();
    std::fs::set_permissions(&taken, std::fs::Permissions::from_mode(0o755)).unwrap();
    let child = env
        .command(&["agent", "--foreground", "--sh"])
        .env("TMPDIR", &tmp)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    // Killed however the test ends (an agent left running outlives the test).
    let mut child = Killed(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let socket = line
        .strip_prefix("OCTOKEN_AGENT_SOCK=")
        .and_then(|l| l.split(';').next())
        .map(std::path::PathBuf::from);
    let Some(socket) = socket else {
        let mut err = String::new();
        let _ = child.0.kill();
        let _ = std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut err);
        panic!("the agent did not start: {err}");
    };
    let dir = socket.parent().unwrap().to_path_buf();
    assert_eq!(dir.parent(), Some(tmp.as_path()));
    let name = dir.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("octoken-agent-") && name != taken.file_name().unwrap().to_str().unwrap(),
        "{name}"
    );
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    env.run_with(
        &["agent", "--stop"],
        None,
        &[("OCTOKEN_AGENT_SOCK", socket.to_str().unwrap())],
    )
    .expect(0);
    child.0.wait().unwrap();
    assert!(!dir.exists(), "the agent removes the directory it made");
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
