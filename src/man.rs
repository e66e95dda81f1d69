//! Man pages, generated from the clap definition: octoken(1) and octoken-COMMAND(1).
//! clap_mangen renders NAME, DESCRIPTION, OPTIONS and the command list; the SYNOPSIS
//! (with option arguments), EXAMPLES (from each command's `after_help`), EXIT STATUS,
//! ENVIRONMENT, FILES and SEE ALSO are added here, the last three from `reference`.

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::output;
use crate::reference::{self, Reader};
use clap::CommandFactory;
use std::path::Path;

/// The commands that get a page of their own: octoken-login(1) and so on.
pub fn man_commands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The root command, built (global flags propagated to every subcommand) and without
/// clap's `help` subcommand, which has no page of its own.
fn built_root() -> clap::Command {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    root
}

/// octoken(1), or octoken-COMMAND(1); None for an unknown or hidden command.
pub fn man_page(command: Option<&str>) -> Option<String> {
    let root = built_root();
    let (page, examples) = match command {
        None => {
            // Every command's examples, a block for each.
            let examples: Vec<Vec<String>> = root
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .map(examples_of)
                .filter(|e| !e.is_empty())
                .collect();
            (root.clone(), examples)
        }
        Some(name) => {
            let sub = root.find_subcommand(name).filter(|c| !c.is_hide_set())?;
            let examples = vec![examples_of(sub)];
            (sub.clone().name(format!("octoken-{name}")), examples)
        }
    };
    let synopsis = synopsis(&page, command);
    let page = page.after_help(None::<&str>).after_long_help(None::<&str>);
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("octoken {}", env!("CARGO_PKG_VERSION")))
        .render(&mut buf)
        .expect("rendering to memory cannot fail");
    let rendered = String::from_utf8(buf).expect("clap_mangen writes UTF-8");

    let rendered = replace_section(&rendered, "SYNOPSIS", &synopsis);
    let mut extra = String::new();
    extra.push_str(&examples_section(&examples));
    extra.push_str(&exit_status_section());
    extra.push_str(&environment_section());
    extra.push_str(&files_section());
    if command.is_some() {
        extra.push_str(".SH \"SEE ALSO\"\n\\fBoctoken\\fR(1)\n");
    }
    // Before VERSION, the last section clap_mangen writes for the root page.
    Some(match rendered.find(".SH VERSION\n") {
        Some(at) => format!("{}{extra}{}", &rendered[..at], &rendered[at..]),
        None => format!("{rendered}{extra}"),
    })
}

/// The examples in a command's `after_help` ("Examples:" and indented lines), one entry
/// per example with its ` \` continuation lines.
fn examples_of(cmd: &clap::Command) -> Vec<String> {
    let Some(text) = cmd.get_after_help().map(|t| t.to_string()) else {
        return Vec::new();
    };
    let mut examples: Vec<String> = Vec::new();
    let mut continued = false;
    for line in text
        .lines()
        .skip_while(|l| !l.starts_with("Examples:"))
        .skip(1)
    {
        let Some(line) = line.strip_prefix("  ") else {
            break;
        };
        match examples.last_mut() {
            Some(last) if continued => {
                last.push('\n');
                last.push_str(line);
            }
            _ => examples.push(line.to_string()),
        }
        continued = line.ends_with('\\');
    }
    examples
}

