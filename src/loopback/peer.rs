//! Whose connection is it? Every local user can connect to a loopback port, so with
//! nothing else, another user who learns the local URL (from the browser's argv, which
//! `/proc/PID/cmdline` shows to everyone) could fetch the authorization URL behind it,
//! sign in as themselves and deliver their own code first.
//!
//! On Linux the kernel names the owner of every TCP socket in `/proc/net/tcp` and
//! `/proc/net/tcp6`. The connecting socket is the entry whose local address is the
//! accepted connection's peer and whose remote address is our listener; the listener
//! serves a connection only when that socket belongs to us, or to root (who can read
//! our memory anyway, and whose relay carries a Windows browser's connections into
//! WSL 2). Then the local URL carries no secret: only we can follow it.
//!
//! Fail closed: a connection whose socket is missing from the table, or already closed
//! (its entry then shows uid 0 and no inode), is refused without an answer. A system
//! whose table does not show our own listening socket as ours (no `/proc`, a sandbox,
//! not Linux) serves anyone, as before, and says so: the flow then hands the browser
//! nothing another user could follow (see `open_url`).

use std::net::{SocketAddr, TcpStream};

/// Which connections the listener serves.
#[derive(Debug, Clone, Copy)]
pub struct Peers {
    /// `Some(uid)`: only sockets of `uid` or root. `None`: anyone's.
    owner: Option<u32>,
}

impl Peers {
    /// Only ours when the socket table shows `listening` as our socket; anyone's when
    /// this system cannot tell.
    pub fn for_listener(listening: SocketAddr) -> Peers {
        Peers {
            owner: linux::owner_of_listener(listening),
        }
    }

    /// Whether only this user's (and root's) connections are served.
    pub fn only_ours(&self) -> bool {
        self.owner.is_some()
    }

