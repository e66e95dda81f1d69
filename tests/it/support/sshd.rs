//! A real OpenSSH server (Debian's openssh-server) for one test: on 127.0.0.1 and a
//! free port, with a throwaway host key and one authorized key, as the current user
//! (UsePAM no, StrictModes no, its pid file in a temp dir). `ssh` runs commands there,
//! with `-R` forwarding when asked. Killed on drop.

use super::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    pub fn start() -> Sshd {
        let dir = tempfile::Builder::new()
            .prefix("octoken-sshd-")
            .tempdir()
            .unwrap();
        let path = |name: &str| dir.path().join(name);
        for key in ["host_key", "client_key"] {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(path(key))
                .output()
                .expect("ssh-keygen (apt: openssh-client)");
            assert!(out.status.success(), "{out:?}");
        }
        std::fs::copy(path("client_key.pub"), path("authorized_keys")).unwrap();
        // sshd started by root wants its privilege separation directory.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let port = free_port();
        std::fs::write(
            path("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {pid}\n\
                 AuthorizedKeysFile {keys}\nStrictModes no\nUsePAM no\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
                 AllowStreamLocalForwarding yes\nStreamLocalBindUnlink yes\n\
                 PrintMotd no\nLogLevel ERROR\n",
                host = path("host_key").display(),
                pid = path("sshd.pid").display(),
                keys = path("authorized_keys").display(),
            ),
        )
        .unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(path("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd (apt: openssh-server)");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "sshd did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
        Sshd { child, port, dir }
    }

    /// `ssh` to this server running `command` (a shell command line), forwarding the
    /// remote socket `remote` to the local socket `local` when given.
    pub fn ssh(&self, forward: Option<(&Path, &Path)>, command: &str) -> Output {
        let mut ssh = Command::new("ssh");
        ssh.args(["-F", "/dev/null", "-T", "-p", &self.port.to_string()])
            .arg("-i")
            .arg(self.dir.path().join("client_key"))
            .args([
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ExitOnForwardFailure=yes",
                "-o",
                "ConnectTimeout=10",
            ]);
        if let Some((remote, local)) = forward {
            ssh.arg("-R")
                .arg(format!("{}:{}", remote.display(), local.display()));
        }
        ssh.arg(format!("{}@127.0.0.1", user()))
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .expect("ssh (apt: openssh-client)")
    }

    /// A directory for the remote side's files (the same machine, another HOME).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
