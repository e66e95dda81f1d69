//! `octoken aws-credential` with the real AWS CLI (Debian's awscli, `/usr/bin/aws`)
//! against moto's server (PyPI `moto[server]`): STS's AssumeRoleWithWebIdentity and S3
//! on 127.0.0.1. moto checks no web identity token, so its request log (written by
//! tests/aws/moto_server.py) shows what octoken sent. STS's error answers, which moto
//! never gives, come from the scripted fake.

use crate::support::fake::{FakeServer, Reply};
use crate::support::moto::Moto;
use crate::support::signin::import;
use crate::support::{Client, Idp, IdpOptions, TestEnv};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub(crate) const ROLE: &str = "arn:aws:iam::123456789012:role/ci";

/// Debian's AWS CLI. Not `aws` from PATH: a Python environment manager's shim may
/// come first there.
const AWS: &str = "/usr/bin/aws";

/// `~/.aws/config` with a `work` profile whose credentials octoken gives (the recipe of
/// docs/aws.md, pointed at moto's STS).
pub(crate) fn aws_config(env: &TestEnv, sts: &str, extra: &str) -> PathBuf {
    let path = env.path("home/.aws/config");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            "[profile work]\nregion = us-east-1\n\
             credential_process = octoken aws-credential --role-arn {ROLE} --sts-endpoint {sts}{extra}\n"
        ),
    )
    .unwrap();
    path
}

