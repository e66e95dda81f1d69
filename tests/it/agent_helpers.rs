//! The credential helpers through the agent (issue 25 with issue 23's adapters): a
//! client whose environment holds nothing of octoken's but `OCTOKEN_AGENT_SOCK` runs
//! the real tools. The AWS CLI gets credentials from moto's STS with the agent's ID
//! token (STS, its cache and lock on the client); cargo fetches from a registry that
//! requires auth with the agent's access token (the `--host` binding checked on the
//! client); skopeo copies an image with the registry binding the agent's config.toml
//! holds (made by `login --registry`). An agent that serves other profiles tells no
//! binding, and one older than the `registry-token` request is named as such.

use crate::agent::{Agent, client};
use crate::aws::{ROLE, aws, aws_config, cached, json_of};
use crate::registries::{
    NOT_FOUND, Registry, cargo, cargo_get, helper, oci_image, ok, skopeo, walk,
};
use crate::support::moto::Moto;
use crate::support::signin::import_token;
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a client machine keeps of octoken's: no config and no secrets.
#[track_caller]
fn holds_no_config(remote: &TestEnv) {
    for dir in ["config", "data", "xdg-config", "xdg-data"] {
        assert!(!remote.path(dir).exists(), "{dir} on the client");
    }
}

#[test]
fn aws_credential_through_the_agent_asks_sts_here_with_the_agents_id_token() {
    let idp = Idp::start(IdpOptions::default());
    let (env, _agent, remote) = crate::agent::served(&idp);
    let moto = Moto::start(remote.dir.path());
    aws_config(&remote, &moto.url, "");

    let who = json_of(
        &aws(&remote, &moto, &["sts", "get-caller-identity"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        who["Arn"], "arn:aws:sts::123456789012:assumed-role/ci/octoken-default",
        "{who}"
    );
    json_of(
        &aws(&remote, &moto, &["s3api", "list-buckets"])
            .output()
            .unwrap(),
    );
    // One STS request for both commands, from this machine, with the agent's ID token.
    let sent = moto.assume_role_requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0]["form"]["WebIdentityToken"],
        cached(&env, "id/default.json", "id_token")
    );
    assert_eq!(sent[0]["form"]["RoleArn"], ROLE);
    // The credentials are cached here (0600, in a directory of their own), the
    // agent's machine has none, and this one no config.
    let files = walk(&remote.path("cache/aws/default/agent"));
    assert_eq!(files.len(), 1, "{files:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(walk(&env.path("cache/aws")).is_empty());
    holds_no_config(&remote);

    // --type access: the agent's access token is the web identity.
    aws_config(&remote, &moto.url, " --type access");
    json_of(
        &aws(&remote, &moto, &["sts", "get-caller-identity"])
            .output()
            .unwrap(),
    );
    let sent = moto.assume_role_requests();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent[1]["form"]["WebIdentityToken"],
        cached(&env, "default.json", "access_token")
    );

    // Logged out on the agent's machine: cached credentials here are not handed out.
    env.run(&["logout", "--local"]).expect(0);
    let out = aws(&remote, &moto, &["sts", "get-caller-identity"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("octoken: error: the agent: "), "{stderr}");
    assert_eq!(moto.assume_role_requests().len(), 2);
}

#[test]
fn cargo_fetches_through_the_agent_and_the_host_binding_stays_on_the_client() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import_work(&env, &idp);
    let agent = Agent::start(&env, &[]);
    let remote = client(&agent);
    let (server, package) = crate::registries::cargo_registry(&idp, &remote);
    let host = server.base.strip_prefix("http://").unwrap().to_string();

    ok(
        "cargo generate-lockfile",
        cargo(&remote, &package, &["generate-lockfile"]),
    );
    ok("cargo fetch", cargo(&remote, &package, &["fetch"]));
    assert!(
        walk(&remote.path("cargo-home/registry/cache"))
            .iter()
            .any(|p| p.ends_with("octo-dep-0.1.0.crate"))
    );
    assert!(server.stats()["accepted"].as_u64().unwrap() >= 3);
    holds_no_config(&remote);

    // The binding is the line's: another host is cargo's "not found", whatever the
    // agent would answer.
    let bound = ["-p", "work", "cargo-credential", "--host", &host];
    let out = remote
        .run_with(
            &["--cargo-plugin"],
            Some(&cargo_get("sparse+https://other.example/index/", &bound)),
            &[],
        )
        .expect(0);
    assert_eq!(
        out.stdout,
        "{\"v\":[1]}\n{\"Err\":{\"kind\":\"not-found\"}}\n"
    );

    // Logged out on the agent's machine: cargo fails with the agent's message.
    env.run(&["-p", "work", "logout", "--local"]).expect(0);
    std::fs::remove_dir_all(remote.path("cargo-home/registry")).unwrap();
    std::fs::remove_file(package.join("Cargo.lock")).unwrap();
    let out = cargo(&remote, &package, &["generate-lockfile"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("octoken: the agent: "), "{stderr}");
    assert!(stderr.contains("on the agent's machine: "), "{stderr}");
}

#[test]
fn skopeo_copies_through_the_agent_with_the_binding_login_registry_made() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    let registry = Registry::start(&idp, &env.path("registry"));
    let host = registry.host.as_str();

    // `login --registry`: checked before any sign-in, saved like `setup`, and moved
    // from another profile (one registry, one profile).
    let bad = import_token(&env, &idp, Client::Basic, "x", &["--registry", "a b"]).expect(2);
    assert!(
        bad.error_line().contains("cannot bind a registry"),
        "{}",
        bad.stderr
    );
    for name in ["other", "work"] {
        let refresh_token = idp.refresh_token(Client::Basic);
        let login = import_token(
            &env,
            &idp,
            Client::Basic,
            &refresh_token,
            &[
                "-p",
                name,
                "--registry",
                host,
                "--registry",
                "r.example.com",
            ],
        )
        .expect(0);
        assert!(
            login.stderr.contains(&format!(
                "profile '{name}' now answers for registry '{host}'"
            )),
            "{}",
            login.stderr
        );
    }
    let listed = env.run(&["docker-credential", "list"]).expect(0);
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({ host: "oauth2accesstoken", "r.example.com": "oauth2accesstoken" })
    );
    let config = std::fs::read_to_string(env.path("config/config.toml")).unwrap();
    let (other, work) = config.split_once("[profiles.work]").unwrap();
    assert!(work.contains(host) && !other.contains(host), "{config}");
    assert!(!other.contains("[profiles.other.docker]"), "{config}");

    // The client: nothing but the agent's socket, the helper linked, the auth file.
    let agent = Agent::start(&env, &[]);
    let remote = client(&agent);
    let bin = remote.path("bin");
    let dir = bin.to_str().unwrap();
    remote
        .run(&["docker-credential", "install", "--dir", dir])
        .expect(0);
    let auth = remote.path("auth.json");
    std::fs::write(
        &auth,
        serde_json::json!({ "credHelpers": { host: "octoken" } }).to_string(),
    )
    .unwrap();
    let auth = auth.to_str().unwrap();
    let layout = remote.path("image");
    oci_image(&layout);
    let image = format!("docker://{host}/octo/hello:v1");
    let source = format!("oci:{}:v1", layout.display());
    let push = ["copy", "--authfile", auth, "--dest-tls-verify=false"];
    let mut args = push.to_vec();
    args.extend([source.as_str(), image.as_str()]);
    ok("skopeo copy (push)", skopeo(&remote, &bin, &args));
    let inspect = ["inspect", "--authfile", auth, "--tls-verify=false", &image];
    let inspected = ok("skopeo inspect", skopeo(&remote, &bin, &inspect));
    let inspected: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert!(inspected["Digest"].as_str().unwrap().starts_with("sha256:"));
    let stats = registry.stats();
    assert!(stats["accepted"].as_u64().unwrap() >= 2, "{stats}");
    assert_eq!(stats["refused"], 0, "{stats}");
    holds_no_config(&remote);

    // The helper's answer is the agent's token for `work`, with the registry's name.
    let got = helper(&remote, &bin, "get", &format!("{host}\n"));
    let got: serde_json::Value = serde_json::from_slice(&got.stdout).unwrap();
    assert_eq!(got["Username"], "oauth2accesstoken");
    assert_eq!(got["Secret"], cached(&env, "work.json", "access_token"));
    // A registry the agent binds to nobody, `list`, and `erase`.
    let other = helper(&remote, &bin, "get", "127.0.0.1:1\n");
    assert_eq!(other.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&other.stdout), NOT_FOUND);
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        stderr.contains("no profile the agent serves is bound to registry '127.0.0.1:1'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("on the agent's machine: octoken -p NAME docker-credential setup"),
        "{stderr}"
    );
    let list = helper(&remote, &bin, "list", "");
    assert_eq!(list.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&list.stderr).contains("not served through the agent"),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let erase = helper(&remote, &bin, "erase", &format!("{host}\n"));
    assert_eq!(erase.status.code(), Some(0));
    assert!(erase.stdout.is_empty());

    // An agent for `other` only tells nothing of `work`'s binding.
    let narrow = Agent::start_on(
        &env,
        &env.path("run/narrow.sock"),
        &["--profiles", "other"],
        &[],
    );
    let narrowed = client(&narrow);
    let got = helper(&narrowed, &bin, "get", &format!("{host}\n"));
    assert_eq!(got.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&got.stdout), NOT_FOUND);
}

#[test]
fn an_agent_older_than_the_registry_request_is_named_as_such() {
    let env = TestEnv::new();
    // What an agent of the first release answers a request it has no op for.
    let socket = crate::agent::scripted_agent(
        &env,
        br#"{"v":1,"error":{"exit":1,"message":"a malformed message: unknown variant `registry-token`, expected `token` or `stop`"}}"#,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_octoken"))
        .args(["docker-credential", "get"])
        .env_clear()
        .envs(&env.vars)
        .env("OCTOKEN_AGENT_SOCK", &socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"registry.example.com\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the agent is of an older octoken: it does not answer for registries"),
        "{stderr}"
    );
    assert!(
        stderr.contains("update octoken on the agent's machine"),
        "{stderr}"
    );
    assert!(!Path::new(&env.path("config")).exists());
}
