//! `octoken docker-credential get|store|erase|list`: a credential helper for Docker,
//! Podman, Buildah and Skopeo (the docker-credential-helpers protocol, see
//! `docker_protocol`). The tools run `docker-credential-octoken` (a link to octoken,
//! `install`) with no other argument, so the helper finds the profile bound to the
//! registry they name (`setup HOST`, saved in config.toml); `-p NAME` narrows it to that
//! profile. A registry no profile is bound to gets the protocol's "credentials not
//! found", and the tools go on without credentials.
//!
//! stdout holds the protocol's answer only: the credentials, or on failure the one-line
//! message the tools show (the same line goes to stderr). Never a browser: a needed
//! login is that message and octoken's exit code.

use crate::access_token::AccessToken;
use crate::config::Config;
use crate::docker_protocol::{self as protocol, DEFAULT_USERNAME, HELPER_NAME, NOT_FOUND};
use crate::error::{Error, Result};
use crate::host::same_host;
use crate::output;
use crate::profile_name;
use crate::sanitize;
use crate::session::Session;
use crate::settings::{
    DockerCredentialSettings, DockerOperation, DockerSetup, FreshSettings, Global,
};
use std::io::Read;
use std::path::{Path, PathBuf};

pub fn run(settings: DockerCredentialSettings) -> Result<()> {
    let DockerCredentialSettings {
        global,
        operation,
        only_profile,
        fresh,
    } = settings;
    let only = only_profile.as_deref();
    let served = match &operation {
        DockerOperation::Setup(setup) => return bind(&global, setup),
        DockerOperation::Install(dir) => return install(dir.as_deref()),
        DockerOperation::List => list(&global, only).map_err(Failure::Other),
        DockerOperation::Store => store(),
        DockerOperation::Get => get_or_erase(&global, only, &fresh, false),
        DockerOperation::Erase => get_or_erase(&global, only, &fresh, true),
    };
    served.map_err(|failure| tell(failure, &global.profile))
}

/// `get` (a fresh token for the registry on stdin) or `erase` (drop its cached one).
fn get_or_erase(
    global: &Global,
    only: Option<&str>,
    fresh: &FreshSettings,
    erase: bool,
) -> std::result::Result<(), Failure> {
    let text = read_request()?;
    let (given, host) = protocol::registry(&text).map_err(request_error)?;
    let config = global.load_config().map_err(Failure::Other)?;
    let Some((name, username)) = bound_profile(&config, host, &global.profile, only, &|_| true)
    else {
        return Err(Failure::NotFound {
            host: host.to_string(),
            at_agent: false,
        });
    };
    let profile = Global {
        profile: name,
        ..global.clone()
    }
    .profile_in(&config)
    .map_err(Failure::Other)?;
    let session = Session::open(&profile, global.now);
    if erase {
        output::debug(
            1,
            "the tool says the token was refused; dropping the cached one",
        );
        return session.forget_access_token().map_err(Failure::Other);
    }
    let token = session.fresh_token(fresh).map_err(Failure::Other)?;
    let answer = protocol::credentials(given, &username, token.access_token.expose());
    output::stdout(&answer)
        .map_err(|e| Failure::Other(Error::other(format!("cannot write the answer: {e}"))))
}

/// The agent's answer for a registry (and the `-p NAME` it is narrowed to): its user
/// name and a fresh access token, or None when no profile it serves is bound to it.
pub type AskRegistry<'a> = &'a dyn Fn(&str, Option<&str>) -> Result<Option<(String, AccessToken)>>;

/// `get`, `erase` and `list` on a machine whose registry bindings are the agent's
/// (`OCTOKEN_AGENT_SOCK` set): `get` asks the agent which profile is bound and for its
/// token; `erase` is read and accepted (the agent keeps its cache, as it does for git's
/// `erase`); `list` is not served, so that a forwarded socket tells no more than the
/// registries a client names. The other operations are this machine's (`run`).
pub fn run_with_agent(settings: DockerCredentialSettings, ask: AskRegistry) -> Result<()> {
    let DockerCredentialSettings {
        global,
        operation,
        only_profile,
        fresh,
    } = settings;
    let served = match operation {
        DockerOperation::Get => get_from_agent(only_profile.as_deref(), ask),
        DockerOperation::Erase => read_request().and_then(|text| {
            protocol::registry(&text).map_err(request_error)?;
            output::debug(1, "the agent keeps its cached token; nothing to erase here");
            Ok(())
        }),
        DockerOperation::List => Err(Failure::Other(Error::Config {
            message: "`docker-credential list` is not served through the agent".into(),
            hint: Some(
                "run it on the agent's machine, or unset OCTOKEN_AGENT_SOCK to list this \
                 machine's bindings"
                    .into(),
            ),
        })),
        operation => {
            return run(DockerCredentialSettings {
                global,
                operation,
                only_profile,
                fresh,
            });
        }
    };
    served.map_err(|failure| tell(failure, &global.profile))
}

