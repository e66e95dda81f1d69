//! Opening the sign-in in a browser. Order: `--browser CMD`, then `$BROWSER` (read by
//! settings; the `open` crate ignores it), then on WSL `wslview` or `cmd.exe /c start`,
//! then the platform opener. The launcher never inherits octoken's stdout or stderr, so
//! nothing it prints can corrupt `$(octoken ...)` output. The URL is always printed as
//! well (stderr: the user's own terminal).
//!
//! A browser's argv is public: every local user reads `/proc/PID/cmdline`. So it is never
//! given the authorization URL (its `state` and PKCE challenge let another user sign in
//! as themselves and deliver their code first), only something that leads there for this
//! user alone (see [`sign_in`]).

#[cfg(any(test, not(target_os = "linux")))]
mod page;

use std::process::{Command, Stdio};

#[derive(Debug, Clone)]
pub enum Browser {
    /// `--browser CMD`: `%s` in CMD is replaced by the URL, else the URL is appended.
    Command(String),
    /// `--no-browser`: only print the URL.
    None,
    /// `$BROWSER` (read by settings): ':'-separated alternatives.
    List(String),
    /// The platform's way.
    Default,
    /// The platform's way cannot work here: why (no display).
    Unavailable(String),
}

/// What the browser was handed; keep it until the sign-in has ended. On systems without
/// `/proc` it holds the private page, removed when this is dropped.
#[derive(Debug)]
pub struct Opened {
    #[cfg(not(target_os = "linux"))]
    _page: Option<page::ForwardPage>,
}

/// Opens the sign-in in a browser without showing another local user anything that
/// lets them continue it. `local_url` is the listener's, given only when the listener
/// serves this user alone (then it carries no secret). Otherwise, where there is no
/// `/proc` to tell users apart (macOS, Windows), the browser gets the path of a private
/// page that forwards to `authorization_url`; on Linux without a usable `/proc/net`, no
/// browser is started and Err says why (the caller prints the URL and offers the paste
/// prompt).
pub fn sign_in(
    local_url: Option<&str>,
    authorization_url: &str,
    browser: &Browser,
) -> Result<Opened, String> {
    if let Some(local_url) = local_url {
        return open(local_url, browser).map(|()| Opened {
            #[cfg(not(target_os = "linux"))]
            _page: None,
        });
    }
    #[cfg(target_os = "linux")]
    {
        let _ = (authorization_url, browser);
        Err(
            "this system does not show which user a connection to the sign-in listener \
             comes from (/proc/net/tcp), so a browser started here could be raced by \
             another local user"
                .into(),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let cache = crate::paths::Paths::resolve()
            .map_err(|e| e.to_string())?
            .cache_dir;
        let page = page::ForwardPage::write(&cache, authorization_url)?;
        let path = page
            .path()
            .to_str()
            .ok_or("the cache directory's path is not UTF-8")?;
        open(path, browser).map(|()| Opened { _page: Some(page) })
    }
}

/// Tries to open `url`, which every local user may see; Err says why not.
fn open(url: &str, browser: &Browser) -> Result<(), String> {
    match browser {
        Browser::None => Ok(()),
        Browser::Command(cmd) => run_template(cmd, url),
        // $BROWSER may list alternatives separated by ':' (the sensible-browser rule).
        Browser::List(list) => list
            .split(':')
            .filter(|c| !c.trim().is_empty())
            .map(|c| run_template(c, url))
            .find(Result::is_ok)
            .unwrap_or_else(|| Err(format!("none of BROWSER={list} could be started"))),
        Browser::Default => platform_open(url),
        Browser::Unavailable(why) => Err(why.clone()),
    }
}

fn run_template(template: &str, url: &str) -> Result<(), String> {
    let mut words: Vec<String> = template.split_whitespace().map(str::to_string).collect();
    if words.is_empty() {
        return Err("the browser command is empty".into());
    }
    if words.iter().any(|w| w.contains("%s")) {
        for w in &mut words {
            *w = w.replace("%s", url);
        }
    } else {
        words.push(url.to_string());
    }
    spawn_detached(Command::new(&words[0]).args(&words[1..]))
        .map_err(|e| format!("cannot start {}: {e}", words[0]))
}

fn spawn_detached(cmd: &mut Command) -> std::io::Result<()> {
    for secret in crate::env::SECRET_VARIABLES {
        cmd.env_remove(secret);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_child| ())
}

fn platform_open(url: &str) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    if is_wsl() {
        // cmd.exe parses its command line (& | ^ < > ( ) % ! " all mean something), and
        // so do the PowerShell and shell layers inside wslview: only a value made of
        // characters with no meaning to any of them may pass. octoken's local URL is
        // one; a server-chosen string never reaches here.
        if !is_inert(url) {
            return Err("refusing to pass an address with special characters to Windows".into());
        }
        if spawn_detached(Command::new("wslview").arg(url)).is_ok() {
            return Ok(());
        }
        // The empty title keeps `start` from taking the URL as a window title.
        if spawn_detached(Command::new("cmd.exe").args(["/c", "start", "", url])).is_ok() {
            return Ok(());
        }
    }
    // The opener's own error text carries Rust debug output ("ExitStatus(...)"): say it
    // in words instead.
    open::that_detached(url).map_err(|_| {
        "the system's browser opener failed (set BROWSER or pass --browser CMD)".to_string()
    })
}

/// `http://127.0.0.1:PORT/<hex>` and `http://[::1]:PORT/<hex>`: letters, digits and
/// `:/.-_[]`, nothing a Windows command line, PowerShell or sh would act on.
#[cfg(any(test, target_os = "linux"))]
fn is_inert(url: &str) -> bool {
    !url.is_empty()
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":/.-_[]".contains(&b))
}

/// Linux under WSL, whose browser is Windows' (false elsewhere).
pub fn is_wsl() -> bool {
    cfg!(target_os = "linux")
        && std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.to_ascii_lowercase().contains("microsoft"))
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inert_addresses_may_reach_cmd_exe() {
        for ok in [
            "http://127.0.0.1:41234/0123456789abcdef0123456789abcdef",
            "http://[::1]:8400/0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_inert(ok), "{ok}");
        }
        for bad in [
            "",
            "https://id.example/auth?a=1&b=2",
            "https://id.example/|calc.exe|^",
            "https://id.example/%PATH%",
            "https://id.example/\"x\"",
            "https://id.example/(x)",
            "https://id.example/!x!",
            "https://id.example/a b",
            "https://id.example/$(x)",
            "https://id.example/`x`",
            "https://id.example/a;b",
            "https://id.example/a,b",
            "https://id.example/a=b",
        ] {
            assert!(!is_inert(bad), "{bad}");
        }
    }
}
