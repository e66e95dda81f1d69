//! The registries' credential helpers with the real clients: `docker-credential` with
//! Debian's skopeo against Debian's docker-registry (distribution) with token
//! authentication, whose token service (tests/idp/registries.mjs) takes Basic
//! `<username>:<access token>`, checks the token at the provider and issues the
//! registry's bearer JWT; `cargo-credential` with the toolchain's cargo against a sparse
//! registry (the same script) that requires a valid Bearer access token for every
//! request. Each helper writes only its protocol's answer on stdout.

use crate::support::resource::Resource;
use crate::support::signin::import;
use crate::support::{Client, Idp, IdpOptions, TestEnv, doc_sh_block, free_port};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub(crate) const NOT_FOUND: &str = "credentials not found in native keychain\n";

#[track_caller]
pub(crate) fn ok(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sha256(path: &Path) -> String {
    let out = ok(
        "sha256sum",
        Command::new("sha256sum").arg(path).output().unwrap(),
    );
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// A self-signed P-256 certificate and its PKCS#8 key, for the token service to sign
/// the registry's tokens with (the registry trusts the certificate).
fn signing_pair(dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    ok(
        "openssl",
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args(["-keyout", "key.pem", "-out", "cert.pem"])
            .args(["-subj", "/CN=octoken test token service"])
            .current_dir(dir)
            .output()
            .expect("openssl"),
    );
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// Debian's docker-registry on a loopback port, with token authentication through
/// `tokens`; storage in a temp dir. Stopped on drop.
pub(crate) struct Registry {
    child: Child,
    pub(crate) host: String,
    tokens: Resource,
}

impl Registry {
    pub(crate) fn start(idp: &Idp, dir: &Path) -> Registry {
        let (cert, key) = signing_pair(&dir.join("signing"));
        let tokens = Resource::start_script(
            "registries.mjs",
            idp,
            &[
                "--docker-token",
                "--key",
                key.to_str().unwrap(),
                "--cert",
                cert.to_str().unwrap(),
                "--service",
                "octoken-test-registry",
                "--token-issuer",
                "octoken-test-tokens",
            ],
        );
        let port = free_port();
        let config = format!(
            "version: 0.1\n\
             log:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {storage}\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: octoken-test\n\
             auth:\n  token:\n    realm: {realm}/token\n    service: octoken-test-registry\n    \
             issuer: octoken-test-tokens\n    rootcertbundle: {cert}\n",
            storage = dir.join("storage").display(),
            realm = tokens.base,
            cert = cert.display(),
        );
        let config_file = dir.join("registry.yml");
        std::fs::write(&config_file, config).unwrap();
        // Its log (a line for each 404 skopeo's checks meet) goes to a file beside it.
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("docker-registry (Debian's docker-registry package)");
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&host).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            child,
            host,
            tokens,
        }
    }

    pub(crate) fn stats(&self) -> serde_json::Value {
        self.tokens.stats()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An OCI image layout at `dir` holding one small image tagged `v1`: one layer (a tar
/// of hello.txt) and its config, made here, without a network.
pub(crate) fn oci_image(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("hello.txt"), "hello from octoken\n").unwrap();
    let layer = dir.join("layer.tar");
    ok(
        "tar",
        Command::new("tar")
            .args(["--owner=0", "--group=0", "-cf"])
            .arg(&layer)
            .arg("-C")
            .arg(&src)
            .arg("hello.txt")
            .output()
            .unwrap(),
    );
    let blob = |path: &Path| -> serde_json::Value {
        let digest = sha256(path);
        let size = std::fs::metadata(path).unwrap().len();
        std::fs::copy(path, blobs.join(&digest)).unwrap();
        serde_json::json!({ "digest": format!("sha256:{digest}"), "size": size })
    };
    let mut layer_desc = blob(&layer);
    layer_desc["mediaType"] = "application/vnd.oci.image.layer.v1.tar".into();
    let config = dir.join("config.json");
    let image_config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": [layer_desc["digest"]] },
    });
    std::fs::write(&config, image_config.to_string()).unwrap();
    let mut config_desc = blob(&config);
    config_desc["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
    let manifest = dir.join("manifest.json");
    let manifest_value = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": [layer_desc],
    });
    std::fs::write(&manifest, manifest_value.to_string()).unwrap();
    let mut manifest_desc = blob(&manifest);
    manifest_desc["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
    manifest_desc["annotations"] = serde_json::json!({ "org.opencontainers.image.ref.name": "v1" });
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [manifest_desc] });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// skopeo as a user runs it: the env's HOME, `bin` (with docker-credential-octoken)
/// first on PATH, the auth file and policy given, no system registries.conf.
pub(crate) fn skopeo(env: &TestEnv, bin: &Path, args: &[&str]) -> Output {
    let policy = env.path("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let registries_conf = env.path("registries.conf");
    std::fs::write(&registries_conf, "").unwrap();
    let path = format!("{}:{}", bin.display(), env.vars["PATH"]);
    Command::new("skopeo")
        .arg("--policy")
        .arg(&policy)
        .arg("--registries-conf")
        .arg(&registries_conf)
        .args(args)
        .env_clear()
        .envs(&env.vars)
        .env("PATH", path)
        .env("TMPDIR", env.dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("skopeo (Debian's skopeo package)")
}

/// The helper as the tools run it: `docker-credential-octoken OPERATION`, from `bin`.
pub(crate) fn helper(env: &TestEnv, bin: &Path, operation: &str, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin.join("docker-credential-octoken"))
        .arg(operation)
        .env_clear()
        .envs(&env.vars)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// `docker-credential install --dir BIN`: the docker-credential-octoken link there.
fn install_link(env: &TestEnv, bin: &Path) {
    env.run(&[
        "docker-credential",
        "install",
        "--dir",
        bin.to_str().unwrap(),
    ])
    .expect(0);
}

#[test]
fn skopeo_copies_an_image_in_and_out_with_the_octoken_helper() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    // A profile other than the default: the tools pass no -p, the binding finds it.
    crate::support::signin::import_work(&env, &idp);
    let registry = Registry::start(&idp, &env.path("registry"));

    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    install_link(&env, &bin);
    let link = std::fs::read_link(bin.join("docker-credential-octoken")).unwrap();
    assert_eq!(link, Path::new(env!("CARGO_BIN_EXE_octoken")));

    // setup binds the profile and prints the credHelpers entry: the auth file is that.
    let setup = env
        .run(&["-p", "work", "docker-credential", "setup", &registry.host])
        .expect(0);
    let entry: serde_json::Value = serde_json::from_str(&setup.stdout).unwrap();
    assert_eq!(
        entry,
        serde_json::json!({ "credHelpers": { registry.host.clone(): "octoken" } })
    );
    let auth = env.path("auth.json");
    std::fs::write(&auth, &setup.stdout).unwrap();
    let auth = auth.to_str().unwrap();

    let layout = env.path("image");
    oci_image(&layout);
    let remote = format!("docker://{}/octo/hello:v1", registry.host);
    let source = format!("oci:{}:v1", layout.display());
    ok(
        "skopeo copy (push)",
        skopeo(
            &env,
            &bin,
            &[
                "copy",
                "--authfile",
                auth,
                "--dest-tls-verify=false",
                &source,
                &remote,
            ],
        ),
    );
    let back = env.path("back");
    ok(
        "skopeo copy (pull)",
        skopeo(
            &env,
            &bin,
            &[
                "copy",
                "--authfile",
                auth,
                "--src-tls-verify=false",
                &remote,
                &format!("dir:{}", back.display()),
            ],
        ),
    );
    // The pulled layer holds the pushed file (skopeo compressed it on the way).
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(back.join("manifest.json")).unwrap()).unwrap();
    let digest = manifest["layers"][0]["digest"].as_str().unwrap();
    let layer = back.join(digest.strip_prefix("sha256:").unwrap());
    let hello = ok(
        "tar",
        Command::new("tar")
            .arg("-xOf")
            .arg(&layer)
            .arg("hello.txt")
            .output()
            .unwrap(),
    );
    assert_eq!(
        String::from_utf8_lossy(&hello.stdout),
        "hello from octoken\n"
    );
    let stats = registry.stats();
    assert!(stats["accepted"].as_u64().unwrap() >= 2, "{stats}");
    assert_eq!(stats["refused"], 0, "{stats}");
    let names = stats["usernames"].as_array().unwrap();
    assert!(names.iter().all(|n| n == "oauth2accesstoken"), "{stats}");

    // Without the helper's credentials the registry refuses: skopeo with no auth file.
    let anonymous = skopeo(
        &env,
        &bin,
        &["inspect", "--no-creds", "--tls-verify=false", &remote],
    );
    assert!(!anonymous.status.success());

    // The documented recipe, as written (but for TLS: this registry is on loopback).
    let recipe = doc_sh_block("docs/registries.md", "Use with Docker, Podman and Skopeo")
        .replace(
            "registry.example.com/team/app:1.0",
            &format!("{}/octo/hello:v1", registry.host),
        )
        .replace("registry.example.com", &registry.host)
        .replace("skopeo inspect", "skopeo inspect --tls-verify=false");
    let work = env.path("recipe");
    std::fs::create_dir_all(&work).unwrap();
    let octoken_dir = Path::new(env!("CARGO_BIN_EXE_octoken")).parent().unwrap();
    let path = format!(
        "{}:{}:{}",
        env.path("home/.local/bin").display(),
        octoken_dir.display(),
        env.vars["PATH"]
    );
    let before = registry.stats()["accepted"].as_u64().unwrap();
    let inspected = ok(
        "the recipe",
        Command::new("sh")
            .args(["-ec", &recipe])
            .current_dir(&work)
            .env_clear()
            .envs(&env.vars)
            .env("PATH", path)
            .env("TMPDIR", env.dir.path())
            .output()
            .unwrap(),
    );
    let inspected: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert!(inspected["Digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(registry.stats()["accepted"].as_u64().unwrap() > before);

    // A registry no profile is bound to: the protocol's "not found", exit 1.
    let other = helper(&env, &bin, "get", "127.0.0.1:1\n");
    assert_eq!(other.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&other.stdout), NOT_FOUND);
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        stderr.contains("no profile is bound to registry '127.0.0.1:1'"),
        "{stderr}"
    );
}