fn get_from_agent(only: Option<&str>, ask: AskRegistry) -> std::result::Result<(), Failure> {
    let text = read_request()?;
    let (given, host) = protocol::registry(&text).map_err(request_error)?;
    let Some((username, token)) = ask(host, only).map_err(Failure::Other)? else {
        return Err(Failure::NotFound {
            host: host.to_string(),
            at_agent: true,
        });
    };
    let answer = protocol::credentials(given, &username, token.access_token.expose());
    output::stdout(&answer)
        .map_err(|e| Failure::Other(Error::other(format!("cannot write the answer: {e}"))))
}

/// Why a request gets no credentials.
enum Failure {
    /// No profile is bound to this registry: the protocol's "not found".
    NotFound {
        host: String,
        at_agent: bool,
    },
    Other(Error),
}

/// The failure on stdout as the protocol has it (the tools show that text), and as
/// octoken's error on stderr.
fn tell(failure: Failure, profile: &str) -> Error {
    let (said, err) = match failure {
        Failure::NotFound { host, at_agent } => {
            let shown = sanitize::foreign(&host, 100);
            let setup = profile_name::command(profile, &format!("docker-credential setup {shown}"));
            let err = if at_agent {
                Error::Other {
                    message: format!("no profile the agent serves is bound to registry '{shown}'"),
                    hint: Some(format!(
                        "on the agent's machine: octoken -p NAME docker-credential setup {shown}, \
                         for a profile the agent serves"
                    )),
                }
            } else {
                Error::Other {
                    message: format!("no profile is bound to registry '{shown}'"),
                    hint: Some(setup),
                }
            };
            (NOT_FOUND.to_string(), err.one_line())
        }
        Failure::Other(err) => {
            let err = err.one_line();
            (err.to_string(), err)
        }
    };
    // The tool may have gone; the error still reaches stderr and the exit code.
    let _ = output::stdout(&format!("{said}\n"));
    err
}

fn request_error(why: protocol::RequestError) -> Failure {
    Failure::Other(Error::Usage {
        message: format!("cannot read the tool's request: {why}"),
        hint: Some(format!(
            "the tools write a registry on stdin: echo registry.example.com | {HELPER_NAME} get"
        )),
    })
}

/// The request on stdin: at most `MAX_REQUEST` bytes of text.
fn read_request() -> std::result::Result<String, Failure> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(protocol::MAX_REQUEST as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Failure::Other(Error::other(format!("cannot read the tool's request: {e}")))
        })?;
    protocol::request_text(&bytes)
        .map(str::to_string)
        .map_err(request_error)
}

/// The profile bound to `host` and its user name: `only`'s if given, else `preferred`'s
/// (the default profile) when it is bound, else the first bound one by name. Profiles
/// `usable` refuses are passed over (an agent's `--profiles`).
pub(crate) fn bound_profile(
    config: &Config,
    host: &str,
    preferred: &str,
    only: Option<&str>,
    usable: &dyn Fn(&str) -> bool,
) -> Option<(String, String)> {
    let bound = |name: &str| {
        if !usable(name) {
            return None;
        }
        let docker = config.profiles.get(name)?.docker.as_ref()?;
        docker
            .registries
            .iter()
            .any(|r| same_host(r, host))
            .then(|| {
                let username = docker.username.as_deref().unwrap_or(DEFAULT_USERNAME);
                (name.to_string(), username.to_string())
            })
    };
    match only {
        Some(name) => bound(name),
        None => bound(preferred).or_else(|| config.profiles.keys().find_map(|n| bound(n))),
    }
}

/// `list`: every bound registry and its user name.
fn list(global: &Global, only: Option<&str>) -> Result<()> {
    let config = global.load_config()?;
    let mut entries = Vec::new();
    for (name, profile) in &config.profiles {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        if let Some(docker) = &profile.docker {
            let username = docker.username.as_deref().unwrap_or(DEFAULT_USERNAME);
            entries.extend(docker.registries.iter().map(|r| (r.as_str(), username)));
        }
    }
    output::stdout(&protocol::list(entries))
        .map_err(|e| Error::other(format!("cannot write the answer: {e}")))
}

