//! What the fleet does with its entry: the backoff, reading and committing the secrets
//! under the fencing number, the shared access token and client settings, the lease,
//! `status` and `logout`.

use super::codec::Field;
use super::scripts::{COMMIT, DROP_FOREIGN, LINEAGE, PUBLISH};
use super::{
    Commit, FleetStatus, Holder, Lease, MAX_VALUE, Shared, holder_name, lineage_start, random,
};
use crate::access_token::AccessToken;
use crate::config::{MAX_LEASE_SECS, Profile};
use crate::error::{Error, Result};
use crate::output;
use crate::sanitize;
use crate::store::StoredSecrets;
use crate::store::seal::{self, Sealed};
use crate::store::state::Backoff;
use std::time::{Duration, Instant};

impl Shared {
    /// The fleet's recorded backoff, if one runs. One that is not sealed with the
    /// fleet's key (when one is set) or is not one octoken writes is ignored with a
    /// warning: it decides whether every host asks the provider.
    pub fn backoff(&self) -> Result<Option<Backoff>> {
        let key = self.backoff_key();
        let field = self.get("reading the fleet's backoff", &key)?;
        let Some(plain) = self.open_foreign("backoff", &key, field)? else {
            return Ok(None);
        };
        match serde_json::from_slice::<Backoff>(&plain) {
            Ok(backoff) => Ok(Some(backoff)),
            Err(_) => {
                self.warn_once(
                    "backoff",
                    format!(
                        "ignoring the backoff in {}: it is not one octoken wrote",
                        self.describe()
                    ),
                );
                Ok(None)
            }
        }
    }

