//! Many hosts, one token: hosts are separate TestEnvs (no local lock or file shared),
//! coordinated only by a real Redis (support/redis.rs) against the real provider.

use crate::support::env::Run;
use crate::support::redis::{Redis, RedisOptions, seal_key};
use crate::support::signin::import_token;
use crate::support::{Client, Idp, IdpOptions, TestEnv, driver};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STALE: (&str, &str) = ("OCTOKEN_TEST_CLOCK_OFFSET", "400");
const HOLD: &str = "OCTOKEN_TEST_FLEET_HOLD";

/// The entry of the default namespace of host profiles logged in as Client::Basic.
fn entry(idp: &Idp) -> String {
    format!(
        "octoken:{}|{}|default:entry",
        idp.issuer,
        Client::Basic.id()
    )
}

/// Logs host 0 in (an imported refresh token) with `--store redis` and `extra`.
fn login(env: &TestEnv, idp: &Idp, redis: &Redis, extra: &[&str]) -> Run {
    let refresh_token = idp.refresh_token(Client::Basic);
    import_at(env, idp, &redis.url(), &refresh_token, extra).expect(0)
}

/// Imports `refresh_token` into a `--store redis` profile at `url`, with `extra`; the
/// run, whatever its exit.
fn import_at(env: &TestEnv, idp: &Idp, url: &str, refresh_token: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--store", "redis", "--redis-url", url];
    args.extend_from_slice(extra);
    import_token(env, idp, Client::Basic, refresh_token, &args)
}

/// `login --attach`: no secret, no auth method, no browser.
fn attach(env: &TestEnv, idp: &Idp, redis: &Redis, extra: &[&str]) -> Run {
    attach_client(env, idp, redis, Client::Basic, extra)
}

/// `login --attach` to the fleet of `client`.
fn attach_client(env: &TestEnv, idp: &Idp, redis: &Redis, client: Client, extra: &[&str]) -> Run {
    if extra.contains(&"--redis-url") {
        return attach_at(env, idp, client, None, extra);
    }
    attach_at(env, idp, client, Some(&redis.url()), extra)
}

/// `login --attach` to the fleet of `client` at `url` (None: `extra` names it).
fn attach_at(env: &TestEnv, idp: &Idp, client: Client, url: Option<&str>, extra: &[&str]) -> Run {
    let mut args = vec![
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        client.id(),
        "--store",
        "redis",
        "--attach",
    ];
    if let Some(url) = url {
        args.extend_from_slice(&["--redis-url", url]);
    }
    args.extend_from_slice(extra);
    env.run(&args)
}

/// `n` hosts on one identity: host 0 logged in, the others attached.
fn fleet(idp: &Idp, redis: &Redis, n: usize, extra: &[&str]) -> Vec<TestEnv> {
    let hosts: Vec<TestEnv> = (0..n).map(|_| TestEnv::new()).collect();
    login(&hosts[0], idp, redis, extra);
    for host in &hosts[1..] {
        attach(host, idp, redis, extra).expect(0);
    }
    hosts
}

/// `per_host` concurrent `octoken token` on every host (support/stampede.rs).
fn stampede(hosts: &[TestEnv], per_host: usize, vars: &[(&str, &str)]) -> String {
    let hosts: Vec<&TestEnv> = hosts.iter().collect();
    crate::support::stampede::stampede(&hosts, per_host, vars)
}

fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn three_hosts_with_thirty_tokens_each_make_one_refresh() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts: Vec<TestEnv> = (0..3).map(|_| TestEnv::new()).collect();
    let first = login(&hosts[0], &idp, &redis, &[]);
    assert_eq!(
        first.stderr.matches("not encrypted").count(),
        1,
        "login warns once about clear tokens: {}",
        first.stderr
    );
    for host in &hosts[1..] {
        let attached = attach(host, &idp, &redis, &[]).expect(0);
        assert!(attached.stderr.contains("attached"), "{}", attached.stderr);
    }
    let before = idp.refreshes();
    let start = Instant::now();
    stampede(&hosts, 30, &[STALE]);
    let wall = start.elapsed();
    assert_eq!(
        idp.refreshes() - before,
        1,
        "exactly one refresh for the fleet ({wall:?})"
    );
    // The refresh token in Redis is the newest: any host refreshes with it.
    hosts[2].run_with(&["refresh"], None, &[STALE]).expect(0);
    // A host may join by the namespace alone: the client comes from the entry.
    let by_name = TestEnv::new();
    let namespace = format!("{}|{}|default", idp.issuer, Client::Basic.id());
    let url = redis.url();
    by_name
        .run(&[
            "login",
            "--store",
            "redis",
            "--redis-url",
            &url,
            "--namespace",
            &namespace,
            "--attach",
        ])
        .expect(0);
    by_name.run_with(&["token"], None, &[STALE]).expect(0);
    let status = hosts[1].run(&["status"]).expect(0);
    assert!(status.stdout.contains("shared store:"), "{}", status.stdout);
    assert!(
        status.stdout.contains("lease:           free"),
        "{}",
        status.stdout
    );
}

#[test]
fn ten_rounds_of_expiry_make_one_refresh_each() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 3, &[]);
    let mut tokens = Vec::new();
    let v0: u64 = redis.hget(&entry(&idp), "v").parse().unwrap();
    for round in 1..=10u64 {
        let offset = (round * 400).to_string();
        let before = idp.refreshes();
        tokens.push(stampede(
            &hosts,
            3,
            &[("OCTOKEN_TEST_CLOCK_OFFSET", offset.as_str())],
        ));
        assert_eq!(idp.refreshes() - before, 1, "round {round}");
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 10, "a new token each round");
    let v: u64 = redis.hget(&entry(&idp), "v").parse().unwrap();
    assert_eq!(v - v0, 10, "one commit per round");
    // The final refresh token in Redis still works.
    hosts[1]
        .run_with(&["refresh"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "4400")])
        .expect(0);
}

#[test]
fn a_holder_killed_mid_refresh_delays_the_fleet_by_at_most_the_lease() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &["--redis-lease", "2"]);
    let before = idp.refreshes();
    let mut holder = hosts[0].spawn(&["token"], &[STALE, (HOLD, "before-exchange:30000")]);
    holder.wait_for_line("test: holding");
    holder.child.kill().unwrap();
    holder.child.wait().unwrap();
    // `status` names the (dead) holder until its lease runs out.
    let status = hosts[1].run(&["status"]).expect(0);
    assert!(
        status.stdout.contains("lease:           held by"),
        "{}",
        status.stdout
    );
    let other = hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(
        other.elapsed < Duration::from_secs(2 + 2),
        "took {:?}",
        other.elapsed
    );
    assert_eq!(idp.refreshes() - before, 1);
}

