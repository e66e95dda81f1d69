//! Turns raw input (flags, environment, config file) into plain settings the flows use.
//! Precedence: flags > environment > profile in config.toml > defaults. Flows never see
//! clap types.

use crate::cli::GlobalArgs;
use crate::config::{AuthMethod, Config, Grant, Profile, StoreKind};
use crate::env;
use crate::error::{Error, Result, login_command};
use crate::oauth::ClientAuth;
use crate::oauth::http::HttpOptions;
use crate::paths::Paths;
use crate::secret::Secret;
use crate::store::cache::CacheKey;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_PROFILE: &str = "default";
pub const DEFAULT_SCOPE: &str = "openid offline_access";
pub const DEFAULT_IDLE_LIMIT_DAYS: u64 = 30;
pub const DEFAULT_CONNECT_TIMEOUT: u64 = 10;
pub const DEFAULT_REQUEST_TIMEOUT: u64 = 30;
/// How long a process waits for another one's refresh of the same profile.
pub const DEFAULT_LOCK_TIMEOUT_SECS: u64 = 30;

pub fn lock_timeout() -> Duration {
    Duration::from_secs(
        env::var(env::OCTOKEN_LOCK_TIMEOUT)
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_LOCK_TIMEOUT_SECS),
    )
}

/// What every command needs: which profile, where files live, and the clock.
#[derive(Debug, Clone)]
pub struct Global {
    pub profile: String,
    pub paths: Paths,
    /// Unix seconds, read once per run (tests shift it with OCTOKEN_TEST_CLOCK_OFFSET).
    pub now: u64,
}

impl Global {
    pub fn resolve(args: &GlobalArgs) -> Result<Global> {
        check_profile_name(&args.profile)?;
        Ok(Global {
            profile: args.profile.clone(),
            paths: Paths::resolve()?,
            now: now(),
        })
    }

    pub fn load_config(&self) -> Result<Config> {
        Config::load(&self.paths.config_file())
    }

    /// The profile's settings; exit 3 when there is no such profile.
    pub fn profile(&self) -> Result<ProfileSettings> {
        let config = self.load_config()?;
        let Some(profile) = config.profiles.get(&self.profile) else {
            if config.profiles.is_empty() {
                // Nothing configured at all: this is a first run, not a typo.
                return Err(Error::login_required(&self.profile, "not logged in"));
            }
            let known: Vec<_> = config.profiles.keys().map(String::as_str).collect();
            let hint = if known.is_empty() {
                format!("run `{}` to create it", login_command(&self.profile))
            } else {
                format!(
                    "known profiles: {}; or run `{}`",
                    known.join(", "),
                    login_command(&self.profile)
                )
            };
            return Err(Error::config(
                format!("no profile named '{}'", self.profile),
                Some(hint),
            ));
        };
        ProfileSettings::from_profile(&self.profile, profile.clone(), &self.paths)
    }
}

fn now() -> u64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let offset: i64 = env::var(env::OCTOKEN_TEST_CLOCK_OFFSET)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    real.saturating_add_signed(offset)
}

/// Profile names become file names: keep them plain.
pub fn check_profile_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage {
            message: format!("invalid profile name '{name}'"),
            hint: Some("use letters, digits, '-', '_' and '.' (at most 64)".into()),
        })
    }
}

/// A resolved profile, as the flows use it.
#[derive(Debug, Clone)]
pub struct ProfileSettings {
    pub name: String,
    pub profile: Profile,
    pub paths: Paths,
}

impl ProfileSettings {
    pub fn from_profile(name: &str, profile: Profile, paths: &Paths) -> Result<Self> {
        let allow = profile.allow_insecure_http;
        let config_file = paths.config_file();
        let in_config = |e: Error| match e {
            Error::Usage { message, hint } => Error::Config {
                message: format!("{message} (profile '{name}' in {})", config_file.display()),
                hint,
            },
            other => other,
        };
        check_endpoint(&profile.token_url, allow).map_err(in_config)?;
        for url in [
            &profile.revocation_url,
            &profile.authorization_url,
            &profile.device_url,
        ]
        .into_iter()
        .flatten()
        {
            check_endpoint(url, allow).map_err(in_config)?;
        }
        Ok(ProfileSettings {
            name: name.to_string(),
            profile,
            paths: paths.clone(),
        })
    }

    pub fn client(&self, secret: Option<Secret>) -> ClientAuth {
        ClientAuth {
            client_id: self.profile.client_id.clone(),
            method: self.profile.auth_method,
            secret,
        }
    }

    pub fn cache_key(&self) -> CacheKey {
        CacheKey {
            token_url: self.profile.token_url.clone(),
            client_id: self.profile.client_id.clone(),
        }
    }

    pub fn http_options(&self) -> HttpOptions<'_> {
        HttpOptions {
            connect_timeout: Duration::from_secs(
                self.profile
                    .connect_timeout
                    .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            ),
            request_timeout: Duration::from_secs(
                self.profile
                    .request_timeout
                    .unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            ),
            ca_file: self.profile.ca_file.as_deref(),
            proxy: self.profile.proxy.as_deref(),
        }
    }

    pub fn cache_file(&self, scope: Option<&str>) -> PathBuf {
        self.paths.cache_file(&self.name, scope)
    }

    pub fn state_file(&self) -> PathBuf {
        self.paths.state_file(&self.name)
    }

    pub fn lock_file(&self) -> PathBuf {
        self.paths.lock_file(&self.name)
    }
}

