//! The settings of `aws-credential`, which the AWS CLI and SDKs run as a
//! `credential_process`. They show its stderr as is, so every error is one line.
//!
//! The profile itself is not resolved here: the flow first looks for cached credentials
//! under an unchanged config.toml, and resolves the profile only when it must ask STS.

use super::{login, tools};
use crate::cli::AwsCredentialArgs;
use crate::error::{Error, Result};
use crate::settings::{AwsCredentialSettings, Command, Global, TokenKind, check_endpoint};
use crate::store::aws_cache::RoleKey;

/// STS's global endpoint, which every partition's `aws` account can reach.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.amazonaws.com";

/// STS's bounds on DurationSeconds (a role's maximum is 1 to 12 hours).
const DURATION: std::ops::RangeInclusive<u64> = 900..=43_200;

pub fn resolve(args: AwsCredentialArgs, global: Global) -> Result<Command> {
    let AwsCredentialArgs {
        role_arn,
        session_name,
        duration,
        token_type,
        sts_endpoint,
        sts_region,
        login,
    } = args;
    let one_line = Error::one_line;
    let example = crate::profile_name::command(
        &global.profile,
        "aws-credential --role-arn arn:aws:iam::123456789012:role/NAME",
    );
    if !is_role_arn(&role_arn) {
        return Err(Error::Usage {
            message: format!(
                "--role-arn '{}' is not an IAM role ARN",
                crate::sanitize::foreign(&role_arn, 100)
            ),
            hint: Some(example),
        }
        .one_line());
    }
    let session_name = session_name.unwrap_or_else(|| {
        format!("octoken-{}", global.profile)
            .chars()
            .take(64)
            .collect()
    });
    if !is_session_name(&session_name) {
        return Err(Error::Usage {
            message: format!(
                "--session-name '{}' is not a role session name",
                crate::sanitize::foreign(&session_name, 100)
            ),
            hint: Some("use 2 to 64 of the characters A-Z a-z 0-9 + = , . @ _ -".into()),
        }
        .one_line());
    }
    if let Some(secs) = duration
        && !DURATION.contains(&secs)
    {
        return Err(Error::Usage {
            message: format!("--duration {secs} is outside what STS grants"),
            hint: Some(
                "give 900 (15 minutes) up to the role's maximum session duration (at most 43200)"
                    .into(),
            ),
        }
        .one_line());
    }
    let sts_endpoint = match (sts_endpoint, sts_region) {
        (Some(url), _) => match check_endpoint(&url, false) {
            Ok(_) => url,
            Err(e) => {
                return Err(Error::Usage {
                    message: format!(
                        "--sts-endpoint: {}",
                        crate::sanitize::foreign(&e.to_string(), 300)
                    ),
                    hint: Some(
                        "give an https:// URL (plain http only to a loopback address), or --sts-region REGION"
                            .into(),
                    ),
                }
                .one_line());
            }
        },
        (None, Some(region)) => regional_endpoint(&region).ok_or_else(|| {
            Error::Usage {
                message: format!(
                    "--sts-region '{}' is not an AWS region",
                    crate::sanitize::foreign(&region, 64)
                ),
                hint: Some(
                    "give a region such as eu-west-1, or the endpoint with --sts-endpoint URL"
                        .into(),
                ),
            }
            .one_line()
        })?,
        (None, None) => DEFAULT_STS_ENDPOINT.to_string(),
    };
    let kind = tools::token_kind(token_type);
    let login = if login {
        Some(Box::new(
            login::for_stored_profile(global.clone()).map_err(one_line)?,
        ))
    } else {
        None
    };
    Ok(Command::AwsCredential(AwsCredentialSettings {
        role: RoleKey {
            role_arn,
            session_name,
            duration,
            token: match kind {
                TokenKind::Id => "id",
                TokenKind::Access => "access",
            }
            .into(),
            sts_endpoint,
        },
        kind,
        login,
        global,
    }))
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`, within STS's 20 to 2048 characters.
/// Only the shape is checked: STS judges the rest.
fn is_role_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    (20..=2048).contains(&arn.len())
        && partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.len() > "role/".len()
        && resource.starts_with("role/")
        && arn.bytes().all(|b| b.is_ascii_graphic())
}

/// STS's RoleSessionName: `[\w+=,.@-]{2,64}`.
fn is_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `https://sts.REGION.amazonaws.com` (`.amazonaws.com.cn` in China's regions), for a
/// name shaped like a region (`eu-west-1`, `us-gov-west-1`).
fn regional_endpoint(region: &str) -> Option<String> {
    let shaped = (4..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region.contains('-');
    if !shaped {
        return None;
    }
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Some(format!("https://sts.{region}.{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_of_every_partition_and_nothing_else() {
        for good in [
            "arn:aws:iam::123456789012:role/ci",
            "arn:aws-cn:iam::123456789012:role/path/to/deploy",
            "arn:aws-us-gov:iam::123456789012:role/x+y=z,a.b@c-d_e",
        ] {
            assert!(is_role_arn(good), "{good}");
        }
        for bad in [
            "",
            "ci",
            "arn:aws:iam::123456789012:user/ci",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::12345678901:role/ci",
            "arn:aws:sts::123456789012:role/ci",
            "arn:aws:iam:us-east-1:123456789012:role/ci",
            "arn:gcp:iam::123456789012:role/ci",
            "arn:aws:iam::123456789012:role/c i",
            "arn:aws:iam::123456789012:role/c\ni",
        ] {
            assert!(!is_role_arn(bad), "{bad:?}");
        }
    }

    #[test]
    fn session_names_follow_sts() {
        assert!(is_session_name("octoken-work"));
        assert!(is_session_name("a.b@c,d=e+f_g"));
        assert!(!is_session_name("a"));
        assert!(!is_session_name(&"a".repeat(65)));
        assert!(!is_session_name("a b"));
        assert!(!is_session_name("a/b"));
    }

    #[test]
    fn regions_make_their_sts_endpoint() {
        assert_eq!(
            regional_endpoint("eu-west-1").as_deref(),
            Some("https://sts.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            regional_endpoint("cn-north-1").as_deref(),
            Some("https://sts.cn-north-1.amazonaws.com.cn")
        );
        for bad in [
            "",
            "eu",
            "EU-WEST-1",
            "eu-west-1.evil.com",
            "-eu-1",
            "eu west",
        ] {
            assert_eq!(regional_endpoint(bad), None, "{bad}");
        }
    }
}
