//! When the provider struggles (its fault hook answers every refresh with 503): serve
//! what is still valid, never stampede it, spread the load.

use crate::support::signin::import;
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `octoken ARGS` `n` times at once with the clock shifted by `offset` seconds.
fn concurrently(env: &TestEnv, n: usize, args: &[&str], offset: &str) -> (Vec<Output>, Duration) {
    let start = Instant::now();
    let children: Vec<_> = (0..n)
        .map(|_| {
            let mut cmd = env.command(args);
            cmd.env("OCTOKEN_TEST_CLOCK_OFFSET", offset)
                .stdin(Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    let outputs = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    (outputs, start.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_hundred_callers_with_an_expired_token_send_at_most_two_refreshes_to_a_failing_provider() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    idp.fault(503, None);
    let before = idp.refreshes();
    // +400 s: the 300 s access token has expired.
    let (outputs, wall) = concurrently(&env, 100, &["token"], "400");
    for out in &outputs {
        assert_eq!(out.status.code(), Some(5), "{}", stderr(out));
        assert!(out.stdout.is_empty());
        let errors = stderr(out)
            .lines()
            .filter(|l| l.starts_with("octoken: error:"))
            .count();
        assert_eq!(errors, 1, "{}", stderr(out));
    }
    let sent = idp.refreshes() - before;
    assert!(sent <= 2, "{sent} refreshes reached the failing provider");
    assert!(wall < Duration::from_secs(5), "all answered in {wall:?}");
    // Later callers are told why and when to try again, without asking the server.
    let run = env.run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")]);
    let line = run.expect(5).error_line();
    assert!(line.contains("holds off"), "{line}");
    assert_eq!(idp.refreshes() - before, sent);
    let status = env.run_with(
        &["status", "--json"],
        None,
        &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")],
    );
    let status: serde_json::Value = serde_json::from_str(&status.expect(0).stdout).unwrap();
    assert!(
        status["last_failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("temporarily_unavailable")
    );

    // The provider is back and the backoff (2-3 s) has passed: one refresh, as usual.
    idp.clear_fault();
    std::thread::sleep(Duration::from_millis(3500));
    env.run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "404")])
        .expect(0);
    assert_eq!(idp.refreshes() - before, sent + 1);
    let status = env.run_with(
        &["status", "--json"],
        None,
        &[("OCTOKEN_TEST_CLOCK_OFFSET", "404")],
    );
    let status: serde_json::Value = serde_json::from_str(&status.expect(0).stdout).unwrap();
    assert!(status["backoff"].is_null() && status["last_failure"].is_null());
}

#[test]
fn a_token_that_still_works_is_served_with_a_warning_while_the_provider_is_down() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let cached = env.run(&["token"]).expect(0).stdout;
    idp.fault(503, None);
    let before = idp.refreshes();
    // +240 s: the token has 60 s left, less than --min-ttl 100.
    let (outputs, _) = concurrently(&env, 100, &["token", "--min-ttl", "100"], "240");
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), cached);
        let warnings: Vec<String> = stderr(out).lines().map(str::to_string).collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("octoken: warning: serving the cached token, valid for"),
            "{warnings:?}"
        );
    }
    assert!(idp.refreshes() - before <= 2);
    // --strict wants the full --min-ttl.
    let strict = env.run_with(
        &["token", "--min-ttl", "100", "--strict"],
        None,
        &[("OCTOKEN_TEST_CLOCK_OFFSET", "240")],
    );
    strict.expect(5);
    // An expired token is never printed.
    let expired = env.run_with(&["token"], None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "400")]);
    assert_eq!(expired.expect(5).stdout, "");
}

#[test]
fn retry_after_is_honoured_and_a_day_is_capped() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let stale = [("OCTOKEN_TEST_CLOCK_OFFSET", "400")];
    idp.fault(503, Some(3));
    let first = idp.refresh_times().len();
    env.run_with(&["token"], None, &stale).expect(5);
    // Waited out in the process once (3 s), then recorded for everyone.
    let times = idp.refresh_times()[first..].to_vec();
    assert_eq!(times.len(), 2, "{times:?}");
    assert!(times[1] - times[0] >= 3000, "{times:?}");
    env.run_with(&["token"], None, &stale).expect(5);
    assert_eq!(
        idp.refresh_times().len(),
        first + 2,
        "no request inside Retry-After"
    );

    // A day is capped at five minutes: `refresh` by hand asks anyway and records it.
    idp.fault(503, Some(86_400));
    env.run_with(&["refresh"], None, &stale).expect(5);
    let status = env.run_with(&["status", "--json"], None, &stale);
    let status: serde_json::Value = serde_json::from_str(&status.expect(0).stdout).unwrap();
    let left = status["backoff"]["seconds_left"].as_u64().unwrap();
    assert!((295..=300).contains(&left), "{status:#}");
    // The cron form honours it.
    let cron = env.run_with(&["refresh", "--if-older-than", "0s"], None, &stale);
    assert!(cron.expect(5).error_line().contains("holds off"));
}

#[test]
fn jitter_spreads_a_fleets_cron_runs_over_the_window_and_never_past_it() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let first = idp.refresh_times().len();
    let (outputs, _) = concurrently(
        &env,
        20,
        &["refresh", "--if-older-than", "0s", "--jitter", "2s", "-v"],
        "0",
    );
    // Each process says how long it waited (-v); none waits past the window.
    let mut pauses: Vec<u64> = outputs
        .iter()
        .map(|out| {
            assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
            let text = stderr(out);
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("octoken: waiting "))
                .unwrap_or_else(|| panic!("no jitter line: {text}"));
            line.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    pauses.sort_unstable();
    assert!(pauses.iter().all(|&p| p <= 2000), "{pauses:?}");
    assert!(pauses[19] - pauses[0] >= 500, "spread: {pauses:?}");
    // And the provider saw the requests spread out, not in one burst.
    let times = idp.refresh_times()[first..].to_vec();
    assert_eq!(times.len(), 20);
    assert!(times[19] - times[0] >= 500, "{times:?}");
}