/// With rotation on, a host killed after the provider rotated the token but before the
/// commit loses it for the fleet (no provider grace period). This measures how often,
/// and checks each loss is a clean "login required" on another host.
#[test]
fn kill_9_of_the_holder_with_rotation_measures_the_loss_rate() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &["--redis-lease", "1"]);
    let (mut losses, rounds) = (0, 30);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let started = Instant::now();
    for _ in 0..rounds {
        let mut child = hosts[0]
            .command(&["refresh", "-q"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // 0-250 ms: from before the lease to after the commit of a debug build.
        std::thread::sleep(Duration::from_micros(seed % 250_000));
        let _ = child.kill();
        child.wait().unwrap();
        let check = hosts[1].run(&["refresh", "-q"]);
        match check.code {
            0 => {}
            4 => {
                losses += 1;
                login(&hosts[0], &idp, &redis, &["--redis-lease", "1"]);
            }
            other => panic!("unexpected exit {other}: {}", check.stderr),
        }
    }
    eprintln!(
        "fleet, rotation on: {losses} of {rounds} random kill -9 lost the refresh token ({:?})",
        started.elapsed()
    );
    // Measured 1 to 2 in 30 (docs/fleet.md); a quarter would mean the window grew.
    assert!(losses <= rounds / 4, "{losses} of {rounds}");
}

/// A holder paused (SIGSTOP) past its lease after the provider answered cannot
/// overwrite what the next holder committed: its commit is fenced off.
#[test]
fn a_paused_holder_cannot_overwrite_a_newer_commit() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &["--redis-lease", "1"]);
    let entry = entry(&idp);
    let mut paused = hosts[0].spawn(&["token"], &[STALE, (HOLD, "before-commit:500")]);
    paused.wait_for_line("test: holding");
    signal(&paused.child, "STOP");
    std::thread::sleep(Duration::from_millis(1500));
    let newer = hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    let (v, access) = (redis.hget(&entry, "v"), redis.hget(&entry, "access"));
    assert!(access.contains(newer.stdout.trim()));
    signal(&paused.child, "CONT");
    let (code, stderr) = paused.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("nothing was overwritten"), "{stderr}");
    assert_eq!(
        redis.hget(&entry, "v"),
        v,
        "the fencing number did not move"
    );
    assert_eq!(
        redis.hget(&entry, "access"),
        access,
        "the newer token stays"
    );
}

/// A holder paused before its request finds its lease gone on waking and uses the
/// token the next holder committed, never sending the refresh token again (a rotating
/// provider would take a reuse for theft and revoke the whole family).
#[test]
fn a_paused_holder_does_not_reuse_a_rotated_token() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &["--redis-lease", "1"]);
    let before = idp.refreshes();
    let mut paused = hosts[0].spawn(&["-v", "token"], &[STALE, (HOLD, "before-exchange:500")]);
    paused.wait_for_line("test: holding");
    signal(&paused.child, "STOP");
    std::thread::sleep(Duration::from_millis(1500));
    let newer = hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    signal(&paused.child, "CONT");
    // `-v` says how long the lease was held: at least the pause.
    // (cargo-mutants: `Lease::held_for` as a zero duration survived.)
    let line = paused.wait_for_line("the fleet's lease ran out after ");
    let held = line
        .split("ran out after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|d| d.strip_suffix('s'))
        .and_then(|secs| secs.parse::<f64>().ok());
    assert!(held.is_some_and(|secs| secs >= 1.5), "{line}");
    let out = paused.child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), newer.stdout);
    assert_eq!(idp.refreshes() - before, 1);
    hosts[0].run_with(&["refresh"], None, &[STALE]).expect(0);
}

#[test]
fn redis_down_is_temporary_and_the_fleet_recovers_from_the_aof() {
    let idp = Idp::start(IdpOptions::rotating());
    let mut redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &["--redis-timeout", "1"]);
    let host = &hosts[0];
    // A refresh, so that the token in the AOF is a rotated one.
    host.run_with(&["refresh"], None, &[STALE]).expect(0);
    // The cached path never connects to Redis.
    let before = redis.connections();
    host.run_with(&["token"], None, &[STALE]).expect(0);
    assert_eq!(redis.connections(), before + 1, "only redis-cli's own");
    redis.stop();
    let down = host
        .run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "1000")])
        .expect(5);
    assert!(down.error_line().contains("Redis"), "{}", down.stderr);
    // The fresh local copy is still served; a still-valid one with a warning.
    host.run_with(&["token"], None, &[STALE]).expect(0);
    let early = host
        .run_with(&["token", "--min-ttl", "400"], None, &[STALE])
        .expect(0);
    assert!(
        early.stderr.contains("could not be renewed"),
        "{}",
        early.stderr
    );
    redis.restart();
    host.run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "1000")])
        .expect(0);
    host.run_with(&["refresh"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "1000")])
        .expect(0);
}

#[test]
fn a_stalled_redis_is_a_timeout_and_nothing_is_lost() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &["--redis-timeout", "1"]);
    let host = &hosts[0];
    let mut sleeper = Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "DEBUG", "SLEEP", "3"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let stalled = host.run_with(&["token"], None, &[STALE]).expect(5);
    assert!(
        stalled.elapsed < Duration::from_millis(2800),
        "{:?}",
        stalled.elapsed
    );
    sleeper.wait().unwrap();
    host.run_with(&["token"], None, &[STALE]).expect(0);
    host.run_with(&["refresh"], None, &[STALE]).expect(0);
}

#[test]
fn with_a_key_file_redis_holds_no_token_in_clear() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts: Vec<TestEnv> = (0..3).map(|_| TestEnv::new()).collect();
    let key = seal_key(&hosts[0].path(""));
    let refresh_token = idp.refresh_token(Client::Basic);
    let logged_in = import_at(
        &hosts[0],
        &idp,
        &redis.url(),
        &refresh_token,
        &["--store-key-file", &key],
    )
    .expect(0);
    assert!(
        !logged_in.stderr.contains("not encrypted"),
        "{}",
        logged_in.stderr
    );
    let login_token = hosts[0].run(&["token"]).expect(0).stdout;
    attach(&hosts[1], &idp, &redis, &["--store-key-file", &key]).expect(0);
    let refreshed = hosts[1]
        .run_with(&["token"], None, &[STALE])
        .expect(0)
        .stdout;
    let dump = redis.dump();
    assert!(!dump.is_empty());
    for (name, value) in &dump {
        for secret in [
            refresh_token.as_str(),
            Client::Basic.secret(),
            login_token.trim(),
            refreshed.trim(),
        ] {
            assert!(!value.contains(secret), "{name} holds a secret in clear");
        }
        assert!(
            !value.contains("eyJ"),
            "{name} holds a JWT in clear: {value}"
        );
    }
    // The secrets are sealed with the entry's version (v2), the rest with their place.
    assert!(
        redis
            .hget(&entry(&idp), "secrets")
            .starts_with("octoken-sealed:v2:")
    );
    for field in ["access", "client", "refreshed_at", "refreshed_by"] {
        assert!(
            redis
                .hget(&entry(&idp), field)
                .starts_with("octoken-sealed:v1:"),
            "{field}"
        );
    }
    // A host without the key cannot use the entry, and says what is missing.
    let keyless = attach(&hosts[2], &idp, &redis, &[]).expect(3);
    assert!(
        keyless.error_line().contains("encrypted"),
        "{}",
        keyless.stderr
    );
}