    /// Whether to serve this accepted connection.
    pub fn admit(&self, stream: &TcpStream) -> bool {
        match self.owner {
            None => true,
            Some(uid) => linux::admit(stream, uid),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod linux {
    use std::net::{SocketAddr, TcpStream};

    pub fn owner_of_listener(_listening: SocketAddr) -> Option<u32> {
        None
    }

    pub fn admit(_stream: &TcpStream, _uid: u32) -> bool {
        false
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::table::{self, Entry};
    use crate::output;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Our uid when the table lists our listening socket as ours (and so can be
    /// trusted to name the owners of the sockets that connect to it).
    pub fn owner_of_listener(listening: SocketAddr) -> Option<u32> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        let any = match listening.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        match table::find(listening, SocketAddr::new(any, 0)) {
            Ok(Some(entry)) if entry.uid == uid && entry.inode != 0 => Some(uid),
            found => {
                output::debug(
                    1,
                    format!(
                        "/proc/net/tcp does not show the sign-in listener as ours ({found:?}): it cannot tell local users apart"
                    ),
                );
                None
            }
        }
    }

    pub fn admit(stream: &TcpStream, uid: u32) -> bool {
        let (Ok(peer), Ok(ours)) = (stream.peer_addr(), stream.local_addr()) else {
            output::debug(1, "refused a connection without addresses");
            return false;
        };
        let found = match table::find(peer, ours) {
            Ok(found) => found,
            // Out of descriptors during a flood, say: fail closed, quietly.
            Err(e) => {
                output::debug(
                    1,
                    format!("refused a connection from {peer}: cannot read /proc/net/tcp: {e}"),
                );
                return false;
            }
        };
        match judge(found.as_ref(), uid) {
            Verdict::Serve => return true,
            Verdict::OtherUser(other) => output::debug(
                1,
                format!("refused a connection from {peer}: it belongs to uid {other}"),
            ),
            Verdict::Closed => output::debug(
                1,
                format!("refused a connection from {peer}: its socket is already closed"),
            ),
            Verdict::Unknown => {
                output::debug(
                    1,
                    format!("refused a connection from {peer}: it is not in /proc/net/tcp"),
                );
                warn_once_unknown();
            }
        }
        false
    }

    /// A browser whose connections the table does not show (a relay we do not know)
    /// would wait out the timeout in silence: say once what to do instead.
    fn warn_once_unknown() {
        static WARNED: AtomicBool = AtomicBool::new(false);
        if !WARNED.swap(true, Ordering::SeqCst) {
            output::warn(
                "refused a connection to the sign-in listener whose owner this system does not show; \
                 if that was your browser, sign in with --no-browser (paste the address back) or --device",
            );
        }
    }

    /// What to do with a connection, from its socket's entry.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Verdict {
        Serve,
        /// Another user's socket.
        OtherUser(u32),
        /// Orphaned or in TIME_WAIT: the table no longer names its owner (uid 0, inode 0).
        Closed,
        /// Not in the table at all.
        Unknown,
    }

    pub fn judge(entry: Option<&Entry>, uid: u32) -> Verdict {
        match entry {
            None => Verdict::Unknown,
            Some(e) if e.inode == 0 => Verdict::Closed,
            Some(e) if e.uid == uid || e.uid == 0 => Verdict::Serve,
            Some(e) => Verdict::OtherUser(e.uid),
        }
    }
}

/// Reading `/proc/net/tcp{,6}`: pure parsing plus one search.
#[cfg(target_os = "linux")]
mod table {
    use std::io::BufRead;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    /// One socket of the table: the fields the listener needs.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Entry {
        pub local: SocketAddr,
        pub remote: SocketAddr,
        pub uid: u32,
        /// 0 once no process holds the socket (orphaned, TIME_WAIT).
        pub inode: u64,
    }

    /// The socket whose local and remote addresses are these. IPv4 addresses are also
    /// looked for in tcp6, where a dual-stack client's socket shows them v4-mapped.
    pub fn find(local: SocketAddr, remote: SocketAddr) -> std::io::Result<Option<Entry>> {
        let (local, remote) = (canonical(local), canonical(remote));
        let tables: &[&str] = if local.is_ipv4() {
            &["/proc/net/tcp", "/proc/net/tcp6"]
        } else {
            &["/proc/net/tcp6"]
        };
        for path in tables {
            let file = match std::fs::File::open(path) {
                Ok(file) => file,
                // tcp6 is absent when IPv6 is off; for an IPv4 peer, tcp is what counts.
                Err(_) if path.ends_with('6') && local.is_ipv4() => continue,
                Err(e) => return Err(e),
            };
            // The table may hold thousands of sockets: only lines that show the pair as
            // the kernel prints it are parsed.
            let v6 = path.ends_with('6');
            let needle = format!("{} {}", kernel_form(local, v6), kernel_form(remote, v6));
            let reader = std::io::BufReader::with_capacity(64 * 1024, file);
            for line in reader.lines().skip(1) {
                let line = line?;
                if !line.contains(&needle) {
                    continue;
                }
                if let Some(entry) = parse_line(&line)
                    && entry.local == local
                    && entry.remote == remote
                {
                    return Ok(Some(entry));
                }
            }
        }
        Ok(None)
    }

    /// An address as the kernel prints it in tcp (`v6` false) or tcp6, where an IPv4
    /// address appears v4-mapped. The inverse of [`parse_address`].
    pub fn kernel_form(addr: SocketAddr, v6: bool) -> String {
        let words = |bytes: &[u8]| -> String {
            bytes
                .chunks(4)
                .map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]])))
                .collect()
        };
        let ip = match (addr.ip(), v6) {
            (IpAddr::V4(ip), false) => words(&ip.octets()),
            (IpAddr::V4(ip), true) => words(&ip.to_ipv6_mapped().octets()),
            (IpAddr::V6(ip), _) => words(&ip.octets()),
        };
        format!("{ip}:{:04X}", addr.port())
    }

    /// `   3: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 12345 ...`
    /// sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode.
    pub fn parse_line(line: &str) -> Option<Entry> {
        let fields: Vec<&str> = line.split_whitespace().take(10).collect();
        if fields.len() < 10 {
            return None;
        }
        Some(Entry {
            local: parse_address(fields[1])?,
            remote: parse_address(fields[2])?,
            uid: fields[7].parse().ok()?,
            inode: fields[9].parse().ok()?,
        })
    }

    /// `0100007F:1F90` or 32 hex digits and a port. The kernel prints an address as
    /// 32-bit words, each the number the word holds in memory: on a little-endian
    /// machine 127.0.0.1 reads `0100007F`. A word's native-endian bytes are therefore
    /// the address bytes in network order. The port is printed as a plain number.
    pub fn parse_address(field: &str) -> Option<SocketAddr> {
        let (ip, port) = field.split_once(':')?;
        let port = u16::from_str_radix(hex(port)?, 16).ok()?;
        let ip = match ip.len() {
            8 => IpAddr::V4(Ipv4Addr::from(word(ip)?)),
            32 => {
                let mut bytes = [0u8; 16];
                for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                    chunk.copy_from_slice(&word(&ip[8 * i..8 * i + 8])?);
                }
                IpAddr::V6(Ipv6Addr::from(bytes))
            }
            _ => return None,
        };
        Some(canonical(SocketAddr::new(ip, port)))
    }

    fn word(digits: &str) -> Option<[u8; 4]> {
        u32::from_str_radix(hex(digits)?, 16)
            .ok()
            .map(u32::to_ne_bytes)
    }

    /// Only hex digits (from_str_radix would also take a sign).
    fn hex(digits: &str) -> Option<&str> {
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digits)
    }

    /// `::ffff:127.0.0.1` and `127.0.0.1` are the same peer.
    fn canonical(addr: SocketAddr) -> SocketAddr {
        SocketAddr::new(addr.ip().to_canonical(), addr.port())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::{Verdict, judge};
    use super::table::{Entry, find, kernel_form, parse_address, parse_line};
    use super::*;
    use std::net::TcpListener;

    // SAFETY: geteuid has no preconditions.
    fn uid() -> u32 {
        unsafe { libc::geteuid() }
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv4_lines_in_the_kernels_byte_order() {
        let line = "   3: 0100007F:A1B2 0201A8C0:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 20 4 30 10 -1";
        let entry = parse_line(line).unwrap();
        assert_eq!(
            entry,
            Entry {
                local: "127.0.0.1:41394".parse().unwrap(),
                remote: "192.168.1.2:8080".parse().unwrap(),
                uid: 1000,
                inode: 12345,
            }
        );
        // A TIME_WAIT entry: no owner, no inode.
        let tw = "  7: 0100007F:1F90 0100007F:A1B2 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000";
        let tw = parse_line(tw).unwrap();
        assert_eq!((tw.uid, tw.inode), (0, 0));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv6_lines_in_the_kernels_byte_order() {
        let header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
        assert_eq!(parse_line(header), None);
        let line = "   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D431 01 00000000:00000000 00:00000000 00000000 65534        0 99 1 0000000000000000 20 4 0 10 -1";
        let entry = parse_line(line).unwrap();
        assert_eq!(entry.local, "[::1]:8080".parse().unwrap());
        assert_eq!(entry.remote, "[::1]:54321".parse().unwrap());
        assert_eq!((entry.uid, entry.inode), (65534, 99));
        // A dual-stack socket talking IPv4: v4-mapped, read as the IPv4 address.
        assert_eq!(
            parse_address("0000000000000000FFFF00000100007F:1F90"),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        // 2001:db8::1, word by word.
        assert_eq!(
            parse_address("B80D0120000000000000000001000000:0050"),
            Some("[2001:db8::1]:80".parse().unwrap())
        );
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn addresses_are_searched_for_as_the_kernel_prints_them() {
        let v4: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(kernel_form(v4, false), "0100007F:1F90");
        assert_eq!(
            kernel_form(v4, true),
            "0000000000000000FFFF00000100007F:1F90"
        );
        let v6: SocketAddr = "[2001:db8::1]:80".parse().unwrap();
        assert_eq!(
            kernel_form(v6, true),
            "B80D0120000000000000000001000000:0050"
        );
    }

    #[test]
    fn the_kernel_form_reads_back() {
        for addr in [
            "127.0.0.1:1",
            "10.20.30.40:65535",
            "[::1]:443",
            "[fe80::1:2:3]:8",
        ] {
            let addr: SocketAddr = addr.parse().unwrap();
            for v6 in [false, true] {
                if addr.is_ipv6() && !v6 {
                    continue;
                }
                assert_eq!(parse_address(&kernel_form(addr, v6)), Some(addr), "{addr}");
            }
        }
    }

    #[test]
    fn malformed_lines_give_nothing() {
        for bad in [
            "",
            "   0: 0100007F:1F90",
            "   0: 0100007F:1F90 0100007F 01 0:0 0:0 0 1000 0 1",
            "   0: 0100007G:1F90 0100007F:1F90 01 0:0 0:0 0 1000 0 1",
            "   0: 100007F:1F90 0100007F:1F90 01 0:0 0:0 0 1000 0 1",
            "   0: +100007F:1F90 0100007F:1F90 01 0:0 0:0 0 1000 0 1",
            "   0: 0100007F:1F90 0100007F:1F90 01 0:0 0:0 0 -1 0 1",
            "   0: 0100007F:11F90 0100007F:1F90 01 0:0 0:0 0 1000 0 1",
        ] {
            assert_eq!(parse_line(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_verdict_serves_us_and_root_and_refuses_the_rest() {
        let entry = |uid, inode| Entry {
            local: "127.0.0.1:1".parse().unwrap(),
            remote: "127.0.0.1:2".parse().unwrap(),
            uid,
            inode,
        };
        assert_eq!(judge(Some(&entry(1000, 7)), 1000), Verdict::Serve);
        assert_eq!(judge(Some(&entry(0, 7)), 1000), Verdict::Serve);
        assert_eq!(
            judge(Some(&entry(65534, 7)), 1000),
            Verdict::OtherUser(65534)
        );
        // Closed (TIME_WAIT shows uid 0): not root's, just gone.
        assert_eq!(judge(Some(&entry(0, 0)), 1000), Verdict::Closed);
        assert_eq!(judge(Some(&entry(1000, 0)), 1000), Verdict::Closed);
        assert_eq!(judge(None, 1000), Verdict::Unknown);
    }

    #[test]
    fn the_real_table_names_our_own_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peers = Peers::for_listener(addr);
        assert!(peers.only_ours(), "this test needs /proc/net/tcp");
        let client = TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let entry = find(client.local_addr().unwrap(), addr).unwrap().unwrap();
        assert_eq!(entry.uid, uid());
        assert_ne!(entry.inode, 0);
        assert!(peers.admit(&accepted));
        // The server's side of the same connection is another entry, also ours.
        let server_side = find(addr, client.local_addr().unwrap()).unwrap().unwrap();
        assert_ne!(server_side.inode, entry.inode);
    }

    #[test]
    fn a_closed_client_is_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peers = Peers::for_listener(addr);
        let client = TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        drop(client);
        assert!(!peers.admit(&accepted));
    }

    #[test]
    fn ipv6_connections_are_found_too() {
        let Ok(listener) = TcpListener::bind("[::1]:0") else {
            return; // no IPv6 loopback here
        };
        let addr = listener.local_addr().unwrap();
        let peers = Peers::for_listener(addr);
        assert!(peers.only_ours());
        let _client = TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(peers.admit(&accepted));
    }
}
