//! Secrets in the OS keyring through keyring-core and the platform's store crate:
//! Secret Service (zbus) on Linux, Keychain on macOS, Credential Manager on Windows.
//! Every call has a deadline: a locked collection waiting for a prompt, or a hung
//! session bus, must not hang `octoken token` in a cron job.

use crate::error::{Error, Result};
use crate::output;
use crate::store::{SecretStore, StoredSecrets};
use std::sync::mpsc;
use std::time::Duration;

pub const SERVICE: &str = "octoken";
/// Windows Credential Manager refuses a credential blob over 2560 bytes. Checked before
/// writing so the error says what is wrong instead of a bare platform failure.
const PAYLOAD_LIMIT: Option<usize> = if cfg!(windows) { Some(2560) } else { None };

pub struct KeyringStore {
    profile: String,
    /// How long one keyring call may take (settings: OCTOKEN_KEYRING_TIMEOUT).
    timeout: Duration,
    /// DBUS_SESSION_BUS_ADDRESS as settings read it: the hints depend on it.
    session_bus: Option<String>,
}

impl KeyringStore {
    pub fn new(profile: &str, timeout: Duration, session_bus: Option<String>) -> Self {
        KeyringStore {
            profile: profile.to_string(),
            timeout,
            session_bus,
        }
    }

    /// A hint that fits the cause: no session bus at all, a bus address where no
    /// Secret Service answers, or a keyring that is there but locked (or did not answer
    /// in time, which is what a pending unlock prompt looks like).
    fn hint(&self, locked: bool) -> String {
        let file = format!(
            "`{} --store file`",
            crate::profile_name::login_command(&self.profile)
        );
        if !cfg!(target_os = "linux") {
            return format!("unlock the keyring, or keep secrets in a file: {file}");
        }
        match &self.session_bus {
            None => format!(
                "DBUS_SESSION_BUS_ADDRESS is unset (SSH, cron or a headless machine): keep secrets in a file: {file}, or set DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$UID/bus while a desktop session runs"
            ),
            Some(_) if locked => {
                format!(
                    "unlock the keyring (log in to the desktop session), or keep secrets in a file: {file}"
                )
            }
            Some(address) => format!(
                "is a Secret Service such as gnome-keyring running on the session bus {}? Or keep secrets in a file: {file}",
                crate::sanitize::foreign(address, 200)
            ),
        }
    }

    /// Runs one keyring operation on a helper thread and waits at most the deadline.
    fn call<T: Send + 'static>(
        &self,
        what: &'static str,
        op: impl FnOnce(&keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<T> {
        let timeout = self.timeout;
        let profile = self.profile.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let result = platform::ensure_default_store()
                .and_then(|()| keyring_core::Entry::new(SERVICE, &profile))
                .and_then(|entry| op(&entry));
            let _ = tx.send(result);
        });
        match rx.recv_timeout(timeout) {
            Ok(result) => result.map_err(|e| self.error(what, e)),
            Err(_) => Err(Error::storage(
                format!(
                    "the keyring did not answer within {}s ({what})",
                    timeout.as_secs()
                ),
                self.hint(true),
            )),
        }
    }

    /// One line that says what is wrong in words; the platform's own message (a zbus
    /// error with a socket path, say) only at -v, cleaned: the hint says what to do.
    fn error(&self, what: &str, err: keyring_core::Error) -> Error {
        use keyring_core::Error as K;
        output::debug(
            1,
            format!(
                "the keyring's error ({what}): {}",
                crate::sanitize::foreign(&err.to_string(), 500)
            ),
        );
        let message = match &err {
            K::NoStorageAccess(_) => format!("the keyring is locked ({what})"),
            K::PlatformFailure(_) if cfg!(target_os = "linux") && self.session_bus.is_none() => {
                format!("no keyring: there is no session bus here ({what})")
            }
            K::PlatformFailure(_) => format!("cannot reach the keyring ({what})"),
            K::Ambiguous(entries) => format!(
                "the keyring holds {} entries for service {SERVICE}, profile {} ({what})",
                entries.len(),
                self.profile
            ),
            _ => format!("the keyring failed ({what}; -v shows its error)"),
        };
        let locked = matches!(err, K::NoStorageAccess(_));
        Error::storage(message, self.hint(locked))
    }
}

