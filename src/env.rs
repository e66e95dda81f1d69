//! Every environment variable octoken reads, in one place. Nothing else in the crate
//! calls `std::env::var` (enforced by `clippy.toml`). The names libraries read for us
//! are here too, so that `reference::ENVIRONMENT` (the man pages' and docs/troubleshooting.md's table)
//! can list exactly this file's names; `tests/it/help.rs` checks both directions.

use std::ffi::OsString;
use std::path::PathBuf;

/// Profile to use when `-p/--profile` is not given.
pub const OCTOKEN_PROFILE: &str = "OCTOKEN_PROFILE";
/// Directory of `config.toml` (profiles). Default: the platform config dir.
pub const OCTOKEN_CONFIG_DIR: &str = "OCTOKEN_CONFIG_DIR";
/// Directory of the file secret store and per-profile state. Default: platform data dir.
pub const OCTOKEN_DATA_DIR: &str = "OCTOKEN_DATA_DIR";
/// Directory of the access-token cache and lock files. Default: platform cache dir.
pub const OCTOKEN_CACHE_DIR: &str = "OCTOKEN_CACHE_DIR";
/// Client secret for `login` (never taken from argv).
pub const OCTOKEN_CLIENT_SECRET: &str = "OCTOKEN_CLIENT_SECRET";
/// Seconds a keyring call may take before octoken gives up (default 5).
pub const OCTOKEN_KEYRING_TIMEOUT: &str = "OCTOKEN_KEYRING_TIMEOUT";
/// Seconds to wait for another process's refresh of the same profile (default 30).
pub const OCTOKEN_LOCK_TIMEOUT: &str = "OCTOKEN_LOCK_TIMEOUT";
/// Seconds an `--assertion-cmd` (or subject, actor, client assertion command) may run
/// before it is stopped (default 30).
pub const OCTOKEN_ASSERTION_TIMEOUT: &str = "OCTOKEN_ASSERTION_TIMEOUT";
/// The Redis URL of `login --store redis` when `--redis-url` is not given.
pub const OCTOKEN_REDIS_URL: &str = "OCTOKEN_REDIS_URL";
/// The password of the Redis user (the URL's user, else `default`); never saved.
pub const OCTOKEN_REDIS_PASSWORD: &str = "OCTOKEN_REDIS_PASSWORD";
/// The socket of an `octoken agent`: when set, `token`, `exec` and `kube-credential`
/// ask that agent instead of reading this machine's profiles.
pub const OCTOKEN_AGENT_SOCK: &str = "OCTOKEN_AGENT_SOCK";
/// The per-user runtime directory: `octoken agent` puts its socket in `octoken/` there.
pub const XDG_RUNTIME_DIR: &str = "XDG_RUNTIME_DIR";
/// The login shell: `octoken agent` prints csh or fish lines for those.
pub const SHELL: &str = "SHELL";
/// Browser command(s) for login, ':'-separated; `%s` stands for the URL.
pub const BROWSER: &str = "BROWSER";
/// X11's display: on Linux (not WSL), with neither this nor WAYLAND_DISPLAY set there is
/// no screen for the platform's browser, so `login` offers the paste prompt at once.
pub const DISPLAY: &str = "DISPLAY";
/// Wayland's display (see DISPLAY).
pub const WAYLAND_DISPLAY: &str = "WAYLAND_DISPLAY";
/// https://no-color.org: any value turns colour off.
pub const NO_COLOR: &str = "NO_COLOR";
/// The session bus of the Secret Service (Linux keyring); named in the keyring's hints.
pub const DBUS_SESSION_BUS_ADDRESS: &str = "DBUS_SESSION_BUS_ADDRESS";
/// `dumb` terminals get no colour and no spinner.
pub const TERM: &str = "TERM";
/// Set by kubectl (client-go) for exec credential plugins: the ExecCredential request,
/// whose `apiVersion` the answer must repeat and whose `spec.interactive` says whether a
/// person is at the terminal.
pub const KUBERNETES_EXEC_INFO: &str = "KUBERNETES_EXEC_INFO";

// Read by libraries, never by octoken's code: named here for the reference table.

/// Proxy for https:// requests (reqwest's `system-proxy`; `--proxy` wins).
pub const HTTPS_PROXY: &str = "HTTPS_PROXY";
/// Proxy for http:// requests (reqwest's `system-proxy`; `--proxy` wins).
pub const HTTP_PROXY: &str = "HTTP_PROXY";
/// Proxy for both, when the specific one is unset (reqwest's `system-proxy`).
pub const ALL_PROXY: &str = "ALL_PROXY";
/// Hosts reached without a proxy (reqwest's `system-proxy`).
pub const NO_PROXY: &str = "NO_PROXY";
/// Trusted CA certificates instead of the system's (rustls-native-certs).
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// Directories of trusted CA certificates (rustls-native-certs).
pub const SSL_CERT_DIR: &str = "SSL_CERT_DIR";

/// Test setting: when set, saving secrets fails, to exercise the recovery file.
pub const OCTOKEN_TEST_FAIL_SECRET_WRITES: &str = "OCTOKEN_TEST_FAIL_SECRET_WRITES";
/// Test setting `POINT:MS`: the fleet's lease holder stops for MS milliseconds at POINT
/// (`before-exchange` or `before-commit`), after printing `octoken: test: holding`.
pub const OCTOKEN_TEST_FLEET_HOLD: &str = "OCTOKEN_TEST_FLEET_HOLD";
/// Test setting: seconds added to the clock, to test expiry and idle limits without waiting.
pub const OCTOKEN_TEST_CLOCK_OFFSET: &str = "OCTOKEN_TEST_CLOCK_OFFSET";

/// A variable's value, or None when it is unset or empty.
pub fn var_os(name: &str) -> Option<OsString> {
    #[allow(clippy::disallowed_methods)]
    std::env::var_os(name).filter(|v| !v.is_empty())
}

pub fn var(name: &str) -> Option<String> {
    var_os(name).and_then(|v| v.into_string().ok())
}

/// Seconds the tests move octoken's clock by (OCTOKEN_TEST_CLOCK_OFFSET; 0 when unset).
pub fn test_clock_offset() -> i64 {
    var(OCTOKEN_TEST_CLOCK_OFFSET)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn path(name: &str) -> Option<PathBuf> {
    var_os(name).map(PathBuf::from)
}

/// Variables that carry secrets: removed from the environment of every program octoken
/// starts (the `exec` command, the browser), which has no business with them.
pub const SECRET_VARIABLES: &[&str] = &[OCTOKEN_CLIENT_SECRET, OCTOKEN_REDIS_PASSWORD];

/// Whether `name` can be a shell variable: `[A-Za-z_][A-Za-z0-9_]*` (for `exec --env`
/// and `--format env`, whose output a shell evaluates).
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    #[test]
    fn variable_names_are_shell_identifiers() {
        for good in ["OCTOKEN_ACCESS_TOKEN", "_x", "a1", "T"] {
            assert!(super::is_variable_name(good), "{good}");
        }
        for bad in ["", "1A", "A-B", "A B", "A;rm -rf", "A=B", "$(x)", "Ä"] {
            assert!(!super::is_variable_name(bad), "{bad}");
        }
    }
}
