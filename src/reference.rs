//! The reference tables a user looks things up in: exit codes, environment variables,
//! files. One copy, as data: the man pages (`man.rs`), the README's tables (regenerated
//! by `UPDATE_GENERATED=1 cargo test --test it generated`) and the exit-code line of
//! `octoken --help` are all rendered from here, so they cannot drift apart.
//!
//! Text is Markdown-flavoured: `code` spans only (rendered bold in man pages).

use crate::env;

/// One exit status.
pub struct ExitStatus {
    /// "0", or "126, 127" for a pair.
    pub code: &'static str,
    /// A few words for the `--help` summary line.
    pub short: &'static str,
    pub meaning: &'static str,
    /// What to do about it; empty when there is nothing to say.
    pub action: &'static str,
}

const fn exit(
    code: &'static str,
    short: &'static str,
    meaning: &'static str,
    action: &'static str,
) -> ExitStatus {
    ExitStatus {
        code,
        short,
        meaning,
        action,
    }
}

pub const EXIT_STATUS: &[ExitStatus] = &[
    exit("0", "ok", "ok", ""),
    exit(
        "1",
        "error",
        "other error (bad server response, ID token or issuer check failed, TLS certificate problem, port in use, local I/O)",
        "read the message",
    ),
    exit(
        "2",
        "usage",
        "usage: bad flags or input",
        "fix the command line",
    ),
    exit(
        "3",
        "configuration",
        "configuration: no such profile, bad config file, client rejected (`invalid_client`)",
        "fix the profile or config file",
    ),
    exit(
        "4",
        "login required",
        "login required: no refresh token, the server answered `invalid_grant`, the sign-in was denied or timed out",
        "run `octoken login`",
    ),
    exit(
        "5",
        "temporary (retry later)",
        "temporary: network error, timeout, HTTP 5xx or 429, another process's refresh took over 30 s, or a recent such failure is being backed off from (the message says until when)",
        "retry later; the stored token is untouched. `token` exits 0 instead, with a warning, while its cached token has not expired (unless `--strict`)",
    ),
    exit(
        "6",
        "secure storage unavailable",
        "secure storage unavailable or locked (keyring), or a secret file with loose permissions",
        "unlock the keyring, or use `--store file`",
    ),
    exit(
        "126, 127",
        "exec could not run its command",
        "`exec` could not run its command (127: not found)",
        "",
    ),
    exit(
        "130",
        "interrupted",
        "interrupted (Ctrl-C while waiting for a sign-in)",
        "",
    ),
];

/// Said after the exit-status table.
pub const EXIT_STATUS_NOTE: &str = "`exec` otherwise exits with its command's status. Every error is one line \
`octoken: error: ...`, followed by a `hint: ...` line when there is something to do.";

/// Who reads a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// octoken's own code, through `crate::env`.
    Octoken,
    /// A library octoken uses (the HTTP client, the TLS roots, the keyring client).
    Library,
    /// Only the test suite sets it; never needed in normal use.
    Test,
}

/// One environment variable.
pub struct EnvVar {
    pub name: &'static str,
    pub reader: Reader,
    pub meaning: &'static str,
}

const fn var(name: &'static str, reader: Reader, meaning: &'static str) -> EnvVar {
    EnvVar {
        name,
        reader,
        meaning,
    }
}

/// Every variable octoken or its libraries read: all of `crate::env`'s names, no other.
pub const ENVIRONMENT: &[EnvVar] = &[
    var(
        env::OCTOKEN_PROFILE,
        Reader::Octoken,
        "profile to use when `-p/--profile` is not given (else the one named `default`)",
    ),
    var(
        env::OCTOKEN_CLIENT_SECRET,
        Reader::Octoken,
        "a confidential client's secret for `login` (secrets are never taken from argv)",
    ),
    var(
        env::OCTOKEN_CONFIG_DIR,
        Reader::Octoken,
        "directory of `config.toml` (the profiles)",
    ),
    var(
        env::OCTOKEN_DATA_DIR,
        Reader::Octoken,
        "directory of the file secret store and the per-profile state",
    ),
    var(
        env::OCTOKEN_CACHE_DIR,
        Reader::Octoken,
        "directory of the access-token cache and the lock files",
    ),
    var(
        env::OCTOKEN_REDIS_URL,
        Reader::Octoken,
        "the fleet's Redis for `login --store redis` when `--redis-url` is not given",
    ),
    var(
        env::OCTOKEN_REDIS_PASSWORD,
        Reader::Octoken,
        "the Redis user's password for a `--store redis` profile (never saved in config.toml)",
    ),
    var(
        env::OCTOKEN_KEYRING_TIMEOUT,
        Reader::Octoken,
        "seconds a keyring call may take before octoken gives up with exit 6 (default 5)",
    ),
    var(
        env::OCTOKEN_LOCK_TIMEOUT,
        Reader::Octoken,
        "seconds to wait for another process's refresh of the same profile before exit 5 (default 30)",
    ),
    var(
        env::BROWSER,
        Reader::Octoken,
        "browser command(s) for `login`, `:`-separated; `%s` stands for the URL (`--browser` wins)",
    ),
    var(
        env::NO_COLOR,
        Reader::Octoken,
        "any value turns colour off (https://no-color.org)",
    ),
    var(
        env::TERM,
        Reader::Octoken,
        "`dumb` turns colour and the login spinner off",
    ),
    var(
        env::KUBERNETES_EXEC_INFO,
        Reader::Octoken,
        "set by kubectl for `kube-credential`: the ExecCredential request (its apiVersion and whether a person is at the terminal)",
    ),
    var(
        env::HTTPS_PROXY,
        Reader::Library,
        "proxy for https:// requests unless the profile sets `--proxy`; `https_proxy` works too",
    ),
    var(
        env::HTTP_PROXY,
        Reader::Library,
        "proxy for http:// requests unless the profile sets `--proxy`; `http_proxy` works too",
    ),
    var(
        env::ALL_PROXY,
        Reader::Library,
        "proxy for both kinds when the one above is unset; `all_proxy` works too",
    ),
    var(
        env::NO_PROXY,
        Reader::Library,
        "comma-separated hosts and domains reached without a proxy; `no_proxy` works too",
    ),
    var(
        env::SSL_CERT_FILE,
        Reader::Library,
        "a PEM file of trusted CA certificates instead of the system's; `--ca-file` adds some per profile",
    ),
    var(
        env::SSL_CERT_DIR,
        Reader::Library,
        "directories of trusted CA certificates, `:`-separated, instead of the system's",
    ),
    var(
        env::DBUS_SESSION_BUS_ADDRESS,
        Reader::Octoken,
        "the session bus that reaches the Secret Service keyring; from cron on a desktop: `unix:path=/run/user/$UID/bus`",
    ),
    var(
        env::OCTOKEN_TEST_FLEET_HOLD,
        Reader::Test,
        "test setting: `POINT:MS` pauses a fleet refresh at a named point, to test leases and fencing",
    ),
    var(
        env::OCTOKEN_TEST_CLOCK_OFFSET,
        Reader::Test,
        "test setting: seconds added to octoken's clock, to test expiry without waiting",
    ),
    var(
        env::OCTOKEN_TEST_FAIL_SECRET_WRITES,
        Reader::Test,
        "test setting: when set, saving secrets fails, to exercise the recovery file",
    ),
];

