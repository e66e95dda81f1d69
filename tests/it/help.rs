//! What a new user meets first: `--help` at 80 columns, the man pages' reference
//! sections, the tables of docs/troubleshooting.md generated from the same data
//! (src/reference.rs), and the bundled provider started by hand as README.md shows.

use crate::support::{TestEnv, repo_root};
use std::collections::BTreeSet;

const BEGIN: &str = "<!-- generated: ";
const END: &str = "<!-- end generated -->";

/// Where the generated reference tables live (exit codes, environment, files).
const REFERENCE_DOC: &str = "docs/troubleshooting.md";

/// The document with every generated block rendered from src/reference.rs.
fn with_generated_blocks(readme: &str) -> String {
    let mut out = String::new();
    let mut rest = readme;
    while let Some(at) = rest.find(BEGIN) {
        let line_end = at + rest[at..].find('\n').expect("a marker line");
        out.push_str(&rest[..=line_end]);
        let name = rest[at + BEGIN.len()..line_end]
            .split_whitespace()
            .next()
            .unwrap();
        out.push_str(&match name {
            "exit-status" => octoken::reference::exit_status_markdown(),
            "environment" => octoken::reference::environment_markdown(),
            "files" => octoken::reference::files_markdown(),
            other => panic!("{REFERENCE_DOC} names an unknown generated block {other:?}"),
        });
        let end = line_end + rest[line_end..].find(END).expect("an end marker");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn generated_reference_tables_are_in_sync() {
    let path = repo_root().join(REFERENCE_DOC);
    let readme = std::fs::read_to_string(&path).unwrap();
    let expected = with_generated_blocks(&readme);
    for block in ["exit-status", "environment", "files"] {
        assert!(
            readme.contains(&format!("{BEGIN}{block} ")),
            "{REFERENCE_DOC} lost its {block} block"
        );
    }
    if readme == expected {
        return;
    }
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, expected).unwrap();
        return;
    }
    panic!(
        "{REFERENCE_DOC}'s generated tables are out of date with src/reference.rs; run \
         `UPDATE_GENERATED=1 cargo test --test it generated` and commit"
    );
}

/// The pages the binary prints: ("octoken", page), ("octoken-login", page), ...
fn man_pages(env: &TestEnv) -> Vec<(String, String)> {
    let root = env.run(&["man"]).expect(0).stdout;
    let commands: Vec<String> = root
        .lines()
        .filter_map(|l| l.strip_prefix("octoken\\-")?.strip_suffix("(1)"))
        .map(|c| c.replace("\\-", "-"))
        .collect();
    assert!(commands.contains(&"login".to_string()), "{root}");
    let mut pages = vec![("octoken".to_string(), root)];
    for command in commands {
        let page = env.run(&["man", &command]).expect(0).stdout;
        pages.push((format!("octoken-{command}"), page));
    }
    pages
}

/// The section's text: from `.SH NAME` to the next `.SH`.
fn section<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let header = format!(".SH {name}\n");
    let start = page.find(&header)? + header.len();
    let end = page[start..].find(".SH ").map_or(page.len(), |i| start + i);
    Some(&page[start..end])
}

