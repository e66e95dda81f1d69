//! Local state written straight to disk, for tests that need a profile without a login
//! (against the scripted fake server, or before any server exists).

use super::TestEnv;
use std::os::unix::fs::PermissionsExt;

/// The default profile in the env's config.toml: a public client, `store`, the token
/// endpoint `token_url`, and any `extra` lines (e.g. `request_timeout = 2`).
pub fn write_profile(env: &TestEnv, token_url: &str, store: &str, extra: &str) {
    std::fs::create_dir_all(env.path("config")).unwrap();
    std::fs::write(
        env.path("config/config.toml"),
        format!(
            "[profiles.default]\nclient_id = \"cli\"\nauth_method = \"none\"\nscope = \"openid\"\n\
             store = \"{store}\"\ntoken_url = \"{token_url}\"\n{extra}"
        ),
    )
    .unwrap();
}

/// The default profile's file-store secrets holding `refresh_token`, with `mode`.
pub fn write_secret_file(env: &TestEnv, refresh_token: &str, mode: u32) {
    let dir = env.path("data/secrets");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = dir.join("default.json");
    std::fs::write(
        &file,
        format!("{{\"v\":1,\"refresh_token\":\"{refresh_token}\"}}"),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
}
