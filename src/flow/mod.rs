//! One module per command. A flow takes its resolved settings, drives the session
//! engine, oauth/ and store/, and hands results to output. Flows never see clap types.

pub mod agent;
pub mod aws_credential;
pub mod cargo_credential;
pub mod docker_credential;
pub mod exec;
pub mod git_credential;
pub mod git_setup;
pub mod inspect;
pub mod introspect;
pub mod kube_credential;
pub mod login;
pub mod logout;
pub mod profiles;
pub mod refresh;
pub mod status;
pub mod token;
pub mod via_agent;
