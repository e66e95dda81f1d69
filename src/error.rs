//! The one error type that reaches `main`, with its exit code and a hint.
//! Exit codes are a documented contract (docs/troubleshooting.md, "Exit codes", generated from `reference`).
//!
//! Lower rooms return their own errors (`OAuthError`, `SetupError`); this module alone
//! turns them into exit codes and hints that name flags. It imports only leaves.

use crate::oauth::OAuthError;
use crate::oauth::SetupError;
use crate::profile_name;
use thiserror::Error;

pub mod exit {
    pub const OK: u8 = 0;
    pub const OTHER: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CONFIG: u8 = 3;
    pub const LOGIN_REQUIRED: u8 = 4;
    pub const TEMPORARY: u8 = 5;
    pub const STORAGE: u8 = 6;
    /// `exec`: the command was found but could not be started (as shells do).
    pub const CANNOT_EXECUTE: u8 = 126;
    /// `exec`: no such command (as shells do).
    pub const COMMAND_NOT_FOUND: u8 = 127;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, Error)]
pub enum Error {
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    #[error("{message}")]
    Config {
        message: String,
        hint: Option<String>,
    },
    #[error("{message}")]
    LoginRequired { message: String, hint: String },
    #[error("{message}")]
    Storage { message: String, hint: String },
    #[error("{message}")]
    Temporary { message: String, hint: String },
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error("{message}")]
    Other {
        message: String,
        hint: Option<String>,
    },
    /// `exec` could not start its command (126, or 127 when not found, as shells do).
    #[error("{message}")]
    CommandNotRun { message: String, not_found: bool },
    /// Ctrl-C while waiting for a sign-in.
    #[error("interrupted")]
    Interrupted,
    /// An error and its hint in one line, for callers that show a helper's stderr as
    /// is (git, kubectl); the exit code is the inner error's.
    #[error("{}", one_line(.0))]
    OneLine(Box<Error>),
}

fn one_line(err: &Error) -> String {
    match err.hint() {
        Some(hint) => format!("{err}; {hint}"),
        None => err.to_string(),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub fn config(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Config {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn storage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Storage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Error::Other {
            message: message.into(),
            hint: None,
        }
    }

    pub fn login_required(profile: &str, message: impl Into<String>) -> Self {
        Error::LoginRequired {
            message: message.into(),
            hint: format!("run `{}`", login_command(profile)),
        }
    }

    /// An I/O failure on a local file, naming the file.
    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        Error::other(format!("cannot {action} {}: {err}", path.display()))
    }

    /// An error from AWS STS (`aws-credential`): STS's codes as octoken's exit codes,
    /// each with what to check. `profile` is named in the commands the hints give.
    pub fn sts(err: OAuthError, profile: &str) -> Self {
        let message = err.to_string();
        let status = format!("`{}`", profile_name::command(profile, "status"));
        match err.server_code() {
            Some("InvalidIdentityToken" | "IDPRejectedClaim") => Error::Config {
                message,
                hint: Some(format!(
                    "the role's account needs an IAM OpenID Connect provider for this issuer, with the client id as its audience ({status} shows both)"
                )),
            },
            Some("AccessDenied") => Error::Config {
                message,
                hint: Some(
                    "the role's trust policy must allow sts:AssumeRoleWithWebIdentity for this provider, audience and subject"
                        .into(),
                ),
            },
            Some("ExpiredTokenException") => Error::LoginRequired {
                message,
                hint: format!(
                    "check this machine's clock; if it is right, run `{}`",
                    login_command(profile)
                ),
            },
            Some("RegionDisabledException") => Error::Config {
                message,
                hint: Some(
                    "activate STS in that region (IAM account settings), or use another with --sts-region"
                        .into(),
                ),
            },
            Some("ValidationError" | "MalformedPolicyDocument" | "PackedPolicyTooLarge") => {
                Error::Usage {
                    message,
                    hint: Some(
                        "check --role-arn, --session-name and --duration (at most the role's maximum session duration)"
                            .into(),
                    ),
                }
            }
            Some("IDPCommunicationError" | "Throttling" | "ServiceUnavailable") => {
                Error::Temporary {
                    message,
                    hint: "this is temporary: try again later".into(),
                }
            }
            _ => Error::OAuth(err),
        }
    }

    /// This error told in one line (see `Error::OneLine`).
    pub fn one_line(self) -> Self {
        match self {
            Error::OneLine(_) => self,
            other => Error::OneLine(Box::new(other)),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage { .. } => exit::USAGE,
            Error::Config { .. } => exit::CONFIG,
            Error::LoginRequired { .. } => exit::LOGIN_REQUIRED,
            Error::Storage { .. } => exit::STORAGE,
            Error::Temporary { .. } => exit::TEMPORARY,
            Error::OAuth(e) if e.is_temporary() => exit::TEMPORARY,
            Error::OAuth(e) => match e.server_code() {
                Some("invalid_grant") => exit::LOGIN_REQUIRED,
                Some("invalid_client" | "unauthorized_client") => exit::CONFIG,
                _ => exit::OTHER,
            },
            Error::Other { .. } => exit::OTHER,
            Error::Interrupted => exit::INTERRUPTED,
            Error::CommandNotRun {
                not_found: true, ..
            } => exit::COMMAND_NOT_FOUND,
            Error::CommandNotRun { .. } => exit::CANNOT_EXECUTE,
            Error::OneLine(inner) => inner.exit_code(),
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Usage { hint, .. } | Error::Config { hint, .. } | Error::Other { hint, .. } => {
                hint.clone()
            }
            Error::LoginRequired { hint, .. }
            | Error::Storage { hint, .. }
            | Error::Temporary { hint, .. } => Some(hint.clone()),
            Error::OAuth(e) if e.is_temporary() => Some(
                "this is temporary: the stored refresh token is unchanged; try again later".into(),
            ),
            Error::OAuth(crate::oauth::OAuthError::Tls { .. }) => Some(
                "if the server uses a private CA, pass --ca-file PEM (or set SSL_CERT_FILE)".into(),
            ),
            Error::OAuth(e) => match e.server_code() {
                Some("invalid_client") => Some(
                    "check the client id, the client secret and --auth-method (basic or post), \
                     or the private key in --client-key-file (and --client-cert)"
                        .into(),
                ),
                Some("invalid_scope") => Some("ask for scopes the client was granted".into()),
                _ => None,
            },
            Error::Interrupted | Error::CommandNotRun { .. } | Error::OneLine(_) => None,
        }
    }
}

pub fn login_command(profile: &str) -> String {
    profile_name::login_command(profile)
}

impl From<SetupError> for Error {
    fn from(err: SetupError) -> Self {
        let hint = match &err {
            SetupError::Proxy { .. } => "use e.g. --proxy http://proxy.example.com:3128",
            SetupError::CaUnreadable { .. } | SetupError::CaNotPem { .. } => "check --ca-file",
            SetupError::ClientIdentity { .. } => {
                "pass the client's PEM certificate with --client-cert and its key with --client-key-file"
            }
            SetupError::CaEmpty { .. } => {
                "pass the CA certificate in PEM form (-----BEGIN CERTIFICATE-----) with --ca-file"
            }
        };
        Error::Config {
            message: err.to_string(),
            hint: Some(hint.into()),
        }
    }
}
