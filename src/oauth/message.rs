//! What crosses the wire, as values: the answer the transport (`network/`) hands back for
//! the protocol code to parse, and why the transport could not be set up. No I/O here.

use std::path::PathBuf;

/// An HTTP answer, as the protocol code sees it: status, content type, a capped body
/// and the headers it reads.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Seconds from a `Retry-After` header given in seconds.
    pub retry_after: Option<u64>,
    /// A `DPoP-Nonce` header (RFC 9449 8, 9).
    pub dpop_nonce: Option<String>,
}

/// Why the HTTP client could not be set up. `error.rs` turns these into messages with
/// hints that name the flags; this module knows nothing of flags.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("invalid proxy URL {url}: {message}")]
    Proxy { url: String, message: String },
    #[error("cannot read the CA file {}: {message}", path.display())]
    CaUnreadable { path: PathBuf, message: String },
    #[error("the CA file {} is not PEM certificates: {message}", path.display())]
    CaNotPem { path: PathBuf, message: String },
    /// A file without a single certificate parses as an empty bundle; trusting nothing
    /// extra would only surface later as a puzzling certificate error.
    #[error("the CA file {} holds no PEM certificate", path.display())]
    CaEmpty { path: PathBuf },
    #[error("cannot use the client certificate {}: {message}", path.display())]
    ClientIdentity { path: PathBuf, message: String },
}
