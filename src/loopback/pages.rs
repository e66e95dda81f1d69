//! The few pages the loopback listener shows in the browser. They never echo the code,
//! the state or anything else from the request.

pub fn success() -> String {
    page(
        "Signed in",
        "octoken has received the sign-in. You can close this tab and return to the terminal.",
    )
}

pub fn failure(error: &str) -> String {
    page(
        "Sign-in failed",
        &format!(
            "The provider answered <code>{}</code>. Return to the terminal for details.",
            escape(error)
        ),
    )
}

pub fn ignored() -> String {
    page(
        "Not this sign-in",
        "This request does not belong to the sign-in octoken is waiting for, so it was ignored.",
    )
}

/// Any request the listener cannot use: malformed, oversized, or another method.
pub fn bad_request() -> String {
    page(
        "Bad request",
        "octoken's sign-in listener could not use this request.",
    )
}

/// A `Host` that is not this listener's (DNS rebinding, or a stray request).
pub fn misdirected() -> String {
    page(
        "Wrong address",
        "octoken's sign-in listener answers only at the address it printed.",
    )
}

pub fn not_found() -> String {
    page("Not found", "octoken's sign-in listener has nothing here.")
}

fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>octoken: {title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:36em;margin:4em auto\"><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}