#[test]
fn the_docker_helper_speaks_the_protocol_and_only_it() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // Twice: the second finds the link in place.
    for _ in 0..2 {
        install_link(&env, &bin);
    }
    env.run(&[
        "docker-credential",
        "setup",
        "registry.example.com:5000",
        "--username",
        "token",
    ])
    .expect(0);
    env.run(&["docker-credential", "setup", "ghcr.io"])
        .expect(0);

    let get = helper(&env, &bin, "get", "registry.example.com:5000\n");
    assert!(get.status.success(), "{get:?}");
    let stdout = String::from_utf8(get.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(answer["ServerURL"], "registry.example.com:5000");
    assert_eq!(answer["Username"], "token");
    assert!(answer["Secret"].as_str().unwrap().starts_with("eyJ"));
    // Docker's own form of the name: a URL. The user name is the profile's.
    let url = helper(&env, &bin, "get", "https://ghcr.io/v1/");
    let answer: serde_json::Value = serde_json::from_slice(&url.stdout).unwrap();
    assert_eq!(answer["ServerURL"], "https://ghcr.io/v1/");
    assert_eq!(answer["Username"], "token");

    let list = helper(&env, &bin, "list", "");
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({"registry.example.com:5000": "token", "ghcr.io": "token"})
    );

    // store: accepted, nothing kept, nothing said.
    let store = helper(
        &env,
        &bin,
        "store",
        r#"{"ServerURL":"ghcr.io","Username":"me","Secret":"handed-over-secret"}"#,
    );
    assert!(store.status.success(), "{store:?}");
    assert!(store.stdout.is_empty());
    for (path, bytes) in env.all_files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("handed-over-secret"),
            "{}",
            path.display()
        );
    }

    // erase drops the cached token: the next get refreshes.
    let before = idp.refreshes();
    assert!(helper(&env, &bin, "erase", "ghcr.io").status.success());
    assert!(helper(&env, &bin, "get", "ghcr.io").status.success());
    assert_eq!(idp.refreshes(), before + 1);

    // -p NAME narrows to that profile: "default" is bound, "other" is not a profile.
    let narrowed = env.run_stdin(&["-p", "other", "docker-credential", "get"], "ghcr.io");
    assert_eq!(narrowed.expect(1).stdout, NOT_FOUND);

    // Bad input: one line on stdout (the message the tools show), exit 2.
    let huge = "r".repeat(200_000);
    for bad in ["a\0b", "\u{1b}[2J", "not a host\n", "", huge.as_str()] {
        let run = env.run_stdin(&["docker-credential", "get"], bad).expect(2);
        assert_eq!(run.stdout.lines().count(), 1, "{bad:?}: {}", run.stdout);
        assert!(
            run.stdout.starts_with("cannot read the tool's request"),
            "{}",
            run.stdout
        );
        run.error_line();
    }
    let run = env
        .run_stdin(&["docker-credential", "store"], "ghcr.io")
        .expect(2);
    assert!(run.stdout.contains("not a JSON object"), "{}", run.stdout);

    // Logged out (the profile and its binding stay): octoken's message on stdout for
    // the tool, and its exit code.
    env.run(&["logout"]).expect(0);
    let out = helper(&env, &bin, "get", "ghcr.io");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("octoken login"), "{said}");
}