/// `aws --profile work ARGS --endpoint-url MOTO` in the env, with this build's octoken
/// first on PATH and no other source of AWS credentials.
pub(crate) fn aws(env: &TestEnv, moto: &Moto, args: &[&str]) -> Command {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_octoken")).parent().unwrap();
    let mut cmd = Command::new(AWS);
    cmd.env_clear()
        .envs(&env.vars)
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("AWS_CONFIG_FILE", env.path("home/.aws/config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            env.path("home/.aws/credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .args(["--profile", "work", "--output", "json"])
        .args(args)
        .args(["--endpoint-url", &moto.url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[track_caller]
pub(crate) fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "aws: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A cached token of the default profile (`tokens/default.json` or `tokens/id/...`).
pub(crate) fn cached(env: &TestEnv, file: &str, field: &str) -> String {
    let path = env.path(&format!("cache/tokens/{file}"));
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    value["token"][field].as_str().unwrap().to_string()
}

/// A profile's AWS credentials cache files.
fn aws_cache_files(env: &TestEnv, profile: &str) -> Vec<PathBuf> {
    match std::fs::read_dir(env.path(&format!("cache/aws/{profile}"))) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// docs/aws.md's recipe, run as written but for the STS and S3 endpoints, which are
/// moto's: `--sts-endpoint` for octoken, `--endpoint-url` for the AWS CLI.
fn run_doc_recipe(env: &TestEnv, moto: &Moto) -> Output {
    let recipe = crate::support::doc_sh_block("docs/aws.md", "Set it up");
    let recipe = recipe
        .replace(
            &format!("--role-arn {ROLE}\n"),
            &format!("--role-arn {ROLE} --sts-endpoint {}\n", moto.url),
        )
        .replace(
            "sts get-caller-identity",
            &format!("sts get-caller-identity --endpoint-url {}", moto.url),
        );
    assert!(recipe.contains("--sts-endpoint"), "{recipe}");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_octoken")).parent().unwrap();
    Command::new("bash")
        .args(["-euc", &recipe])
        .env_clear()
        .envs(&env.vars)
        // Debian's aws first, after octoken: see AWS.
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `aws-credential --role-arn ROLE --sts-endpoint STS`, then `extra`.
fn aws_args<'a>(sts: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["aws-credential", "--role-arn", ROLE, "--sts-endpoint", sts];
    args.extend_from_slice(extra);
    args
}

#[test]
fn the_aws_cli_assumes_the_role_with_the_profiles_id_token_and_uses_s3() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    crate::support::signin::import_work(&env, &idp);
    let moto = Moto::start(env.dir.path());

    let who = json_of(&run_doc_recipe(&env, &moto));
    assert_eq!(
        who["Arn"], "arn:aws:sts::123456789012:assumed-role/ci/octoken-work",
        "{who}"
    );
    let made = aws(
        &env,
        &moto,
        &["s3api", "create-bucket", "--bucket", "octoken-aws"],
    )
    .output()
    .unwrap();
    json_of(&made);
    let buckets = json_of(
        &aws(&env, &moto, &["s3api", "list-buckets"])
            .output()
            .unwrap(),
    );
    assert_eq!(buckets["Buckets"][0]["Name"], "octoken-aws", "{buckets}");

    // One STS request for the three commands, carrying the profile's ID token and
    // nothing that signs it.
    let sent = moto.assume_role_requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let form = &sent[0]["form"];
    assert_eq!(
        form["WebIdentityToken"],
        cached(&env, "id/work.json", "id_token")
    );
    assert_eq!(form["RoleArn"], ROLE);
    assert_eq!(form["RoleSessionName"], "octoken-work");
    assert_eq!(form["Version"], "2011-06-15");
    assert!(form.get("DurationSeconds").is_none(), "{form}");
    assert!(sent[0]["authorization"].is_null(), "{sent:?}");

    // The cache: one 0600 file for the role, which `logout --local` removes.
    let files = aws_cache_files(&env, "work");
    assert_eq!(files.len(), 1, "{files:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    env.run(&["-p", "work", "logout", "--local"]).expect(0);
    assert!(aws_cache_files(&env, "work").is_empty());
}

#[test]
fn twenty_concurrent_aws_commands_make_one_sts_request_and_an_expired_entry_is_renewed() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let moto = Moto::start(env.dir.path());
    aws_config(&env, &moto.url, " --duration 900");
    let children: Vec<_> = (0..20)
        .map(|_| {
            aws(&env, &moto, &["sts", "get-caller-identity"])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut keys = std::collections::BTreeSet::new();
    for child in children {
        let who = json_of(&child.wait_with_output().unwrap());
        assert_eq!(
            who["Arn"],
            "arn:aws:sts::123456789012:assumed-role/ci/octoken-default"
        );
        keys.insert(who["UserId"].to_string());
    }
    let sent = moto.assume_role_requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["form"]["DurationSeconds"], "900");

    // The cached credentials expire: the next command gets new ones, in one request.
    let files = aws_cache_files(&env, "default");
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let old_key = entry["credentials"]["access_key_id"].clone();
    entry["credentials"]["expiration"] = (unix_now() - 10).into();
    std::fs::write(&files[0], serde_json::to_vec(&entry).unwrap()).unwrap();
    let out = env
        .run(&aws_args(&moto.url, &["--duration", "900"]))
        .expect(0);
    assert_eq!(moto.assume_role_requests().len(), 2);
    let answer: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_ne!(answer["AccessKeyId"], old_key);
    let expiration = humantime::parse_rfc3339(answer["Expiration"].as_str().unwrap()).unwrap();
    let left = expiration
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((800..=900).contains(&left), "{left}");
}

#[test]
fn the_answer_is_only_the_credential_process_json_and_type_access_sends_the_access_token() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let moto = Moto::start(env.dir.path());
    let args = [
        "aws-credential",
        "--role-arn",
        ROLE,
        "--type",
        "access",
        "--session-name",
        "build-42",
        "--sts-endpoint",
        &moto.url,
    ];
    // Stdin is not part of the protocol: whatever is there is left unread.
    let first = env.run_stdin(&args, "garbage\0\u{1b}[2J").expect(0);
    assert_eq!(first.stderr, "");
    assert_eq!(first.stdout.lines().count(), 1, "{}", first.stdout);
    let answer: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let keys: Vec<&str> = answer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "AccessKeyId",
            "Expiration",
            "SecretAccessKey",
            "SessionToken",
            "Version"
        ]
    );
    assert_eq!(answer["Version"], 1);
    assert!(answer["Expiration"].as_str().unwrap().ends_with('Z'));
    let sent = moto.assume_role_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["form"]["WebIdentityToken"],
        cached(&env, "default.json", "access_token")
    );
    assert_eq!(sent[0]["form"]["RoleSessionName"], "build-42");
    assert_eq!(sent[0]["accept"], "text/xml");
    // The cached answer is the same, byte for byte; the ID token's role is another entry.
    let again = env.run(&args).expect(0);
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(moto.assume_role_requests().len(), 1);
    let by_id = env.run(&aws_args(&moto.url, &[])).expect(0);
    assert_ne!(by_id.stdout, first.stdout);
    assert_eq!(moto.assume_role_requests().len(), 2);
    assert_eq!(aws_cache_files(&env, "default").len(), 2);

    // config.toml rewritten, the same token: the long way still takes the cached answer.
    let config = env.path("config/config.toml");
    std::fs::write(&config, std::fs::read(&config).unwrap()).unwrap();
    assert_eq!(env.run(&args).expect(0).stdout, first.stdout);
    assert_eq!(moto.assume_role_requests().len(), 2);
    // A new login (it could be anyone's) brings another token: credentials obtained with
    // the old one are not handed out.
    import(&env, &idp, Client::Basic, "file");
    assert_ne!(env.run(&args).expect(0).stdout, first.stdout);
    assert_eq!(moto.assume_role_requests().len(), 3);
}

/// STS's documented error document.
fn sts_error(status: &str, code: &str, message: &str) -> Reply {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
         <Type>Sender</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  \
         </Error>\n  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n</ErrorResponse>\n"
    );
    Reply::http(status, &[("Content-Type", "text/xml")], body.as_bytes())
}

#[test]
fn sts_errors_are_one_line_with_a_hint_and_their_exit_code() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let cases = [
        (
            sts_error(
                "400 Bad Request",
                "InvalidIdentityToken",
                "Incorrect token audience",
            ),
            3,
            "STS endpoint answered InvalidIdentityToken: Incorrect token audience; the role's account needs an IAM OpenID Connect provider",
        ),
        (
            sts_error("400 Bad Request", "ExpiredTokenException", "Token expired"),
            4,
            "STS endpoint answered ExpiredTokenException: Token expired; check this machine's clock",
        ),
        (
            sts_error(
                "403 Forbidden",
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            ),
            3,
            "; the role's trust policy must allow sts:AssumeRoleWithWebIdentity",
        ),
        (
            Reply::http("503 Service Unavailable", &[], b"<html>\x1b[2Jdown</html>"),
            5,
            "STS endpoint answered HTTP 503: <html>down</html>",
        ),
        (
            Reply::http(
                "200 OK",
                &[("Content-Type", "text/xml")],
                b"<AssumeRoleWithWebIdentityResponse/>",
            ),
            1,
            "STS endpoint sent an unusable response (HTTP 200): no Credentials/AccessKeyId",
        ),
    ];
    for (reply, code, wanted) in cases {
        let sts = FakeServer::start(vec![reply]);
        let run = env.run(&aws_args(&sts.url, &[]));
        assert_eq!(run.code, code, "{}", run.stderr);
        assert_eq!(run.stdout, "");
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.starts_with("octoken: error: "), "{}", run.stderr);
        assert!(run.stderr.contains(wanted), "{}", run.stderr);
        assert_eq!(sts.requests(), 1);
        // No credentials cached (a temporary failure is noted beside, for the backoff).
        let cached = aws_cache_files(&env, "default");
        assert!(
            cached.iter().all(|f| f.extension().unwrap() == "failed"),
            "{cached:?}"
        );
    }
}

