//! Hosts as the tools name them (git's `host=`, a registry's `HOST[:PORT]`, an index
//! URL's authority), and the rule every credential helper applies before it hands out a
//! token: the host must be one it is bound to, compared as DNS does, and the token goes
//! over https only (plain http only to a loopback host).

use std::net::{Ipv4Addr, Ipv6Addr};

/// https, or plain http to this machine (whose traffic no one else sees).
pub fn secure_for(protocol: Option<&str>, host: &str) -> bool {
    match protocol {
        Some(p) if p.eq_ignore_ascii_case("https") => true,
        Some(p) if p.eq_ignore_ascii_case("http") => {
            host_parts(host).is_some_and(|(name, _)| is_loopback(name))
        }
        _ => false,
    }
}

/// A host as git writes it in `host=`: the name (or `[IPv6]`) and the port when the
/// remote's URL has one. None for anything else: an empty name, a control character,
/// whitespace, or a character no host name has (`/`, `@`, `'`, ...).
pub fn host_parts(text: &str) -> Option<(&str, Option<&str>)> {
    let (name, port) = if text.starts_with('[') {
        let end = text.find(']')?;
        let (name, rest) = text.split_at(end + 1);
        let inner = &name[1..end];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
        {
            return None;
        }
        (name, port_of(rest)?)
    } else {
        let (name, port) = match text.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        };
        let name_char = |c: char| c.is_alphanumeric() || "-._~".contains(c);
        if name.is_empty() || !name.chars().all(name_char) {
            return None;
        }
        match port {
            Some(port) if !is_port(port) => return None,
            _ => (name, port),
        }
    };
    Some((name, port))
}

/// The port after an `[IPv6]` name: nothing, or `:` and digits.
fn port_of(rest: &str) -> Option<Option<&str>> {
    if rest.is_empty() {
        return Some(None);
    }
    let port = rest.strip_prefix(':')?;
    is_port(port).then_some(Some(port))
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.chars().all(|c| c.is_ascii_digit())
}

/// Names compare as DNS does (ASCII case-insensitively), ports exactly: `host:443` is
/// not `host`, since git sends the port as the URL writes it.
pub fn same_host(a: &str, b: &str) -> bool {
    match (host_parts(a), host_parts(b)) {
        (Some((a_name, a_port)), Some((b_name, b_port))) => {
            a_name.eq_ignore_ascii_case(b_name) && a_port == b_port
        }
        _ => false,
    }
}

/// `localhost`, 127.0.0.0/8 or `[::1]`: what a loopback listener can be reached at.
pub fn is_loopback(name: &str) -> bool {
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(inner) => inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
        None => name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_names_a_host_with_its_port_as_the_url_writes_it() {
        for (text, name, port) in [
            ("git.example.com", "git.example.com", None),
            ("Git.Example.COM:8443", "Git.Example.COM", Some("8443")),
            ("h:443", "h", Some("443")),
            ("127.0.0.1:9", "127.0.0.1", Some("9")),
            ("[::1]", "[::1]", None),
            ("[::1]:8080", "[::1]", Some("8080")),
            ("[fe80::1.2.3.4]:1", "[fe80::1.2.3.4]", Some("1")),
            ("xn--bcher-kva.example", "xn--bcher-kva.example", None),
            ("bücher.example", "bücher.example", None),
            ("a_b~c", "a_b~c", None),
            ("h:65535", "h", Some("65535")),
        ] {
            assert_eq!(host_parts(text), Some((name, port)), "{text}");
        }
        for bad in [
            "",
            ":443",
            "h:",
            "h:x",
            "h:123456",
            "h:44 3",
            "h:1:2",
            "::1",
            "[]",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[::1]:x",
            "[::g]",
            "[a b]",
            "h\n",
            "h\r",
            "h\x1b[31m",
            "h\u{85}",
            "h\u{202e}",
            "a b",
            "user@h",
            "h/path",
            "https://h",
            "*.example.com",
            "h'x",
            "h;x",
            "h$x",
            "[::1]]",
        ] {
            assert_eq!(host_parts(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_compare_case_insensitively_ports_exactly() {
        assert!(same_host("Git.Example.com", "git.example.COM"));
        assert!(same_host("h:8443", "H:8443"));
        assert!(same_host("[::1]:80", "[::1]:80"));
        assert!(!same_host("h", "h:443"));
        assert!(!same_host("h:443", "h"));
        assert!(!same_host("h:443", "h:0443"));
        assert!(!same_host("h:80", "h:8080"));
        assert!(!same_host("h", "h.evil.example"));
        assert!(!same_host("h.example", "h"));
        // Neither side is compared as text when it is no host.
        assert!(!same_host("h\n", "h\n"));
        assert!(!same_host("h", "h\n"));
        assert!(!same_host("h\n", "h"));
    }

    #[test]
    fn loopback_is_localhost_127_8_and_the_ipv6_one() {
        for name in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.255.3.4",
            "[::1]",
            "[0:0::1]",
        ] {
            assert!(is_loopback(name), "{name}");
        }
        for name in [
            "128.0.0.1",
            "126.0.0.1",
            "0.0.0.0",
            "10.0.0.1",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "evil-localhost",
            "[::2]",
            "[::]",
            "::1",
            "[::ffff:127.0.0.1]",
            "[127.0.0.1]",
            "0177.0.0.1",
            "2130706433",
        ] {
            assert!(!is_loopback(name), "{name}");
        }
    }

    #[test]
    fn only_https_or_plain_http_to_this_machine_is_secure() {
        assert!(secure_for(Some("https"), "git.example.com"));
        assert!(secure_for(Some("HTTPS"), "git.example.com"));
        assert!(secure_for(Some("http"), "127.0.0.1:8080"));
        assert!(secure_for(Some("HTTP"), "localhost"));
        assert!(secure_for(Some("http"), "[::1]:80"));
        assert!(!secure_for(Some("http"), "git.example.com"));
        assert!(!secure_for(Some("http"), "127.0.0.1.evil.example"));
        assert!(!secure_for(Some("http"), "localhost\n"));
        assert!(!secure_for(Some("ftp"), "localhost"));
        assert!(!secure_for(Some(""), "localhost"));
        assert!(!secure_for(None, "localhost"));
        assert!(!secure_for(None, "git.example.com"));
    }
}
