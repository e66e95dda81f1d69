//! Resource indicators (RFC 8707) against the bundled provider, which issues JWT access
//! tokens for two APIs (urn:octoken:api, urn:octoken:files): a login for both, tokens
//! narrowed to one of them and cached apart, client credentials for one.

use crate::support::signin::browser_login;
use crate::support::{Client, Idp, IdpOptions, TestEnv, driver};

const API: &str = "urn:octoken:api";
const FILES: &str = "urn:octoken:files";

fn aud(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.trim().split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["aud"].clone()
}

#[test]
fn resource_narrows_a_token_to_one_api_without_replacing_the_logins() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    browser_login(
        &env,
        &idp,
        Client::Public,
        &[
            "--resource",
            API,
            "--resource",
            FILES,
            "--scope",
            "openid offline_access read write",
        ],
        &driver(""),
    )
    .expect(0);
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    assert!(config.contains(API) && config.contains(FILES), "{config}");

    let status = env.run(&["status", "--json"]).expect(0).stdout;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        status["resource"],
        serde_json::json!([API, FILES]),
        "{status}"
    );
    assert!(env.run(&["status"]).expect(0).stdout.contains("resources:"));

    // The login's token: of two resources the provider picks its first.
    let full = env.run(&["token"]).expect(0).stdout;
    assert_eq!(aud(&full), API);
    let before = idp.refreshes();
    let files = env.run(&["token", "--resource", FILES]).expect(0).stdout;
    assert_eq!(aud(&files), FILES);
    assert_eq!(
        idp.refreshes(),
        before + 1,
        "one refresh for the narrowed token"
    );
    // Both cached, each in its own file.
    assert_eq!(env.run(&["token"]).expect(0).stdout, full);
    assert_eq!(
        env.run(&["token", "--resource", FILES]).expect(0).stdout,
        files
    );
    assert_eq!(idp.refreshes(), before + 1, "both served from the cache");
    // With a narrower scope too: another cache file again.
    let read = env
        .run(&["token", "--resource", FILES, "--scope", "read"])
        .expect(0)
        .stdout;
    assert_eq!(aud(&read), FILES);
    assert_ne!(read, files);
    assert_eq!(
        env.run(&["token", "--resource", FILES]).expect(0).stdout,
        files
    );

    // A resource the login was not granted: the server says so.
    let run = env.run(&["token", "--resource", "urn:octoken:other"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("invalid_target"), "{}", run.stderr);
    assert_eq!(env.run(&["token"]).expect(0).stdout, full);

    // Not for ID tokens; not a URI.
    env.run(&["token", "--type", "id", "--resource", FILES])
        .expect(2);
    let run = env
        .run(&[
            "login",
            "-p",
            "x",
            "--issuer",
            &idp.issuer,
            "--client-id",
            "c",
            "--resource",
            "not a uri",
        ])
        .expect(2);
    assert!(run.stderr.contains("absolute URI"), "{}", run.stderr);

    // logout forgets the narrowed caches too.
    env.run(&["logout"]).expect(0);
    let left: Vec<_> = env
        .all_files()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().contains("tokens/"))
        .map(|(path, _)| path)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn client_credentials_for_one_resource() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::machine_login(&env, &idp, Client::Basic, &["--resource", FILES])
        .expect(0);
    let token = env.run(&["token"]).expect(0).stdout;
    assert_eq!(aud(&token), FILES);
    let token = env.run(&["token", "--min-ttl", "100000"]).expect(0).stdout;
    assert_eq!(aud(&token), FILES, "a new grant asks for it again");
    let api = env.run(&["token", "--resource", API]).expect(0).stdout;
    assert_eq!(aud(&api), API);
}