/// `rediss://` through the same rustls setup and `--ca-file`, as an ACL user whose
/// password comes from the environment and never reaches config.toml.
#[test]
fn tls_and_an_acl_user_with_the_password_from_the_environment() {
    let idp = Idp::start(IdpOptions::default());
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = crate::servers::test_ca(certs.path());
    let password = "fleet-password-0123";
    let redis = Redis::start_with(RedisOptions {
        tls: Some((cert, key, ca.clone())),
        user: Some(("fleet".into(), password.into())),
    });
    let url = redis.url().replace("rediss://", "rediss://fleet@");
    let ca = ca.display().to_string();
    let mut hosts: Vec<TestEnv> = (0..2).map(|_| TestEnv::new()).collect();
    let refresh_token = idp.refresh_token(Client::Basic);
    // Without the password: a configuration error, before any sign-in.
    import_at(&hosts[0], &idp, &url, &refresh_token, &["--ca-file", &ca]).expect(3);
    for host in &mut hosts {
        host.set("OCTOKEN_REDIS_PASSWORD", password);
    }
    import_at(&hosts[0], &idp, &url, &refresh_token, &["--ca-file", &ca]).expect(0);
    // A password in the URL would be saved: refused.
    let with_password = url.replace("fleet@", &format!("fleet:{password}@"));
    attach(&hosts[1], &idp, &redis, &["--redis-url", &with_password]).expect(2);
    let mut args = vec!["--redis-url", url.as_str(), "--ca-file", ca.as_str()];
    attach(&hosts[1], &idp, &redis, &args).expect(0);
    let token = hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(token.stdout.starts_with("eyJ"));
    for host in &hosts {
        let config = std::fs::read_to_string(host.path("config/config.toml")).unwrap();
        assert!(config.contains("rediss://fleet@127.0.0.1"), "{config}");
        assert!(!config.contains(password), "{config}");
    }
    // Without the CA, the server's certificate is not trusted.
    args.truncate(2);
    let mut untrusted = TestEnv::new();
    untrusted.set("OCTOKEN_REDIS_PASSWORD", password);
    let refused = attach(&untrusted, &idp, &redis, &args);
    assert!(
        refused.error_line().contains("certificate"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.code, 3, "{}", refused.stderr);
}

/// `--redis-wait-replicas N`: each commit waits for N replicas (here none exist, so
/// the wait times out) and says when fewer acknowledged it.
#[test]
fn waiting_for_missing_replicas_warns() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(
        &idp,
        &redis,
        1,
        &["--redis-wait-replicas", "1", "--redis-timeout", "1"],
    );
    let run = hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(
        run.stderr.contains("only 0 of 1 Redis replicas"),
        "{}",
        run.stderr
    );
}

/// Redis gone between the provider's answer and the commit: the rotated token goes to
/// the local recovery file, the error says so, and the next run commits it.
#[test]
fn a_rotated_token_redis_did_not_take_is_recovered() {
    let idp = Idp::start(IdpOptions::rotating());
    let mut redis = Redis::start();
    // The holder's lease survives the restart (AOF): a short one, as a killed holder's.
    let hosts = fleet(
        &idp,
        &redis,
        2,
        &["--redis-timeout", "1", "--redis-lease", "2"],
    );
    let mut holder = hosts[0].spawn(&["token"], &[STALE, (HOLD, "before-commit:1000")]);
    holder.wait_for_line("test: holding");
    redis.stop();
    let (code, stderr) = holder.finish();
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains("saved to"), "{stderr}");
    redis.restart();
    let recovered = hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(
        recovered.stderr.contains("recovered"),
        "{}",
        recovered.stderr
    );
    // The recovered token is the fleet's now: another host refreshes with it.
    hosts[1]
        .run_with(&["refresh"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "1000")])
        .expect(0);
}

/// `logout` revokes the fleet's refresh token, so the shared entry goes too: the other
/// hosts are told to log in. `logout --local` only detaches a host.
#[test]
fn logout_revokes_for_the_fleet_and_logout_local_detaches_one_host() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 3, &[]);
    hosts[2].run(&["logout", "--local"]).expect(0);
    assert!(!redis.hget(&entry(&idp), "secrets").is_empty());
    hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    hosts[0].run(&["logout"]).expect(0);
    assert_eq!(redis.cli(&["EXISTS", &entry(&idp)]), "0");
    let gone = hosts[1]
        .run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "1000")])
        .expect(4);
    assert!(
        gone.error_line().contains("no refresh token"),
        "{}",
        gone.stderr
    );
}

#[test]
fn one_hosts_failure_holds_off_the_whole_fleet() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &[]);
    idp.fault(503, None);
    let before = idp.refreshes();
    hosts[0].run_with(&["token"], None, &[STALE]).expect(5);
    assert_eq!(idp.refreshes() - before, 1);
    // Another host, with its own local state, does not ask the failing provider.
    let other = hosts[1].run_with(&["token"], None, &[STALE]).expect(5);
    assert!(other.error_line().contains("holds off"), "{}", other.stderr);
    assert_eq!(idp.refreshes() - before, 1, "the fleet sent one request");
    // Once the provider is back and the backoff has passed, one refresh clears it.
    idp.clear_fault();
    std::thread::sleep(Duration::from_millis(3500));
    hosts[1]
        .run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "404")])
        .expect(0);
    let status = hosts[0].run_with(
        &["refresh", "--if-older-than", "0s"],
        None,
        &[("OCTOKEN_TEST_CLOCK_OFFSET", "404")],
    );
    status.expect(0);
}

/// The two header lines of `token --dpop-proof GET url` on `host`, and the API's answer
/// to curl sending them.
fn dpop_call(host: &TestEnv, url: &str, vars: &[(&str, &str)]) -> serde_json::Value {
    let headers = host
        .run_with(
            &["token", "--dpop-proof", "GET", url, "--format", "header"],
            None,
            vars,
        )
        .expect(0)
        .stdout;
    let file = host.path("headers.txt");
    std::fs::write(&file, headers).unwrap();
    let out = Command::new("curl")
        .args(["-s", "-f", "-H"])
        .arg(format!("@{}", file.display()))
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_attached_host_signs_dpop_proofs_with_the_fleets_key() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &["--dpop"]);
    let status = hosts[1].run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["dpop"]["alg"], "ES256", "{status}");
    let url = format!("{}/api/dpop/fleet", idp.base);
    let first = dpop_call(&hosts[0], &url, &[]);
    assert_eq!(first["bound"], true);
    // The attached host refreshes (its copy is stale): still bound to the one key.
    let before = idp.refreshes();
    let second = dpop_call(&hosts[1], &url, &[STALE]);
    assert_eq!(
        idp.refreshes(),
        before + 1,
        "one refresh, by the attached host"
    );
    assert_eq!(second["jkt"], first["jkt"], "the same key on both hosts");
    // And the host that logged in uses the token the other one got, bound as well.
    assert_eq!(dpop_call(&hosts[0], &url, &[])["jkt"], first["jkt"]);
}

