//! The cached path of `token` (ARCHITECTURE.md, "The data path of `token`"): a cached
//! token is printed without parsing config.toml while config.toml is the very file the
//! token was cached under, and every change to config.toml sends `token` the long way
//! again, with every check.

use crate::support::signin::import;
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::os::unix::fs::MetadataExt;

fn cache_file(env: &TestEnv) -> serde_json::Value {
    let bytes = std::fs::read(env.path("cache/tokens/default.json")).expect("a token cache");
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn a_cached_token_records_the_config_it_was_cached_under_and_is_served_from_it() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let first = env.run(&["token"]).expect(0).stdout;
    let config = std::fs::metadata(env.path("config/config.toml")).unwrap();
    let stamp = &cache_file(&env)["config"];
    assert_eq!(stamp["ino"], config.ino(), "{stamp}");
    assert_eq!(stamp["size"], config.size(), "{stamp}");
    for _ in 0..3 {
        assert_eq!(env.run(&["token"]).expect(0).stdout, first);
        assert_eq!(
            env.run(&["token", "--format", "header"]).expect(0).stdout,
            format!("Authorization: Bearer {first}")
        );
    }
    assert_eq!(idp.refreshes(), 1, "one refresh: the import's");
}

#[test]
fn an_edit_in_place_that_keeps_size_and_mtime_still_sends_token_the_long_way() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    env.run(&["token"]).expect(0);
    let path = env.path("config/config.toml");
    let before = std::fs::metadata(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // Another token endpoint, same length, written into the same inode, and the
    // modification time put back: only the change time tells.
    let port = idp
        .issuer
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let dead = if port.starts_with('1') {
        port.replacen('1', "2", 1)
    } else {
        port.replacen(|c: char| c.is_ascii_digit(), "1", 1)
    };
    let edited = text.replace(&format!(":{port}/"), &format!(":{dead}/"));
    assert_ne!(edited, text);
    assert_eq!(edited.len(), text.len());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, edited.as_bytes()))
        .unwrap();
    let touch = std::process::Command::new("touch")
        .arg("-m")
        .arg("-d")
        .arg(format!("@{}.{:09}", before.mtime(), before.mtime_nsec()))
        .arg(&path)
        .status()
        .unwrap();
    assert!(touch.success());
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (after.ino(), after.size(), after.mtime(), after.mtime_nsec()),
        (
            before.ino(),
            before.size(),
            before.mtime(),
            before.mtime_nsec()
        )
    );
    // The cached token belongs to the old endpoint: not served; the refresh at the dead
    // endpoint fails.
    let run = env.run(&["token"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn a_replaced_config_toml_is_read_again_and_the_cache_restamped() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let first = env.run(&["token"]).expect(0).stdout;
    let path = env.path("config/config.toml");
    let copy = env.path("config/config.toml.new");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::rename(&copy, &path).unwrap();
    let ino = std::fs::metadata(&path).unwrap().ino();
    assert_ne!(cache_file(&env)["config"]["ino"].as_u64(), Some(ino));
    assert_eq!(env.run(&["token"]).expect(0).stdout, first);
    assert_eq!(cache_file(&env)["config"]["ino"].as_u64(), Some(ino));
    assert_eq!(idp.refreshes(), 1);
}
