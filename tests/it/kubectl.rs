//! `octoken kube-credential` with the real kubectl (client-go's exec credential
//! plugins) against an HTTPS stand-in of an API server (tests/idp/resource.mjs --kube)
//! that checks ID tokens as an OIDC authenticator does (signature, iss, aud, exp) or
//! access tokens at the provider; and `token --type id`.

use crate::support::resource::Resource;
use crate::support::signin::import;
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A self-signed certificate for 127.0.0.1 (cert, key).
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args([
            "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir.join("cert.pem"), dir.join("key.pem"))
}

struct Cluster {
    server: Resource,
    ca: PathBuf,
}

impl Cluster {
    /// `accept`: "id" or "access"; ID tokens for octoken's client.
    fn start(idp: &Idp, env: &TestEnv, accept: &str) -> Cluster {
        Cluster::for_audience(idp, env, accept, Client::Basic.id())
    }

    /// A cluster whose authenticator wants `audience` in the token's `aud`.
    fn for_audience(idp: &Idp, env: &TestEnv, accept: &str, audience: &str) -> Cluster {
        let dir = env.path(&format!("cluster-{accept}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = self_signed(&dir);
        let server = Resource::start(
            idp,
            &[
                "--kube",
                "--accept",
                accept,
                "--client-id",
                audience,
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
            ],
        );
        Cluster { server, ca: cert }
    }

    /// A kubeconfig whose user is what `--print-kubeconfig-user` printed.
    fn kubeconfig(&self, env: &TestEnv, users: &str, name: &str) -> PathBuf {
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
             contexts:\n- name: c\n  context:\n    cluster: c\n    user: {name}\ncurrent-context: c\n{users}",
            self.server.base,
            self.ca.display()
        );
        let path = env.path(&format!("kubeconfig-{name}"));
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// `kubectl get --raw /api` with octoken on PATH and the env's variables.
fn kubectl(env: &TestEnv, kubeconfig: &Path, extra: &[(&str, &str)]) -> Command {
    let mut cmd = with_octoken(env, Command::new("kubectl"));
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["get", "--raw", "/api"])
        .envs(extra.iter().copied());
    cmd
}

/// `cmd` in the env's variables, with this build's octoken first on PATH.
fn with_octoken(env: &TestEnv, mut cmd: Command) -> Command {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_octoken")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), env.vars["PATH"]);
    cmd.env_clear()
        .envs(&env.vars)
        .env("PATH", path)
        .stdin(Stdio::null());
    cmd
}

#[track_caller]
fn api_versions(out: &Output) {
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["kind"], "APIVersions");
}

/// The user entry octoken prints, in the ExecCredential version asked for.
fn users(env: &TestEnv, name: &str, extra: &[&str], api_version: &str) -> String {
    let mut args = vec!["kube-credential", "--print-kubeconfig-user", name];
    args.extend_from_slice(extra);
    let printed = env.run(&args).expect(0).stdout;
    printed.replace(
        "client.authentication.k8s.io/v1\n",
        &format!("{api_version}\n"),
    )
}

fn expire_cached_id_token(env: &TestEnv) {
    let path = env.path("cache/tokens/id/default.json");
    let mut cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    cached["token"]["expires_at"] = 1.into();
    std::fs::write(&path, serde_json::to_vec(&cached).unwrap()).unwrap();
}

#[test]
fn kubectl_gets_an_id_token_in_v1_and_v1beta1_and_an_access_token_when_asked() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let cluster = Cluster::start(&idp, &env, "id");
    for version in ["v1", "v1beta1"] {
        let api = format!("client.authentication.k8s.io/{version}");
        let config = cluster.kubeconfig(&env, &users(&env, version, &[], &api), version);
        api_versions(&kubectl(&env, &config, &[]).output().unwrap());
    }
    let access = Cluster::start(&idp, &env, "access");
    let api = "client.authentication.k8s.io/v1";
    let config = access.kubeconfig(&env, &users(&env, "at", &["--type", "access"], api), "at");
    api_versions(&kubectl(&env, &config, &[]).output().unwrap());
    // The ID-token cluster refuses an access token, and the other way round.
    let wrong = cluster.kubeconfig(&env, &users(&env, "at", &["--type", "access"], api), "at");
    assert!(
        !kubectl(&env, &wrong, &[])
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn an_expired_id_token_is_refreshed_once_across_twenty_kubectls() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let cluster = Cluster::start(&idp, &env, "id");
    let api = "client.authentication.k8s.io/v1";
    let config = cluster.kubeconfig(&env, &users(&env, "u", &[], api), "u");
    api_versions(&kubectl(&env, &config, &[]).output().unwrap());
    expire_cached_id_token(&env);
    let before = idp.refreshes();
    let children: Vec<_> = (0..20)
        .map(|_| {
            kubectl(&env, &config, &[])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        api_versions(&child.wait_with_output().unwrap());
    }
    assert_eq!(idp.refreshes() - before, 1);
}

#[test]
fn a_needed_login_is_one_line_and_never_interactive() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let cluster = Cluster::start(&idp, &env, "id");
    let config = cluster.kubeconfig(
        &env,
        &users(&env, "u", &[], "client.authentication.k8s.io/v1"),
        "u",
    );
    env.run(&["logout", "--local"]).expect(0);
    let out = kubectl(&env, &config, &[]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("octoken: "))
        .collect();
    // kubectl may run the plugin more than once; each run says one line.
    assert!(
        !ours.is_empty() && ours.iter().all(|l| *l == ours[0]),
        "{stderr}"
    );
    assert!(ours[0].contains("run `octoken login`"), "{stderr}");
    // Run by hand, the plugin says the same with octoken's exit code.
    let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
    let run = env
        .run_with(
            &["kube-credential", "--login"],
            None,
            &[("KUBERNETES_EXEC_INFO", info)],
        )
        .expect(4);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn with_login_and_a_person_there_the_plugin_signs_in_through_the_profiles_own_login() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Public, "file");
    // Revoked and forgotten locally, but the profile's settings stay (logout, not --local).
    env.run(&["logout"]).expect(0);
    let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}"#;
    let browser = crate::support::driver("");
    let run = env
        .run_with(
            &["kube-credential", "--login"],
            None,
            &[
                ("KUBERNETES_EXEC_INFO", info),
                ("BROWSER", browser.as_str()),
            ],
        )
        .expect(0);
    assert!(run.stderr.contains("signing in"), "{}", run.stderr);
    let credential: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(credential["kind"], "ExecCredential", "{credential}");
    assert_eq!(
        credential["apiVersion"], "client.authentication.k8s.io/v1",
        "{credential}"
    );
    let token = credential["status"]["token"].as_str().unwrap();
    assert!(token.starts_with("eyJ"), "{credential}");
    // The login is the profile's own: the next call is served from the new session.
    let again = env
        .run_with(
            &["kube-credential"],
            None,
            &[("KUBERNETES_EXEC_INFO", info)],
        )
        .expect(0)
        .stdout;
    assert!(again.contains(token), "{again}");
}

