//! A scripted token endpoint for hostile and malformed answers that no real server gives
//! on demand. Everything else in the tests talks to the real provider.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone)]
pub enum Reply {
    /// Raw bytes written as the whole response.
    Raw(Vec<u8>),
    /// Accept the request, then never answer.
    Hang,
    /// Raw bytes, written after a pause (a slow server).
    Delayed(std::time::Duration, Vec<u8>),
    /// The reply this function makes of the request: a server (or a proxy, or a web
    /// framework's error page) that echoes what it was sent.
    Echo(fn(&Request) -> Reply),
}

/// A request as the fake server read it.
pub struct Request {
    /// The request line and header lines, without their line ends.
    pub head: Vec<String>,
    pub body: String,
}

impl Request {
    /// The form body's fields, decoded.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    /// A header's value (the name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

impl Reply {
    pub fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Reply::Raw(bytes)
    }

    pub fn json(status: &str, body: &str) -> Reply {
        Reply::http(
            status,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }
}

pub struct FakeServer {
    pub url: String,
    requests: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<String>>>,
}

impl FakeServer {
    /// Serves `replies` in order (the last one repeats).
    pub fn start(replies: Vec<Reply>) -> FakeServer {
        Self::start_with(|_| replies)
    }

    /// Serves the replies `script` writes for the server's base URL,
    /// `http://127.0.0.1:N` (a discovery document names its own issuer).
    pub fn start_with(script: impl FnOnce(&str) -> Vec<Reply>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let url = format!("{base}/token");
        let replies = script(&base);
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = bodies.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let request = read_request(&mut stream);
                seen.lock().unwrap().push(request.body.clone());
                let n = count.fetch_add(1, Ordering::SeqCst);
                let reply = match &replies[n.min(replies.len() - 1)] {
                    Reply::Echo(answer) => answer(&request),
                    reply => reply.clone(),
                };
                match &reply {
                    Reply::Raw(bytes) => {
                        let _ = stream.write_all(bytes);
                    }
                    Reply::Hang => held.push(stream),
                    Reply::Delayed(pause, bytes) => {
                        std::thread::sleep(*pause);
                        let _ = stream.write_all(bytes);
                    }
                    Reply::Echo(_) => {}
                }
            }
        });
        FakeServer {
            url,
            requests,
            bodies,
        }
    }

    /// The form bodies received so far.
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn read_request(stream: &mut TcpStream) -> Request {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0;
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push(line.trim_end().to_string());
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    Request {
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}
