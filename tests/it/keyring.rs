//! The OS keyring store against a real Secret Service (gnome-keyring on a private bus).

use crate::support::signin::{import, import_token};
use crate::support::{Client, Idp, IdpOptions, KeyringSession, TestEnv};

#[test]
fn keyring_holds_the_token_and_logout_revokes_it() {
    let keyring = KeyringSession::start();
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    env.set("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.clone());
    let imported = import(&env, &idp, Client::Basic, "keyring");
    env.run(&["token"]).expect(0);

    let (ok, found) = keyring.secret_tool(&["search", "service", "octoken"]);
    assert!(ok, "{found}");
    assert!(
        found.contains(&imported),
        "secret-tool sees the refresh token: {found}"
    );
    assert!(found.contains(Client::Basic.secret()));
    for (path, content) in env.all_files() {
        let text = String::from_utf8_lossy(&content);
        assert!(
            !text.contains(&imported),
            "refresh token leaked into {}",
            path.display()
        );
        assert!(
            !text.contains(Client::Basic.secret()),
            "secret leaked into {}",
            path.display()
        );
    }

    env.run(&["logout"]).expect(0);
    let (_, after) = keyring.secret_tool(&["search", "service", "octoken"]);
    assert!(
        !after.contains(&imported),
        "logout deleted the entry: {after}"
    );

    // The old token is revoked at the provider: importing it again is refused there.
    let again = env.run_with(
        &["login", "--refresh-token-stdin"],
        Some(&imported),
        &[("OCTOKEN_CLIENT_SECRET", Client::Basic.secret())],
    );
    let again = again.expect(4);
    assert!(
        again.error_line().contains("invalid_grant"),
        "{}",
        again.stderr
    );
}

#[test]
fn the_cached_path_never_touches_the_keyring() {
    let keyring = KeyringSession::start();
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    env.set("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.clone());
    import(&env, &idp, Client::Basic, "keyring");
    drop(keyring);
    // With the bus gone, a cached token is still served...
    let cached = env.run(&["token"]).expect(0);
    assert!(cached.stdout.starts_with("eyJ"));
    // ...and only a refresh needs the keyring, which then fails fast with exit 6.
    let run = env.run(&["refresh"]).expect(6);
    assert!(run.error_line().contains("keyring"), "{}", run.stderr);
}

#[test]
fn unreachable_bus_is_exit_6_within_5_seconds() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new(); // DBUS_SESSION_BUS_ADDRESS points nowhere
    let refresh_token = idp.refresh_token(Client::Basic);
    let run = import_token(
        &env,
        &idp,
        Client::Basic,
        &refresh_token,
        &["--store", "keyring"],
    );
    let run = run.expect(6);
    assert!(run.elapsed.as_secs_f64() < 5.0, "took {:?}", run.elapsed);
    let line = run.error_line();
    assert!(line.contains("keyring"), "{line}");
    assert!(
        run.stderr.contains("--store file"),
        "hint names --store file: {}",
        run.stderr
    );
}

#[test]
fn a_keyring_entry_in_an_unknown_format_is_exit_6() {
    let keyring = KeyringSession::start();
    let idp = Idp::start(IdpOptions::default());
    let mut env = TestEnv::new();
    env.set("DBUS_SESSION_BUS_ADDRESS", keyring.bus_address.clone());
    import(&env, &idp, Client::Basic, "keyring");
    // Overwrite the entry the way another tool might.
    let mut store = std::process::Command::new("secret-tool")
        .args([
            "store", "--label", "x", "service", "octoken", "username", "default",
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus_address)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    store
        .stdin
        .take()
        .unwrap()
        .write_all(b"plain-old-password")
        .unwrap();
    assert!(store.wait().unwrap().success());
    let run = env.run(&["refresh"]).expect(6);
    assert!(
        run.error_line().contains("unknown format"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("plain-old-password"));
}
