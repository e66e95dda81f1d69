//! The only writer of stdout, and the home of stderr notices and `-v` logging.
//! stdout is a contract: `token` prints exactly "<token>\n" (or the chosen format),
//! every other command prints nothing there unless asked for data (`status --json`).

// The one module allowed to write stdout and stderr (Cargo.toml [lints], clippy.toml).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

use crate::access_token::{AccessToken, IdToken};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

static VERBOSITY: AtomicU8 = AtomicU8::new(0);
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_verbosity(verbose: u8, quiet: bool) {
    VERBOSITY.store(verbose, Ordering::Relaxed);
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

/// A diagnostic line on stderr, shown at `-v` (level 1) or `-vv` (level 2).
/// Callers pass facts about secrets, never secrets.
pub fn debug(level: u8, message: impl AsRef<str>) {
    if verbosity() >= level {
        stderr_line(&format!("octoken: {}", message.as_ref()));
    }
}

/// A one-line summary on stderr, silenced by `-q`.
pub fn notice(message: impl AsRef<str>) {
    if !QUIET.load(Ordering::Relaxed) {
        stderr_line(message.as_ref());
    }
}

/// What a person must see to go on (where to sign in), shown even with `-q`.
pub fn tell(message: impl AsRef<str>) {
    stderr_line(message.as_ref());
}

/// Every stderr write goes through here or `error`: a closed or broken stderr
/// (`2>&1 | head -1`) must not turn the outcome into a panic and exit 101.
fn stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn stderr_raw(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// A warning on stderr; shown even with `-q`, since it asks for attention.
pub fn warn(message: impl AsRef<str>) {
    stderr_line(&format!(
        "octoken: {} {}",
        paint(YELLOW, "warning:"),
        message.as_ref()
    ));
}

pub fn error(message: &str, hint: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "octoken: {} {message}", paint(RED, "error:"));
    if let Some(hint) = hint {
        let _ = writeln!(err, "{} {hint}", paint(CYAN, "hint:"));
    }
}

const RED: &str = "1;31";
const YELLOW: &str = "1;33";
const CYAN: &str = "1;36";

/// Whether a person is at stderr (a prompt may be shown there).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// Colour only on a terminal, never with NO_COLOR or TERM=dumb.
fn stderr_is_rich() -> bool {
    use std::io::IsTerminal;
    static RICH: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *RICH.get_or_init(|| {
        std::io::stderr().is_terminal()
            && crate::env::var_os(crate::env::NO_COLOR).is_none()
            && crate::env::var(crate::env::TERM).as_deref() != Some("dumb")
    })
}

fn paint(code: &str, text: &str) -> String {
    if stderr_is_rich() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A one-line spinner with the elapsed time while waiting for a person; drawn only when
/// stderr is a rich terminal, so logs and pipes never see animation.
pub struct Spinner {
    what: String,
    start: std::time::Instant,
    frame: usize,
    drawn: bool,
}

impl Spinner {
    pub fn new(what: impl Into<String>) -> Spinner {
        Spinner {
            what: what.into(),
            start: std::time::Instant::now(),
            frame: 0,
            drawn: false,
        }
    }

    pub fn tick(&mut self) {
        if !stderr_is_rich() {
            return;
        }
        const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        self.frame = (self.frame + 1) % FRAMES.len();
        let secs = self.start.elapsed().as_secs();
        stderr_raw(&format!(
            "\r\x1b[2K{} {} ({secs}s)",
            FRAMES[self.frame], self.what
        ));
        self.drawn = true;
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if self.drawn {
            stderr_raw("\r\x1b[2K");
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFormat {
    /// The token and a newline.
    Raw,
    /// A JSON object: access_token, token_type, expires_at, expires_in, scope.
    Json,
    /// `Authorization: Bearer <token>`, for `curl -H @-`.
    Header,
    /// `export NAME='<token>'`, for `eval "$(octoken token --format env)"`.
    Env,
}

pub fn token(
    token: &AccessToken,
    format: TokenFormat,
    env_name: &str,
    now: u64,
) -> std::io::Result<()> {
    let text = match format {
        TokenFormat::Env => format!(
            "export {env_name}='{}'\n",
            token.access_token.expose().replace('\'', "'\\''")
        ),
        TokenFormat::Raw => format!("{}\n", token.access_token.expose()),
        TokenFormat::Header => format!("Authorization: Bearer {}\n", token.access_token.expose()),
        TokenFormat::Json => {
            let value = serde_json::json!({
                "access_token": token.access_token.expose(),
                "token_type": token.token_type,
                "expires_at": token.expires_at.map(rfc3339),
                "expires_in": token.expires_at.map(|_| token.remaining(now)),
                "scope": token.scope,
            });
            crate::sanitize::json_inert(format!("{value}\n"))
        }
    };
    stdout(&text)
}

/// An access token and a DPoP proof for one API request (`token --dpop-proof`):
/// header format gives both header lines; raw the proof alone (the token is `token`'s).
pub fn dpop_token(
    token: &AccessToken,
    proof: &crate::secret::Secret,
    format: TokenFormat,
    env_name: &str,
    now: u64,
) -> std::io::Result<()> {
    let access = token.access_token.expose();
    let proof = proof.expose();
    // A server that ignored the proof issued a Bearer token; say what it is.
    let scheme = if token.token_type.eq_ignore_ascii_case("dpop") {
        "DPoP"
    } else {
        "Bearer"
    };
    let text = match format {
        TokenFormat::Raw => format!("{proof}\n"),
        TokenFormat::Header => format!("Authorization: {scheme} {access}\nDPoP: {proof}\n"),
        TokenFormat::Env => format!(
            "export {env_name}='{}'\nexport OCTOKEN_DPOP_PROOF='{}'\n",
            access.replace('\'', "'\\''"),
            proof.replace('\'', "'\\''")
        ),
        TokenFormat::Json => {
            let value = serde_json::json!({
                "access_token": access,
                "token_type": token.token_type,
                "expires_at": token.expires_at.map(rfc3339),
                "expires_in": token.expires_at.map(|_| token.remaining(now)),
                "scope": token.scope,
                "dpop_proof": proof,
                "authorization": format!("{scheme} {access}"),
            });
            crate::sanitize::json_inert(format!("{value}\n"))
        }
    };
    stdout(&text)
}

/// An ID token in the chosen format (`token --type id`); JSON names it `id_token`.
pub fn id_token(
    token: &IdToken,
    format: TokenFormat,
    env_name: &str,
    now: u64,
) -> std::io::Result<()> {
    let secret = token.id_token.expose();
    let text = match format {
        TokenFormat::Env => format!("export {env_name}='{}'\n", secret.replace('\'', "'\\''")),
        TokenFormat::Raw => format!("{secret}\n"),
        TokenFormat::Header => format!("Authorization: Bearer {secret}\n"),
        TokenFormat::Json => {
            let value = serde_json::json!({
                "id_token": secret,
                "expires_at": rfc3339(token.expires_at),
                "expires_in": token.remaining(now),
            });
            crate::sanitize::json_inert(format!("{value}\n"))
        }
    };
    stdout(&text)
}

/// Writes data to stdout in one go. A closed pipe (`octoken token | head -c0`) is the
/// reader's choice, not an error worth a message.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Flushes stdout at exit; a closed pipe is the reader's choice here too.
pub fn flush() {
    let _ = std::io::stdout().lock().flush();
}

/// Unix seconds as RFC 3339; a time past what RFC 3339 can write (year 9999, a number
/// from a file or a server) is shown as that last second rather than panicking.
pub fn rfc3339(unix: u64) -> String {
    const LAST: u64 = 253_402_300_799;
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.min(LAST));
    humantime::format_rfc3339_seconds(time).to_string()
}

/// "3m 20s", "2d 4h": a rough human duration for notices.
pub fn human_duration(secs: u64) -> String {
    let rounded = match secs {
        0..3600 => secs,
        3600..86400 => secs / 60 * 60,
        _ => secs / 3600 * 3600,
    };
    humantime::format_duration(std::time::Duration::from_secs(rounded)).to_string()
}