#[test]
fn an_attached_host_authenticates_with_its_own_copy_of_the_client_key() {
    let keys = TestEnv::new();
    let key = keys.path("key.pem");
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let key_text = key.to_str().unwrap();
    let idp = Idp::start(IdpOptions {
        client_keys: vec![key.clone()],
        ..IdpOptions::rotating()
    });
    let redis = Redis::start();
    let url = redis.url();
    let hosts = [TestEnv::new(), TestEnv::new()];
    let seal = seal_key(&keys.path(""));
    let first_login = |extra: &[&str]| {
        let mut args = vec![
            "login",
            "--issuer",
            &idp.issuer,
            "--client-id",
            Client::Key.id(),
            "--client-key",
            key_text,
            "--client-key-aud",
            "issuer",
            "--store",
            "redis",
            "--redis-url",
            &url,
            "--timeout",
            "30",
        ];
        args.extend_from_slice(extra);
        hosts[0].run_with(&args, None, &[("BROWSER", &driver(""))])
    };
    // Unsealed, the entry would decide where hosts send their assertions: refused
    // before anyone signs in.
    let refused = first_login(&[]).expect(2);
    assert!(
        refused.stderr.contains("needs a sealed entry"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--store-key-file"),
        "{}",
        refused.stderr
    );
    first_login(&["--store-key-file", &seal]).expect(0);
    // Without a key of its own the host cannot join: said in one line, with the flag.
    let refused = attach_client(
        &hosts[1],
        &idp,
        &redis,
        Client::Key,
        &["--store-key-file", &seal],
    )
    .expect(2);
    assert!(
        refused
            .stderr
            .contains("needs its own copy of the client key"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--client-key PEM"),
        "{}",
        refused.stderr
    );
    // This host's own --client-key-id wins over the entry's (none): the provider knows
    // the key as "key", the file's base name.
    attach_client(
        &hosts[1],
        &idp,
        &redis,
        Client::Key,
        &[
            "--store-key-file",
            &seal,
            "--client-key",
            key_text,
            "--client-key-id",
            "key",
        ],
    )
    .expect(0);
    let config = std::fs::read_to_string(hosts[1].path("config/config.toml")).unwrap();
    assert!(config.contains("client_key_aud = \"issuer\""), "{config}");
    assert!(config.contains("client_key_id = \"key\""), "{config}");
    let before = idp.refreshes();
    hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    assert_eq!(
        idp.refreshes(),
        before + 1,
        "the attached host refreshed with its key"
    );
}

#[test]
fn an_unsealed_entry_planted_for_a_key_client_is_not_attached_to() {
    // Whoever can write the database plants an entry naming their own token endpoint.
    let trap = crate::support::fake::FakeServer::start(vec![]);
    let redis = Redis::start();
    let client = serde_json::json!({
        "issuer": "https://id.example.com",
        "client_id": "svc",
        "auth_method": "private-key-jwt",
        "scope": "api",
        "grant": "client_credentials",
        "token_url": trap.url,
        "client_key_aud": "issuer",
    });
    redis.cli(&[
        "HSET",
        "octoken:planted:entry",
        "v",
        "1",
        "secrets",
        r#"{"v":1}"#,
        "client",
        &client.to_string(),
    ]);
    let host = TestEnv::new();
    let key = host.path("key.pem");
    std::fs::write(&key, "unused: refused before it is read").unwrap();
    let url = redis.url();
    let run = host
        .run(&[
            "login",
            "--store",
            "redis",
            "--redis-url",
            &url,
            "--namespace",
            "planted",
            "--attach",
            "--client-key",
            key.to_str().unwrap(),
        ])
        .expect(2);
    assert!(
        run.stderr.contains("needs a sealed entry"),
        "{}",
        run.stderr
    );
    assert!(
        !host.path("config/config.toml").exists(),
        "no profile written"
    );
    host.run(&["token"]).expect(4);
    assert_eq!(
        trap.requests(),
        0,
        "nothing was sent to the planted endpoint"
    );
}

/// `n` hosts on one identity whose entry is sealed with one key file (in host 0's
/// directory), and the key file's path.
fn sealed_fleet(idp: &Idp, redis: &Redis, n: usize, extra: &[&str]) -> (Vec<TestEnv>, String) {
    let hosts: Vec<TestEnv> = (0..n).map(|_| TestEnv::new()).collect();
    let key = seal_key(&hosts[0].path(""));
    let mut args = vec!["--store-key-file", key.as_str()];
    args.extend_from_slice(extra);
    login(&hosts[0], idp, redis, &args);
    for host in &hosts[1..] {
        attach(host, idp, redis, &args).expect(0);
    }
    (hosts, key)
}

/// The unix time now, as the hosts see it with `STALE`.
fn stale_now() -> u64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    real + STALE.1.parse::<u64>().unwrap()
}

/// Whoever can write to Redis (without the store key) saves the sealed secrets, lets
/// the fleet refresh, and puts them back: alone, and with the version they were sealed
/// at. A rotating provider would take the old refresh token as a reuse and revoke the
/// whole grant: the host refuses both before sending anything.
#[test]
fn an_older_sealed_entry_put_back_is_refused_before_the_provider() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let (hosts, key) = sealed_fleet(&idp, &redis, 2, &[]);
    let entry = entry(&idp);
    let (old_v, old) = (redis.hget(&entry, "v"), redis.hget(&entry, "secrets"));
    hosts[1].run_with(&["refresh"], None, &[STALE]).expect(0);
    hosts[0].run_with(&["refresh"], None, &[STALE]).expect(0);
    let before = idp.refreshes();
    // The old value beside the current version: it does not open.
    redis.cli(&["HSET", &entry, "secrets", &old]);
    let moved = hosts[0].run_with(&["refresh"], None, &[STALE]).expect(6);
    assert!(
        moved.error_line().contains("put back from another version"),
        "{}",
        moved.stderr
    );
    assert_eq!(moved.stderr.lines().count(), 2, "{}", moved.stderr);
    // And beside its own version: it opens, but both hosts have used a newer one.
    redis.cli(&["HSET", &entry, "v", &old_v]);
    for host in &hosts {
        let back = host.run_with(&["refresh"], None, &[STALE]).expect(6);
        assert!(
            back.error_line().contains("went back to version"),
            "{}",
            back.stderr
        );
        assert!(back.stderr.contains("nothing was sent"), "{}", back.stderr);
        let token = host
            .run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "1000")])
            .expect(6);
        assert!(token.error_line().contains("went back"), "{}", token.stderr);
    }
    assert_eq!(idp.refreshes(), before, "nothing reached the provider");
    // A host that re-attaches follows the entry as it is now (the person's decision).
    attach(&hosts[1], &idp, &redis, &["--store-key-file", &key]).expect(0);
}

