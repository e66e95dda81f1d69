//! Shell completion scripts, generated from the clap definition, with profile names
//! completed from `octoken profiles --names`.

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::output;
use clap::CommandFactory;
use clap_complete::Shell;

/// Profile names complete from `octoken profiles --names` where the script format allows it.
const BASH_PROFILES: &str = r#"
# Profile names after -p/--profile come from the config (octoken profiles --names).
_octoken_with_profiles() {
    local prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [[ "$prev" == "-p" || "$prev" == "--profile" ]]; then
        COMPREPLY=($(compgen -W "$(octoken profiles --names 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        return 0
    fi
    _octoken "$@"
}
complete -F _octoken_with_profiles -o bashdefault -o default octoken
"#;

const FISH_PROFILES: &str = "
# Profile names after -p/--profile come from the config (octoken profiles --names).
complete -c octoken -s p -l profile -f -a '(octoken profiles --names 2>/dev/null)'
";

const ZSH_PROFILES: &str = r#"(( $+functions[_octoken_profiles] )) ||
_octoken_profiles() {
    local -a profiles
    profiles=(${(f)"$(octoken profiles --names 2>/dev/null)"})
    _describe 'profile' profiles
}

"#;

pub fn completion_script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "octoken", &mut buf);
    let mut script = String::from_utf8(buf).expect("clap_complete writes UTF-8");
    match shell {
        Shell::Bash => script.push_str(BASH_PROFILES),
        Shell::Fish => script.push_str(FISH_PROFILES),
        Shell::Zsh => {
            // Profile values come from the config; the helper goes before the dispatch.
            script = script.replace(":PROFILE:_default'", ":PROFILE:_octoken_profiles'");
            if let Some(at) = script.rfind("if [ \"$funcstack[1]\" = \"_octoken\" ]") {
                script.insert_str(at, ZSH_PROFILES);
            }
        }
        _ => {}
    }
    script
}

pub fn completions(shell: Shell) -> Result<()> {
    write(&completion_script(shell))
}

fn write(text: &str) -> Result<()> {
    output::stdout(text).map_err(|e| Error::other(format!("cannot write: {e}")))
}
