//! Opening the authorization URL in a browser. Order: `--browser CMD`, then `$BROWSER`
//! (read by settings; the `open` crate ignores it), then on WSL `wslview` or `cmd.exe /c start`, then the
//! platform opener. The launcher never inherits octoken's stdout or stderr, so nothing it
//! prints can corrupt `$(octoken ...)` output. The URL is always printed as well.

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
}

/// Tries to open `url`; Err says why not (the caller prints the URL regardless).
pub fn open(url: &str, browser: &Browser) -> Result<(), String> {
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
        if spawn_detached(Command::new("wslview").arg(url)).is_ok() {
            return Ok(());
        }
        // cmd.exe treats & as a separator: escape it. The empty title keeps `start` from
        // taking the URL as a window title.
        let escaped = url.replace('&', "^&");
        if spawn_detached(Command::new("cmd.exe").args(["/c", "start", "", &escaped])).is_ok() {
            return Ok(());
        }
    }
    // The opener's own error text carries Rust debug output ("ExitStatus(...)"): say it
    // in words instead.
    open::that_detached(url).map_err(|_| {
        "the system's browser opener failed (set BROWSER or pass --browser CMD)".to_string()
    })
}

#[cfg(target_os = "linux")]
fn is_wsl() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.to_ascii_lowercase().contains("microsoft"))
        .unwrap_or(false)
}
