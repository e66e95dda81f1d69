//! Many `octoken token` at once: the concurrency, fleet and CI-identity tests' stampede.

use super::TestEnv;
use std::process::Stdio;

/// `per_host` concurrent `octoken token` on every host with `vars`; all must succeed
/// and print the same token (a JWT), which is returned.
pub fn stampede(hosts: &[&TestEnv], per_host: usize, vars: &[(&str, &str)]) -> String {
    let children: Vec<_> = hosts
        .iter()
        .flat_map(|host| {
            (0..per_host).map(move |_| {
                let mut cmd = host.command(&["token"]);
                cmd.envs(vars.iter().copied()).stdin(Stdio::null());
                cmd.spawn().unwrap()
            })
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let first = &outputs[0].stdout;
    assert!(first.starts_with(b"eyJ"));
    assert!(
        outputs.iter().all(|o| &o.stdout == first),
        "every run prints the same token"
    );
    String::from_utf8(first.clone()).unwrap()
}