/// Whether one entry of this keyring holds an RS256 DPoP key (about 1.6 kB stored)
/// beside a long refresh token (a Keycloak JWT is about 1 kB): Windows' 2560 bytes do
/// not, and finding that out after the sign-in would leave the login unsaved.
pub fn room_for_an_rsa_key() -> bool {
    room_for_an_rsa_key_in(PAYLOAD_LIMIT)
}

fn room_for_an_rsa_key_in(limit: Option<usize>) -> bool {
    limit.is_none_or(|limit| limit >= 4096)
}

fn fits(len: usize, limit: Option<usize>, profile: &str) -> Result<()> {
    match limit {
        Some(limit) if len > limit => Err(Error::storage(
            format!(
                "the secrets are {len} bytes, more than this keyring holds in one entry ({limit})"
            ),
            format!(
                "keep secrets in a file: `{} --store file`",
                crate::profile_name::login_command(profile)
            ),
        )),
        _ => Ok(()),
    }
}

impl SecretStore for KeyringStore {
    fn probe(&self) -> Result<()> {
        // A read of this profile's entry: it connects, finds the collection and needs it
        // unlocked, and writes nothing.
        self.call("checked before the sign-in", |entry| {
            match entry.get_secret() {
                Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn load(&self) -> Result<Option<StoredSecrets>> {
        let found = self.call("read", |entry| match entry.get_secret() {
            Ok(bytes) => Ok(Some(bytes)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })?;
        let Some(bytes) = found else {
            return Ok(None);
        };
        let place = format!("the keyring (service {SERVICE}, profile {})", self.profile);
        let fix = format!(
            "remove that entry (e.g. `secret-tool clear service {SERVICE} username {}`) and log in again",
            self.profile
        );
        StoredSecrets::from_bytes(&bytes, &place, &fix).map(Some)
    }

    fn save(&self, secrets: &StoredSecrets) -> Result<()> {
        let bytes = secrets.to_bytes();
        fits(bytes.len(), PAYLOAD_LIMIT, &self.profile)?;
        self.call("write", move |entry| entry.set_secret(&bytes))
    }

    fn delete(&self) -> Result<()> {
        self.call("delete", |entry| match entry.delete_credential() {
            Err(keyring_core::Error::NoEntry) => Ok(()),
            other => other,
        })
    }
}

/// The platform's credential store, registered once per process.
mod platform {
    use std::sync::OnceLock;

    static INIT: OnceLock<Result<(), String>> = OnceLock::new();

    pub fn ensure_default_store() -> keyring_core::Result<()> {
        INIT.get_or_init(|| {
            let store = new_store().map_err(|e| e.to_string())?;
            keyring_core::set_default_store(store);
            Ok(())
        })
        .clone()
        // No store means no connection to the platform's service: unreachable, which
        // `error` tells apart from a locked keyring (NoStorageAccess).
        .map_err(|e| keyring_core::Error::PlatformFailure(Box::new(std::io::Error::other(e))))
    }

    #[cfg(target_os = "linux")]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Ok(zbus_secret_service_keyring_store::Store::new()?)
    }

    #[cfg(target_os = "macos")]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Ok(apple_native_keyring_store::keychain::Store::new()?)
    }

    #[cfg(target_os = "windows")]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Ok(windows_native_keyring_store::Store::new()?)
    }

    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
        Err(keyring_core::Error::NotSupportedByStore(
            "no keyring support on this platform; use --store file".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_over_the_platform_limit_are_refused_with_a_way_out() {
        assert!(fits(2560, Some(2560), "default").is_ok());
        assert!(!room_for_an_rsa_key_in(Some(2560)), "Windows");
        assert!(room_for_an_rsa_key_in(None));
        assert!(fits(100_000, None, "default").is_ok());
        let err = fits(2561, Some(2560), "work").unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
        assert!(err.to_string().contains("2561 bytes"));
        assert!(
            err.hint()
                .unwrap()
                .contains("octoken login -p work --store file")
        );
    }
}
