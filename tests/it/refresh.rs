//! Refresh behaviour with rotating and non-rotating servers.

use crate::support::signin::{import, import_token};
use crate::support::{Client, Idp, IdpOptions, TestEnv};

#[test]
fn rotation_on_ten_sequential_refreshes_store_each_new_token() {
    let idp = Idp::start(IdpOptions::rotating());
    let env = TestEnv::new();
    let first = import(&env, &idp, Client::Basic, "file");
    let mut seen = vec![first];
    for i in 0..10 {
        env.run(&["refresh"]).expect(0);
        let current = env.stored_refresh_token();
        assert!(!seen.contains(&current), "refresh {i} stored a new token");
        seen.push(current);
    }
    assert_eq!(idp.refreshes(), 11);
    env.run(&["token"]).expect(0);
}

#[test]
fn rotation_off_with_refresh_token_omitted_keeps_working() {
    let idp = Idp::start(IdpOptions {
        rotation: false,
        omit_refresh: true,
        ..IdpOptions::default()
    });
    let env = TestEnv::new();
    let imported = import(&env, &idp, Client::Post, "file");
    for _ in 0..3 {
        env.run(&["refresh"]).expect(0);
    }
    let stored = std::fs::read_to_string(env.secret_file()).unwrap();
    assert!(
        stored.contains(&imported),
        "the omitted refresh token kept the stored one"
    );
    assert_eq!(idp.refreshes(), 4);
}

#[test]
fn a_revoked_token_is_login_required_and_kept() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let secret_file = env.secret_file();
    let before = std::fs::read(&secret_file).unwrap();
    // A second profile with the same token revokes it at the server.
    let other = TestEnv::new();
    let token = env.stored_refresh_token();
    import_token(&other, &idp, Client::Basic, &token, &[]).expect(0);
    other.run(&["logout"]).expect(0);

    let run = env.run(&["refresh"]).expect(4);
    let line = run.error_line();
    assert!(line.contains("rejected the stored refresh token"), "{line}");
    assert!(line.contains("invalid_grant"), "{line}");
    assert!(run.stderr.contains("hint: run `octoken login`"));
    assert_eq!(
        std::fs::read(&secret_file).unwrap(),
        before,
        "never deleted by a failed refresh"
    );
    let status = env.run(&["status", "--json"]).expect(4).stdout;
    assert!(
        status.contains("refresh_token_rejected_at\": \"20"),
        "{status}"
    );
}

/// `octoken refresh 2>&1 | head -0`, `octoken token | head -c0`: a reader that goes away
/// early must not turn a refresh into a panic (exit 101) nor lose the rotated token.
#[test]
fn readers_that_close_their_pipes_early_change_nothing() {
    let idp = Idp::start(IdpOptions::rotating());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let closed_pipe = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    for args in [&["-v", "refresh"][..], &["token", "--min-ttl", "100000"]] {
        let status = env
            .command(args)
            .stdin(std::process::Stdio::null())
            .stdout(closed_pipe())
            .stderr(closed_pipe())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "octoken {args:?}");
    }
    assert_eq!(
        idp.refreshes(),
        3,
        "import, refresh, token each refreshed once"
    );
    // The stored token is the newest rotated one.
    env.run(&["refresh"]).expect(0);
}