/// A logout deletes the entry (its version too); the next login starts above every
/// version a host may have seen, so the hosts that stayed attached are not refused.
#[test]
fn a_new_login_after_a_fleet_logout_is_no_rollback() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let (hosts, key) = sealed_fleet(&idp, &redis, 2, &[]);
    hosts[1].run_with(&["refresh"], None, &[STALE]).expect(0);
    // `status` shows the entry there and sealed, then gone.
    // (cargo-mutants: in `Shared::status`, `!=` as `==` for `exists` and the deleted
    // `Field::Value` arm of `sealed_with` survived.)
    let status = hosts[1].run(&["status"]).expect(0).stdout;
    assert!(
        status.contains("shared entry:    present, version "),
        "{status}"
    );
    assert!(status.contains(", sealed with key "), "{status}");
    hosts[0].run(&["logout"]).expect(0);
    // Exit 4: no refresh token, a login is needed.
    let status = hosts[1].run(&["status"]).expect(4).stdout;
    assert!(status.contains("shared entry:    missing"), "{status}");
    login(&hosts[0], &idp, &redis, &["--store-key-file", &key]);
    hosts[1].run_with(&["refresh"], None, &[STALE]).expect(0);
}

/// With a store key, a backoff that does not open (planted by someone without the
/// key) decides nothing: every host goes on, with one warning, and no escape sequence
/// of it reaches the terminal.
#[test]
fn a_planted_backoff_does_not_hold_off_a_sealed_fleet() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let (hosts, _) = sealed_fleet(&idp, &redis, 1, &[]);
    let namespace = format!("octoken:{}|{}|default", idp.issuer, Client::Basic.id());
    let now = stale_now();
    let planted = serde_json::json!({
        "failed_at": now,
        "until": now + 120,
        "reason": "\u{1b}]0;owned\u{7}\u{1b}[2Jthe provider is down",
        "failures": 1,
    });
    redis.cli(&[
        "SET",
        &format!("{namespace}:backoff"),
        &planted.to_string(),
        "PX",
        "600000",
    ]);
    let before = idp.refreshes();
    let run = hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    assert_eq!(idp.refreshes(), before + 1);
    assert_eq!(
        run.stderr.matches("ignoring the backoff").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not sealed"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

/// Without a store key a backoff cannot be told from a planted one, but it is bounded:
/// one longer than octoken ever holds off is ignored, and its reason is shown inert.
#[test]
fn an_unsealed_backoff_is_bounded_and_shown_inert() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &[]);
    let backoff = format!(
        "octoken:{}|{}|default:backoff",
        idp.issuer,
        Client::Basic.id()
    );
    let now = stale_now();
    let plant = |until: u64| {
        let planted = serde_json::json!({
            "failed_at": now,
            "until": until,
            "reason": "\u{1b}]0;owned\u{7}\u{1b}[31mred",
            "failures": 1,
        });
        redis.cli(&["SET", &backoff, &planted.to_string(), "PX", "600000"]);
    };
    // 3111 years.
    plant(now + 98_100_000_000);
    let run = hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(
        run.stderr.contains("ignoring a recorded backoff"),
        "{}",
        run.stderr
    );
    plant(now + 120);
    let held = hosts[0]
        .run_with(&["refresh", "--if-older-than", "0s"], None, &[STALE])
        .expect(5);
    assert!(held.error_line().contains("holds off"), "{}", held.stderr);
    assert!(held.stderr.contains("red"), "{}", held.stderr);
    assert!(!held.stderr.contains('\u{1b}'), "{:?}", held.stderr);
}

/// A 20 MiB `reason` (the review used 300 MiB: 1.2 GB of memory and as much on stderr)
/// never leaves Redis: the one read returns its length instead, and octoken goes on.
#[test]
fn a_huge_value_in_redis_is_not_read() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &[]);
    let prefix = format!("octoken:{}|{}|default", idp.issuer, Client::Basic.id());
    let until = (stale_now() + 120).to_string();
    redis.cli(&[
        "EVAL",
        "return redis.call('SET', KEYS[1], '{\"failed_at\":0,\"until\":' .. ARGV[1] .. ',\"reason\":\"' .. string.rep('A', 20 * 1024 * 1024) .. '\",\"failures\":1}', 'PX', 600000)",
        "1",
        &format!("{prefix}:backoff"),
        &until,
    ]);
    let run = hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(
        run.stderr.len() < 2000,
        "{} bytes on stderr",
        run.stderr.len()
    );
    assert!(
        run.stderr.contains("ignoring the backoff"),
        "{}",
        run.stderr
    );
    // The same in the entry: the secrets are refused (not read), in one short line.
    redis.cli(&[
        "EVAL",
        "return redis.call('HSET', KEYS[1], 'secrets', string.rep('A', 20 * 1024 * 1024))",
        "1",
        &format!("{prefix}:entry"),
    ]);
    let refused = hosts[0].run_with(&["refresh"], None, &[STALE]).expect(6);
    assert!(
        refused.stderr.len() < 2000,
        "{} bytes",
        refused.stderr.len()
    );
    assert!(
        refused.error_line().contains("bytes long"),
        "{}",
        refused.stderr
    );
}

