//! Reads one HTTP/1.x request head from anyone on the machine, with hard byte caps.
//!
//! The listener needs only the method, the request target and the `Host` header, so
//! this reads the request line and the header lines and nothing else: no body, no
//! keep-alive, no chunking. Every read is bounded, so a client that never sends a
//! newline costs at most MAX_LINE bytes, whatever it streams.

use std::io::{BufRead, Read};

/// The longest request line, CRLF included. Real callbacks are a few hundred bytes.
pub const MAX_LINE: usize = 8 * 1024;
/// The most header bytes after the request line, the blank line included.
pub const MAX_HEADERS: usize = 32 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The origin-form target: path and query, as sent.
    pub target: String,
    /// The one `Host` header, when there was exactly one.
    pub host: Option<String>,
}

/// Why no head came out. The listener answers the first three with their status and
/// just closes on the last (nobody is there to read an answer).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// 414: the request line does not end within MAX_LINE bytes.
    LineTooLong,
    /// 431: the headers do not end within MAX_HEADERS bytes.
    HeadersTooLarge,
    /// 400: not an HTTP/1.x request line or header, or `Host` given twice.
    Malformed,
    /// The client closed early, stalled past its deadline, or the read failed.
    Gone,
}

impl Refused {
    pub fn status(&self) -> Option<u16> {
        match self {
            Refused::LineTooLong => Some(414),
            Refused::HeadersTooLarge => Some(431),
            Refused::Malformed => Some(400),
            Refused::Gone => None,
        }
    }
}

/// Reads a request head from `input`. Stops at the blank line; never reads past it.
pub fn read_head(input: impl Read) -> Result<Head, Refused> {
    // The buffer is the most this connection ever holds (plus one line being read).
    let mut input = std::io::BufReader::with_capacity(4096, input);
    let line = read_line(&mut input, MAX_LINE, Refused::LineTooLong)?;
    let (method, target) = parse_request_line(&line)?;
    let mut budget = MAX_HEADERS;
    let mut host = None;
    let mut hosts = 0;
    loop {
        let line = read_line(&mut input, budget, Refused::HeadersTooLarge)?;
        budget -= line.len();
        let text = trim_eol(&line);
        if text.is_empty() {
            break;
        }
        let (name, value) = parse_header(text)?;
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
            host = Some(value.to_string());
        }
    }
    // RFC 9112 3.2: a request with more than one Host is answered 400.
    if hosts > 1 {
        return Err(Refused::Malformed);
    }
    Ok(Head {
        method,
        target,
        host,
    })
}

/// One line, its newline included, of at most `cap` bytes.
fn read_line(input: &mut impl BufRead, cap: usize, too_long: Refused) -> Result<Vec<u8>, Refused> {
    let mut line = Vec::new();
    // `take` bounds what read_until may buffer: the cap holds whatever the client sends.
    let read = input
        .take(cap as u64)
        .read_until(b'\n', &mut line)
        .map_err(|_| Refused::Gone)?;
    if line.last() == Some(&b'\n') {
        Ok(line)
    } else if read == cap {
        Err(too_long)
    } else {
        Err(Refused::Gone)
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `METHOD SP origin-form SP HTTP/1.x`, visible ASCII only.
fn parse_request_line(line: &[u8]) -> Result<(String, String), Refused> {
    let text = std::str::from_utf8(trim_eol(line)).map_err(|_| Refused::Malformed)?;
    let mut parts = text.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed);
    };
    let visible = |s: &str| !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !visible(method) || !visible(target) || !target.starts_with('/') {
        return Err(Refused::Malformed);
    }
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(Refused::Malformed);
    }
    Ok((method.to_string(), target.to_string()))
}

/// `name: value`; the name a token, the value without control characters.
fn parse_header(line: &[u8]) -> Result<(&str, &str), Refused> {
    let text = std::str::from_utf8(line).map_err(|_| Refused::Malformed)?;
    let (name, value) = text.split_once(':').ok_or(Refused::Malformed)?;
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Refused::Malformed);
    }
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Refused::Malformed);
    }
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> Result<Head, Refused> {
        read_head(bytes)
    }

    #[test]
    fn a_browser_request() {
        let got = head(
            b"GET /callback?code=a&state=b HTTP/1.1\r\nHost: 127.0.0.1:8400\r\n\
              User-Agent: x\r\nAccept: */*\r\n\r\nbody never read",
        );
        assert_eq!(
            got,
            Ok(Head {
                method: "GET".into(),
                target: "/callback?code=a&state=b".into(),
                host: Some("127.0.0.1:8400".into()),
            })
        );
        // Bare LF line ends and a lowercase, padded header name are fine too.
        let got = head(b"GET / HTTP/1.0\nhost:\t localhost:1 \n\n").unwrap();
        assert_eq!(got.host.as_deref(), Some("localhost:1"));
        assert_eq!(head(b"GET / HTTP/1.1\r\n\r\n").unwrap().host, None);
    }

    #[test]
    fn the_request_line_is_capped() {
        let mut long = b"GET /".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_LINE));
        assert_eq!(head(&long), Err(Refused::LineTooLong));
        // Exactly at the cap, newline included, is still a request line.
        let mut fits = b"GET /".to_vec();
        fits.extend(std::iter::repeat_n(b'a', MAX_LINE - 5 - 11));
        fits.extend(b" HTTP/1.1\r\n\r\n");
        assert!(head(&fits).is_ok());
        assert_eq!(Refused::LineTooLong.status(), Some(414));
    }

    #[test]
    fn the_headers_are_capped_in_total() {
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..(MAX_HEADERS / 16) {
            many.extend(b"X-A: bbbbbbbbb\r\n");
        }
        many.extend(b"\r\n");
        assert_eq!(head(&many), Err(Refused::HeadersTooLarge));
        let mut endless = b"GET / HTTP/1.1\r\nX: ".to_vec();
        endless.extend(std::iter::repeat_n(b'b', 10 * MAX_HEADERS));
        assert_eq!(head(&endless), Err(Refused::HeadersTooLarge));
    }

    #[test]
    fn malformed_or_cut_short() {
        for bad in [
            &b"GET /\r\n\r\n"[..],
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET http://x/ HTTP/1.1\r\n\r\n",
            b"GET / HTTP/2\r\n\r\n",
            b"G\xffT / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\x1bb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n",
        ] {
            assert_eq!(head(bad), Err(Refused::Malformed), "{bad:?}");
        }
        for gone in [
            &b""[..],
            b"GET / HTTP/1.1",
            b"GET / HTTP/1.1\r\nHost: x\r\n",
        ] {
            assert_eq!(head(gone), Err(Refused::Gone), "{gone:?}");
        }
    }
}