#[test]
fn every_man_page_has_the_reference_sections_and_no_dangling_references() {
    let env = TestEnv::new();
    let pages = man_pages(&env);
    let names: BTreeSet<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    for (name, page) in &pages {
        for wanted in [
            "SYNOPSIS",
            "EXAMPLES",
            "\"EXIT STATUS\"",
            "ENVIRONMENT",
            "FILES",
        ] {
            let text = section(page, wanted)
                .unwrap_or_else(|| panic!("{name}(1) has no {wanted} section:\n{page}"));
            assert!(!text.trim().is_empty(), "{name}(1): {wanted} is empty");
        }
        assert!(!page.contains("octoken\\-help") && !page.contains("octoken-help"));
        // Every page named is one that exists: octoken\-login(1), \fBoctoken\fR(1).
        let plain = page
            .replace("\\-", "-")
            .replace("\\fB", "")
            .replace("\\fR", "");
        for (at, _) in plain.match_indices("(1)") {
            let start = plain[..at]
                .rfind(|c: char| !(c.is_alphanumeric() || c == '-'))
                .map_or(0, |i| i + 1);
            let named = &plain[start..at];
            assert!(
                names.contains(named),
                "{name}(1) refers to {named}(1), which does not exist"
            );
        }
        // Option arguments in the synopsis.
        let synopsis = section(page, "SYNOPSIS").unwrap();
        assert!(
            synopsis.contains("\\fB\\-\\-profile\\fR \\fI<PROFILE>\\fR"),
            "{name}(1): {synopsis}"
        );
    }
    let login = &pages.iter().find(|(n, _)| n == "octoken-login").unwrap().1;
    assert!(
        section(login, "SYNOPSIS")
            .unwrap()
            .contains("\\fB\\-\\-issuer\\fR \\fI<URL>\\fR")
    );
    // Every exit code in each page's EXIT STATUS.
    for (name, page) in &pages {
        let exit = section(page, "\"EXIT STATUS\"").unwrap();
        for code in ["0", "1", "2", "3", "4", "5", "6", "126, 127", "130"] {
            assert!(
                exit.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                "{name}(1) lacks exit status {code}"
            );
        }
    }
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `"NAME"` literals right after each of `openers` in `text`.
fn literals_after(text: &str, openers: &[&str]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for opener in openers {
        for (at, _) in text.match_indices(opener) {
            let rest = &text[at + opener.len()..];
            if let Some(name) = rest.split('"').next() {
                found.insert(name.to_string());
            }
        }
    }
    found
}

/// The environment variables octoken's code reads: every const of src/env.rs (the one
/// reader), every `env::NAME` the code uses (which must be one of them), and any
/// variable read by a literal name anywhere in src/.
fn variables_read() -> BTreeSet<String> {
    let src = repo_root().join("src");
    let env_rs = std::fs::read_to_string(src.join("env.rs")).unwrap();
    let mut consts = BTreeSet::new();
    let mut names = BTreeSet::new();
    for line in env_rs.lines() {
        let Some(rest) = line.strip_prefix("pub const ") else {
            continue;
        };
        // A list of names (`SECRET_VARIABLES: &[&str]`) is a const, not a variable.
        let Some((ident, value)) = rest.split_once(": &str = \"") else {
            let ident = rest.split(':').next().unwrap();
            consts.insert(ident.to_string());
            continue;
        };
        consts.insert(ident.to_string());
        names.insert(value.trim_end_matches("\";").to_string());
    }
    assert!(
        names.contains("OCTOKEN_PROFILE") && names.len() > 8,
        "{names:?}"
    );
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // `env::OCTOKEN_X` and `crate::env::X` name consts of env.rs.
        for (at, _) in text.match_indices("env::") {
            let ident: String = text[at + "env::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if ident.len() > 1 && ident != "SECRET_VARIABLES" {
                assert!(
                    consts.contains(&ident),
                    "{} uses env::{ident}, which src/env.rs does not define",
                    file.display()
                );
            }
        }
        // Reads by a literal name, wherever they hide (clap's `env = "NAME"`, but not
        // a `cfg(target_env = "gnu")`).
        let text = text.replace("target_env = \"", "");
        names.extend(literals_after(
            &text,
            &["var(\"", "var_os(\"", "vars_os(\"", "env = \""],
        ));
    }
    names
}

/// The variable names in a man page's ENVIRONMENT section.
fn man_environment(page: &str) -> BTreeSet<String> {
    section(page, "ENVIRONMENT")
        .expect("an ENVIRONMENT section")
        .split(".TP\n\\fB")
        .skip(1)
        .map(|entry| entry.split("\\fR").next().unwrap().replace("\\-", "-"))
        .collect()
}

/// The variable names in the environment table of docs/troubleshooting.md.
fn documented_environment() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(repo_root().join(REFERENCE_DOC)).unwrap();
    let block = readme
        .split_once(&format!("{BEGIN}environment "))
        .and_then(|(_, rest)| rest.split_once(END))
        .expect("the environment block")
        .0;
    block
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|l| l.split('`').next().unwrap().to_string())
        .collect()
}

