//! The values of the fleet's entry as they cross the wire: read through the bounded
//! `READ` script, sealed and opened with the store key (bound to their place, and the
//! secrets to the entry's version), and the rollback check against the highest version
//! this host has used.

use super::scripts::READ;
use super::{MAX_VALUE, Shared};
use crate::error::{Error, Result};
use crate::output;
use crate::store::StoredSecrets;
use crate::store::seal::{self, SealKey, Sealed};
use crate::store::state::State;

/// One value as `READ` returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    Absent,
    Value(String),
    /// Too long, or not text: nothing octoken wrote. The reason, for messages.
    Unreadable(String),
}

impl Field {
    pub(super) fn from_reply(value: redis::Value) -> Field {
        match value {
            redis::Value::Nil => Field::Absent,
            redis::Value::BulkString(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Field::Value(text),
                Err(_) => Field::Unreadable("it is not text".into()),
            },
            redis::Value::Int(len) => Field::Unreadable(format!(
                "it is {len} bytes long, more than the {MAX_VALUE} octoken reads"
            )),
            _ => Field::Unreadable("it is not a string".into()),
        }
    }
}

impl Shared {
    pub(super) fn place(&self, field: &str) -> String {
        format!("{}/{field}", self.entry_key())
    }

    /// A value as written to `place`: sealed when a key is set, else as is.
    pub(super) fn encode(&self, place: &str, plain: &[u8]) -> Result<String> {
        Ok(match self.seal_key()? {
            Some(key) => key.seal(place, plain),
            None => String::from_utf8_lossy(plain).into_owned(),
        })
    }

    /// The secrets as written for entry version `v`.
    pub(super) fn encode_secrets(&self, v: u64, secrets: &StoredSecrets) -> Result<String> {
        let plain = secrets.to_bytes();
        Ok(match self.seal_key()? {
            Some(key) => key.seal_at(&self.place("secrets"), v, &plain),
            None => String::from_utf8_lossy(&plain).into_owned(),
        })
    }

    /// Reads `fields` of the entry (bounded, see `READ`).
    pub(super) fn read(&self, what: &str, key: &str, fields: &[&str]) -> Result<Vec<Field>> {
        let values: Vec<redis::Value> = self.with(what, |c| {
            let script = redis::Script::new(READ);
            let mut invocation = script.key(key);
            invocation.arg(MAX_VALUE);
            for field in fields {
                invocation.arg(*field);
            }
            invocation.invoke(c)
        })?;
        let mut fields: Vec<Field> = values.into_iter().map(Field::from_reply).collect();
        fields.resize(fields.len().max(1), Field::Absent);
        Ok(fields)
    }

    /// A string key's value (bounded, see `READ`).
    pub(super) fn get(&self, what: &str, key: &str) -> Result<Field> {
        Ok(self.read(what, key, &[])?.swap_remove(0))
    }

    /// The entry's `v`: absent is 0; anything but a number octoken could have written
    /// is an error (the fencing and the rollback check rest on it).
    pub(super) fn version(&self, field: Field) -> Result<u64> {
        let bad = |why: &str| {
            Error::storage(
                format!(
                    "the shared entry's version in {} is {why}: not one octoken wrote",
                    self.describe()
                ),
                "log in again on one host (`octoken login --store redis ...`) to rewrite the entry"
                    .to_string(),
            )
        };
        match field {
            Field::Absent => Ok(0),
            Field::Value(text) => text
                .parse::<u64>()
                .ok()
                .filter(|v| i64::try_from(*v).is_ok())
                .ok_or_else(|| bad("not a number")),
            Field::Unreadable(why) => Err(bad(&why)),
        }
    }

    /// A value of the entry that must be there as octoken wrote it (the secrets, the
    /// client, the access token): unreadable is an error.
    pub(super) fn required(&self, field: &str, value: Field) -> Result<Option<String>> {
        match value {
            Field::Absent => Ok(None),
            Field::Value(text) => Ok(Some(text)),
            Field::Unreadable(why) => Err(Error::storage(
                format!(
                    "the shared entry's {field} in {} cannot be used: {why}",
                    self.describe()
                ),
                "log in again on one host (`octoken login --store redis ...`) to rewrite the entry"
                    .to_string(),
            )),
        }
    }

    /// A value bound to its place only (client, access token).
    pub(super) fn decode(&self, field: &str, stored: &str) -> Result<Vec<u8>> {
        let place = self.place(field);
        match (seal::sealed(stored), self.seal_key()?) {
            (None, None) => Ok(stored.as_bytes().to_vec()),
            (Some(sealed), None) => Err(self.no_key(sealed)),
            (None, Some(_)) => Err(self.not_sealed()),
            (Some(sealed), Some(key)) if sealed.key_id() != key.id() => {
                Err(self.other_key(field, sealed, key))
            }
            (Some(_), Some(key)) => key
                .open(&place, stored)
                .ok_or_else(|| self.altered(field, None)),
        }
    }

    /// The secrets, sealed for entry version `v`.
    pub(super) fn decode_secrets(&self, v: u64, stored: &str) -> Result<Vec<u8>> {
        let place = self.place("secrets");
        match (seal::sealed(stored), self.seal_key()?) {
            (None, None) => Ok(stored.as_bytes().to_vec()),
            (Some(sealed), None) => Err(self.no_key(sealed)),
            (None, Some(_)) => Err(self.not_sealed()),
            (Some(sealed), Some(key)) if sealed.key_id() != key.id() => {
                Err(self.other_key("secrets", sealed, key))
            }
            (Some(Sealed::Placed { .. }), Some(_)) => Err(Error::Storage {
                message: format!(
                    "the shared secrets in {} were sealed by an earlier octoken, without the entry's version",
                    self.describe()
                ),
                hint: "once every host runs this octoken, run `octoken login --store redis --attach` with this profile's flags on one of them: it re-seals the entry".into(),
            }),
            (Some(Sealed::Versioned { .. }), Some(key)) => key
                .open_at(&place, v, stored)
                .ok_or_else(|| self.altered("secrets", Some(v))),
        }
    }

