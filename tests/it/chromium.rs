//! One login in a real browser: Debian's Chromium, headless, driven by playwright-core
//! (tests/idp/chromium.mjs) through the provider's pages to octoken's loopback listener.
//! `.ci/run` installs Chromium; without it this test fails rather than skips.

use crate::support::{Client, Idp, IdpOptions, TestEnv, repo_root};

#[test]
fn login_in_headless_chromium() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "Debian's chromium is needed (apt-get install chromium; .ci/run does it)"
    );
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let browser = format!(
        "node {}",
        repo_root().join("tests/idp/chromium.mjs").display()
    );
    env.run(&[
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        Client::Public.id(),
        "--auth-method",
        "none",
        "--store",
        "file",
        "--timeout",
        "120",
        "--browser",
        &browser,
    ])
    .expect(0);
    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        status["access_token"]["subject"], "carol",
        "signed in as the browser's user"
    );
    assert_eq!(status["refresh_token"], "stored");
    env.run(&["refresh"]).expect(0);
}