/// A lease owner is foreign text: `status` shows it inert without a key, and with a
/// key shows a lease that does not open as an unknown holder; a waiting host drops
/// such a lease (or one without expiry) instead of waiting for it.
#[test]
fn a_planted_lease_is_shown_inert_and_does_not_hold_the_fleet() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let lease = format!(
        "octoken:{}|{}|default:lease",
        idp.issuer,
        Client::Basic.id()
    );
    let owner = "\u{1b}]0;owned\u{7}\u{1b}[2Jmallory#1";
    let hosts = fleet(&idp, &redis, 1, &["--redis-lease", "1"]);
    redis.cli(&["SET", &lease, owner, "PX", "5000"]);
    let status = hosts[0].run(&["status"]).expect(0);
    assert!(status.stdout.contains("held by"), "{}", status.stdout);
    assert!(status.stdout.contains("mallory"), "{}", status.stdout);
    assert!(!status.stdout.contains('\u{1b}'), "{:?}", status.stdout);
    let json = hosts[0].run(&["status", "--json"]).expect(0);
    assert!(!json.stdout.contains('\u{1b}'), "{:?}", json.stdout);
    // No expiry: no octoken host set it.
    redis.cli(&["SET", &lease, owner]);
    let run = hosts[0]
        .run_with(&["-v", "token"], None, &[STALE])
        .expect(0);
    assert!(
        run.stderr.contains("ignoring the refresh lease"),
        "{}",
        run.stderr
    );
    // Dropped and taken at once, without waiting as for a host's lease.
    // (cargo-mutants: `dropped == 1` as `!=` in `drop_foreign_lease` survived.)
    assert!(!run.stderr.contains("lease; waiting"), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
    // An hour: longer than any octoken host takes it (--redis-lease is at most 600 s).
    redis.cli(&["SET", &lease, owner, "PX", "3600000"]);
    let run = hosts[0]
        .run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "800")])
        .expect(0);
    assert!(
        run.stderr.contains("later than any octoken lease"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);

    let sealed_redis = Redis::start();
    let (sealed, _) = sealed_fleet(&idp, &sealed_redis, 1, &["--redis-lease", "1"]);
    sealed_redis.cli(&["SET", &lease, owner, "PX", "60000"]);
    let status = sealed[0].run(&["status"]).expect(0);
    assert!(
        status.stdout.contains("unknown holder"),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("mallory"), "{}", status.stdout);
    let run = sealed[0].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(run.stderr.contains("not sealed"), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
}

/// An error reply is foreign text too (a server in the path, or a proxy).
#[test]
fn a_redis_error_reply_is_shown_inert() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                // One error per command received (a client may pipeline its hello).
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    let commands = buf[..n]
                        .split(|&b| b == b'\n')
                        .filter(|line| line.starts_with(b"*"))
                        .count();
                    for _ in 0..commands.max(1) {
                        let _ = stream.write_all(b"-ERR \x1b]0;owned\x07\x1b[2Jgo away\r\n");
                    }
                }
            });
        }
    });
    let idp = Idp::start(IdpOptions::default());
    let host = TestEnv::new();
    let refresh_token = idp.refresh_token(Client::Basic);
    let url = format!("redis://127.0.0.1:{port}/0");
    let run = import_at(&host, &idp, &url, &refresh_token, &[]);
    // A storage error (exit 6): the server refused a command, not the password or ACL.
    // (cargo-mutants: the `refused` guard in `Shared::error` as `true` survived.)
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("go away"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

/// A Redis whose host name does not resolve is out of reach like one that is down: a
/// temporary error (exit 5) that says so, not a storage error.
/// (cargo-mutants: in `Shared::error`, the first or second `||` of `is_timeout() ||
/// is_io_error() || is_connection_refusal() || is_connection_dropped()` as `&&`
/// survived: the refused and timed-out connections of the other tests are more than
/// one of these, a failed name lookup is an I/O error only.)
#[test]
fn a_redis_host_that_does_not_resolve_is_temporary() {
    let idp = Idp::start(IdpOptions::default());
    let host = TestEnv::new();
    // RFC 6761: `.invalid` never resolves.
    let url = "redis://no-such-host.invalid:6379/0";
    let run = attach_at(&host, &idp, Client::Basic, Some(url), &[]).expect(5);
    assert!(
        run.error_line()
            .contains("Redis at redis://no-such-host.invalid:6379/0"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("this is temporary"), "{}", run.stderr);
}

/// `--redis-password-file`: an ACL user's password read from a 0600 file on each
/// connection (the environment wins over it). A wrong password, or a file other users
/// can read, is a configuration error that names the way out.
/// (cargo-mutants: in `Shared`, deleting the file's arm in `connect`, and the
/// `AuthenticationFailed` and `InvalidClientConfig` arms in `error`, survived; so did
/// `RedisStore::probe` replaced by `Ok(())`.)
#[test]
fn the_redis_password_can_come_from_a_private_file() {
    let idp = Idp::start(IdpOptions::default());
    let password = "fleet-password-0123";
    let redis = Redis::start_with(RedisOptions {
        tls: None,
        user: Some(("fleet".into(), password.into())),
    });
    let url = redis.url().replace("redis://", "redis://fleet@");
    let mut hosts: Vec<TestEnv> = (0..2).map(|_| TestEnv::new()).collect();
    let file = |host: &TestEnv, name: &str, text: &str, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        let path = host.path(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.display().to_string()
    };
    let right = file(&hosts[0], "redis-password", &format!("{password}\n"), 0o600);
    let wrong = file(&hosts[0], "wrong", "not-the-password\n", 0o600);
    let refresh_token = idp.refresh_token(Client::Basic);
    let login = |password_file: &str| {
        import_at(
            &hosts[0],
            &idp,
            &url,
            &refresh_token,
            &["--redis-password-file", password_file],
        )
    };
    // Refused before the refresh token is sent anywhere (the store is probed first).
    let before = idp.refreshes();
    let refused = login(&wrong).expect(3);
    assert!(
        refused.stderr.contains("--redis-password-file"),
        "{}",
        refused.stderr
    );
    assert_eq!(idp.refreshes(), before, "nothing reached the provider");
    login(&right).expect(0);
    // The file is read again by every run that connects (a refresh).
    hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    let loose = file(&hosts[1], "loose", &format!("{password}\n"), 0o644);
    let refused = attach(
        &hosts[1],
        &idp,
        &redis,
        &["--redis-url", &url, "--redis-password-file", &loose],
    )
    .expect(3);
    assert!(
        refused.error_line().contains(&format!(
            "cannot use the password file - InvalidClientConfig: {loose}: "
        )),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--redis-password-file"),
        "the hint names the flag: {}",
        refused.stderr
    );
    hosts[1].set("OCTOKEN_REDIS_PASSWORD", password);
    attach(
        &hosts[1],
        &idp,
        &redis,
        &["--redis-url", &url, "--redis-password-file", &wrong],
    )
    .expect(0);
    hosts[1].run(&["token"]).expect(0);
}

/// A lease's owner token, as a host of an unsealed fleet writes it: this host's name and
/// the holder's process id (what `status` shows, for the lease and the last refresh),
/// then 64 random bits, new at each take, so that two hosts with the same name and
/// process id (containers, where octoken may be pid 1) never renew or release each
/// other's lease.
/// (cargo-mutants: `random` as 0 or 1, and `holder_name` as "", "xyzzy" or "host",
/// survived.)
#[test]
fn a_lease_names_its_holder_and_a_new_random_owner_each_time() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &[]);
    let lease = format!(
        "octoken:{}|{}|default:lease",
        idp.issuer,
        Client::Basic.id()
    );
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mut owners = Vec::new();
    for offset in ["400", "800"] {
        let clock = ("OCTOKEN_TEST_CLOCK_OFFSET", offset);
        let mut holder = hosts[0].spawn(&["token"], &[clock, (HOLD, "before-exchange:500")]);
        holder.wait_for_line("test: holding");
        signal(&holder.child, "STOP");
        let holder_name = format!("{}:{}", name.trim(), holder.child.id());
        let owner = redis.cli(&["GET", &lease]).trim().to_string();
        let status = hosts[1].run(&["status"]).expect(0);
        signal(&holder.child, "CONT");
        let (code, stderr) = holder.finish();
        assert_eq!(code, Some(0), "{stderr}");
        assert!(
            status
                .stdout
                .contains(&format!("lease:           held by {holder_name} (")),
            "{}",
            status.stdout
        );
        let random = owner
            .strip_prefix(&format!("{holder_name}#"))
            .unwrap_or_else(|| panic!("{owner}"));
        assert!(
            random.len() == 16 && random.chars().all(|c| c.is_ascii_hexdigit()),
            "{owner}"
        );
        owners.push(random.to_string());
        let status = hosts[1].run(&["status"]).expect(0);
        assert!(
            status.stdout.contains(&format!(" by {holder_name}\n")),
            "the last refresh's host: {}",
            status.stdout
        );
    }
    assert_ne!(owners[0], owners[1], "a new random part at each take");
}