#[test]
fn token_type_id_prints_the_id_token_and_renews_it_with_one_refresh() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let claims = |jwt: &str| -> serde_json::Value {
        use base64::Engine;
        let payload = jwt.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let before = idp.refreshes();
    let first = env.run(&["token", "--type", "id"]).expect(0).stdout;
    let first = first.trim_end();
    assert_eq!(claims(first)["aud"], Client::Basic.id());
    assert_eq!(claims(first)["iss"], idp.issuer);
    // Cached beside the access token: no request.
    assert_eq!(
        env.run(&["token", "--type", "id"])
            .expect(0)
            .stdout
            .trim_end(),
        first
    );
    assert_eq!(idp.refreshes(), before);
    let json = env
        .run(&["token", "--type", "id", "--format", "json"])
        .expect(0)
        .stdout;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["id_token"], first);
    // Later, with under a minute left: a new one, from one refresh.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let later = [("OCTOKEN_TEST_CLOCK_OFFSET", "3560")];
    let second = env
        .run_with(&["token", "--type", "id"], None, &later)
        .expect(0)
        .stdout;
    assert_ne!(second.trim_end(), first);
    assert!(claims(&second)["exp"].as_u64() > claims(first)["exp"].as_u64());
    assert_eq!(idp.refreshes() - before, 1);
}