    pub(super) fn no_key(&self, sealed: Sealed<'_>) -> Error {
        Error::config(
            format!(
                "the shared entry in {} is encrypted (key {}) and no key file is set",
                self.describe(),
                sealed.key_id()
            ),
            Some("pass the fleet's key with --store-key-file PATH".into()),
        )
    }

    pub(super) fn not_sealed(&self) -> Error {
        Error::storage(
            format!(
                "the shared entry in {} is not encrypted although a key file is set: refusing to trust it",
                self.describe()
            ),
            "log in again with --store-key-file to write a sealed entry".to_string(),
        )
    }

    pub(super) fn other_key(&self, field: &str, sealed: Sealed<'_>, key: &SealKey) -> Error {
        Error::config(
            format!(
                "the shared entry's {field} in {} is sealed with key {}, not with this host's key {}",
                self.describe(),
                sealed.key_id(),
                key.id()
            ),
            Some("use the key file the fleet logged in with (--store-key-file)".into()),
        )
    }

    /// Sealed with our key, yet it does not open: altered, moved, or (for the secrets)
    /// put back beside another version than its own.
    pub(super) fn altered(&self, field: &str, v: Option<u64>) -> Error {
        let at = v.map(|v| format!(" at version {v}")).unwrap_or_default();
        Error::Storage {
            message: format!(
                "the shared entry's {field} in {} does not open{at}: it was altered or put back from another version; refusing to use it",
                self.describe()
            ),
            hint: "nothing was sent to the provider; find out who writes to that Redis, then log in again on one host (`octoken login --store redis ...`)".into(),
        }
    }

    /// A value outside the entry (backoff, lease) or shown only (last refresh): opened
    /// when it is sealed with the fleet's key (or no key is set), else None with one
    /// warning. It decides nothing an attacker without the key may decide.
    pub(super) fn open_foreign(
        &self,
        what: &str,
        place: &str,
        field: Field,
    ) -> Result<Option<Vec<u8>>> {
        let why = match (field, self.seal_key()?) {
            (Field::Absent, _) => return Ok(None),
            (Field::Value(text), None) => return Ok(Some(text.into_bytes())),
            (Field::Value(text), Some(key)) => match key.open(place, &text) {
                Some(plain) => return Ok(Some(plain)),
                None => "it is not sealed with this fleet's key".to_string(),
            },
            (Field::Unreadable(why), _) => why,
        };
        self.warn_once(
            what,
            format!("ignoring the {what} in {}: {why}", self.describe()),
        );
        Ok(None)
    }

    /// A value sealed for `place` (or any, without a key), or why it is not one.
    pub(super) fn open_foreign_quietly(
        &self,
        place: &str,
        field: Field,
    ) -> Result<std::result::Result<Vec<u8>, String>> {
        Ok(match (field, self.seal_key()?) {
            (Field::Value(text), None) => Ok(text.into_bytes()),
            (Field::Value(text), Some(key)) => key
                .open(place, &text)
                .ok_or_else(|| "it is not sealed with this fleet's key".to_string()),
            (Field::Unreadable(why), _) => Err(why),
            (Field::Absent, _) => Err("it is gone".into()),
        })
    }

    pub(super) fn secrets_from(&self, v: u64, stored: &str) -> Result<StoredSecrets> {
        let plain = self.decode_secrets(v, stored)?;
        StoredSecrets::from_bytes(
            &plain,
            &self.describe(),
            "log in again (`octoken login --store redis ...`) to rewrite the shared entry",
        )
    }

    /// Refuses an entry version below the highest this host has seen (an older entry
    /// put back), before anything of it is used.
    pub(super) fn check_version(&self, v: u64) -> Result<()> {
        let Some(path) = &self.options.state_file else {
            return Ok(());
        };
        match State::load(path).shared_version {
            Some(seen) if v < seen => Err(Error::Storage {
                message: format!(
                    "the shared entry in {} went back to version {v}, below version {seen} this host has used: an older entry was put back (or Redis lost writes); refusing to send its refresh token",
                    self.describe()
                ),
                hint: "nothing was sent to the provider; if the fleet really lost its newest token, log in again on one host; to follow the entry as it is now, run `octoken login --store redis --attach` again on this host".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Records `v` (one that opened, or that this host committed) as the highest seen.
    pub(super) fn remember_version(&self, v: u64) {
        let Some(path) = &self.options.state_file else {
            return;
        };
        let mut state = State::load(path);
        if state.shared_version.is_some_and(|seen| seen >= v) {
            return;
        }
        state.shared_version = Some(v);
        if let Err(e) = state.save(path) {
            output::warn(format!(
                "could not record the shared entry's version (the rollback check needs it): {e}"
            ));
        }
    }

    /// `login --attach`: this host follows the entry as it is now, whatever version it
    /// saw before (another fleet, a new login after a lost Redis).
    pub fn adopt_version(&self, v: u64) -> Result<()> {
        let Some(path) = &self.options.state_file else {
            return Ok(());
        };
        let mut state = State::load(path);
        state.shared_version = Some(v);
        state.save(path)
    }
}