    /// Records a backoff for every host; Redis drops it when it ends.
    pub fn set_backoff(&self, backoff: &Backoff, ttl: Duration) -> Result<()> {
        let key = self.backoff_key();
        let text = self.encode(&key, &serde_json::to_vec(backoff).expect("plain data"))?;
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.with("recording the fleet's backoff", |c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&text)
                .arg("PX")
                .arg(ms)
                .query::<()>(c)
        })
    }

    /// The first success clears the fleet's backoff.
    pub fn clear_backoff(&self) -> Result<()> {
        let key = self.backoff_key();
        self.with("clearing the fleet's backoff", |c| {
            redis::cmd("DEL").arg(&key).query::<()>(c)
        })
    }

    /// Connects and checks the server answers and the key file (if any) loads.
    pub fn probe(&self) -> Result<()> {
        self.seal_key()?;
        self.with("PING", |c| redis::cmd("PING").query::<String>(c))
            .map(|_| ())
    }

    /// The secrets and the fencing number they were read at. An entry version below
    /// the highest this host has seen is refused (store/state.rs keeps it).
    pub fn load_versioned(&self) -> Result<(u64, Option<StoredSecrets>)> {
        let key = self.entry_key();
        let mut fields = self
            .read("reading the entry", &key, &["v", "secrets"])?
            .into_iter();
        let v = self.version(fields.next().unwrap_or(Field::Absent))?;
        let Some(stored) = self.required("secrets", fields.next().unwrap_or(Field::Absent))? else {
            // No entry (a fleet logout): a login is needed, not a rollback.
            return Ok((v, None));
        };
        self.check_version(v)?;
        let secrets = self.secrets_from(v, &stored)?;
        self.remember_version(v);
        Ok((v, Some(secrets)))
    }

    /// `login --attach` on an entry an earlier octoken sealed without its version:
    /// opens it once more that way and commits it sealed with its version. Returns the
    /// entry's version (unchanged when there was nothing to re-seal).
    pub fn reseal_legacy(&self, now: u64) -> Result<u64> {
        let key = self.entry_key();
        let mut fields = self
            .read("reading the entry", &key, &["v", "secrets"])?
            .into_iter();
        let v = self.version(fields.next().unwrap_or(Field::Absent))?;
        let stored = self.required("secrets", fields.next().unwrap_or(Field::Absent))?;
        let (Some(stored), Some(seal_key)) = (stored, self.seal_key()?) else {
            return Ok(v);
        };
        if !matches!(seal::sealed(&stored), Some(Sealed::Placed { key_id }) if key_id == seal_key.id())
        {
            return Ok(v);
        }
        let plain = seal_key
            .open(&self.place("secrets"), &stored)
            .ok_or_else(|| self.altered("secrets", None))?;
        let secrets = StoredSecrets::from_bytes(
            &plain,
            &self.describe(),
            "log in again (`octoken login --store redis ...`) to rewrite the shared entry",
        )?;
        match self.commit(v, &secrets, None, now)? {
            Commit::Done(v) => {
                output::notice(format!(
                    "octoken: re-sealed the shared secrets in {} with the entry's version",
                    self.describe()
                ));
                Ok(v)
            }
            Commit::Fenced => Err(Error::Temporary {
                message: "the shared entry changed while it was being re-sealed".into(),
                hint: "try again".into(),
            }),
        }
    }

    /// The fleet's latest access token, if any.
    pub fn access(&self) -> Result<Option<AccessToken>> {
        let key = self.entry_key();
        let field = self.read("reading the access token", &key, &["access"])?;
        let Some(value) =
            self.required("access", field.into_iter().next().unwrap_or(Field::Absent))?
        else {
            return Ok(None);
        };
        let plain = self.decode("access", &value)?;
        Ok(serde_json::from_slice(&plain).ok())
    }

    pub fn client(&self) -> Result<Option<Profile>> {
        let key = self.entry_key();
        let field = self.read("reading the client", &key, &["client"])?;
        let Some(value) =
            self.required("client", field.into_iter().next().unwrap_or(Field::Absent))?
        else {
            return Ok(None);
        };
        let plain = self.decode("client", &value)?;
        let unknown = || {
            Error::storage(
                format!(
                    "the shared client in {} is in a format this octoken does not know (written by another version?)",
                    self.describe()
                ),
                "log in again on one host with this version to rewrite it".to_string(),
            )
        };
        shared_profile(&plain).map(Some).ok_or_else(unknown)
    }

    /// The last refresh's time and host, written beside each commit: sealed like the
    /// rest, since `status` shows them.
    pub(super) fn refreshed(&self, now: u64) -> Result<(String, String)> {
        Ok((
            self.encode(&self.place("refreshed_at"), now.to_string().as_bytes())?,
            self.encode(&self.place("refreshed_by"), holder_name().as_bytes())?,
        ))
    }

    /// A new lineage (login): the secrets and the client, the fencing number moved on so
    /// a holder of the previous lineage can commit nothing over it. Returns the new `v`,
    /// which is also above any version a lineage started earlier can have reached (see
    /// `VERSIONS_PER_MILLI`).
    pub fn start_lineage(
        &self,
        secrets: &StoredSecrets,
        client: Option<&Profile>,
        now: u64,
    ) -> Result<u64> {
        let key = self.entry_key();
        let client = client
            .map(|c| {
                self.encode(
                    &self.place("client"),
                    &serde_json::to_vec(c).expect("plain data"),
                )
            })
            .transpose()?
            .unwrap_or_default();
        let (at, by) = self.refreshed(now)?;
        for _ in 0..5 {
            let field = self.read("reading the entry", &key, &["v"])?;
            let current = self.version(field.into_iter().next().unwrap_or(Field::Absent))?;
            let v = current.saturating_add(1).max(lineage_start());
            let sealed = self.encode_secrets(v, secrets)?;
            let written: i64 = self.with("writing the entry", |c| {
                redis::Script::new(LINEAGE)
                    .key(&key)
                    .arg(current)
                    .arg(v)
                    .arg(&sealed)
                    .arg(&at)
                    .arg(&by)
                    .arg(&client)
                    .invoke(c)
            })?;
            if written == 1 {
                // This host wrote the new lineage: what it remembered of the entry it
                // replaced (a logout deletes it, `v` too) no longer applies. Without
                // this, a login in the same second as the last commit of the previous
                // lineage starts below it, and this very host refused its own entry.
                if let Err(e) = self.adopt_version(v) {
                    output::warn(format!(
                        "could not record the shared entry's version (the rollback check needs it): {e}"
                    ));
                }
                return Ok(v);
            }
        }
        Err(Error::Temporary {
            message: format!(
                "the shared entry in {} kept changing while it was being written",
                self.describe()
            ),
            hint: "this is temporary: try again".into(),
        })
    }

    /// Writes the refreshed secrets and access token if the entry is still at
    /// `expected` (the fencing check), in one script.
    pub fn commit(
        &self,
        expected: u64,
        secrets: &StoredSecrets,
        access: Option<&AccessToken>,
        now: u64,
    ) -> Result<Commit> {
        let key = self.entry_key();
        let sealed = self.encode_secrets(expected.saturating_add(1), secrets)?;
        let access = match access {
            Some(a) => self.encode(
                &self.place("access"),
                &serde_json::to_vec(a).expect("plain data"),
            )?,
            None => String::new(),
        };
        let (at, by) = self.refreshed(now)?;
        let n: i64 = self.with("committing the refreshed token", |c| {
            redis::Script::new(COMMIT)
                .key(&key)
                .arg(expected)
                .arg(&sealed)
                .arg(&access)
                .arg(&at)
                .arg(&by)
                .invoke(c)
        })?;
        Ok(match u64::try_from(n) {
            Ok(v) => {
                self.remember_version(v);
                Commit::Done(v)
            }
            Err(_) => Commit::Fenced,
        })
    }

    /// Writes the client's shared settings (a login: the profile as
    /// [`Profile::for_fleet`] gives it); returns the entry's version.
    pub fn write_client(&self, client: &Profile) -> Result<u64> {
        let key = self.entry_key();
        let value = self.encode(
            &self.place("client"),
            &serde_json::to_vec(client).expect("plain data"),
        )?;
        self.with("writing the client", |c| {
            redis::cmd("HSET")
                .arg(&key)
                .arg("client")
                .arg(&value)
                .query::<i64>(c)
        })?;
        let field = self.read("reading the entry", &key, &["v"])?;
        self.version(field.into_iter().next().unwrap_or(Field::Absent))
    }

    /// Publishes an access token for entry version `v` (after a login).
    pub fn publish_access(&self, v: u64, access: &AccessToken) -> Result<()> {
        let key = self.entry_key();
        let sealed = self.encode(
            &self.place("access"),
            &serde_json::to_vec(access).expect("plain data"),
        )?;
        self.with("publishing the access token", |c| {
            redis::Script::new(PUBLISH)
                .key(&key)
                .arg(v)
                .arg(&sealed)
                .invoke::<i64>(c)
        })
        .map(|_| ())
    }

    /// `WAIT <n> <timeout>` after a commit; the replicas that acknowledged it.
    pub fn wait_replicas(&self) -> Result<Option<(u32, u32)>> {
        let n = self.options.wait_replicas;
        if n == 0 {
            return Ok(None);
        }
        let ms = u64::try_from(self.options.timeout.as_millis()).unwrap_or(u64::MAX);
        // WAIT blocks up to its own timeout; the reply deadline is that plus a margin.
        let acked: u32 = self.with("waiting for replicas", |c| {
            c.set_read_timeout(Some(self.options.timeout.saturating_mul(2)))?;
            let acked = redis::cmd("WAIT").arg(n).arg(ms).query(c);
            c.set_read_timeout(Some(self.options.timeout))?;
            acked
        })?;
        Ok(Some((acked, n)))
    }

    /// Tries once to take the lease. Its value names this host (sealed when a key is
    /// set, so that `status` shows only what a host of the fleet wrote).
    pub fn try_lease(&self) -> Result<Option<Lease<'_>>> {
        let owner = format!("{}#{:016x}", holder_name(), random());
        let key = self.lease_key();
        let value = self.encode(&key, owner.as_bytes())?;
        let ms = u64::try_from(self.options.lease.as_millis()).unwrap_or(u64::MAX);
        let taken: Option<String> = self.with("taking the refresh lease", |c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&value)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query(c)
        })?;
        Ok(taken.map(|_| Lease {
            shared: self,
            value,
            taken: Instant::now(),
        }))
    }

    /// Who holds the lease and the milliseconds it has left, if anyone holds it.
    pub fn lease_holder(&self) -> Result<Option<(Holder, u64)>> {
        let key = self.lease_key();
        let field = self.get("reading the refresh lease", &key)?;
        let pttl: i64 = self.with("reading the refresh lease", |c| {
            redis::cmd("PTTL").arg(&key).query(c)
        })?;
        let longest = MAX_LEASE_SECS.saturating_mul(1000);
        let value = match &field {
            Field::Absent => return Ok(None),
            Field::Value(text) => text.clone(),
            Field::Unreadable(_) => String::new(),
        };
        let foreign = |why: String| Holder::Foreign {
            value: value.clone(),
            why,
        };
        let holder = match (field, u64::try_from(pttl)) {
            // No expiry (-1), or longer than any host takes: no host of this fleet set it.
            (_, Err(_)) => foreign("it never expires".into()),
            (_, Ok(ms)) if ms > longest => foreign(format!(
                "it expires in {}, later than any octoken lease",
                output::human_duration(ms / 1000)
            )),
            (Field::Unreadable(why), _) => foreign(why),
            (field, _) => match self.open_foreign_quietly(&key, field)? {
                Ok(plain) => {
                    let owner = String::from_utf8_lossy(&plain);
                    let name = owner.split('#').next().unwrap_or_default();
                    Holder::Host(sanitize::foreign(name, 100))
                }
                Err(why) => foreign(why),
            },
        };
        Ok(Some((holder, u64::try_from(pttl).unwrap_or(0))))
    }

    /// Drops a lease no host of this fleet set (planted by someone without the key, or
    /// without an expiry), with one warning; true when it was dropped.
    pub fn drop_foreign_lease(&self, value: &str, why: &str) -> Result<bool> {
        let key = self.lease_key();
        self.warn_once(
            "lease",
            format!("ignoring the refresh lease in {}: {why}", self.describe()),
        );
        let dropped: i64 = self.with("dropping a foreign refresh lease", |c| {
            redis::Script::new(DROP_FOREIGN)
                .key(&key)
                .arg(value)
                .arg(MAX_VALUE)
                .invoke(c)
        })?;
        Ok(dropped == 1)
    }

    /// The fleet's state for `status`. What does not open with the fleet's key is not
    /// shown as if a host had written it.
    pub fn status(&self) -> Result<FleetStatus> {
        let entry = self.entry_key();
        let mut fields = self
            .read(
                "reading the fleet's state",
                &entry,
                &["v", "refreshed_at", "refreshed_by", "secrets"],
            )?
            .into_iter();
        let mut next = || fields.next().unwrap_or(Field::Absent);
        let v = self.version(next())?;
        let at = self.open_foreign("last refresh time", &self.place("refreshed_at"), next())?;
        let by = self.open_foreign("last refresh host", &self.place("refreshed_by"), next())?;
        let secrets = next();
        let lease = self.lease_holder()?.map(|(holder, ms)| match holder {
            Holder::Host(name) => (name, ms),
            Holder::Foreign { why, .. } => (format!("an unknown holder ({why})"), ms),
        });
        Ok(FleetStatus {
            exists: secrets != Field::Absent,
            version: v,
            refreshed_at: at.and_then(|t| String::from_utf8_lossy(&t).parse().ok()),
            refreshed_by: by.map(|b| sanitize::foreign(&String::from_utf8_lossy(&b), 100)),
            lease,
            sealed_with: match &secrets {
                Field::Value(text) => seal::sealed_key_id(text).map(str::to_string),
                _ => None,
            },
        })
    }

    /// Deletes the entry and the lease (logout of the whole fleet).
    pub fn delete(&self) -> Result<()> {
        let (entry, lease) = (self.entry_key(), self.lease_key());
        self.with("deleting the entry", |c| {
            redis::cmd("DEL").arg(&entry).arg(&lease).query::<i64>(c)
        })
        .map(|_| ())
    }
}