/// One place octoken keeps things.
pub struct FileEntry {
    pub what: &'static str,
    /// The Linux default.
    pub location: &'static str,
    /// The variable that moves it.
    pub override_var: &'static str,
}

const fn file(what: &'static str, location: &'static str, override_var: &'static str) -> FileEntry {
    FileEntry {
        what,
        location,
        override_var,
    }
}

pub const FILES: &[FileEntry] = &[
    file(
        "profiles (`config.toml`, no secrets)",
        "$XDG_CONFIG_HOME/octoken",
        env::OCTOKEN_CONFIG_DIR,
    ),
    file(
        "file secret store, per-profile state",
        "$XDG_DATA_HOME/octoken",
        env::OCTOKEN_DATA_DIR,
    ),
    file(
        "access-token cache, lock files",
        "$XDG_CACHE_HOME/octoken",
        env::OCTOKEN_CACHE_DIR,
    ),
];

/// The one-paragraph summary for `octoken --help`: "Exit codes: 0 ok, 1 error, ...",
/// wrapped at `width` columns.
pub fn exit_status_summary(width: usize) -> String {
    let last = EXIT_STATUS.len() - 1;
    let mut lines = vec![String::from("Exit codes:")];
    for (i, e) in EXIT_STATUS.iter().enumerate() {
        // A code and its words stay on one line.
        let item = format!(
            "{} {}{}",
            e.code.replace(", ", "/"),
            e.short,
            if i == last { "." } else { "," }
        );
        let line = lines.last_mut().expect("one line at least");
        if line.len() + 1 + item.len() > width {
            lines.push(item);
        } else {
            line.push(' ');
            line.push_str(&item);
        }
    }
    lines.join("\n")
}

/// One Markdown table row; an empty cell stays `| |`.
fn row(cells: &[&str]) -> String {
    format!("| {} |\n", cells.join(" | ")).replace("|  |", "| |")
}

/// README's "Exit codes" table and the note after it.
pub fn exit_status_markdown() -> String {
    let mut out = String::from("| code | meaning | what to do |\n|---|---|---|\n");
    for e in EXIT_STATUS {
        out.push_str(&row(&[e.code, e.meaning, e.action]));
    }
    out.push('\n');
    out.push_str(EXIT_STATUS_NOTE);
    out.push('\n');
    out
}

/// README's environment table.
pub fn environment_markdown() -> String {
    let mut out = String::from("| variable | read by | meaning |\n|---|---|---|\n");
    for v in ENVIRONMENT {
        let reader = match v.reader {
            Reader::Octoken => "octoken",
            Reader::Library => "a library",
            Reader::Test => "tests only",
        };
        out.push_str(&format!("| `{}` | {reader} | {} |\n", v.name, v.meaning));
    }
    out
}

/// README's files table.
pub fn files_markdown() -> String {
    let mut out = String::from("| what | where (Linux default) | override |\n|---|---|---|\n");
    for f in FILES {
        out.push_str(&format!(
            "| {} | `{}` | `{}` |\n",
            f.what, f.location, f.override_var
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_summary_names_every_code_and_fits() {
        let summary = exit_status_summary(78);
        for e in EXIT_STATUS {
            assert!(summary.contains(&e.code.replace(", ", "/")), "{summary}");
        }
        assert!(summary.lines().all(|l| l.len() <= 78), "{summary}");
    }

    #[test]
    fn every_variable_is_listed_once() {
        let mut names: Vec<&str> = ENVIRONMENT.iter().map(|v| v.name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a variable is listed twice");
    }
}
