//! The fuzz targets' seed inputs (fuzz/seeds/) and any crash inputs kept from fuzzing
//! runs go through the same entry points here, so a regression shows up in every test
//! run, not only when someone fuzzes.

use crate::support::repo_root;

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let dir = repo_root().join("fuzz/seeds").join(target);
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(!found.is_empty(), "no seeds in {}", dir.display());
    // Edge cases beside the seeds: empty, huge numbers, deep nesting, bad UTF-8.
    found.push(Vec::new());
    found.push(b"\xc8\x00{\"access_token\":\"a\",\"expires_in\":1e400}".to_vec());
    found.push(b"\xc8\x00{\"access_token\":\"a\",\"expires_in\":-5}".to_vec());
    found.push([b"\xc8\x00".to_vec(), vec![b'['; 10_000]].concat());
    found.push(b"\xff\xfe\x00\x80".to_vec());
    found
}

#[test]
fn fuzz_seeds_and_edge_cases_never_panic() {
    for input in inputs("token_response") {
        let (status, body) = match input.as_slice() {
            [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]) % 600, rest),
            _ => (200, input.as_slice()),
        };
        octoken::fuzzing::token_response(status, body);
        octoken::fuzzing::jwt(&String::from_utf8_lossy(body));
    }
    for input in inputs("callback_query") {
        octoken::fuzzing::callback_query(&String::from_utf8_lossy(&input));
    }
    for input in inputs("config") {
        octoken::fuzzing::config(&String::from_utf8_lossy(&input));
    }
    for input in inputs("listener_request") {
        octoken::fuzzing::listener_request(&input);
    }
    for input in inputs("agent_message") {
        octoken::fuzzing::agent_message(&input);
    }
    for input in inputs("jwks") {
        octoken::fuzzing::jwks(&input);
    }
    for input in inputs("tool_request") {
        octoken::fuzzing::tool_request(&input);
    }
}