/// A cluster whose OIDC authenticator expects its own audience, not octoken's client
/// id: the kubeconfig user asks for `--audience`, and kube-credential exchanges the
/// profile's token for an ID token of that audience (RFC 8693), cached per audience.
#[test]
fn kubectl_gets_an_id_token_exchanged_for_the_clusters_audience() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let audience = "https://kube.example";
    let cluster = Cluster::for_audience(&idp, &env, "id", audience);
    let api = "client.authentication.k8s.io/v1";
    let user = users(&env, "aud", &["--audience", audience], api);
    assert!(
        user.contains(&format!("\"--audience={audience}\"")),
        "{user}"
    );
    let config = cluster.kubeconfig(&env, &user, "aud");
    let exchanges = || {
        let counters = idp.counters();
        counters
            .get("urn:ietf:params:oauth:grant-type:token-exchange")
            .copied()
            .unwrap_or(0)
    };
    let before = exchanges();
    api_versions(&kubectl(&env, &config, &[]).output().unwrap());
    api_versions(&kubectl(&env, &config, &[]).output().unwrap());
    assert_eq!(exchanges(), before + 1, "the second kubectl used the cache");
    // The profile's own ID token (aud: the client) is refused by this cluster.
    let own = cluster.kubeconfig(&env, &users(&env, "own", &[], api), "own");
    assert!(!kubectl(&env, &own, &[]).output().unwrap().status.success());
}

#[test]
fn the_documented_recipe_runs_as_written() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import_work(&env, &idp);
    let cluster = Cluster::start(&idp, &env, "id");
    // A kubeconfig with the cluster and a context, as a cluster admin hands it out.
    let config = cluster.kubeconfig(&env, "", "nobody");
    let recipe = crate::support::doc_sh_block("docs/git-and-kubectl.md", "Use with kubectl");
    let out = with_octoken(&env, Command::new("sh"))
        .args(["-ec", &recipe])
        .env("KUBECONFIG", &config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `kubectl config` says what it set; the last line is the API's answer.
    let answer: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(answer["kind"], "APIVersions", "{stdout}");
}

#[test]
fn a_kubeconfig_user_name_stays_one_quoted_name_and_a_line_break_is_refused() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let cluster = Cluster::start(&idp, &env, "id");
    // YAML would read ':', '#', quotes and braces of a bare name as syntax.
    let name = r#"ops: eu #1 "a", {b}"#;
    let entry = users(&env, name, &[], "client.authentication.k8s.io/v1");
    let quoted = serde_json::to_string(name).unwrap();
    let config = cluster.kubeconfig(&env, &entry, &quoted);
    let view = with_octoken(&env, Command::new("kubectl"))
        .arg("--kubeconfig")
        .arg(&config)
        .args(["config", "view", "-o", "jsonpath={.users[*].name}"])
        .output()
        .unwrap();
    assert!(
        view.status.success(),
        "{}",
        String::from_utf8_lossy(&view.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&view.stdout), name);
    api_versions(&kubectl(&env, &config, &[]).output().unwrap());
    // A line break would end the name and start keys of its own: refused on one line.
    // So would a character that hides text, or one kubectl's YAML reader refuses.
    for bad in [
        "u\n    token: planted",
        "u\r",
        "u\u{85}x",
        "",
        "u\u{e0041}",
        "u\u{202e}",
        "u\u{ffff}",
    ] {
        let run = env
            .run(&["kube-credential", "--print-kubeconfig-user", bad])
            .expect(2);
        assert_eq!(run.stdout, "", "{bad:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{bad:?}: {}", run.stderr);
    }
}

#[test]
fn an_api_version_kubectl_never_sends_is_shown_without_its_escapes() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    // What a hand-made KUBERNETES_EXEC_INFO can hold (kubectl itself checks the
    // version first): a terminal title change, a bell, an 8-bit CSI.
    let info = r#"{"apiVersion":"v9\u001b]0;owned\u0007\u009b2J","kind":"ExecCredential"}"#;
    let run = env
        .run_with(
            &["kube-credential"],
            None,
            &[("KUBERNETES_EXEC_INFO", info)],
        )
        .expect(3);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("ExecCredential v9"), "{}", run.stderr);
    assert!(
        !run.stderr.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "{:?}",
        run.stderr
    );
}