/// `store`: after `docker login`, Docker hands over what it was given. octoken keeps
/// its own tokens, so the request is read (and must be one) and nothing is kept.
fn store() -> std::result::Result<(), Failure> {
    let text = read_request()?;
    let host = protocol::store_registry(&text).map_err(request_error)?;
    output::debug(
        1,
        format!(
            "not keeping what the tool handed over for '{}': octoken keeps its own tokens",
            sanitize::foreign(&host, 100)
        ),
    );
    Ok(())
}

/// `setup HOST`: binds the profile to the registry (moving it from any other profile,
/// since one registry has one profile) and prints the `credHelpers` entry to add.
fn bind(global: &Global, setup: &DockerSetup) -> Result<()> {
    let mut config = global.load_config()?;
    if !config.profiles.contains_key(&global.profile) {
        // The profile's own error: not logged in, or no such profile.
        global.profile()?;
    }
    let host = &setup.host;
    let moved = bind_one(&mut config, &global.profile, host);
    let docker = config
        .profiles
        .get_mut(&global.profile)
        .and_then(|p| p.docker.as_mut())
        .expect("bound above");
    if let Some(name) = &setup.username {
        docker.username = (name != DEFAULT_USERNAME).then(|| name.clone());
    }
    config.save(&global.paths.config_file())?;
    output::notice(format!(
        "octoken: profile '{}' now answers for registry '{host}'{}. Add this to \
         ~/.docker/config.json (Docker) or to the auth.json of Podman, Buildah and Skopeo, \
         and put {HELPER_NAME} on PATH (`octoken docker-credential install`):",
        global.profile,
        instead_of(&moved)
    ));
    output::stdout(&protocol::cred_helpers(host))
        .map_err(|e| Error::other(format!("cannot write: {e}")))
}

/// Binds `profile` (which `config` holds) to `host`, taking the registry from any other
/// profile bound to it: the names of those.
fn bind_one(config: &mut Config, profile: &str, host: &str) -> Vec<String> {
    let mut moved = Vec::new();
    for (name, other) in config.profiles.iter_mut() {
        if name == profile {
            continue;
        }
        if let Some(docker) = &mut other.docker {
            let before = docker.registries.len();
            docker.registries.retain(|r| !same_host(r, host));
            if docker.registries.len() != before {
                moved.push(name.clone());
            }
            // Nothing left to say: no empty table in config.toml.
            if docker.registries.is_empty() && docker.username.is_none() {
                other.docker = None;
            }
        }
    }
    if let Some(own) = config.profiles.get_mut(profile) {
        let docker = own.docker.get_or_insert_default();
        if !docker.registries.iter().any(|r| same_host(r, host)) {
            docker.registries.push(host.to_string());
        }
    }
    moved
}

/// `login --registry HOST`...: each registry bound as `setup` binds it, in the config
/// about to be saved. Each host with the profiles it was taken from.
pub(crate) fn bind_all(
    config: &mut Config,
    profile: &str,
    hosts: &[String],
) -> Vec<(String, Vec<String>)> {
    hosts
        .iter()
        .map(|host| (host.clone(), bind_one(config, profile, host)))
        .collect()
}

/// What `login --registry` bound, once saved.
pub(crate) fn tell_bound(profile: &str, bound: &[(String, Vec<String>)]) {
    for (host, moved) in bound {
        output::notice(format!(
            "octoken: profile '{profile}' now answers for registry '{host}'{}; \
             `{}` prints the credHelpers entry to add",
            instead_of(moved),
            profile_name::command(profile, &format!("docker-credential setup {host}"))
        ));
    }
}

fn instead_of(moved: &[String]) -> String {
    if moved.is_empty() {
        String::new()
    } else {
        format!(" (instead of profile '{}')", moved.join("', '"))
    }
}