#[test]
fn bad_flags_and_a_missing_login_fail_before_any_request() {
    let env = TestEnv::new();
    let sts = FakeServer::start(vec![sts_error("400 Bad Request", "AccessDenied", "no")]);
    for (args, code, wanted) in [
        (
            vec!["--role-arn", "ci"],
            2,
            "--role-arn 'ci' is not an IAM role ARN",
        ),
        (
            vec!["--role-arn", ROLE, "--duration", "60"],
            2,
            "--duration 60 is outside what STS grants",
        ),
        (
            vec!["--role-arn", ROLE, "--session-name", "a b"],
            2,
            "not a role session name",
        ),
        (
            vec!["--role-arn", ROLE, "--sts-region", "eu.evil"],
            2,
            "is not an AWS region",
        ),
        (
            vec![
                "--role-arn",
                ROLE,
                "--sts-endpoint",
                "http://sts.example.com/",
            ],
            2,
            "refusing plain http:// for http://sts.example.com/",
        ),
        (
            vec!["--role-arn", ROLE, "--sts-endpoint", &sts.url],
            4,
            "not logged in; run `octoken login`",
        ),
    ] {
        let mut all = vec!["aws-credential"];
        all.extend(args);
        let run = env.run(&all);
        assert_eq!(run.code, code, "{all:?}: {}", run.stderr);
        assert_eq!(run.stdout, "");
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(wanted), "{all:?}: {}", run.stderr);
    }
    assert_eq!(sts.requests(), 0);
}

#[test]
fn with_login_a_needed_sign_in_runs_first_and_stdout_stays_the_answer() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Public, "file");
    // Revoked and forgotten, but the profile's settings stay.
    env.run(&["logout"]).expect(0);
    let moto = Moto::start(env.dir.path());
    let args = aws_args(&moto.url, &[]);
    let without = env.run(&args).expect(4);
    assert_eq!(without.stdout, "");
    assert_eq!(without.stderr.lines().count(), 1, "{}", without.stderr);
    assert!(
        without.stderr.contains("octoken login"),
        "{}",
        without.stderr
    );
    assert!(moto.assume_role_requests().is_empty());

    let browser = crate::support::driver("");
    let mut with = args.to_vec();
    with.push("--login");
    let run = env
        .run_with(&with, None, &[("BROWSER", browser.as_str())])
        .expect(0);
    assert!(run.stderr.contains("signing in"), "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["Version"], 1);
    let sent = moto.assume_role_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["form"]["WebIdentityToken"],
        cached(&env, "id/default.json", "id_token")
    );
}

#[test]
fn a_failing_sts_is_asked_once_by_concurrent_runs_then_again_after_the_backoff() {
    let idp = Idp::start(IdpOptions::default());
    let env = TestEnv::new();
    import(&env, &idp, Client::Basic, "file");
    let sts = FakeServer::start(vec![Reply::http(
        "503 Service Unavailable",
        &[("Content-Type", "text/xml")],
        b"<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>down</Message></Error></ErrorResponse>",
    )]);
    let args = aws_args(&sts.url, &[]);
    let children: Vec<_> = (0..10)
        .map(|_| env.command(&args).spawn().unwrap())
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert!(out.stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("STS endpoint answered ServiceUnavailable: down"),
            "{stderr}"
        );
    }
    assert_eq!(sts.requests(), 1);
    // The backoff over, the next run asks again.
    env.run_with(&args, None, &[("OCTOKEN_TEST_CLOCK_OFFSET", "20")])
        .expect(5);
    assert_eq!(sts.requests(), 2);
}
