//! The listener's answers: a status, a small HTML page, maybe a Location; always
//! `Connection: close`, one answer per connection.

use std::io::Write;

#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

impl Answer {
    pub fn page(status: u16, body: String) -> Answer {
        Answer {
            status,
            body,
            location: None,
        }
    }

    pub fn redirect(location: &str) -> Answer {
        Answer {
            status: 302,
            body: String::new(),
            location: Some(location.to_string()),
        }
    }

    /// The bytes on the wire. A Location with a control character (never one octoken
    /// built) would split the header, so it turns the answer into a 500 instead.
    pub fn to_bytes(&self) -> Vec<u8> {
        if let Some(location) = &self.location
            && location.chars().any(|c| c.is_control())
        {
            return Answer::page(500, String::new()).to_bytes();
        }
        let mut out = format!(
            "HTTP/1.1 {} {}\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: {}\r\n\
             Cache-Control: no-store\r\n\
             Referrer-Policy: no-referrer\r\n\
             X-Content-Type-Options: nosniff\r\n",
            self.status,
            reason(self.status),
            self.body.len()
        );
        if let Some(location) = &self.location {
            out.push_str(&format!("Location: {location}\r\n"));
        }
        if self.status == 405 {
            out.push_str("Allow: GET\r\n");
        }
        out.push_str("Connection: close\r\n\r\n");
        out.push_str(&self.body);
        out.into_bytes()
    }

    /// Writes the answer; a client that left or stopped reading is not an error here.
    pub fn write_to(&self, mut out: impl Write) {
        let _ = out.write_all(&self.to_bytes());
        let _ = out.flush();
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_on_the_wire() {
        let text =
            String::from_utf8(Answer::redirect("https://id.example/auth?a=1").to_bytes()).unwrap();
        assert!(text.starts_with("HTTP/1.1 302 Found\r\n"), "{text}");
        assert!(text.contains("\r\nLocation: https://id.example/auth?a=1\r\n"));
        assert!(text.contains("\r\nConnection: close\r\n\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn a_location_that_would_split_headers_is_never_written() {
        let text = String::from_utf8(Answer::redirect("/x\r\nSet-Cookie: a=b").to_bytes()).unwrap();
        assert!(text.starts_with("HTTP/1.1 500 "), "{text}");
        assert!(!text.contains("Set-Cookie"));
    }

    #[test]
    fn the_length_is_the_bodys() {
        let text = String::from_utf8(Answer::page(404, "é!".into()).to_bytes()).unwrap();
        assert!(text.contains("Content-Length: 3\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\né!"));
    }
}