/// Endpoints must be https, except on loopback (RFC 8252 allows it there) or when the
/// user said `--allow-insecure-http`.
pub fn check_endpoint(raw: &str, allow_insecure_http: bool) -> Result<url::Url> {
    let url = url::Url::parse(raw).map_err(|e| Error::Usage {
        message: format!("'{raw}' is not a valid URL: {e}"),
        hint: Some("give a full URL such as https://id.example.com/realms/main".into()),
    })?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_insecure_http || is_loopback(&url) => Ok(url),
        "http" => Err(Error::Usage {
            message: format!("refusing plain http:// for {raw}: tokens would travel unencrypted"),
            hint: Some("use https://, or pass --allow-insecure-http if you must".into()),
        }),
        other => Err(Error::Usage {
            message: format!("unsupported URL scheme '{other}' in {raw}"),
            hint: Some("use an https:// URL".into()),
        }),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Login input before discovery: flags merged over the existing profile.
#[derive(Debug)]
pub struct LoginSettings {
    pub issuer: Option<String>,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub scope: String,
    pub store: StoreKind,
    pub ca_file: Option<PathBuf>,
    pub allow_insecure_http: bool,
    pub explicit: ExplicitEndpoints,
    pub client_secret_file: Option<PathBuf>,
    pub grant: Grant,
    pub prompt_consent: Option<bool>,
    pub proxy: Option<String>,
    pub redirect_uri: Option<String>,
    pub previous: Option<Profile>,
}

#[derive(Debug, Default)]
pub struct ExplicitEndpoints {
    pub token_url: Option<String>,
    pub authorization_url: Option<String>,
    pub revocation_url: Option<String>,
    pub device_url: Option<String>,
}

impl LoginSettings {
    pub fn resolve(args: &crate::cli::LoginArgs, previous: Option<Profile>) -> Result<Self> {
        use crate::cli::{AuthMethodArg, StoreArg};
        let prev = previous.as_ref();
        let grant = match args.grant {
            crate::cli::GrantArg::AuthorizationCode => Grant::RefreshToken,
            crate::cli::GrantArg::ClientCredentials => Grant::ClientCredentials,
        };
        let client_id = args
            .client_id
            .clone()
            .or_else(|| prev.map(|p| p.client_id.clone()))
            .ok_or_else(|| Error::Usage {
                message: "--client-id is required for a new profile".into(),
                hint: Some("octoken login --issuer URL --client-id ID".into()),
            })?;
        let auth_method = match args.auth_method {
            Some(AuthMethodArg::Basic) => AuthMethod::Basic,
            Some(AuthMethodArg::Post) => AuthMethod::Post,
            Some(AuthMethodArg::None) => AuthMethod::None,
            None => prev.map_or(AuthMethod::Basic, |p| p.auth_method),
        };
        let store = match args.store {
            Some(StoreArg::Keyring) => StoreKind::Keyring,
            Some(StoreArg::File) => StoreKind::File,
            None => prev.map_or(StoreKind::Keyring, |p| p.store),
        };
        let allow_insecure_http =
            args.allow_insecure_http || prev.is_some_and(|p| p.allow_insecure_http);
        let explicit = ExplicitEndpoints {
            token_url: args.token_url.clone(),
            authorization_url: args.auth_url.clone(),
            revocation_url: args.revocation_url.clone(),
            device_url: args.device_url.clone(),
        };
        let issuer = args
            .issuer
            .clone()
            .map(|i| i.trim_end_matches('/').to_string());
        let issuer = match issuer {
            Some(i) => Some(i),
            None if explicit.token_url.is_some() => None,
            None => prev.and_then(|p| p.issuer.clone()),
        };
        if issuer.is_none() && explicit.token_url.is_none() && prev.is_none() {
            return Err(Error::Usage {
                message: "--issuer (or --token-url for servers without discovery) is required"
                    .into(),
                hint: Some(
                    "octoken login --issuer https://id.example.com/realms/main --client-id ID"
                        .into(),
                ),
            });
        }
        for url in issuer.iter().chain(
            [
                &explicit.token_url,
                &explicit.authorization_url,
                &explicit.revocation_url,
                &explicit.device_url,
            ]
            .into_iter()
            .flatten(),
        ) {
            check_endpoint(url, allow_insecure_http)?;
        }
        Ok(LoginSettings {
            issuer,
            client_id,
            auth_method,
            scope: args
                .scope
                .clone()
                .or_else(|| prev.map(|p| p.scope.clone()))
                .unwrap_or_else(|| match grant {
                    Grant::RefreshToken => DEFAULT_SCOPE.to_string(),
                    // Machine clients have no user: no openid, no offline access.
                    Grant::ClientCredentials => String::new(),
                }),
            store,
            ca_file: args
                .ca_file
                .clone()
                .or_else(|| prev.and_then(|p| p.ca_file.clone())),
            allow_insecure_http,
            explicit,
            client_secret_file: args.client_secret_file.clone(),
            grant,
            prompt_consent: args
                .prompt_consent
                .or_else(|| prev.and_then(|p| p.prompt_consent)),
            proxy: args
                .proxy
                .clone()
                .or_else(|| prev.and_then(|p| p.proxy.clone())),
            redirect_uri: args
                .redirect_uri
                .clone()
                .or_else(|| prev.and_then(|p| p.redirect_uri.clone())),
            previous,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_required_except_on_loopback() {
        assert!(check_endpoint("https://id.example.com", false).is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/realms/x", false).is_ok());
        assert!(check_endpoint("http://localhost/x", false).is_ok());
        assert!(check_endpoint("http://[::1]:9/x", false).is_ok());
        let err = check_endpoint("http://id.example.com", false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(check_endpoint("http://id.example.com", true).is_ok());
        assert!(check_endpoint("ftp://id.example.com", true).is_err());
    }

    #[test]
    fn profile_names_stay_plain() {
        assert!(check_profile_name("work-2.prod_x").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "sp ace"] {
            assert!(check_profile_name(bad).is_err(), "{bad}");
        }
    }
}
