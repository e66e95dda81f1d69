//! The settings of the registries' credential helpers: `docker-credential` (Docker,
//! Podman, Buildah, Skopeo) and `cargo-credential` (cargo).

use super::{FreshSettings, Global, ProfileSettings};
use crate::error::Result;
use std::path::PathBuf;

/// What the tool (or a person) asked `docker-credential`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerOperation {
    /// A token for the registry on stdin.
    Get,
    /// Docker hands over what `docker login` was given: accepted, not kept.
    Store,
    /// Drop the cached token of the registry on stdin (it was refused).
    Erase,
    /// The bound registries and their user names.
    List,
    /// `setup HOST`: bind the profile to a registry.
    Setup(DockerSetup),
    /// `install`: make the `docker-credential-octoken` link in this directory (None:
    /// octoken's own).
    Install(Option<PathBuf>),
}

/// `docker-credential setup HOST [--username NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerSetup {
    /// `HOST` or `HOST:PORT`, checked against the host grammar.
    pub host: String,
    /// None: keep the profile's (or the default).
    pub username: Option<String>,
}

#[derive(Debug)]
pub struct DockerCredentialSettings {
    pub global: Global,
    pub operation: DockerOperation,
    /// `-p NAME` (other than the default profile): only that profile's registries.
    /// None: the profile bound to the registry, whichever it is.
    pub only_profile: Option<String>,
    pub fresh: FreshSettings,
}

#[derive(Debug)]
pub struct CargoCredentialSettings {
    /// The provider as the command line sets it.
    pub provider: CargoProvider,
    /// Run by cargo (`--cargo-plugin`): cargo passes the words of the
    /// `credential-provider` line after the program in each request (`args`), not on the
    /// command line; this resolves them as the command line would be.
    pub per_request: Option<ResolveWords>,
}

/// Resolves a credential-provider line's words (`settings::resolve` has the parser).
pub type ResolveWords = fn(&[String]) -> Result<CargoProvider>;

/// One credential-provider line, resolved.
#[derive(Debug)]
pub struct CargoProvider {
    pub global: Global,
    /// `--host`: the registries (`HOST` or `HOST:PORT`, as the index URL names them)
    /// this provider answers for; none: it answers nothing.
    pub hosts: Vec<String>,
    pub fresh: FreshSettings,
    /// The profile, or why it cannot be had: only a request for a bound host needs it.
    pub profile: Result<ProfileSettings>,
}
