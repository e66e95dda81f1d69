//! Profile names: the default one, what a valid one looks like, and how a hint names
//! the command to run for one. A leaf: every room may use it.

/// The profile used when neither `-p` nor `OCTOKEN_PROFILE` names one.
pub const DEFAULT: &str = "default";

/// Profile names become file names: letters, digits, '-', '_' and '.', at most 64,
/// not starting with a dot.
pub fn is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `octoken SUBCOMMAND` for the default profile, `octoken SUBCOMMAND -p NAME` otherwise:
/// every hint that tells a user to run something names the profile they used.
pub fn command(profile: &str, subcommand: &str) -> String {
    if profile == DEFAULT {
        format!("octoken {subcommand}")
    } else {
        format!("octoken {subcommand} -p {profile}")
    }
}

pub fn login_command(profile: &str) -> String {
    command(profile, "login")
}

/// The longest profile name shown in a message, in characters (a valid one has at most
/// 64). An invalid `-p` value or a key of config.toml is foreign text: shown through
/// `sanitize::foreign` with this bound.
pub const MAX_SHOWN: usize = 80;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_plain() {
        assert!(is_valid("work-2.prod_x"));
        assert!(is_valid(&"a".repeat(64)));
        for bad in ["", "../x", "a/b", ".hidden", "sp ace", &"a".repeat(65)] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn hints_name_the_profile() {
        assert_eq!(login_command("default"), "octoken login");
        assert_eq!(login_command("work"), "octoken login -p work");
        assert_eq!(command("work", "refresh"), "octoken refresh -p work");
    }
}