/// `--redis-lease 18446744073709551615` was saved and the next stale `token` panicked
/// adding durations: refused at the flag now, and in config.toml with the file named.
#[test]
fn an_overflowing_lease_is_refused_at_the_flag_and_in_the_config() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &[]);
    let refused = attach(
        &hosts[1],
        &idp,
        &redis,
        &["--redis-lease", "18446744073709551615"],
    )
    .expect(2);
    assert!(
        refused.stderr.contains("--redis-lease"),
        "{}",
        refused.stderr
    );
    attach(&hosts[1], &idp, &redis, &["--redis-timeout", "100000"]).expect(2);
    let config = hosts[1].path("config/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("[profiles.default.redis]"), "{text}");
    let text = text.replace(
        "[profiles.default.redis]\n",
        "[profiles.default.redis]\nlease_secs = 18446744073709551615\n",
    );
    std::fs::write(&config, text).unwrap();
    let run = hosts[1].run_with(&["token"], None, &[STALE]).expect(3);
    assert!(run.error_line().contains("lease_secs"), "{}", run.stderr);
    assert!(
        run.error_line().contains(config.to_str().unwrap()),
        "{}",
        run.stderr
    );
}

/// The token endpoint's URL of the test provider.
fn token_url(idp: &Idp) -> String {
    format!("{}/protocol/openid-connect/token", idp.issuer)
}

/// Presents `refresh_token` to the provider outside octoken (a host of another fleet
/// copy, a thief): on a rotating provider it is used up.
fn use_up(idp: &Idp, refresh_token: &str) {
    let out = Command::new("curl")
        .args(["-s", "-f", "-u"])
        .arg(format!("{}:{}", Client::Basic.id(), Client::Basic.secret()))
        .args(["-d", "grant_type=refresh_token", "--data-urlencode"])
        .arg(format!("refresh_token={refresh_token}"))
        .arg(token_url(idp))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The shared (unsealed) secrets' refresh token.
fn shared_refresh_token(redis: &Redis, idp: &Idp) -> String {
    let secrets: serde_json::Value =
        serde_json::from_str(&redis.hget(&entry(idp), "secrets")).unwrap();
    secrets["refresh_token"].as_str().unwrap().to_string()
}

/// The provider refuses the token a holder read (`invalid_grant`) while the shared
/// entry got a newer one meanwhile: the holder re-reads the entry and retries with it
/// instead of asking for a login.
#[test]
fn invalid_grant_retries_with_the_newer_shared_token() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &["--redis-lease", "30"]);
    let old = shared_refresh_token(&redis, &idp);
    let newer = idp.refresh_token(Client::Basic);
    let mut holder = hosts[0].spawn(&["refresh"], &[STALE, (HOLD, "before-exchange:1500")]);
    holder.wait_for_line("test: holding");
    use_up(&idp, &old);
    let secrets = redis.hget(&entry(&idp), "secrets").replace(&old, &newer);
    redis.cli(&["HSET", &entry(&idp), "secrets", &secrets]);
    let before = idp.refreshes();
    let (code, stderr) = holder.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        idp.refreshes() - before,
        2,
        "the refused token, then the newer one"
    );
    let committed = shared_refresh_token(&redis, &idp);
    assert!(
        committed != old && committed != newer,
        "the rotated one is shared"
    );
}

/// Any other failure is not retried with a token that changed meanwhile: one request.
#[test]
fn a_temporary_failure_is_not_retried_with_a_changed_shared_token() {
    let idp = Idp::start(IdpOptions::rotating());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &["--redis-lease", "30"]);
    let old = shared_refresh_token(&redis, &idp);
    let newer = idp.refresh_token(Client::Basic);
    let mut holder = hosts[0].spawn(&["refresh"], &[STALE, (HOLD, "before-exchange:1500")]);
    holder.wait_for_line("test: holding");
    idp.fault(503, None);
    let secrets = redis.hget(&entry(&idp), "secrets").replace(&old, &newer);
    redis.cli(&["HSET", &entry(&idp), "secrets", &secrets]);
    let before = idp.refreshes();
    let (code, stderr) = holder.finish();
    assert_eq!(code, Some(5), "{stderr}");
    assert_eq!(idp.refreshes() - before, 1, "{stderr}");
}

/// A commit that fails when the provider did not rotate the token loses nothing: no
/// recovery file, a temporary error (the recovery file is for a rotated token only).
#[test]
fn a_failed_commit_without_rotation_writes_no_recovery_file() {
    let idp = Idp::start(IdpOptions::default());
    let mut redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &["--redis-timeout", "1"]);
    let mut holder = hosts[0].spawn(&["token"], &[STALE, (HOLD, "before-commit:1000")]);
    holder.wait_for_line("test: holding");
    redis.stop();
    let (code, stderr) = holder.finish();
    assert_eq!(code, Some(5), "{stderr}");
    assert!(!stderr.contains("saved to"), "{stderr}");
    let leftovers: Vec<_> = hosts[0]
        .all_files()
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("recover"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A host that uses the fleet's token keeps a copy: its next `token` reads no Redis.
#[test]
fn an_adopted_token_is_cached_locally() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &[]);
    let before = idp.refreshes();
    let first = hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    let adopted = hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    assert_eq!(adopted.stdout, first.stdout);
    assert_eq!(idp.refreshes() - before, 1);
    let connections = redis.connections();
    hosts[1].run_with(&["token"], None, &[STALE]).expect(0);
    assert_eq!(redis.connections(), connections + 1, "only redis-cli's own");
}

/// With a replica that acknowledges each commit, nothing is said.
#[test]
fn an_acknowledging_replica_is_not_warned_about() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let _replica = Redis::replica_of(&redis);
    let hosts = fleet(&idp, &redis, 1, &["--redis-wait-replicas", "1"]);
    let run = hosts[0].run_with(&["token"], None, &[STALE]).expect(0);
    assert!(!run.stderr.contains("replicas"), "{}", run.stderr);
}

