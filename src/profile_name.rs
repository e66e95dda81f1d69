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

/// The longest profile name shown in a message, in characters: a valid one is at most
/// 64; a longer one is cut.
const MAX_SHOWN: usize = 80;

/// A name as a message may show it: an invalid `-p` value or a key of config.toml is
/// foreign text, made inert and bounded by the one sanitizer (a valid name, plain ASCII,
/// is unchanged).
pub fn shown(name: &str) -> String {
    crate::sanitize::foreign(name, MAX_SHOWN)
}

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

    #[test]
    fn names_are_shown_inert_and_bounded() {
        assert_eq!(shown("work-2.prod_x"), "work-2.prod_x");
        assert_eq!(shown("a\u{1b}]0;PWNED\u{7}b\u{9b}2Jc\r\u{202e}d"), "abc d");
        let long = shown(&"x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_SHOWN);
        assert!(long.ends_with(crate::sanitize::ELLIPSIS));
    }
}
