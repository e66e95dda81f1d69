//! The shape of the code, checked: data flows one way (ARCHITECTURE.md, "The layering
//! rule": cli -> settings -> flow -> session -> oauth/store -> output), so every
//! `crate::` path in `src/` must point to a module in a strictly lower layer than its
//! own (or inside its own module). A strict layering cannot contain an import circle,
//! and a new upward import fails here with the file and the path that broke it.
//! ARCHITECTURE.md is the source of the layer table below and says why each layer sits
//! where it does: change both together.

use std::path::{Path, PathBuf};

/// Top to bottom, as ARCHITECTURE.md's layer table lists them. A module may use modules
/// of later rows only (and itself). A module path matches its longest prefix here
/// (`settings::resolve` before `settings`).
const LAYERS: &[&[&str]] = &[
    &["lib", "main", "fuzzing"],
    &["app"],
    // The command line's own rooms: clap structs and what is generated from them.
    &["settings::resolve", "completions", "man"],
    &["cli"],
    &["flow"],
    // The profile lifecycle engine.
    &["session"],
    // Resolved values; no clap in sight.
    &["settings"],
    // The agent's socket, accept loop and client (its pure protocol is lower down), and
    // the reader of CI assertions.
    &["network", "loopback", "open_url", "agent", "assertion"],
    &["store"],
    &["config", "paths"],
    &["fsutil"],
    // Imports only leaves (and oauth's own error types).
    &["error"],
    // Protocol code (returns its own errors, does no I/O) and the stdout writer: one
    // row, so neither uses the other.
    &["oauth", "output", "agent::wire"],
    // Leaves: every room may use them.
    &["access_token", "jwt", "docker_protocol", "cargo_protocol"],
    // Reference tables as data (exit codes, environment, files): names only env's.
    &["reference"],
    &[
        "secret",
        "env",
        "profile_name",
        "sanitize",
        "process",
        "host",
    ],
];

fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().map(move |m| (i, *m)))
        .filter(|(_, m)| module == *m || module.starts_with(&format!("{m}::")))
        .max_by_key(|(_, m)| m.len())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/settings/resolve/login.rs` -> `settings::resolve::login`.
fn module_path(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    parts.join("::")
}

/// Every module named after `crate::` in the code (comments skipped), as written:
/// `crate::a::b::C` gives `a::b::C`; `crate::{a, b::c}` gives `a` and `b::c`.
fn crate_paths(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let item = item.trim();
                if !item.is_empty() {
                    paths.push(item.chars().take_while(|&c| ident(c)).collect());
                }
            }
        } else {
            paths.push(rest.chars().take_while(|&c| ident(c)).collect());
        }
    }
    paths
}

#[test]
fn imports_only_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 30, "found the sources");
    let mut violations = Vec::new();
    for file in &files {
        let module = module_path(&src, file);
        let (own_layer, own_root) =
            layer_of(&module).unwrap_or_else(|| panic!("{module} is in no layer: add it"));
        for path in crate_paths(&std::fs::read_to_string(file).unwrap()) {
            let target = path.trim_end_matches(':');
            if target.is_empty() || target == "main" && own_root == "lib" {
                continue;
            }
            let Some((layer, root)) = layer_of(target) else {
                // A crate-root item (re-exports in lib.rs) or a type named in full.
                let first = target.split("::").next().unwrap();
                assert!(
                    layer_of(first).is_some() || first.chars().next().unwrap().is_uppercase(),
                    "{}: crate::{target} names no known module",
                    file.display()
                );
                continue;
            };
            if root == own_root {
                continue;
            }
            if layer <= own_layer {
                violations.push(format!(
                    "{}: `{module}` (layer {own_layer}) uses crate::{target} (layer {layer})",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward or sideways imports (the layers: ARCHITECTURE.md):\n{}",
        violations.join("\n")
    );
}

#[test]
fn flows_never_see_clap() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("flow"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("crate::cli") && !text.contains("clap::"),
            "{} uses clap types",
            file.display()
        );
    }
}

#[test]
fn the_checker_sees_an_upward_import() {
    // The checker itself: a leaf that used the session engine would be caught.
    let paths = crate_paths("use crate::{session::Session, output};\n// crate::app\n");
    assert_eq!(paths, ["session::Session", "output"]);
    let (leaf, _) = layer_of("secret").unwrap();
    let (engine, _) = layer_of("session::Session").unwrap();
    assert!(engine < leaf);
    assert_eq!(
        layer_of("settings::resolve::login").unwrap().1,
        "settings::resolve"
    );
    assert_eq!(layer_of("settings::Global").unwrap().1, "settings");
}

#[test]
fn the_layer_table_is_the_one_architecture_md_shows() {
    // Rows of ARCHITECTURE.md's table: `| 5 | `flow` | why |`.
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let documented: Vec<Vec<String>> = doc
        .lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix("| ")?.split(" | ");
            cells.next()?.parse::<usize>().ok()?;
            let modules = cells.next()?;
            Some(
                modules
                    .split(", ")
                    .map(|m| m.trim_matches('`').to_string())
                    .collect(),
            )
        })
        .collect();
    let checked: Vec<Vec<String>> = LAYERS
        .iter()
        .map(|row| row.iter().map(|m| m.to_string()).collect())
        .collect();
    assert_eq!(
        documented, checked,
        "ARCHITECTURE.md's layer table (left) and LAYERS (right) differ: change both"
    );
}

/// The protocol is values in, values out (ARCHITECTURE.md, "The rule `oauth/` must
/// follow"): nothing under src/oauth/ sends, spawns, reads files or prints.
#[test]
fn the_protocol_does_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("oauth"), &mut files);
    assert!(files.len() > 10, "found the protocol's files");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            for banned in [
                "reqwest",
                "tokio",
                "std::fs",
                "fs::",
                "crate::output",
                "fsutil",
            ] {
                if code.contains(banned) {
                    found.push(format!("{}:{}: {banned}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "I/O in oauth/:\n{}", found.join("\n"));
}

/// Small files with one job each: no source file over 600 lines of code (blank lines,
/// comments and its `#[cfg(test)]` module aside), except the clap definition and the
/// unit-test files themselves.
#[test]
fn no_source_file_is_over_600_lines_of_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut long = Vec::new();
    for file in &files {
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        if name == "cli.rs" || name.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let code = text
            .lines()
            .take_while(|l| !(l.starts_with("#[cfg(") && l.contains("test")))
            .filter(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with("//")
            })
            .count();
        if code > 600 {
            long.push(format!("{name}: {code}"));
        }
    }
    assert!(
        long.is_empty(),
        "split these by concern:\n{}",
        long.join("\n")
    );
}