#[test]
fn every_environment_variable_read_is_documented_and_nothing_else() {
    let read = variables_read();
    let env = TestEnv::new();
    for (name, page) in man_pages(&env) {
        assert_eq!(
            man_environment(&page),
            read,
            "{name}(1)'s ENVIRONMENT (left) and the variables src/ reads (right) differ"
        );
    }
    assert_eq!(
        documented_environment(),
        read,
        "{REFERENCE_DOC}'s environment table (left) and the variables src/ reads (right) differ"
    );
    for wanted in [
        "BROWSER",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "NO_COLOR",
        "TERM",
    ] {
        assert!(read.contains(wanted), "{wanted} is not documented");
    }
}

/// The commands `octoken --help` lists.
fn commands(env: &TestEnv) -> Vec<String> {
    let help = env.run(&["--help"]).expect(0).stdout;
    let listing = help
        .split_once("Log in and out:")
        .and_then(|(_, rest)| rest.split_once("Options:"))
        .expect("grouped help")
        .0;
    listing
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The lines under `heading` up to the next blank-line-separated heading.
fn help_section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

#[test]
fn help_fits_80_columns_with_global_options_apart_and_every_flag_explained() {
    let env = TestEnv::new();
    let commands = commands(&env);
    assert!(commands.len() >= 9, "{commands:?}");
    let columns = [("COLUMNS", "80")];
    let top = env.run_with(&["--help"], None, &columns).expect(0).stdout;
    for line in top.lines() {
        assert!(line.chars().count() <= 80, "octoken --help: {line:?}");
    }
    for command in &commands {
        let short = env
            .run_with(&[command, "-h"], None, &columns)
            .expect(0)
            .stdout;
        let long = env
            .run_with(&[command, "--help"], None, &columns)
            .expect(0)
            .stdout;
        for help in [&short, &long] {
            for line in help.lines() {
                assert!(
                    line.chars().count() <= 80,
                    "octoken {command} --help at 80 columns: {line:?}"
                );
            }
        }
        // -p, -v, -q under their own heading, not among the command's options.
        let options = help_section(&short, "Options:").join("\n");
        let global = help_section(&short, "Global options:").join("\n");
        for flag in ["--profile", "--verbose", "--quiet"] {
            assert!(global.contains(flag), "octoken {command} -h:\n{short}");
            // As a word: `agent --profiles` is the command's own flag.
            let named = options
                .split(|c: char| c.is_whitespace() || c == ',')
                .any(|word| word == flag);
            assert!(!named, "octoken {command} -h:\n{short}");
        }
        // Every flag has a one-line help in the short form: text after the flag, or
        // (when clap puts help under long flags) on the next line.
        let mut lines = help_section(&short, "Options:");
        lines.extend(help_section(&short, "Global options:"));
        for (i, line) in lines.iter().enumerate() {
            let is_flag = line.starts_with("  -") || line.starts_with("      --");
            if !is_flag {
                continue;
            }
            let after_spec = line.trim_start().split_once("  ").map(|(_, t)| t.trim());
            let below = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
            let explained = match after_spec {
                Some(text) => !text.is_empty(),
                None => {
                    lines
                        .get(i + 1)
                        .is_some_and(|l| l.starts_with("          "))
                        && !below.is_empty()
                }
            };
            assert!(
                explained,
                "octoken {command} -h: a flag without help: {line:?}"
            );
        }
        // Examples are never wrapped inside a command line: each line starts a
        // command, or continues one that ended in ` \`.
        let examples = help_section(&long, "Examples:");
        assert!(!examples.is_empty(), "octoken {command} has no examples");
        let mut continued = false;
        for line in examples.iter().filter(|l| !l.is_empty()) {
            if continued {
                assert!(line.starts_with("      "), "octoken {command}: {line:?}");
            } else {
                let first = line.split_whitespace().next().unwrap();
                assert!(
                    [
                        "octoken", "curl", "eval", "printf", "git", "kubectl", "ssh", "#"
                    ]
                    .contains(&first)
                        || first.starts_with("OCTOKEN_"),
                    "octoken {command} --help: a wrapped example line: {line:?}"
                );
            }
            continued = line.ends_with('\\');
        }
    }
    // The ones the issue named (help on the flag's line, or under it).
    let help_of = |args: &[&str], flag: &str| {
        let help = env.run_with(args, None, &columns).expect(0).stdout;
        let lines: Vec<&str> = help.lines().collect();
        let at = lines.iter().position(|l| l.contains(flag)).unwrap();
        format!("{} {}", lines[at], lines.get(at + 1).unwrap_or(&""))
    };
    let client_id = help_of(&["login", "-h"], "--client-id");
    assert!(client_id.contains("Client ID"), "{client_id}");
    let format = help_of(&["token", "-h"], "--format");
    assert!(format.contains("raw, json, header"), "{format}");
}

/// `node tests/idp/server.mjs --layout keycloak &`: a background job's stdin is
/// /dev/null, and the provider must keep running until it is signalled.
#[test]
fn bundled_provider_runs_in_the_background_by_hand() {
    use std::io::BufRead;
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(readme.contains("node tests/idp/server.mjs --layout keycloak --port 8080 &"));
    let mut child = std::process::Command::new("node")
        .arg(repo_root().join("tests/idp/server.mjs"))
        .args(["--layout", "keycloak"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node");
    let mut ready = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&ready).expect("the ready line");
    std::thread::sleep(std::time::Duration::from_millis(800));
    let still_running = child.try_wait().unwrap().is_none();
    let issuer = ready["issuer"].as_str().unwrap().to_string();
    let discovery = still_running.then(|| {
        crate::support::idp::http_get(&format!("{issuer}/.well-known/openid-configuration"))
    });
    // SIGTERM, as `kill %1` sends, ends it.
    let _ = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(still_running, "the provider exited with stdin closed");
    assert!(discovery.unwrap().contains(&issuer));
    assert!(status.success(), "SIGTERM ends it cleanly: {status:?}");
    // oidc-provider 9.x's warnings on Node.js 20 (the runtime notice and three about its
    // development-only setup; README.md: harmless); nothing that looks like a failure.
    for line in stderr.lines() {
        assert!(
            line.contains("Unsupported runtime") || !line.to_lowercase().contains("error"),
            "{stderr}"
        );
    }
    // The runtime notice, where this Node.js prints one, is quoted as it is printed.
    for notice in stderr.lines().filter(|l| l.contains("Unsupported runtime")) {
        let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = words(notice.trim_start_matches("oidc-provider WARNING: "));
        for doc in ["README.md", "docs/testing.md"] {
            assert!(
                words(&crate::support::doc(doc)).contains(&text),
                "{doc} does not quote the provider's notice: {notice}"
            );
        }
    }
}

/// `--help` points at `man octoken` and says how to get it there: `octoken man --dir`
/// writes every page, readable by all, and `man` then finds them.
#[test]
fn the_man_pages_help_points_to_are_installed_by_octoken_man_dir() {
    let env = TestEnv::new();
    let help = env.run(&["--help"]).expect(0).stdout;
    assert!(
        help.contains("  man          Print a man page, or install them all (--dir)"),
        "{help}"
    );
    let pointer = "`octoken man --dir ~/.local/share/man/man1`";
    assert!(help.contains(pointer), "{help}");

    let dir = env.path("home/.local/share/man/man1");
    let run = env
        .run(&["man", "--dir", &dir.display().to_string()])
        .expect(0);
    assert!(run.stderr.contains("man pages to"), "{}", run.stderr);
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut checked_in: Vec<String> = std::fs::read_dir(repo_root().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    checked_in.sort();
    assert_eq!(written, checked_in, "the same pages as man/");
    for name in &written {
        let path = dir.join(name);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o644, "{name}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            std::fs::read_to_string(repo_root().join("man").join(name)).unwrap()
        );
    }
    // Again over the same pages (an upgrade): replaced, not refused.
    env.run(&["man", "--dir", &dir.display().to_string()])
        .expect(0);
    // `man` finds them there (man-db also derives this directory from ~/.local/bin on
    // PATH; MANPATH names it here).
    let found = std::process::Command::new("man")
        .args(["-w", "octoken", "octoken-login"])
        .env("MANPATH", env.path("home/.local/share/man"))
        .output()
        .expect("man (apt: man-db)");
    let found = String::from_utf8_lossy(&found.stdout);
    assert!(
        found.contains("man1/octoken.1") && found.contains("man1/octoken-login.1"),
        "{found}"
    );
}
