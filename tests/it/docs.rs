//! The documentation holds together: README.md stays a short door (at most 250 lines)
//! and every page in docs/ is reachable from it; every relative link and `#anchor` in
//! README.md, docs/, ARCHITECTURE.md and BENCHMARKS.md points at a file and a heading
//! that exist. The commands in the docs are run by the tests of their area (through
//! `support::doc_sh_block`).

use crate::support::repo_root;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The documentation files, as paths from the repository root.
fn doc_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "BENCHMARKS.md"]
        .iter()
        .map(PathBuf::from)
        .collect();
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path.strip_prefix(&root).unwrap().to_path_buf());
        }
    }
    files
}

/// The targets of the Markdown links `[text](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn the_readme_is_a_short_door() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines; move guides to docs/"
    );
    // The two commands of a fresh clone come first, before any section.
    let first_section = readme.find("\n## ").unwrap();
    for command in ["./demo/run", "./tests/run"] {
        let at = readme.find(command).expect(command);
        assert!(at < first_section, "{command} is not at the start");
    }
}

#[test]
fn every_doc_is_reachable_from_the_readme_and_every_link_resolves() {
    let root = repo_root();
    let mut linked_from_readme = BTreeSet::new();
    let mut broken = Vec::new();
    for file in doc_files() {
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        let dir = file.parent().unwrap_or(Path::new(""));
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                normalize(&dir.join(path))
            };
            if file == Path::new("README.md") {
                linked_from_readme.insert(target.clone());
            }
            let Ok(target_text) = std::fs::read_to_string(root.join(&target)) else {
                broken.push(format!("{}: {link} (no such file)", file.display()));
                continue;
            };
            if !anchor.is_empty() && !anchors(&target_text).contains(anchor) {
                broken.push(format!("{}: {link} (no such heading)", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    for file in doc_files() {
        assert!(
            file == Path::new("README.md") || linked_from_readme.contains(&file),
            "README.md does not link to {}",
            file.display()
        );
    }
}

/// `docs/../ARCHITECTURE.md` -> `ARCHITECTURE.md`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn anchors_are_what_github_makes_of_headings() {
    assert_eq!(slug(" Quick start (60 seconds)"), "quick-start-60-seconds");
    assert_eq!(
        slug(" Client authentication with a key (`private_key_jwt`, RFC 7523)"),
        "client-authentication-with-a-key-private_key_jwt-rfc-7523"
    );
    assert_eq!(
        links("see [a](docs/a.md#x) and [b](b.md)\n```\n[c](c.md)\n```"),
        ["docs/a.md#x", "b.md"]
    );
}
