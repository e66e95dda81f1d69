//! `octoken [-p NAME] aws-credential --role-arn ARN [...]` recognised without building
//! clap's command tree, as `fast_token` recognises `token`: the AWS CLI and SDKs run it
//! for every process, and a cached answer costs less than the tree of every subcommand
//! and flag. Anything unusual (a repeated flag, a value starting with `-`, `--login`,
//! `-v`, a bad number) returns None and goes through clap; a unit test checks that both
//! read every shape recognised here the same way.

use super::{AwsCredentialArgs, Cli, Command, TokenTypeArg};
use std::ffi::OsString;

pub fn fast_aws_credential(args: &[OsString]) -> Option<Cli> {
    let words: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str())
        .collect::<Option<_>>()?;
    let mut command = false;
    let mut profile = None;
    let mut role_arn = None;
    let mut session_name = None;
    let mut duration = None;
    let mut token_type = None;
    let mut sts_endpoint = None;
    let mut sts_region = None;
    let mut rest = words.iter().copied();
    while let Some(word) = rest.next() {
        if word == "aws-credential" && !command {
            command = true;
            continue;
        }
        // `--flag value`, or `--flag=value` for the long ones.
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (word, None),
        };
        let slot = match flag {
            "-p" if inline.is_none() => &mut profile,
            "--profile" => &mut profile,
            "--role-arn" if command => &mut role_arn,
            "--session-name" if command => &mut session_name,
            "--duration" if command => &mut duration,
            "--type" if command => &mut token_type,
            "--sts-endpoint" if command => &mut sts_endpoint,
            "--sts-region" if command => &mut sts_region,
            _ => return None,
        };
        let value = inline.or_else(|| rest.next())?;
        // clap's to judge: a repeated flag, an empty value or one that looks like a flag.
        if slot.is_some() || value.is_empty() || value.starts_with('-') {
            return None;
        }
        *slot = Some(value);
    }
    if !command || (sts_endpoint.is_some() && sts_region.is_some()) {
        return None;
    }
    let token_type = match token_type {
        None | Some("id") => TokenTypeArg::Id,
        Some("access") => TokenTypeArg::Access,
        Some(_) => return None,
    };
    let duration = match duration {
        None => None,
        Some(text) if text.bytes().all(|b| b.is_ascii_digit()) => Some(text.parse().ok()?),
        Some(_) => return None,
    };
    Some(Cli {
        global: super::fast_global(profile),
        command: Command::AwsCredential(AwsCredentialArgs {
            role_arn: role_arn?.to_string(),
            session_name: session_name.map(str::to_string),
            duration,
            token_type,
            sts_endpoint: sts_endpoint.map(str::to_string),
            sts_region: sts_region.map(str::to_string),
            login: false,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const ROLE: &str = "arn:aws:iam::123456789012:role/ci";

    fn args(shape: &[&str]) -> Vec<OsString> {
        std::iter::once("octoken")
            .chain(shape.iter().copied())
            .map(Into::into)
            .collect()
    }

    #[test]
    fn the_fast_path_reads_exactly_what_clap_reads() {
        let shapes: [&[&str]; 8] = [
            &["aws-credential", "--role-arn", ROLE],
            &["-p", "work", "aws-credential", "--role-arn", ROLE],
            &["aws-credential", "--role-arn", ROLE, "-p", "work"],
            &["--profile=w.2", "aws-credential", "--role-arn=x"],
            &[
                "aws-credential",
                "--sts-endpoint",
                "http://127.0.0.1:9/",
                "--role-arn",
                ROLE,
                "--type",
                "access",
                "--duration",
                "900",
                "--session-name",
                "a=b",
            ],
            &[
                "aws-credential",
                "--role-arn",
                ROLE,
                "--sts-region",
                "eu-west-1",
            ],
            &[
                "aws-credential",
                "--role-arn",
                ROLE,
                "--type=id",
                "--duration=43200",
            ],
            &["aws-credential", "--profile", "p", "--role-arn", ROLE],
        ];
        for shape in shapes {
            let args = args(shape);
            let fast = fast_aws_credential(&args).expect("recognised");
            let mut slow = crate::cli::Cli::try_parse_from(&args).unwrap();
            if !shape
                .iter()
                .any(|w| w.starts_with("-p") || w.starts_with("--profile"))
            {
                // clap's default comes from OCTOKEN_PROFILE too; compare with the same.
                slow.global.profile = fast.global.profile.clone();
            }
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{shape:?}");
        }
    }

    #[test]
    fn anything_unusual_is_left_to_clap() {
        let shapes: [&[&str]; 14] = [
            &["aws-credential"],
            &["aws-credential", "--role-arn"],
            &["aws-credential", "--role-arn", "-x"],
            &["aws-credential", "--role-arn", ""],
            &["aws-credential", "--role-arn", ROLE, "--role-arn", ROLE],
            &["aws-credential", "--role-arn", ROLE, "--login"],
            &["-v", "aws-credential", "--role-arn", ROLE],
            &["aws-credential", "--role-arn", ROLE, "--duration", "-1"],
            &["aws-credential", "--role-arn", ROLE, "--duration", "1e3"],
            &["aws-credential", "--role-arn", ROLE, "--type", "ID"],
            &[
                "aws-credential",
                "--role-arn",
                ROLE,
                "--sts-region",
                "x",
                "--sts-endpoint",
                "y",
            ],
            &["--role-arn", ROLE, "aws-credential"],
            &["aws-credential", "--role-arn", ROLE, "extra"],
            &["token"],
        ];
        for shape in shapes {
            assert!(fast_aws_credential(&args(shape)).is_none(), "{shape:?}");
        }
    }
}