/// The profile a shared entry's `client` holds. Entries written before it held a whole
/// profile (octoken 0.1's `SharedClient`) have no `store`: theirs is this one.
fn shared_profile(plain: &[u8]) -> Option<Profile> {
    let mut client: serde_json::Value = serde_json::from_slice(plain).ok()?;
    client
        .as_object_mut()?
        .entry("store")
        .or_insert_with(|| "redis".into());
    serde_json::from_value(client).ok()
}

#[cfg(test)]
mod tests {
    use super::shared_profile;
    use crate::config::StoreKind;

    #[test]
    fn an_entry_written_before_it_held_a_whole_profile_still_reads() {
        let old = br#"{"issuer":null,"client_id":"cli","auth_method":"basic","scope":"openid offline_access","grant":"refresh_token","token_url":"https://id.example.com/token","dpop":"ES256"}"#;
        let profile = shared_profile(old).expect("reads");
        assert_eq!(profile.client_id, "cli");
        assert_eq!(profile.store, StoreKind::Redis);
        assert!(profile.dpop.is_some());
    }

    #[test]
    fn a_field_this_version_does_not_know_is_refused() {
        let newer = br#"{"client_id":"cli","auth_method":"basic","scope":"s","store":"redis","token_url":"https://id.example.com/token","shiny":1}"#;
        assert!(shared_profile(newer).is_none());
        assert!(shared_profile(b"[]").is_none());
        assert!(shared_profile(b"\xff").is_none());
    }
}
