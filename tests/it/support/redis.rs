//! A real Redis (Debian's redis-server) per test: loopback, a free port, its own temp
//! dir, AOF on with `appendfsync always`, DEBUG allowed (to simulate a stalled server);
//! stopped on drop. `stop` and `restart` keep the dir, so the AOF survives.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// Extra redis-server arguments (TLS, ACL users).
    server_args: Vec<String>,
    /// Extra redis-cli arguments to reach it (TLS, credentials).
    cli_args: Vec<String>,
    tls: bool,
}

/// What `Redis::start_with` sets up besides the defaults.
#[derive(Default)]
pub struct RedisOptions {
    /// TLS only, with this certificate, key and CA (PEM files).
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf, std::path::PathBuf)>,
    /// An ACL user (name, password) allowed only `octoken:*` keys; `default` is off.
    pub user: Option<(String, String)>,
}

impl Redis {
    pub fn start() -> Redis {
        Self::start_with(RedisOptions::default())
    }

    pub fn start_with(options: RedisOptions) -> Redis {
        let dir = tempfile::Builder::new()
            .prefix("octoken-redis-")
            .tempdir()
            .unwrap();
        let mut server_args = Vec::new();
        let mut cli_args = Vec::new();
        let port = super::free_port();
        if let Some((cert, key, ca)) = &options.tls {
            let p = |p: &std::path::PathBuf| p.display().to_string();
            server_args.extend([
                "--tls-port".into(),
                port.to_string(),
                "--tls-cert-file".into(),
                p(cert),
                "--tls-key-file".into(),
                p(key),
                "--tls-ca-cert-file".into(),
                p(ca),
                "--tls-auth-clients".into(),
                "no".into(),
            ]);
            cli_args.extend(["--tls".into(), "--cacert".into(), p(ca)]);
        }
        if let Some((user, password)) = &options.user {
            server_args.extend(
                [
                    "--user",
                    user,
                    "on",
                    &format!(">{password}"),
                    "~octoken:*",
                    "&*",
                    "+@all",
                ]
                .map(String::from),
            );
            server_args.extend(["--user", "default", "off"].map(String::from));
            cli_args.extend(
                ["--user", user, "--pass", password, "--no-auth-warning"].map(String::from),
            );
        }
        let mut redis = Redis {
            child: None,
            port,
            dir,
            server_args,
            cli_args,
            tls: options.tls.is_some(),
        };
        redis.spawn();
        redis
    }

    /// A replica of `primary` (plain, no TLS or ACL), once the primary counts it.
    pub fn replica_of(primary: &Redis) -> Redis {
        let dir = tempfile::Builder::new()
            .prefix("octoken-redis-")
            .tempdir()
            .unwrap();
        let mut replica = Redis {
            child: None,
            port: super::free_port(),
            dir,
            server_args: vec![
                "--replicaof".into(),
                "127.0.0.1".into(),
                primary.port.to_string(),
            ],
            cli_args: Vec::new(),
            tls: false,
        };
        replica.spawn();
        let start = Instant::now();
        while !primary
            .cli(&["INFO", "replication"])
            .lines()
            .any(|l| l.trim() == "connected_slaves:1")
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the replica did not connect"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        replica
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1"])
            .args(if self.tls {
                ["--port".to_string(), "0".to_string()]
            } else {
                ["--port".to_string(), self.port.to_string()]
            })
            .args(&self.server_args)
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(["--save", "", "--daemonize", "no"])
            .args(["--enable-debug-command", "local"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (tests/system-packages installs it)");
        self.child = Some(child);
        let start = Instant::now();
        while self.try_cli(&["PING"]).as_deref() != Some("PONG") {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/0", self.port)
    }

    fn try_cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "--raw"])
            .args(&self.cli_args)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    /// redis-cli's raw answer.
    #[track_caller]
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args)
            .unwrap_or_else(|| panic!("redis-cli {args:?} failed"))
    }

    /// One field of a hash.
    pub fn hget(&self, key: &str, field: &str) -> String {
        self.cli(&["HGET", key, field])
    }

    /// Every key (SCAN) and every value in it (GET, or HGETALL for a hash), as text.
    pub fn dump(&self) -> Vec<(String, String)> {
        let keys = self.cli(&["--scan"]);
        keys.lines()
            .filter(|k| !k.is_empty())
            .map(|key| {
                let value = match self.cli(&["TYPE", key]).as_str() {
                    "hash" => self.cli(&["HGETALL", key]),
                    _ => self.cli(&["GET", key]),
                };
                (key.to_string(), value)
            })
            .collect()
    }

    /// Connections the server accepted so far.
    pub fn connections(&self) -> u64 {
        let info = self.cli(&["INFO", "stats"]);
        info.lines()
            .find_map(|l| l.strip_prefix("total_connections_received:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("INFO stats has total_connections_received")
    }

    /// Kills the server (SIGKILL: `appendfsync always` keeps every acknowledged write).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and dir (the AOF is replayed).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fleet's `--store-key-file`: 32 fixed bytes in `dir/fleet.key`, 0600; its path.
pub fn seal_key(dir: &std::path::Path) -> String {
    let key = dir.join("fleet.key");
    let bytes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
    std::fs::write(&key, bytes).unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    key.display().to_string()
}