/// Lease attempts (`SET ... NX`) the server answered so far.
fn lease_attempts(redis: &Redis) -> u64 {
    let info = redis.cli(&["INFO", "commandstats"]);
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_set:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A lease a host of the fleet keeps past a waiter's patience (the longer of the lock
/// timeout and the lease plus 2 s): a temporary error that names that host, after one
/// "waiting" line at `-v`, having tried the lease every 50 to 150 ms meanwhile.
#[test]
fn a_waiter_past_its_patience_names_the_holder() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 1, &["--redis-lease", "1"]);
    let lease = format!(
        "octoken:{}|{}|default:lease",
        idp.issuer,
        Client::Basic.id()
    );
    // As a host of this (unsealed) fleet writes it: "name:pid#random", in clear.
    redis.cli(&[
        "SET",
        &lease,
        "rival-host:4242#00000000000000ff",
        "PX",
        "60000",
    ]);
    let before = (idp.refreshes(), lease_attempts(&redis));
    let run = hosts[0]
        .run_with(
            &["-v", "token"],
            None,
            &[STALE, ("OCTOKEN_LOCK_TIMEOUT", "1")],
        )
        .expect(5);
    assert!(
        run.error_line()
            .contains("rival-host:4242 has held the fleet's refresh lease"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr
            .matches("another host holds the fleet's refresh lease; waiting")
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.elapsed >= Duration::from_secs(3), "{:?}", run.elapsed);
    let attempts = lease_attempts(&redis) - before.1;
    assert!(
        attempts >= 8,
        "{attempts} lease attempts in {:?}",
        run.elapsed
    );
    assert_eq!(idp.refreshes(), before.0, "nothing reached the provider");
}

/// A successful refresh ends the fleet's backoff for every host, not only its own: the
/// shared record goes, so another host's next stale `token` asks the provider at once.
/// (cargo-mutants: `clear_backoff` replaced by nothing survived the fleet tests.)
#[test]
fn a_successful_refresh_clears_the_fleets_backoff_for_every_host() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &[]);
    let backoff = format!(
        "octoken:{}|{}|default:backoff",
        idp.issuer,
        Client::Basic.id()
    );
    let now = stale_now();
    let planted = serde_json::json!({
        "failed_at": now,
        "until": now + 120,
        "reason": "the provider was down",
        "failures": 1,
    });
    redis.cli(&["SET", &backoff, &planted.to_string(), "PX", "600000"]);
    let held = hosts[1]
        .run_with(&["refresh", "--if-older-than", "0s"], None, &[STALE])
        .expect(5);
    assert!(held.error_line().contains("holds off"), "{}", held.stderr);
    // A person's `refresh` asks anyway, succeeds, and ends the backoff for the fleet.
    hosts[0].run_with(&["refresh"], None, &[STALE]).expect(0);
    assert_eq!(redis.cli(&["EXISTS", &backoff]).trim(), "0");
    let before = idp.refreshes();
    hosts[1]
        .run_with(&["refresh", "--if-older-than", "0s"], None, &[STALE])
        .expect(0);
    assert_eq!(idp.refreshes(), before + 1);
}

/// The access token a login obtained goes to the entry with the client's settings: an
/// attached host's first `token` prints it and asks the provider nothing.
/// (cargo-mutants: `publish_access` replaced by nothing survived the fleet tests.)
#[test]
fn an_attached_host_starts_with_the_logins_access_token() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let hosts = fleet(&idp, &redis, 2, &[]);
    let before = idp.refreshes();
    let first = hosts[0].run(&["token"]).expect(0);
    let attached = hosts[1].run(&["token"]).expect(0);
    assert_eq!(attached.stdout, first.stdout);
    assert_eq!(idp.refreshes(), before, "no host asked the provider");
}

/// `value` sealed as an octoken before versioned seals wrote an entry's secrets (format
/// v1: bound to its place only), as src/store/seal.rs describes it, with `ring`.
fn seal_v1(key: &[u8], place: &str, plain: &[u8]) -> String {
    use base64::Engine;
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let digest = ring::digest::digest(&ring::digest::SHA256, key);
    let id: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap());
    let nonce = [7u8; 12];
    let mut data = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(format!("octoken:v1:{id}:{place}").as_bytes()),
        &mut data,
    )
    .unwrap();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&data);
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(out);
    format!("octoken-sealed:v1:{id}:{b64}")
}

/// `value` as sealed at `version` (format v2) opened with `key`.
fn open_v2(key: &[u8], place: &str, version: &str, value: &str) -> Vec<u8> {
    use base64::Engine;
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
    let digest = ring::digest::digest(&ring::digest::SHA256, key);
    let id: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let b64 = value
        .strip_prefix(&format!("octoken-sealed:v2:{id}:"))
        .expect("a v2 sealed value");
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64)
        .unwrap();
    let (nonce, data) = bytes.split_at(NONCE_LEN);
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap());
    let mut data = data.to_vec();
    let plain = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(nonce).unwrap(),
            Aad::from(format!("octoken:v2:{id}:{place}#{version}").as_bytes()),
            &mut data,
        )
        .expect("opens with the fleet's key at its version");
    plain.to_vec()
}

/// An entry whose secrets an earlier octoken sealed without the version (format v1):
/// `token` never opens it (whoever can write to Redis could put such a value back
/// forever), and `login --attach`, where a person asks to follow the entry, re-seals it
/// once with a new version that the fleet then works from.
/// (cargo-mutants: `reseal_legacy` returning Ok(0) or Ok(1) survived the fleet tests.)
#[test]
fn an_entry_sealed_without_its_version_is_resealed_at_attach() {
    let idp = Idp::start(IdpOptions::default());
    let redis = Redis::start();
    let (hosts, key_file) = sealed_fleet(&idp, &redis, 1, &[]);
    let key = std::fs::read(&key_file).unwrap();
    let entry = entry(&idp);
    let place = format!("{entry}/secrets");
    let v = redis.hget(&entry, "v");
    let plain = open_v2(&key, &place, &v, &redis.hget(&entry, "secrets"));
    redis.cli(&["HSET", &entry, "secrets", &seal_v1(&key, &place, &plain)]);

    let refused = hosts[0].run_with(&["refresh"], None, &[STALE]).expect(6);
    assert_eq!(refused.stderr.lines().count(), 2, "{}", refused.stderr);

    let host = TestEnv::new();
    let attached = attach(&host, &idp, &redis, &["--store-key-file", &key_file]).expect(0);
    assert!(
        attached.stderr.contains("re-sealed the shared secrets"),
        "{}",
        attached.stderr
    );
    let resealed_at = redis.hget(&entry, "v");
    assert!(
        resealed_at.parse::<u64>().unwrap() > v.parse::<u64>().unwrap(),
        "{v} -> {resealed_at}"
    );
    assert_eq!(
        open_v2(&key, &place, &resealed_at, &redis.hget(&entry, "secrets")),
        plain
    );
    let before = idp.refreshes();
    host.run_with(&["refresh"], None, &[STALE]).expect(0);
    assert_eq!(idp.refreshes(), before + 1);
}
