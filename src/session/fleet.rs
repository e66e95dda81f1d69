//! The refresh of a profile whose store is shared by a fleet (`--store redis`): the
//! local file lock still orders this host's processes; across hosts the fleet's lease
//! and fencing number (store/redis/) do:
//!
//! 1. wait for the lease, re-reading the shared access token meanwhile (a waiter uses
//!    the token the holder committed instead of refreshing: the double check);
//! 2. holding it, read the refresh token and the fencing number, renew the lease right
//!    before the request (a holder that was paused past its lease goes back to waiting
//!    instead of sending a token another host may have used already);
//! 3. commit the new refresh token and access token only if the fencing number is
//!    still the one read; a commit that finds a newer one writes nothing;
//! 4. release the lease (also on every error path; a killed holder's lease expires).

use super::{Mode, Session, is_invalid_grant};
use crate::access_token::{AccessToken, Freshness};
use crate::error::{Error, Result, exit};
use crate::output;
use crate::settings::Narrow;
use crate::store::redis::{Commit, Holder, Lease, Shared};
use crate::store::{StoredSecrets, cache};
use std::time::{Duration, Instant};

impl Session<'_> {
    /// Refreshes through the fleet's lease; the caller holds the local profile lock.
    pub(super) fn refresh_fleet(
        &self,
        fleet: &Shared,
        mode: Mode,
        scope: Option<Narrow<'_>>,
    ) -> Result<AccessToken> {
        let lease_time = fleet.options().lease;
        // A waiter outlasts a holder that died with the lease, whatever the lock timeout
        // (both bounded by their settings; saturating all the same, since a deadline
        // past the end of time is no deadline at all).
        let patience = self
            .settings
            .lock_timeout
            .max(lease_time.saturating_add(Duration::from_secs(2)));
        let deadline = Instant::now().checked_add(patience);
        loop {
            let lease = match self.wait_for_lease(fleet, mode, scope, deadline)? {
                Waited::Adopted(token) => return Ok(token),
                Waited::Lease(lease) => lease,
            };
            if let Some(token) = self.shared_fresh(fleet, mode, scope)? {
                output::debug(1, "another host refreshed meanwhile; using its token");
                return Ok(token);
            }
            let (version, secrets) = self.fleet_secrets(fleet)?;
            self.test_hold("before-exchange");
            if !lease.renew()? {
                output::debug(
                    1,
                    format!(
                        "the fleet's lease ran out after {:?} (a pause?); not sending a token another host may have used",
                        lease.held_for()
                    ),
                );
                continue;
            }
            return self.refresh_holding(fleet, &lease, version, secrets, scope);
        }
    }

    fn wait_for_lease<'f>(
        &self,
        fleet: &'f Shared,
        mode: Mode,
        scope: Option<Narrow<'_>>,
        deadline: Option<Instant>,
    ) -> Result<Waited<'f>> {
        let mut waited = false;
        loop {
            if let Some(lease) = fleet.try_lease()? {
                return Ok(Waited::Lease(lease));
            }
            // A lease no host of the fleet set (planted without the key, or without an
            // expiry) would hold every host off: dropped, with a warning, and tried again.
            let holder = fleet.lease_holder()?;
            if let Some((Holder::Foreign { value, why }, _)) = &holder
                && fleet.drop_foreign_lease(value, why)?
            {
                continue;
            }
            if !waited {
                output::debug(1, "another host holds the fleet's refresh lease; waiting");
                waited = true;
            }
            if let Some(token) = self.shared_fresh(fleet, mode, scope)? {
                output::debug(1, "another host refreshed; using its token");
                return Ok(Waited::Adopted(token));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                let holder = match holder {
                    Some((Holder::Host(name), _)) => name,
                    _ => "another host".to_string(),
                };
                return Err(Error::Temporary {
                    message: format!(
                        "{holder} has held the fleet's refresh lease in {} for too long",
                        fleet.describe()
                    ),
                    hint: "this is temporary: the shared refresh token is unchanged; try again"
                        .into(),
                });
            }
            let jitter = super::random() % 100;
            std::thread::sleep(Duration::from_millis(50 + jitter));
        }
    }

    /// The fleet's access token when the mode accepts one and it is fresh, copied into
    /// this host's cache.
    fn shared_fresh(
        &self,
        fleet: &Shared,
        mode: Mode,
        scope: Option<Narrow<'_>>,
    ) -> Result<Option<AccessToken>> {
        let Mode::IfStale { min_ttl } = mode else {
            return Ok(None);
        };
        if scope.is_some() {
            return Ok(None);
        }
        let Some(token) = fleet.access()? else {
            return Ok(None);
        };
        if !matches!(
            token.freshness(self.clock(), min_ttl),
            Freshness::Fresh { .. }
        ) {
            return Ok(None);
        }
        self.cache_locally(&token, scope);
        Ok(Some(token))
    }

    fn cache_locally(&self, token: &AccessToken, scope: Option<Narrow<'_>>) {
        let settings = self.settings;
        if let Err(e) = cache::save(
            &settings.cache_file(scope),
            &settings.cache_key(),
            settings.config_stamp,
            token,
        ) {
            output::warn(format!("could not cache the access token: {e}"));
        }
    }

    /// The shared secrets and their fencing number; a recovery file an earlier run left
    /// (a rotated token Redis did not take) is committed first.
    fn fleet_secrets(&self, fleet: &Shared) -> Result<(u64, StoredSecrets)> {
        let (mut version, mut stored) = fleet.load_versioned()?;
        if let Some(merged) = self.with_recovered(stored.as_ref())? {
            match fleet.commit(version, &merged, None, self.now)? {
                Commit::Done(v) => version = v,
                Commit::Fenced => {
                    return Err(Error::Temporary {
                        message:
                            "the shared entry changed while the recovered token was being committed"
                                .into(),
                        hint: "try again".into(),
                    });
                }
            }
            self.recovery_done(&fleet.describe())?;
            stored = Some(merged);
        }
        let secrets = self.require_credential(stored, &format!("in {}", fleet.describe()))?;
        Ok((version, secrets))
    }

    /// The request and the fenced commit; the caller holds the lease.
    fn refresh_holding(
        &self,
        fleet: &Shared,
        _lease: &Lease<'_>,
        version: u64,
        secrets: StoredSecrets,
        scope: Option<Narrow<'_>>,
    ) -> Result<AccessToken> {
        let result = self.exchange(&secrets, scope);
        if let Err(err) = &result
            && err.exit_code() == exit::TEMPORARY
        {
            self.record_failure(err);
        }
        let (mut response, used, version) = match result {
            Ok(response) => (response, secrets, version),
            Err(err) if is_invalid_grant(&err) => {
                // The shared entry may hold a newer token than the one just refused.
                let (again_version, again) = fleet.load_versioned()?;
                let again = again.unwrap_or_default();
                if again.refresh_token == secrets.refresh_token {
                    return Err(self.rejected(&secrets, err));
                }
                output::debug(
                    1,
                    "the shared refresh token changed meanwhile; retrying with it",
                );
                match self.exchange(&again, scope) {
                    Ok(response) => (response, again, again_version),
                    Err(err) => return Err(self.rejected(&again, err)),
                }
            }
            Err(err) => return Err(err),
        };
        response
            .access
            .assume_requested_scope(scope.and_then(|n| n.scope).unwrap_or(&self.settings.scope));
        self.test_hold("before-commit");
        // Everything else shared (client secret, DPoP key) stays as it was: a DPoP
        // fleet that lost its key would hold tokens bound to a key nobody has.
        let committed = StoredSecrets {
            refresh_token: response
                .refresh_token
                .clone()
                .or_else(|| used.refresh_token.clone()),
            ..used.clone()
        };
        let shared_access = scope.is_none().then_some(&response.access);
        match fleet.commit(version, &committed, shared_access, self.clock()) {
            Ok(Commit::Done(v)) => {
                output::debug(1, format!("committed the refreshed token as version {v}"));
                self.wait_for_replicas(fleet);
            }
            Ok(Commit::Fenced) => {
                // Another host committed after this one's lease ran out: its token wins.
                output::warn(format!(
                    "another host committed a newer refresh token to {} meanwhile; this host's was discarded, nothing was overwritten",
                    fleet.describe()
                ));
            }
            Err(err)
                if response.refresh_token.is_some()
                    && response.refresh_token != used.refresh_token =>
            {
                return Err(self.save_recovery(&committed, err));
            }
            Err(err) => return Err(err),
        }
        // The secrets are in Redis already: `persist` only caches and records locally.
        self.persist(&committed, response, scope)
    }

    fn wait_for_replicas(&self, fleet: &Shared) {
        match fleet.wait_replicas() {
            Ok(Some((acked, wanted))) if acked < wanted => output::warn(format!(
                "only {acked} of {wanted} Redis replicas acknowledged the new refresh token; a failover now could lose it"
            )),
            Ok(_) => {}
            Err(e) => output::warn(format!("could not wait for the Redis replicas: {e}")),
        }
    }

    /// Test setting OCTOKEN_TEST_FLEET_HOLD=POINT:MS: stop at POINT, as a paused or slow
    /// host would, after saying so on stderr.
    fn test_hold(&self, point: &str) {
        let Some(setting) = &self.settings.test_fleet_hold else {
            return;
        };
        let Some((at, ms)) = setting.split_once(':') else {
            return;
        };
        if at != point {
            return;
        }
        let ms: u64 = ms.parse().unwrap_or(0);
        output::warn(format!("test: holding at {point} for {ms} ms"));
        std::thread::sleep(Duration::from_millis(ms));
    }
}

enum Waited<'f> {
    Adopted(AccessToken),
    Lease(Lease<'f>),
}