/// The usage with each option's argument: `[--issuer <URL>]`, `[-p|--profile <NAME>]`.
fn synopsis(cmd: &clap::Command, command: Option<&str>) -> String {
    let name = match command {
        None => "octoken".to_string(),
        Some(name) => format!("octoken {name}"),
    };
    let mut line = format!("\\fB{}\\fR", escape(&name));
    // Options first, then operands (`exec [OPTIONS] -- <CMD>...`).
    let args = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .chain(cmd.get_positionals().filter(|a| !a.is_hide_set()));
    for arg in args {
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        let value = || {
            let names = arg
                .get_value_names()
                .map(|v| v.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap_or_else(|| vec![arg.get_id().to_string().to_uppercase()]);
            names
                .iter()
                .map(|n| format!("\\fI<{}>\\fR", escape(n)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let text = if arg.is_positional() {
            let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
            format!("{}{}", value(), if many { "..." } else { "" })
        } else {
            let mut flag = match (arg.get_short(), arg.get_long()) {
                (Some(s), Some(l)) => format!("\\fB\\-{s}\\fR|\\fB\\-\\-{}\\fR", escape(l)),
                (Some(s), None) => format!("\\fB\\-{s}\\fR"),
                (None, Some(l)) => format!("\\fB\\-\\-{}\\fR", escape(l)),
                (None, None) => continue,
            };
            if takes_value {
                flag.push(' ');
                flag.push_str(&value());
            }
            if matches!(arg.get_action(), clap::ArgAction::Count) {
                flag.push_str("...");
            }
            flag
        };
        // `exec -- CMD...`: say where the command starts.
        let text = if arg.is_positional() && arg.is_trailing_var_arg_set() {
            format!("\\-\\- {text}")
        } else {
            text
        };
        if arg.is_required_set() {
            line.push_str(&format!(" {text}"));
        } else {
            line.push_str(&format!(" [{text}]"));
        }
    }
    if cmd.get_subcommands().any(|c| !c.is_hide_set()) {
        line.push_str(" \\fI<COMMAND>\\fR");
    }
    format!(".SH SYNOPSIS\n{line}\n")
}

/// `page` with the section `name` replaced by `section` (which has its own .SH line).
fn replace_section(page: &str, name: &str, section: &str) -> String {
    let header = format!(".SH {name}\n");
    let Some(start) = page.find(&header) else {
        return page.to_string();
    };
    let end = page[start + header.len()..]
        .find(".SH ")
        .map_or(page.len(), |i| start + header.len() + i);
    format!("{}{section}{}", &page[..start], &page[end..])
}

/// One no-fill block per group of examples.
fn examples_section(groups: &[Vec<String>]) -> String {
    let blocks: Vec<String> = groups
        .iter()
        .map(|examples| {
            let lines: Vec<String> = examples
                .iter()
                .flat_map(|e| e.lines())
                .map(escape_line)
                .collect();
            format!(".nf\n.RS 4\n{}\n.RE\n.fi\n", lines.join("\n"))
        })
        .collect();
    format!(".SH EXAMPLES\n{}", blocks.join(".PP\n"))
}

fn exit_status_section() -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for e in reference::EXIT_STATUS {
        out.push_str(&format!(".TP\n\\fB{}\\fR\n", escape(e.code)));
        out.push_str(&text_line(e.meaning));
        if !e.action.is_empty() {
            out.push_str(".br\n");
            out.push_str(&text_line(&format!("What to do: {}.", e.action)));
        }
    }
    out.push_str(".PP\n");
    out.push_str(&text_line(reference::EXIT_STATUS_NOTE));
    out
}

fn environment_section() -> String {
    let mut out = String::from(".SH ENVIRONMENT\n");
    for (reader, heading) in [
        (Reader::Octoken, "Read by octoken"),
        (
            Reader::Library,
            "Read by the libraries octoken uses (HTTP, TLS, keyring)",
        ),
        (Reader::Test, "Test settings (never needed in normal use)"),
    ] {
        out.push_str(&format!(".SS \"{heading}\"\n"));
        for v in reference::ENVIRONMENT.iter().filter(|v| v.reader == reader) {
            out.push_str(&format!(".TP\n\\fB{}\\fR\n", escape(v.name)));
            out.push_str(&text_line(&capitalise(v.meaning)));
        }
    }
    out
}

fn files_section() -> String {
    let mut out = String::from(".SH FILES\n");
    for f in reference::FILES {
        out.push_str(&format!(".TP\n\\fI{}\\fR\n", escape(f.location)));
        out.push_str(&text_line(&format!(
            "{}; moved by `{}`",
            capitalise(f.what),
            f.override_var
        )));
    }
    out.push_str(".PP\n");
    out.push_str(&text_line(
        "`XDG_CONFIG_HOME`, `XDG_DATA_HOME` and `XDG_CACHE_HOME` default to `~/.config`, \
         `~/.local/share` and `~/.cache`. Secrets live in the OS keyring unless a \
         profile was logged in with `--store file`.",
    ));
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Escapes text for roff: backslashes, dashes, apostrophes.
fn escape(text: &str) -> String {
    text.replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('\'', "\\*(Aq")
}

/// One line of literal text (in .nf blocks): escaped, and never read as a request.
fn escape_line(line: &str) -> String {
    format!("\\&{}", escape(line))
}

/// A filled text line from the reference's Markdown: `code` spans in bold.
fn text_line(markdown: &str) -> String {
    let mut out = String::from("\\&");
    for (i, part) in markdown.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("\\fB{}\\fR", escape(part)));
        } else {
            out.push_str(&escape(part));
        }
    }
    out.push('\n');
    out
}

pub fn man(command: Option<&str>, dir: Option<&Path>) -> Result<()> {
    if let Some(dir) = dir {
        return install(dir);
    }
    let page = man_page(command).ok_or_else(|| Error::Usage {
        message: format!("no man page for '{}'", command.unwrap_or("")),
        hint: Some(format!("pages: octoken, {}", man_commands().join(", "))),
    })?;
    write(&page)
}

/// Writes octoken.1 and every octoken-COMMAND.1 into `dir` (created if missing), so
/// that `man octoken` and the pages it refers to all work. These are documentation for
/// anyone on the machine, not files octoken manages (fsutil's 0600 rules are for
/// those): 0644 in a 0755 directory, set explicitly whatever the umask, and a link at a
/// page's name is replaced, never followed.
fn install(dir: &Path) -> Result<()> {
    let cannot = |what: &str, path: &Path, e: std::io::Error| Error::Other {
        message: format!("cannot {what} {}: {e}", path.display()),
        hint: Some("pass a directory you may write to with --dir".into()),
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o755);
    builder.create(dir).map_err(|e| cannot("create", dir, e))?;
    let mut pages = vec![("octoken.1".to_string(), man_page(None))];
    for command in man_commands() {
        pages.push((format!("octoken-{command}.1"), man_page(Some(&command))));
    }
    for (name, page) in &pages {
        let page = page.as_deref().expect("a page for every listed command");
        let path = dir.join(name);
        // A new file each time: remove() drops a link without following it.
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(cannot("replace", &path, e));
            }
            _ => {}
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
        let mut file = options.open(&path).map_err(|e| cannot("write", &path, e))?;
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .map_err(|e| cannot("write", &path, e))?;
        std::io::Write::write_all(&mut file, page.as_bytes())
            .map_err(|e| cannot("write", &path, e))?;
    }
    output::notice(format!(
        "octoken: wrote {} man pages to {}; try `man octoken`",
        pages.len(),
        dir.display()
    ));
    Ok(())
}

fn write(text: &str) -> Result<()> {
    output::stdout(text).map_err(|e| Error::other(format!("cannot write: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synopsis_shows_option_arguments() {
        let page = man_page(Some("login")).unwrap();
        assert!(
            page.contains("[\\fB\\-\\-issuer\\fR \\fI<URL>\\fR]"),
            "{page}"
        );
        let page = man_page(None).unwrap();
        assert!(
            page.contains("[\\fB\\-p\\fR|\\fB\\-\\-profile\\fR \\fI<PROFILE>\\fR]"),
            "{page}"
        );
    }

    #[test]
    fn examples_keep_their_continuation_lines() {
        let cmd = clap::Command::new("x")
            .after_help("Examples:\n  a --b \\\n      --c\n  d\n\nNot an example");
        assert_eq!(examples_of(&cmd), ["a --b \\\n    --c", "d"]);
    }

    #[test]
    fn hidden_commands_and_help_have_no_page() {
        assert!(man_page(Some("help")).is_none());
        assert!(man_page(Some("__profiles")).is_none());
        assert!(!man_commands().contains(&"help".to_string()));
    }
}
