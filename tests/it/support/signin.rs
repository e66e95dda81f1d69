//! Signing in the ways tests need again and again: importing a refresh token and a
//! browser login through the sign-in driver. Each returns the run for its checks.

use super::env::Run;
use super::{Client, Idp, TestEnv};

/// Imports a fresh refresh token for `client` into the env's default profile.
pub fn import(env: &TestEnv, idp: &Idp, client: Client, store: &str) -> String {
    let refresh_token = idp.refresh_token(client);
    import_token(env, idp, client, &refresh_token, &["--store", store]).expect(0);
    refresh_token
}

/// `octoken login --refresh-token-stdin` of `refresh_token` for `client`, with the
/// client's secret in the environment and `extra` flags (`-p NAME`, `--store`, ...).
/// The client's auth method and the file store unless `extra` names others.
pub fn import_token(
    env: &TestEnv,
    idp: &Idp,
    client: Client,
    refresh_token: &str,
    extra: &[&str],
) -> Run {
    let mut args = vec![
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        client.id(),
        "--refresh-token-stdin",
    ];
    // The client's own method and the file store, unless a test asks for others.
    if !extra.contains(&"--auth-method") {
        args.extend_from_slice(&["--auth-method", client.auth_method()]);
    }
    if !extra.contains(&"--store") {
        args.extend_from_slice(&["--store", "file"]);
    }
    args.extend_from_slice(extra);
    env.run_with(
        &args,
        Some(refresh_token),
        &[("OCTOKEN_CLIENT_SECRET", client.secret())],
    )
}

pub fn login_args(idp: &Idp, client: Client) -> Vec<&str> {
    vec![
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        client.id(),
        "--auth-method",
        client.auth_method(),
        "--store",
        "file",
    ]
}

/// `octoken login` for `client` through `browser` (the driver, or another command),
/// file store, 30 s timeout, plus `extra_args`.
pub fn browser_login(
    env: &TestEnv,
    idp: &Idp,
    client: Client,
    extra_args: &[&str],
    browser: &str,
) -> Run {
    let mut args = login_args(idp, client);
    args.extend_from_slice(&["--timeout", "30"]);
    args.extend_from_slice(extra_args);
    env.run_with(
        &args,
        None,
        &[
            ("OCTOKEN_CLIENT_SECRET", client.secret()),
            ("BROWSER", browser),
        ],
    )
}

/// The Basic client's fresh refresh token imported as profile `work` (its store:
/// file): what the credential-helper tests start from. The refresh token.
pub fn import_work(env: &TestEnv, idp: &Idp) -> String {
    let refresh_token = idp.refresh_token(Client::Basic);
    import_token(env, idp, Client::Basic, &refresh_token, &["-p", "work"]).expect(0);
    refresh_token
}

/// `login --grant client-credentials` of `client` with its secret from the environment,
/// file store, plus `extra_args`.
pub fn machine_login(env: &TestEnv, idp: &Idp, client: Client, extra_args: &[&str]) -> Run {
    let mut args = vec![
        "login",
        "--grant",
        "client-credentials",
        "--issuer",
        &idp.issuer,
        "--client-id",
        client.id(),
        "--store",
        "file",
    ];
    args.extend_from_slice(extra_args);
    env.run_with(&args, None, &[("OCTOKEN_CLIENT_SECRET", client.secret())])
}

/// `octoken login` of the bundled provider's public client, file store, with a
/// `timeout` in seconds: the start of every browser login here.
pub fn public_login<'a>(idp: &'a Idp, timeout: &'a str) -> Vec<&'a str> {
    vec![
        "login",
        "--issuer",
        &idp.issuer,
        "--client-id",
        Client::Public.id(),
        "--store",
        "file",
        "--timeout",
        timeout,
    ]
}