/// `install`: the `docker-credential-octoken` link to this octoken, in `dir` (default:
/// octoken's own directory; created if missing). An older link there is replaced;
/// anything else is left.
fn install(dir: Option<&Path>) -> Result<()> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::other(format!("cannot find octoken's own path: {e}")))?;
    let dir: PathBuf = match dir {
        Some(dir) => dir.to_path_buf(),
        None => exe.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let link = dir.join(HELPER_NAME);
    let cannot = |what: &str, e: std::io::Error| Error::Other {
        message: format!("cannot {what} {}: {e}", link.display()),
        hint: Some("pass a directory on PATH you may write to with --dir".into()),
    };
    // A directory for programs (~/.local/bin): created if missing, 0755 whatever the
    // umask, as `man --dir` does.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o755);
    builder
        .create(&dir)
        .map_err(|e| cannot("create the directory of", e))?;
    match std::fs::symlink_metadata(&link) {
        Ok(meta) if meta.file_type().is_symlink() => {
            if std::fs::read_link(&link).is_ok_and(|to| to == exe) {
                output::notice(format!("octoken: {} is in place", link.display()));
                return Ok(());
            }
            std::fs::remove_file(&link).map_err(|e| cannot("replace", e))?;
        }
        Ok(_) => {
            return Err(Error::Other {
                message: format!("{} exists and is not a link", link.display()),
                hint: Some("remove it, or pass another directory with --dir".into()),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(cannot("inspect", e)),
    }
    make_link(&exe, &link).map_err(|e| cannot("create", e))?;
    output::notice(format!(
        "octoken: linked {} to {}; the tools find it there when {} is on PATH",
        link.display(),
        exe.display(),
        dir.display()
    ));
    Ok(())
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(text, Path::new("config.toml")).unwrap()
    }

    const PROFILE: &str = "client_id = \"c\"\nauth_method = \"none\"\nscope = \"s\"\nstore = \"file\"\ntoken_url = \"https://id.example.com/token\"\n";

    #[test]
    fn the_registry_finds_its_profile() {
        let config = config(&format!(
            "[profiles.default]\n{PROFILE}\n\
             [profiles.ci]\n{PROFILE}[profiles.ci.docker]\nregistries = [\"r.example.com\", \"127.0.0.1:5000\"]\n\
             [profiles.work]\n{PROFILE}[profiles.work.docker]\nregistries = [\"R.example.com\"]\nusername = \"token\"\n"
        ));
        let found = |host: &str, preferred: &str, only: Option<&str>| {
            bound_profile(&config, host, preferred, only, &|_| true)
        };
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        // Any profile, the first by name, unless the preferred one is bound too.
        assert_eq!(
            found("r.example.com", "default", None),
            pair("ci", DEFAULT_USERNAME)
        );
        assert_eq!(found("r.example.com", "work", None), pair("work", "token"));
        assert_eq!(
            found("127.0.0.1:5000", "default", None),
            pair("ci", DEFAULT_USERNAME)
        );
        // -p NAME: that profile only.
        assert_eq!(
            found("r.example.com", "work", Some("work")),
            pair("work", "token")
        );
        assert_eq!(found("127.0.0.1:5000", "work", Some("work")), None);
        // Ports count; other hosts are nobody's.
        assert_eq!(found("127.0.0.1:5001", "default", None), None);
        assert_eq!(found("r.example.com:443", "default", None), None);
        assert_eq!(found("evil.example", "default", None), None);
    }

    #[test]
    fn login_registry_binds_like_setup_and_takes_the_registry_from_others() {
        let mut config = config(&format!(
            "[profiles.ci]\n{PROFILE}[profiles.ci.docker]\nregistries = [\"r.example.com\"]\n\
             [profiles.lab]\n{PROFILE}[profiles.lab.docker]\nregistries = [\"R.example.com\", \"x.example\"]\n\
             [profiles.work]\n{PROFILE}"
        ));
        let hosts = ["r.example.com".to_string(), "127.0.0.1:5000".to_string()];
        let bound = bind_all(&mut config, "work", &hosts);
        assert_eq!(
            bound,
            [
                (
                    "r.example.com".to_string(),
                    vec!["ci".to_string(), "lab".to_string()]
                ),
                ("127.0.0.1:5000".to_string(), vec![]),
            ]
        );
        fn registries(config: &Config, name: &str) -> Option<Vec<String>> {
            config.profiles[name]
                .docker
                .as_ref()
                .map(|d| d.registries.clone())
        }
        assert_eq!(
            registries(&config, "work"),
            Some(vec![
                "r.example.com".to_string(),
                "127.0.0.1:5000".to_string()
            ])
        );
        assert_eq!(registries(&config, "ci"), None, "an emptied table goes");
        assert_eq!(
            registries(&config, "lab"),
            Some(vec!["x.example".to_string()])
        );
        // Again: nothing moves, nothing doubles.
        let again = bind_all(&mut config, "work", &hosts);
        assert!(again.iter().all(|(_, moved)| moved.is_empty()));
        assert_eq!(registries(&config, "work").unwrap().len(), 2);
    }
}