/// `NAME-0.1.0.crate` in `dir`: a library package, as `cargo package` lays it out.
pub(crate) fn crate_file(dir: &Path, name: &str) -> PathBuf {
    let root = dir.join(format!("{name}-0.1.0"));
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
    )
    .unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub fn hello() {}\n").unwrap();
    let file = dir.join(format!("{name}-0.1.0.crate"));
    ok(
        "tar",
        Command::new("tar")
            .args(["--owner=0", "--group=0", "-czf"])
            .arg(&file)
            .arg("-C")
            .arg(dir)
            .arg(format!("{name}-0.1.0"))
            .output()
            .unwrap(),
    );
    file
}

/// The toolchain's cargo in `dir` with its own CARGO_HOME (holding `config`), octoken's
/// environment, and no network but the test registry.
pub(crate) fn cargo(env: &TestEnv, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(&env.vars)
        .env("CARGO_HOME", env.path("cargo-home"))
        // The toolchain's own rustc: rustup's proxy would look for its settings in HOME.
        .env("RUSTC", Path::new(env!("CARGO")).with_file_name("rustc"))
        .env("CARGO_TERM_COLOR", "never")
        .env("CARGO_NET_RETRY", "0")
        .stdin(Stdio::null())
        .output()
        .expect("cargo")
}

