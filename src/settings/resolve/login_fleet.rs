//! `login --store redis`: the fleet's flags resolved into the profile's Redis settings.

use crate::config::{RedisProfile, StoreKind};
use crate::error::{Error, Result};

pub(super) struct RedisFlags {
    pub(super) url: Option<String>,
    pub(super) password_file: Option<std::path::PathBuf>,
    pub(super) namespace: Option<String>,
    pub(super) key_file: Option<std::path::PathBuf>,
    pub(super) lease: Option<u64>,
    pub(super) timeout: Option<u64>,
    pub(super) wait_replicas: Option<u32>,
}

/// The Redis settings of a `--store redis` profile; the fleet's flags with another
/// store are refused.
pub(super) fn redis_for_store(
    store: StoreKind,
    attach: bool,
    flags: RedisFlags,
    prev: Option<&RedisProfile>,
    server: Option<&str>,
    (client_id, profile): (&str, &str),
) -> Result<Option<RedisProfile>> {
    if store == StoreKind::Redis {
        return redis_profile(flags, prev, server, client_id, profile).map(Some);
    }
    if attach || flags.namespace.is_some() || flags.key_file.is_some() {
        return Err(Error::Usage {
            message: "--attach, --redis-url, --namespace and --store-key-file need --store redis"
                .into(),
            hint: Some("octoken login --store redis --redis-url redis://HOST:PORT/DB ...".into()),
        });
    }
    Ok(None)
}

/// The shared store's settings: flags over the previous profile's. A password in the
/// URL is refused: config.toml never holds one.
fn redis_profile(
    flags: RedisFlags,
    prev: Option<&RedisProfile>,
    server: Option<&str>,
    client_id: &str,
    profile: &str,
) -> Result<RedisProfile> {
    let url = flags
        .url
        .or_else(|| prev.map(|p| p.url.clone()))
        .ok_or_else(|| Error::Usage {
            message: "--store redis needs --redis-url (or OCTOKEN_REDIS_URL)".into(),
            hint: Some("e.g. --redis-url redis://10.0.0.5:6379/0".into()),
        })?;
    let parsed = url::Url::parse(&url).map_err(|e| Error::Usage {
        message: format!("'{url}' is not a valid Redis URL: {e}"),
        hint: Some("use redis://[USER@]HOST:PORT/DB or rediss://...".into()),
    })?;
    if !matches!(parsed.scheme(), "redis" | "rediss" | "valkey" | "valkeys") {
        return Err(Error::Usage {
            message: format!("unsupported Redis URL scheme '{}'", parsed.scheme()),
            hint: Some("use redis:// or rediss:// (TLS)".into()),
        });
    }
    if parsed.password().is_some() {
        return Err(Error::Usage {
            message: "the Redis URL contains a password, which would be saved in config.toml"
                .into(),
            hint: Some(format!(
                "put the password in {} or a 0600 file given with --redis-password-file",
                crate::env::OCTOKEN_REDIS_PASSWORD
            )),
        });
    }
    let namespace = match flags
        .namespace
        .or_else(|| prev.map(|p| p.namespace.clone()))
    {
        Some(ns) => ns,
        None => {
            let server = server.ok_or_else(|| {
                Error::usage("--store redis needs --issuer (or --token-url) or --namespace")
            })?;
            crate::settings::default_namespace(server, client_id, profile)
        }
    };
    if namespace.is_empty() || namespace.len() > 512 || namespace.chars().any(char::is_control) {
        return Err(Error::usage(
            "--namespace must be 1 to 512 characters without control characters",
        ));
    }
    Ok(RedisProfile {
        url,
        namespace,
        password_file: flags
            .password_file
            .or_else(|| prev.and_then(|p| p.password_file.clone())),
        key_file: flags
            .key_file
            .or_else(|| prev.and_then(|p| p.key_file.clone())),
        lease_secs: flags.lease.or_else(|| prev.and_then(|p| p.lease_secs)),
        timeout_secs: flags.timeout.or_else(|| prev.and_then(|p| p.timeout_secs)),
        wait_replicas: flags
            .wait_replicas
            .or_else(|| prev.and_then(|p| p.wait_replicas)),
    })
}