/// A scratch package depending on `octo-dep` from the registry `octo` at `index`, whose
/// credential provider is octoken's line `provider`.
pub(crate) fn scratch_package(env: &TestEnv, index: &str, provider: &[&str]) -> PathBuf {
    let home = env.path("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    let provider: Vec<String> = provider.iter().map(|w| format!("{w:?}")).collect();
    std::fs::write(
        home.join("config.toml"),
        format!(
            "[registries.octo]\nindex = \"{index}\"\ncredential-provider = [{}]\n",
            provider.join(", ")
        ),
    )
    .unwrap();
    let package = env.path("scratch");
    std::fs::create_dir_all(package.join("src")).unwrap();
    std::fs::write(
        package.join("Cargo.toml"),
        "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\nocto-dep = { version = \"0.1\", registry = \"octo\" }\n",
    )
    .unwrap();
    std::fs::write(package.join("src/main.rs"), "fn main() {}\n").unwrap();
    package
}

/// A sparse registry that requires auth (tests/idp/registries.mjs, serving the crate
/// `octo-dep`), and a scratch package in `home` that depends on it, with octoken's
/// provider line for profile `work`: the server (keep it) and the package.
pub(crate) fn cargo_registry(idp: &Idp, home: &TestEnv) -> (Resource, PathBuf) {
    let crates = home.path("crates");
    std::fs::create_dir_all(&crates).unwrap();
    let file = crate_file(&crates, "octo-dep");
    let server = Resource::start_script(
        "registries.mjs",
        idp,
        &["--cargo-crate", file.to_str().unwrap()],
    );
    let host = server.base.strip_prefix("http://").unwrap().to_string();
    let index = format!("sparse+{}/index/", server.base);
    let octoken = env!("CARGO_BIN_EXE_octoken");
    let provider = [octoken, "-p", "work", "cargo-credential", "--host", &host];
    let package = scratch_package(home, &index, &provider);
    (server, package)
}

#[test]
fn cargo_fetches_from_a_registry_that_requires_auth() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import_work(&env, &idp);
    let (server, package) = cargo_registry(&idp, &env);

    ok(
        "cargo generate-lockfile",
        cargo(&env, &package, &["generate-lockfile"]),
    );
    ok("cargo fetch", cargo(&env, &package, &["fetch"]));
    let lock = std::fs::read_to_string(package.join("Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"octo-dep\""), "{lock}");
    let stats = server.stats();
    assert!(stats["accepted"].as_u64().unwrap() >= 3, "{stats}");
    let fetched = walk(&env.path("cargo-home/registry/cache"));
    assert!(
        fetched.iter().any(|p| p.ends_with("octo-dep-0.1.0.crate")),
        "{fetched:?}"
    );

    // Logged out: cargo fails and shows octoken's message.
    env.run(&["-p", "work", "logout"]).expect(0);
    std::fs::remove_dir_all(env.path("cargo-home/registry")).unwrap();
    std::fs::remove_file(package.join("Cargo.lock")).unwrap();
    let out = cargo(&env, &package, &["generate-lockfile"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("octoken: no refresh token stored for profile 'work'"),
        "{stderr}"
    );
    assert!(stderr.contains("run `octoken login -p work`"), "{stderr}");
}

pub(crate) fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// cargo's request for the registry at `index`, with the credential-provider line's
/// words after the program.
pub(crate) fn cargo_get(index: &str, words: &[&str]) -> String {
    let value = serde_json::json!({
        "v": 1,
        "registry": { "index-url": index, "name": "octo", "headers": [] },
        "kind": "get",
        "operation": "read",
        "args": words,
    });
    format!("{value}\n")
}

#[test]
fn the_cargo_provider_speaks_the_protocol_and_only_it() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let bound = ["cargo-credential", "--host", "cargo.example.com"];
    // As cargo runs it: `octoken --cargo-plugin`, the line's words in each request.
    let requests = [
        cargo_get("sparse+https://cargo.example.com/index/", &bound),
        cargo_get("sparse+https://other.example/index/", &bound),
        cargo_get("sparse+http://cargo.example.com/index/", &bound),
        cargo_get("sparse+https://cargo.example.com/index/", &["cargo-credential"]),
        r#"{"v":1,"registry":{"index-url":"x"},"kind":"login","token":"t","args":["cargo-credential"]}"#
            .to_string()
            + "\n",
        r#"{"v":1,"registry":{"index-url":"x"},"kind":"frob"}"#.to_string() + "\n",
        cargo_get("sparse+https://cargo.example.com/index/", &["token"]),
    ]
    .concat();
    let run = env.run_stdin(&["--cargo-plugin"], &requests).expect(0);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "{}", run.stdout);
    assert_eq!(lines[0], serde_json::json!({"v": [1]}));
    let ok = &lines[1]["Ok"];
    assert!(
        ok["token"].as_str().unwrap().starts_with("Bearer eyJ"),
        "{ok}"
    );
    assert_eq!(ok["cache"], "expires");
    assert!(ok["expiration"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(ok["operation_independent"], true);
    // Another host: not ours, cargo tries its next provider.
    assert_eq!(lines[2], serde_json::json!({"Err": {"kind": "not-found"}}));
    // Plain http to a host not this machine: never.
    assert!(
        lines[3]["Err"]["message"]
            .as_str()
            .unwrap()
            .contains("https only"),
        "{}",
        lines[3]
    );
    // No --host: nothing, and a warning on stderr saying how to bind it.
    assert_eq!(lines[4], serde_json::json!({"Err": {"kind": "not-found"}}));
    assert!(
        run.stderr.contains("add --host cargo.example.com"),
        "{}",
        run.stderr
    );
    // cargo login: octoken's tokens come from octoken login.
    assert!(
        lines[5]["Err"]["message"]
            .as_str()
            .unwrap()
            .contains("`octoken login`"),
        "{}",
        lines[5]
    );
    assert_eq!(
        lines[6],
        serde_json::json!({"Err": {"kind": "operation-not-supported"}})
    );
    // A line that runs another command.
    assert!(
        lines[7]["Err"]["message"]
            .as_str()
            .unwrap()
            .contains("does not run `cargo-credential`"),
        "{}",
        lines[7]
    );

    // The words on the command line work too (a person trying it).
    let run = env
        .run_stdin(
            &["cargo-credential", "--host", "cargo.example.com"],
            &cargo_get("sparse+https://cargo.example.com/index/", &[]),
        )
        .expect(0);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("\"token\":\"Bearer eyJ"),
        "{}",
        run.stdout
    );

    // Bad input: the hello, one error answer, exit 2 with octoken's error on stderr.
    let huge = format!("{}\n", "x".repeat(100_000));
    for bad in [
        "garbage\n",
        "{\"v\":1,\0}\n",
        "\u{1b}[2J\n",
        "[1]\n",
        huge.as_str(),
    ] {
        let run = env.run_stdin(&["--cargo-plugin"], bad).expect(2);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{bad:?}: {}", run.stdout);
        assert_eq!(lines[0], r#"{"v":[1]}"#);
        let err: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert!(
            err["Err"]["message"]
                .as_str()
                .unwrap()
                .starts_with("cannot read cargo's request"),
            "{err}"
        );
        assert!(run.error_line().contains("cannot read cargo's request"));
    }
}

#[test]
fn concurrent_tools_with_a_stale_cache_make_one_refresh() {
    let idp = Idp::start(IdpOptions::rotating());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    env.run(&["docker-credential", "setup", "r.example.com"])
        .expect(0);
    let before = idp.refreshes();
    let request = cargo_get(
        "sparse+https://cargo.example.com/index/",
        &["cargo-credential", "--host", "cargo.example.com"],
    );
    let children: Vec<_> = (0..20)
        .map(|i| {
            let (args, input) = if i % 2 == 0 {
                (vec!["docker-credential", "get"], "r.example.com\n")
            } else {
                (vec!["--cargo-plugin"], request.as_str())
            };
            let mut cmd = env.command(&args);
            cmd.env("OCTOKEN_TEST_CLOCK_OFFSET", "400")
                .stdin(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("eyJ"));
    }
    assert_eq!(idp.refreshes() - before, 1);
}
